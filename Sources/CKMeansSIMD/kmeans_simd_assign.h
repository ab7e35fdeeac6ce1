// The assignment kernels for one precision, included by kmeans_simd.c once for float and once
// for double with the KM_* macros naming the type and its intrinsics. Not a public header.

#define KM_CAT2(a, b) a##_##b
#define KM_CAT(a, b) KM_CAT2(a, b)
#define KM_NAME(name) KM_CAT(name, KM_SUFFIX)

void KM_NAME(kmeans_simd_pack)(const KM_T *centers, const KM_T *norms, int k, int d, int width,
                               KM_T *packed, KM_T *packed_norms) {
  int panels = (k + width - 1) / width;
  for (int p = 0; p < panels; p++) {
    KM_T *panel = packed + (long)p * d * width;
    for (int j = 0; j < d; j++) {
      for (int l = 0; l < width; l++) {
        int c = p * width + l;
        panel[(long)j * width + l] = c < k ? centers[(long)c * d + j] : (KM_T)0;
      }
    }
    for (int l = 0; l < width; l++) {
      int c = p * width + l;
      packed_norms[p * width + l] = c < k ? norms[c] : (KM_T)INFINITY;
    }
  }
}

#if KMEANS_X86

// 8 rows × 2 panels of KM_W512 centers; with `second`, each lane also keeps its runner-up.
__attribute__((target("avx512f"))) static void KM_NAME(assign_avx512)(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int k,
    int32_t *labels, KM_T *second) {
  const int width = KM_W512;
  int panels = (k + width - 1) / width;
  const __m512i lane = KM_LANES_512;
  const KM_V512 minus_two = KM_SET1_512(-2.0);
  for (long start = 0; start < n; start += ROWS) {
    int rows = n - start < ROWS ? (int)(n - start) : ROWS;
    const KM_T *x[ROWS];
    for (int r = 0; r < ROWS; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    KM_V512 best[ROWS], runner[ROWS];
    __m512i index[ROWS];
    for (int r = 0; r < ROWS; r++) {
      best[r] = KM_SET1_512(INFINITY);
      runner[r] = KM_SET1_512(INFINITY);
      index[r] = _mm512_setzero_si512();
    }
    // One panel's values against the running best (strict <: ties keep the earlier center).
#define KM_UPDATE_512(value, panel_index)                                         \
  do {                                                                            \
    if (second) runner[r] = KM_MIN_512(runner[r], KM_MAX_512(best[r], value));    \
    KM_MASK512 m = KM_CMP_512(value, best[r], _CMP_LT_OQ);                       \
    best[r] = KM_MOV_512(best[r], m, value);                                      \
    index[r] = KM_IMOV_512(index[r], m, panel_index);                             \
  } while (0)
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const KM_T *a = packed + (long)p * d * width;
      const KM_T *b = a + (long)d * width;
      KM_V512 acc_a[ROWS], acc_b[ROWS];
      for (int r = 0; r < ROWS; r++) {
        acc_a[r] = KM_ZERO_512();
        acc_b[r] = KM_ZERO_512();
      }
      for (int j = 0; j < d; j++) {
        KM_V512 ca = KM_LOAD_512(a + (long)j * width);
        KM_V512 cb = KM_LOAD_512(b + (long)j * width);
        for (int r = 0; r < ROWS; r++) {
          KM_V512 xr = KM_SET1_512(x[r][j]);
          acc_a[r] = KM_FMA_512(xr, ca, acc_a[r]);
          acc_b[r] = KM_FMA_512(xr, cb, acc_b[r]);
        }
      }
      KM_V512 na = KM_LOAD_512(packed_norms + p * width);
      KM_V512 nb = KM_LOAD_512(packed_norms + (p + 1) * width);
      __m512i ia = KM_IADD_512(lane, KM_ISET1_512(p * width));
      __m512i ib = KM_IADD_512(lane, KM_ISET1_512((p + 1) * width));
      for (int r = 0; r < ROWS; r++) {
        KM_V512 va = KM_FMA_512(minus_two, acc_a[r], na);
        KM_V512 vb = KM_FMA_512(minus_two, acc_b[r], nb);
        KM_UPDATE_512(va, ia);
        KM_UPDATE_512(vb, ib);
      }
    }
    for (; p < panels; p++) {
      const KM_T *a = packed + (long)p * d * width;
      KM_V512 acc_a[ROWS];
      for (int r = 0; r < ROWS; r++) acc_a[r] = KM_ZERO_512();
      for (int j = 0; j < d; j++) {
        KM_V512 ca = KM_LOAD_512(a + (long)j * width);
        for (int r = 0; r < ROWS; r++) acc_a[r] = KM_FMA_512(KM_SET1_512(x[r][j]), ca, acc_a[r]);
      }
      KM_V512 na = KM_LOAD_512(packed_norms + p * width);
      __m512i ia = KM_IADD_512(lane, KM_ISET1_512(p * width));
      for (int r = 0; r < ROWS; r++) {
        KM_V512 va = KM_FMA_512(minus_two, acc_a[r], na);
        KM_UPDATE_512(va, ia);
      }
    }
#undef KM_UPDATE_512
    for (int r = 0; r < rows; r++) {
      // The smallest value, then the smallest center index among the lanes holding it.
      KM_T minimum = KM_RMIN_512(best[r]);
      KM_MASK512 at = KM_CMP_512(best[r], KM_SET1_512(minimum), _CMP_EQ_OQ);
      KM_INDEX_T winner = KM_IRMIN_512(at, index[r]);
      labels[start + r] = (int32_t)winner;
      if (second) {
        // The runner-up: every lane's second best, and every other lane's best.
        KM_MASK512 others = (KM_MASK512)~KM_ICMPEQ_512(at, index[r], KM_ISET1_512(winner));
        KM_T other = KM_MRMIN_512(others, best[r]);
        KM_T lane_second = KM_RMIN_512(runner[r]);
        second[start + r] = other < lane_second ? other : lane_second;
      }
    }
  }
}

// 6 rows × 2 panels of KM_W256 centers (16 ymm registers); with `second`, each lane also keeps
// its runner-up (outside the inner loop, so the accumulators keep their registers).
__attribute__((target("avx2,fma"))) static void KM_NAME(assign_avx2)(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int k,
    int32_t *labels, KM_T *second) {
  const int width = KM_W256;
  int panels = (k + width - 1) / width;
  const __m256i lane = KM_LANES_256;
  const KM_V256 minus_two = KM_SET1_256(-2.0);
  for (long start = 0; start < n; start += ROWS2) {
    int rows = n - start < ROWS2 ? (int)(n - start) : ROWS2;
    const KM_T *x[ROWS2];
    for (int r = 0; r < ROWS2; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    KM_V256 best[ROWS2], runner[ROWS2];
    __m256i index[ROWS2];
    for (int r = 0; r < ROWS2; r++) {
      best[r] = KM_SET1_256(INFINITY);
      runner[r] = KM_SET1_256(INFINITY);
      index[r] = _mm256_setzero_si256();
    }
#define KM_UPDATE_256(value, panel_index)                                                   \
  do {                                                                                      \
    if (second) runner[r] = KM_MIN_256(runner[r], KM_MAX_256(best[r], value));              \
    KM_V256 m = KM_CMP_256(value, best[r], _CMP_LT_OQ);                                     \
    best[r] = KM_BLEND_256(best[r], value, m);                                              \
    index[r] = KM_FROM_256(KM_BLEND_256(KM_TO_256(index[r]), KM_TO_256(panel_index), m));  \
  } while (0)
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const KM_T *a = packed + (long)p * d * width;
      const KM_T *b = a + (long)d * width;
      KM_V256 acc_a[ROWS2], acc_b[ROWS2];
      for (int r = 0; r < ROWS2; r++) {
        acc_a[r] = KM_ZERO_256();
        acc_b[r] = KM_ZERO_256();
      }
      for (int j = 0; j < d; j++) {
        KM_V256 ca = KM_LOAD_256(a + (long)j * width);
        KM_V256 cb = KM_LOAD_256(b + (long)j * width);
        for (int r = 0; r < ROWS2; r++) {
          KM_V256 xr = KM_BCAST_256(x[r] + j);
          acc_a[r] = KM_FMA_256(xr, ca, acc_a[r]);
          acc_b[r] = KM_FMA_256(xr, cb, acc_b[r]);
        }
      }
      KM_V256 na = KM_LOAD_256(packed_norms + p * width);
      KM_V256 nb = KM_LOAD_256(packed_norms + (p + 1) * width);
      __m256i ia = KM_IADD_256(lane, KM_ISET1_256(p * width));
      __m256i ib = KM_IADD_256(lane, KM_ISET1_256((p + 1) * width));
      for (int r = 0; r < ROWS2; r++) {
        KM_V256 va = KM_FMA_256(minus_two, acc_a[r], na);
        KM_UPDATE_256(va, ia);
        KM_V256 vb = KM_FMA_256(minus_two, acc_b[r], nb);
        KM_UPDATE_256(vb, ib);
      }
    }
    if (p < panels) {
      // The last, unpaired panel alone (not twice).
      const KM_T *a = packed + (long)p * d * width;
      KM_V256 acc_a[ROWS2];
      for (int r = 0; r < ROWS2; r++) acc_a[r] = KM_ZERO_256();
      for (int j = 0; j < d; j++) {
        KM_V256 ca = KM_LOAD_256(a + (long)j * width);
        for (int r = 0; r < ROWS2; r++) acc_a[r] = KM_FMA_256(KM_BCAST_256(x[r] + j), ca, acc_a[r]);
      }
      KM_V256 na = KM_LOAD_256(packed_norms + p * width);
      __m256i ia = KM_IADD_256(lane, KM_ISET1_256(p * width));
      for (int r = 0; r < ROWS2; r++) {
        KM_V256 va = KM_FMA_256(minus_two, acc_a[r], na);
        KM_UPDATE_256(va, ia);
      }
    }
#undef KM_UPDATE_256
    for (int r = 0; r < rows; r++) {
      // Among lanes holding the smallest value, the smallest center index; branch-free, so
      // the data's ties and orderings cost no mispredictions.
      KM_INDEX_T winner;
      KM_T other = KM_NAME(argmin_avx2)(best[r], index[r], second ? runner[r] : KM_SET1_256(INFINITY),
                                        &winner);
      labels[start + r] = (int32_t)winner;
      if (second) second[start + r] = other;
    }
  }
}


// One row against a list of panels, four at a time: each lane's value is the same sequence of
// fused multiply-adds as in the assignment kernels above, so the same bits.
__attribute__((target("avx512f"))) static void KM_NAME(panel_values_avx512)(
    const KM_T *x, int d, const KM_T *packed, const KM_T *packed_norms, const int32_t *panels,
    int count, KM_T *values) {
  const int width = KM_W512;
  const KM_V512 minus_two = KM_SET1_512(-2.0);
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    const KM_T *a = packed + (long)panels[i] * d * width;
    const KM_T *b = packed + (long)panels[i + 1] * d * width;
    const KM_T *c = packed + (long)panels[i + 2] * d * width;
    const KM_T *e = packed + (long)panels[i + 3] * d * width;
    KM_V512 s0 = KM_ZERO_512(), s1 = KM_ZERO_512(), s2 = KM_ZERO_512(), s3 = KM_ZERO_512();
    for (int j = 0; j < d; j++) {
      KM_V512 xj = KM_SET1_512(x[j]);
      s0 = KM_FMA_512(xj, KM_LOAD_512(a + (long)j * width), s0);
      s1 = KM_FMA_512(xj, KM_LOAD_512(b + (long)j * width), s1);
      s2 = KM_FMA_512(xj, KM_LOAD_512(c + (long)j * width), s2);
      s3 = KM_FMA_512(xj, KM_LOAD_512(e + (long)j * width), s3);
    }
    KM_STOREU_512(values + (long)i * width,
                  KM_FMA_512(minus_two, s0, KM_LOAD_512(packed_norms + (long)panels[i] * width)));
    KM_STOREU_512(values + (long)(i + 1) * width,
                  KM_FMA_512(minus_two, s1, KM_LOAD_512(packed_norms + (long)panels[i + 1] * width)));
    KM_STOREU_512(values + (long)(i + 2) * width,
                  KM_FMA_512(minus_two, s2, KM_LOAD_512(packed_norms + (long)panels[i + 2] * width)));
    KM_STOREU_512(values + (long)(i + 3) * width,
                  KM_FMA_512(minus_two, s3, KM_LOAD_512(packed_norms + (long)panels[i + 3] * width)));
  }
  for (; i < count; i++) {
    const KM_T *a = packed + (long)panels[i] * d * width;
    KM_V512 s0 = KM_ZERO_512();
    for (int j = 0; j < d; j++) s0 = KM_FMA_512(KM_SET1_512(x[j]), KM_LOAD_512(a + (long)j * width), s0);
    KM_STOREU_512(values + (long)i * width,
                  KM_FMA_512(minus_two, s0, KM_LOAD_512(packed_norms + (long)panels[i] * width)));
  }
}

// Rows × every panel, 8 rows × 2 panels at a time: the values of all centers for a block of
// rows (each lane the same fused multiply-adds as above), row-major with panels·width columns.
__attribute__((target("avx512f"))) static void KM_NAME(block_values_avx512)(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int panels,
    KM_T *values) {
  const int width = KM_W512;
  const long stride = (long)panels * width;
  const KM_V512 minus_two = KM_SET1_512(-2.0);
  if (panels == 1) {
    // One panel (k-means++'s few candidates): twice the rows at a time, so that enough
    // independent sums hide the multiply-add latency. Each lane: the same multiply-adds.
    const KM_T *a = packed;
    KM_V512 na = KM_LOAD_512(packed_norms);
    for (long start = 0; start < n; start += 2 * ROWS) {
      int rows = n - start < 2 * ROWS ? (int)(n - start) : 2 * ROWS;
      const KM_T *x[2 * ROWS];
      for (int r = 0; r < 2 * ROWS; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
      KM_V512 acc_a[2 * ROWS];
      for (int r = 0; r < 2 * ROWS; r++) acc_a[r] = KM_ZERO_512();
      for (int j = 0; j < d; j++) {
        KM_V512 ca = KM_LOAD_512(a + (long)j * width);
        for (int r = 0; r < 2 * ROWS; r++) acc_a[r] = KM_FMA_512(KM_SET1_512(x[r][j]), ca, acc_a[r]);
      }
      for (int r = 0; r < rows; r++)
        KM_STOREU_512(values + (start + r) * stride, KM_FMA_512(minus_two, acc_a[r], na));
    }
    return;
  }
  for (long start = 0; start < n; start += ROWS) {
    int rows = n - start < ROWS ? (int)(n - start) : ROWS;
    const KM_T *x[ROWS];
    for (int r = 0; r < ROWS; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const KM_T *a = packed + (long)p * d * width;
      const KM_T *b = a + (long)d * width;
      KM_V512 acc_a[ROWS], acc_b[ROWS];
      for (int r = 0; r < ROWS; r++) {
        acc_a[r] = KM_ZERO_512();
        acc_b[r] = KM_ZERO_512();
      }
      for (int j = 0; j < d; j++) {
        KM_V512 ca = KM_LOAD_512(a + (long)j * width);
        KM_V512 cb = KM_LOAD_512(b + (long)j * width);
        for (int r = 0; r < ROWS; r++) {
          KM_V512 xr = KM_SET1_512(x[r][j]);
          acc_a[r] = KM_FMA_512(xr, ca, acc_a[r]);
          acc_b[r] = KM_FMA_512(xr, cb, acc_b[r]);
        }
      }
      KM_V512 na = KM_LOAD_512(packed_norms + (long)p * width);
      KM_V512 nb = KM_LOAD_512(packed_norms + (long)(p + 1) * width);
      for (int r = 0; r < rows; r++) {
        KM_T *out = values + (start + r) * stride + (long)p * width;
        KM_STOREU_512(out, KM_FMA_512(minus_two, acc_a[r], na));
        KM_STOREU_512(out + width, KM_FMA_512(minus_two, acc_b[r], nb));
      }
    }
    if (p < panels) {
      // The last, unpaired panel alone (not twice): each lane the same multiply-adds.
      const KM_T *a = packed + (long)p * d * width;
      KM_V512 acc_a[ROWS];
      for (int r = 0; r < ROWS; r++) acc_a[r] = KM_ZERO_512();
      for (int j = 0; j < d; j++) {
        KM_V512 ca = KM_LOAD_512(a + (long)j * width);
        for (int r = 0; r < ROWS; r++) acc_a[r] = KM_FMA_512(KM_SET1_512(x[r][j]), ca, acc_a[r]);
      }
      KM_V512 na = KM_LOAD_512(packed_norms + (long)p * width);
      for (int r = 0; r < rows; r++)
        KM_STOREU_512(values + (start + r) * stride + (long)p * width, KM_FMA_512(minus_two, acc_a[r], na));
    }
  }
}

__attribute__((target("avx2,fma"))) static void KM_NAME(block_values_avx2)(
    const KM_T *points, long n, int d, const KM_T *packed, const KM_T *packed_norms, int panels,
    KM_T *values) {
  const int width = KM_W256;
  const long stride = (long)panels * width;
  const KM_V256 minus_two = KM_SET1_256(-2.0);
  if (panels == 1) {
    // One panel (k-means++'s few candidates): twice the rows at a time, so that enough
    // independent sums hide the multiply-add latency. Each lane: the same multiply-adds.
    const KM_T *a = packed;
    KM_V256 na = KM_LOAD_256(packed_norms);
    for (long start = 0; start < n; start += 2 * ROWS2) {
      int rows = n - start < 2 * ROWS2 ? (int)(n - start) : 2 * ROWS2;
      const KM_T *x[2 * ROWS2];
      for (int r = 0; r < 2 * ROWS2; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
      KM_V256 acc_a[2 * ROWS2];
      for (int r = 0; r < 2 * ROWS2; r++) acc_a[r] = KM_ZERO_256();
      for (int j = 0; j < d; j++) {
        KM_V256 ca = KM_LOAD_256(a + (long)j * width);
        for (int r = 0; r < 2 * ROWS2; r++) acc_a[r] = KM_FMA_256(KM_BCAST_256(x[r] + j), ca, acc_a[r]);
      }
      for (int r = 0; r < rows; r++)
        KM_STORE_256(values + (start + r) * stride, KM_FMA_256(minus_two, acc_a[r], na));
    }
    return;
  }
  for (long start = 0; start < n; start += ROWS2) {
    int rows = n - start < ROWS2 ? (int)(n - start) : ROWS2;
    const KM_T *x[ROWS2];
    for (int r = 0; r < ROWS2; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const KM_T *a = packed + (long)p * d * width;
      const KM_T *b = a + (long)d * width;
      KM_V256 acc_a[ROWS2], acc_b[ROWS2];
      for (int r = 0; r < ROWS2; r++) {
        acc_a[r] = KM_ZERO_256();
        acc_b[r] = KM_ZERO_256();
      }
      for (int j = 0; j < d; j++) {
        KM_V256 ca = KM_LOAD_256(a + (long)j * width);
        KM_V256 cb = KM_LOAD_256(b + (long)j * width);
        for (int r = 0; r < ROWS2; r++) {
          KM_V256 xr = KM_BCAST_256(x[r] + j);
          acc_a[r] = KM_FMA_256(xr, ca, acc_a[r]);
          acc_b[r] = KM_FMA_256(xr, cb, acc_b[r]);
        }
      }
      KM_V256 na = KM_LOAD_256(packed_norms + (long)p * width);
      KM_V256 nb = KM_LOAD_256(packed_norms + (long)(p + 1) * width);
      for (int r = 0; r < rows; r++) {
        KM_T *out = values + (start + r) * stride + (long)p * width;
        KM_STORE_256(out, KM_FMA_256(minus_two, acc_a[r], na));
        KM_STORE_256(out + width, KM_FMA_256(minus_two, acc_b[r], nb));
      }
    }
    if (p < panels) {
      // The last, unpaired panel alone (not twice): each lane the same multiply-adds.
      const KM_T *a = packed + (long)p * d * width;
      KM_V256 acc_a[ROWS2];
      for (int r = 0; r < ROWS2; r++) acc_a[r] = KM_ZERO_256();
      for (int j = 0; j < d; j++) {
        KM_V256 ca = KM_LOAD_256(a + (long)j * width);
        for (int r = 0; r < ROWS2; r++) acc_a[r] = KM_FMA_256(KM_BCAST_256(x[r] + j), ca, acc_a[r]);
      }
      KM_V256 na = KM_LOAD_256(packed_norms + (long)p * width);
      for (int r = 0; r < rows; r++)
        KM_STORE_256(values + (start + r) * stride + (long)p * width, KM_FMA_256(minus_two, acc_a[r], na));
    }
  }
}

__attribute__((target("avx2,fma"))) static void KM_NAME(panel_values_avx2)(
    const KM_T *x, int d, const KM_T *packed, const KM_T *packed_norms, const int32_t *panels,
    int count, KM_T *values) {
  const int width = KM_W256;
  const KM_V256 minus_two = KM_SET1_256(-2.0);
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    const KM_T *a = packed + (long)panels[i] * d * width;
    const KM_T *b = packed + (long)panels[i + 1] * d * width;
    const KM_T *c = packed + (long)panels[i + 2] * d * width;
    const KM_T *e = packed + (long)panels[i + 3] * d * width;
    KM_V256 s0 = KM_ZERO_256(), s1 = KM_ZERO_256(), s2 = KM_ZERO_256(), s3 = KM_ZERO_256();
    for (int j = 0; j < d; j++) {
      KM_V256 xj = KM_BCAST_256(x + j);
      s0 = KM_FMA_256(xj, KM_LOAD_256(a + (long)j * width), s0);
      s1 = KM_FMA_256(xj, KM_LOAD_256(b + (long)j * width), s1);
      s2 = KM_FMA_256(xj, KM_LOAD_256(c + (long)j * width), s2);
      s3 = KM_FMA_256(xj, KM_LOAD_256(e + (long)j * width), s3);
    }
    KM_STORE_256(values + (long)i * width,
                 KM_FMA_256(minus_two, s0, KM_LOAD_256(packed_norms + (long)panels[i] * width)));
    KM_STORE_256(values + (long)(i + 1) * width,
                 KM_FMA_256(minus_two, s1, KM_LOAD_256(packed_norms + (long)panels[i + 1] * width)));
    KM_STORE_256(values + (long)(i + 2) * width,
                 KM_FMA_256(minus_two, s2, KM_LOAD_256(packed_norms + (long)panels[i + 2] * width)));
    KM_STORE_256(values + (long)(i + 3) * width,
                 KM_FMA_256(minus_two, s3, KM_LOAD_256(packed_norms + (long)panels[i + 3] * width)));
  }
  for (; i < count; i++) {
    const KM_T *a = packed + (long)panels[i] * d * width;
    KM_V256 s0 = KM_ZERO_256();
    for (int j = 0; j < d; j++) s0 = KM_FMA_256(KM_BCAST_256(x + j), KM_LOAD_256(a + (long)j * width), s0);
    KM_STORE_256(values + (long)i * width,
                 KM_FMA_256(minus_two, s0, KM_LOAD_256(packed_norms + (long)panels[i] * width)));
  }
}

#endif

void KM_NAME(kmeans_simd_assign)(int level, const KM_T *points, long n, int d,
                                 const KM_T *packed, const KM_T *packed_norms, int k,
                                 int32_t *labels, KM_T *second) {
#if KMEANS_X86
  if (level == 2) {
    KM_NAME(assign_avx512)(points, n, d, packed, packed_norms, k, labels, second);
    return;
  }
  if (level == 1) {
    KM_NAME(assign_avx2)(points, n, d, packed, packed_norms, k, labels, second);
    return;
  }
#endif
  // Portable fallback (callers use BLAS instead; kept for completeness and tests).
  int width = level == 2 ? KM_W512 : KM_W256;
  int panels = (k + width - 1) / width;
  for (long i = 0; i < n; i++) {
    const KM_T *x = points + i * (long)d;
    KM_T best = (KM_T)INFINITY, runner_up = (KM_T)INFINITY;
    int32_t index = 0;
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < width; l++) {
        KM_T dot = 0;
        for (int j = 0; j < d; j++) dot = KM_FMA(x[j], packed[((long)p * d + j) * width + l], dot);
        KM_T value = KM_FMA(-2, dot, packed_norms[p * width + l]);
        if (value < best) {
          runner_up = best;
          best = value;
          index = p * width + l;
        } else if (value < runner_up) {
          runner_up = value;
        }
      }
    }
    labels[i] = index;
    if (second) second[i] = runner_up;
  }
}

void KM_NAME(kmeans_simd_panel_values)(int level, const KM_T *x, int d, const KM_T *packed,
                                       const KM_T *packed_norms, const int32_t *panels,
                                       int count, KM_T *values) {
#if KMEANS_X86
  if (level == 2) {
    KM_NAME(panel_values_avx512)(x, d, packed, packed_norms, panels, count, values);
    return;
  }
  if (level == 1) {
    KM_NAME(panel_values_avx2)(x, d, packed, packed_norms, panels, count, values);
    return;
  }
#endif
  int width = level == 2 ? KM_W512 : KM_W256;
  for (int i = 0; i < count; i++) {
    for (int l = 0; l < width; l++) {
      KM_T dot = 0;
      for (int j = 0; j < d; j++) dot = KM_FMA(x[j], packed[((long)panels[i] * d + j) * width + l], dot);
      values[(long)i * width + l] = KM_FMA(-2, dot, packed_norms[(long)panels[i] * width + l]);
    }
  }
}

void KM_NAME(kmeans_simd_block_values)(int level, const KM_T *points, long n, int d,
                                       const KM_T *packed, const KM_T *packed_norms,
                                       int panels, KM_T *values) {
#if KMEANS_X86
  if (level == 2) {
    KM_NAME(block_values_avx512)(points, n, d, packed, packed_norms, panels, values);
    return;
  }
  if (level == 1) {
    KM_NAME(block_values_avx2)(points, n, d, packed, packed_norms, panels, values);
    return;
  }
#endif
  int width = level == 2 ? KM_W512 : KM_W256;
  for (long i = 0; i < n; i++) {
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < width; l++) {
        KM_T dot = 0;
        for (int j = 0; j < d; j++)
          dot = KM_FMA(points[i * d + j], packed[((long)p * d + j) * width + l], dot);
        values[(i * panels + p) * (long)width + l] =
            KM_FMA(-2, dot, packed_norms[(long)p * width + l]);
      }
    }
  }
}

#undef KM_NAME
#undef KM_CAT
#undef KM_CAT2
