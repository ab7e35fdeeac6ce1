// The fused kernels for one precision and one vector ISA, included by kmeans_simd_assign.h once
// per ISA. Not a public header. The includer defines:
//
//   KM_ISA(name)      the kernel's name for this ISA
//   KM_TARGET_ATTRIBUTE  its target attribute (empty where the ISA is the baseline)
//   KM_BITS           the vector width, naming its intrinsics: KM_I(FMA) is KM_FMA_512,
//                     KM_FMA_256 or KM_FMA_128 (KM_V_, KM_W_, KM_SET1_, KM_LOAD_, KM_STORE_, KM_ZERO_,
//                     KM_SPLAT_, KM_MIN_, KM_MAX_, KM_MASK_, KM_LESS_, KM_SELECT_, KM_IV_,
//                     KM_IZERO_, KM_LANES_, KM_IADD_, KM_ISET1_, KM_ISELECT_)
//   KM_ROWS           rows per block
//   KM_ROW_RESULT(r)  row r's label (and runner-up) from its lanes
//
// and this template undefines them at its end. Each lane's value is the same sequence of fused
// multiply-adds in every kernel and on every ISA — Σⱼ xⱼ·cⱼ in order of j, then norm − 2·dot —
// so every kernel gives the same bits.

#define KM_I2(op, bits) KM_##op##_##bits
#define KM_I1(op, bits) KM_I2(op, bits)
#define KM_I(op) KM_I1(op, KM_BITS)

// One panel's values against row r's running best: strict <, so ties keep the earlier
// center; with `second`, each lane also keeps its runner-up.
#define KM_UPDATE(value, panel_index)                                                         \
  do {                                                                                        \
    if (second) runner[r] = KM_I(MIN)(runner[r], KM_I(MAX)(best[r], value));                  \
    KM_I(MASK) m = KM_I(LESS)(value, best[r]);                                                \
    best[r] = KM_I(SELECT)(m, value, best[r]);                                                \
    index[r] = KM_I(ISELECT)(m, panel_index, index[r]);                                       \
  } while (0)

// acc_a[r] = Σⱼ x[r][j]·a[j] for `count` rows (a: a packed panel, j in order).
#define KM_SUMS_1(count, a)                                                                   \
  for (int r = 0; r < (count); r++) acc_a[r] = KM_I(ZERO)();                                  \
  for (int j = 0; j < d; j++) {                                                               \
    KM_I(V) ca = KM_I(LOAD)((a) + (long)j * width);                                           \
    for (int r = 0; r < (count); r++) acc_a[r] = KM_I(FMA)(KM_I(SPLAT)(x[r] + j), ca, acc_a[r]); \
  }

// KM_SUMS_1 for two panels at once (each row's value loaded once for both).
#define KM_SUMS_2(count, a, b)                                                                \
  for (int r = 0; r < (count); r++) {                                                         \
    acc_a[r] = KM_I(ZERO)();                                                                  \
    acc_b[r] = KM_I(ZERO)();                                                                  \
  }                                                                                           \
  for (int j = 0; j < d; j++) {                                                               \
    KM_I(V) ca = KM_I(LOAD)((a) + (long)j * width);                                           \
    KM_I(V) cb = KM_I(LOAD)((b) + (long)j * width);                                           \
    for (int r = 0; r < (count); r++) {                                                       \
      KM_I(V) xr = KM_I(SPLAT)(x[r] + j);                                                     \
      acc_a[r] = KM_I(FMA)(xr, ca, acc_a[r]);                                                 \
      acc_b[r] = KM_I(FMA)(xr, cb, acc_b[r]);                                                 \
    }                                                                                         \
  }

// Rows `start ..< start + rows` of `points`, the last repeated to fill `count` slots.
#define KM_ROW_POINTERS(count)                                                                \
  const KM_T *x[count];                                                                       \
  for (int r = 0; r < (count); r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;

// One group of KM_ROWS rows (from `start`) against `count` panels (1 or 2, from panel `p`):
// its lanes' best values, runner-ups and indices are read from the block's state, updated with
// the panels' values, and written back.
#define KM_GROUP_PANELS(count)                                                                \
  do {                                                                                        \
    long start = first + (long)g * KM_ROWS;                                                   \
    int rows = n - start < KM_ROWS ? (int)(n - start) : KM_ROWS;                              \
    KM_ROW_POINTERS(KM_ROWS)                                                                  \
    KM_I(V) *best = best_state[g], *runner = runner_state[g];                                 \
    KM_I(IV) *index = index_state[g];                                                         \
    const KM_T *a = packed + (long)p * d * width;                                             \
    KM_I(V) acc_a[KM_ROWS], acc_b[KM_ROWS];                                                   \
    if ((count) == 2) {                                                                       \
      KM_SUMS_2(KM_ROWS, a, a + (long)d * width)                                              \
    } else {                                                                                  \
      KM_SUMS_1(KM_ROWS, a)                                                                   \
    }                                                                                         \
    KM_I(V) na = KM_I(LOAD)(packed_norms + p * width);                                        \
    KM_I(IV) ia = KM_I(IADD)(lane, KM_I(ISET1)(p * width));                                   \
    for (int r = 0; r < KM_ROWS; r++) {                                                       \
      KM_I(V) va = KM_I(FMA)(minus_two, acc_a[r], na);                                        \
      KM_UPDATE(va, ia);                                                                      \
    }                                                                                         \
    if ((count) == 2) {                                                                       \
      KM_I(V) nb = KM_I(LOAD)(packed_norms + (p + 1) * width);                                \
      KM_I(IV) ib = KM_I(IADD)(lane, KM_I(ISET1)((p + 1) * width));                           \
      for (int r = 0; r < KM_ROWS; r++) {                                                     \
        KM_I(V) vb = KM_I(FMA)(minus_two, acc_b[r], nb);                                      \
        KM_UPDATE(vb, ib);                                                                    \
      }                                                                                       \
    }                                                                                         \
    (void)rows;                                                                               \
  } while (0)

// KM_ROWS rows × 2 panels; with `second`, each lane also keeps its runner-up. Where the
// centers outgrow the level-2 cache (k·d values over 256 KiB), the rows go in blocks of up
// to 32 groups whose values take about 256 KiB, and each pair of panels passes over a whole
// block before the next pair: the pair stays in cache instead of being read again from
// memory for every group. Each row still meets the panels in order with the same operations,
// so the same bits.
KM_TARGET_ATTRIBUTE static void KM_NAME(KM_ISA(assign))(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int k,
    int32_t *labels, KM_T *second) {
  const int width = KM_I(W);
  int panels = (k + width - 1) / width;
  const KM_I(IV) lane = KM_I(LANES);
  const KM_I(V) minus_two = KM_I(SET1)(-2.0);
  enum { KM_MAX_GROUPS = 32 };
  long group_bytes = (long)d * (long)sizeof(KM_T) * KM_ROWS;
  long block_groups = (long)k * d * (long)sizeof(KM_T) <= 256 * 1024 ? 1 : 256 * 1024 / group_bytes;
  block_groups = block_groups < 1 ? 1 : block_groups > KM_MAX_GROUPS ? KM_MAX_GROUPS : block_groups;
  KM_I(V) best_state[KM_MAX_GROUPS][KM_ROWS], runner_state[KM_MAX_GROUPS][KM_ROWS];
  KM_I(IV) index_state[KM_MAX_GROUPS][KM_ROWS];
  for (long first = 0; first < n; first += block_groups * KM_ROWS) {
    long block_rows = n - first < block_groups * KM_ROWS ? n - first : block_groups * KM_ROWS;
    int groups = (int)((block_rows + KM_ROWS - 1) / KM_ROWS);
    for (int g = 0; g < groups; g++)
      for (int r = 0; r < KM_ROWS; r++) {
        best_state[g][r] = KM_I(SET1)(KM_INFINITY);
        runner_state[g][r] = KM_I(SET1)(KM_INFINITY);
        index_state[g][r] = KM_I(IZERO)();
      }
    int p = 0;
    for (; p + 1 < panels; p += 2)
      for (int g = 0; g < groups; g++) KM_GROUP_PANELS(2);
    // The last, unpaired panel alone (not twice).
    if (p < panels)
      for (int g = 0; g < groups; g++) KM_GROUP_PANELS(1);
    for (int g = 0; g < groups; g++) {
      long start = first + (long)g * KM_ROWS;
      int rows = n - start < KM_ROWS ? (int)(n - start) : KM_ROWS;
      KM_I(V) *best = best_state[g], *runner = runner_state[g];
      KM_I(IV) *index = index_state[g];
      (void)runner;
      for (int r = 0; r < rows; r++) KM_ROW_RESULT(r);
    }
  }
}
#undef KM_GROUP_PANELS

// One row against a list of panels, four at a time.
KM_TARGET_ATTRIBUTE static void KM_NAME(KM_ISA(panel_values))(
    const KM_T *x, int d, const KM_T *packed, const KM_T *packed_norms, const int32_t *panels,
    int count, KM_T *values) {
  const int width = KM_I(W);
  const KM_I(V) minus_two = KM_I(SET1)(-2.0);
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    const KM_T *c[4];
    for (int q = 0; q < 4; q++) c[q] = packed + (long)panels[i + q] * d * width;
    KM_I(V) s0 = KM_I(ZERO)(), s1 = KM_I(ZERO)(), s2 = KM_I(ZERO)(), s3 = KM_I(ZERO)();
    for (int j = 0; j < d; j++) {
      KM_I(V) xj = KM_I(SPLAT)(x + j);
      s0 = KM_I(FMA)(xj, KM_I(LOAD)(c[0] + (long)j * width), s0);
      s1 = KM_I(FMA)(xj, KM_I(LOAD)(c[1] + (long)j * width), s1);
      s2 = KM_I(FMA)(xj, KM_I(LOAD)(c[2] + (long)j * width), s2);
      s3 = KM_I(FMA)(xj, KM_I(LOAD)(c[3] + (long)j * width), s3);
    }
    KM_I(V) s[4] = {s0, s1, s2, s3};
    for (int q = 0; q < 4; q++)
      KM_I(STORE)(values + (long)(i + q) * width,
                  KM_I(FMA)(minus_two, s[q], KM_I(LOAD)(packed_norms + (long)panels[i + q] * width)));
  }
  for (; i < count; i++) {
    const KM_T *a = packed + (long)panels[i] * d * width;
    KM_I(V) s0 = KM_I(ZERO)();
    for (int j = 0; j < d; j++) s0 = KM_I(FMA)(KM_I(SPLAT)(x + j), KM_I(LOAD)(a + (long)j * width), s0);
    KM_I(STORE)(values + (long)i * width,
                KM_I(FMA)(minus_two, s0, KM_I(LOAD)(packed_norms + (long)panels[i] * width)));
  }
}

// Rows × every panel, KM_ROWS rows × 2 panels at a time: the values of all centers for a block
// of rows, row-major with panels·width columns.
KM_TARGET_ATTRIBUTE static void KM_NAME(KM_ISA(block_values))(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int panels,
    KM_T *values) {
  const int width = KM_I(W);
  const long stride = (long)panels * width;
  const KM_I(V) minus_two = KM_I(SET1)(-2.0);
  if (panels == 1) {
    // One panel (k-means++'s few candidates): twice the rows at a time, so that enough
    // independent sums hide the multiply-add latency.
    KM_I(V) na = KM_I(LOAD)(packed_norms);
    for (long start = 0; start < n; start += 2 * KM_ROWS) {
      int rows = n - start < 2 * KM_ROWS ? (int)(n - start) : 2 * KM_ROWS;
      KM_ROW_POINTERS(2 * KM_ROWS)
      KM_I(V) acc_a[2 * KM_ROWS];
      KM_SUMS_1(2 * KM_ROWS, packed)
      for (int r = 0; r < rows; r++)
        KM_I(STORE)(values + (start + r) * stride, KM_I(FMA)(minus_two, acc_a[r], na));
    }
    return;
  }
  for (long start = 0; start < n; start += KM_ROWS) {
    int rows = n - start < KM_ROWS ? (int)(n - start) : KM_ROWS;
    KM_ROW_POINTERS(KM_ROWS)
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const KM_T *a = packed + (long)p * d * width;
      KM_I(V) acc_a[KM_ROWS], acc_b[KM_ROWS];
      KM_SUMS_2(KM_ROWS, a, a + (long)d * width)
      KM_I(V) na = KM_I(LOAD)(packed_norms + (long)p * width);
      KM_I(V) nb = KM_I(LOAD)(packed_norms + (long)(p + 1) * width);
      for (int r = 0; r < rows; r++) {
        KM_T *out = values + (start + r) * stride + (long)p * width;
        KM_I(STORE)(out, KM_I(FMA)(minus_two, acc_a[r], na));
        KM_I(STORE)(out + width, KM_I(FMA)(minus_two, acc_b[r], nb));
      }
    }
    if (p < panels) {
      // The last, unpaired panel alone (not twice).
      KM_I(V) acc_a[KM_ROWS];
      KM_SUMS_1(KM_ROWS, packed + (long)p * d * width)
      KM_I(V) na = KM_I(LOAD)(packed_norms + (long)p * width);
      for (int r = 0; r < rows; r++)
        KM_I(STORE)(values + (start + r) * stride + (long)p * width,
                    KM_I(FMA)(minus_two, acc_a[r], na));
    }
  }
}

#undef KM_ROW_POINTERS
#undef KM_SUMS_2
#undef KM_SUMS_1
#undef KM_I
#undef KM_I1
#undef KM_I2
#undef KM_ISA
#undef KM_TARGET_ATTRIBUTE
#undef KM_BITS
#undef KM_ROWS
#undef KM_UPDATE
#undef KM_ROW_RESULT
