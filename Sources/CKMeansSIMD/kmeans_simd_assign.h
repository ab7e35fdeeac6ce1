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
      packed_norms[p * width + l] = c < k ? norms[c] : (KM_T)KM_INFINITY;
    }
  }
}

#if KMEANS_X86

// Per-ISA names the template reads through KM_I(op) (the precision's are in kmeans_simd.c).
#define KM_IV_512 __m512i
#define KM_IZERO_512 _mm512_setzero_si512
#define KM_SPLAT_512(p) KM_SET1_512(*(p))
#define KM_IV_256 __m256i
#define KM_IZERO_256 _mm256_setzero_si256
#define KM_SPLAT_256 KM_BCAST_256
// Lanes where a < b (a mask register, or a vector of all-ones lanes), and a where the mask is
// set, else b (values and indices).
#define KM_MASK_512 KM_MASK512
#define KM_LESS_512(a, b) KM_CMP_512(a, b, _CMP_LT_OQ)
#define KM_SELECT_512(m, a, b) KM_MOV_512(b, m, a)
#define KM_ISELECT_512(m, a, b) KM_IMOV_512(b, m, a)
#define KM_MASK_256 KM_V_256
#define KM_LESS_256(a, b) KM_CMP_256(a, b, _CMP_LT_OQ)
#define KM_SELECT_256(m, a, b) KM_BLEND_256(b, a, m)
#define KM_ISELECT_256(m, a, b) KM_FROM_256(KM_BLEND_256(KM_TO_256(b), KM_TO_256(a), m))

// ---- AVX-512: 8 rows × 2 panels of KM_W_512 centers; masks keep each lane's best. -------------
#define KM_ISA(name) KM_CAT(name, avx512)
#define KM_TARGET_ATTRIBUTE __attribute__((target("avx512f")))
#define KM_BITS 512
#define KM_ROWS ROWS
// The smallest value, then the smallest center index among the lanes holding it; the
// runner-up: every lane's second best, and every other lane's best.
#define KM_ROW_RESULT(r)                                                                      \
  do {                                                                                        \
    KM_T minimum = KM_RMIN_512(best[r]);                                                      \
    KM_MASK512 at = KM_CMP_512(best[r], KM_SET1_512(minimum), _CMP_EQ_OQ);                   \
    KM_INDEX_T winner = KM_IRMIN_512(at, index[r]);                                           \
    labels[start + r] = (int32_t)winner;                                                      \
    if (second) {                                                                             \
      KM_MASK512 others = (KM_MASK512)~KM_ICMPEQ_512(at, index[r], KM_ISET1_512(winner));     \
      KM_T other = KM_MRMIN_512(others, best[r]);                                             \
      KM_T lane_second = KM_RMIN_512(runner[r]);                                              \
      second[start + r] = other < lane_second ? other : lane_second;                          \
    }                                                                                         \
  } while (0)
#include "kmeans_simd_isa.h"

// The AVX2 kernels' last step for one row: the smallest of the lanes' best values, the
// smallest center index among the lanes holding it (`winner`), and the runner-up (the smallest
// of every lane's second best and of the best of every lane not holding the winner), all
// branch-free: the scalar scan this replaces picked the same winner, but its data-dependent
// branches mispredicted.
__attribute__((target("avx2,fma"))) static inline KM_T KM_NAME(argmin_avx2)(
    KM_V_256 best, __m256i index, KM_V_256 runner, KM_INDEX_T *winner) {
  KM_V_256 at = KM_CMP_256(best, KM_HMIN_256(best), _CMP_EQ_OQ);
  __m256i c = KM_IHMIN_256(
      KM_FROM_256(KM_BLEND_256(KM_TO_256(KM_ISET1_256(KM_INDEX_MAX)), KM_TO_256(index), at)));
  *winner = KM_IFIRST_256(c);
  KM_V_256 mine = KM_TO_256(KM_ICMPEQ_256(index, c));
  KM_V_256 others = KM_BLEND_256(best, KM_SET1_256(KM_INFINITY), mine);
  return KM_FIRST_256(KM_HMIN_256(KM_MIN_256(runner, others)));
}

// ---- AVX2: 6 rows × 2 panels of KM_W_256 centers (16 ymm registers); blends keep the best. ----
#define KM_ISA(name) KM_CAT(name, avx2)
#define KM_TARGET_ATTRIBUTE __attribute__((target("avx2,fma")))
#define KM_BITS 256
#define KM_ROWS ROWS2
// Branch-free (argmin_avx2), so the data's ties and orderings cost no mispredictions.
#define KM_ROW_RESULT(r)                                                                      \
  do {                                                                                        \
    KM_INDEX_T winner;                                                                        \
    KM_T other = KM_NAME(argmin_avx2)(best[r], index[r],                                      \
                                      second ? runner[r] : KM_SET1_256(KM_INFINITY), &winner);   \
    labels[start + r] = (int32_t)winner;                                                      \
    if (second) second[start + r] = other;                                                    \
  } while (0)
#include "kmeans_simd_isa.h"
#undef KM_IV_512
#undef KM_IZERO_512
#undef KM_SPLAT_512
#undef KM_IV_256
#undef KM_IZERO_256
#undef KM_SPLAT_256
#undef KM_MASK_512
#undef KM_LESS_512
#undef KM_SELECT_512
#undef KM_ISELECT_512
#undef KM_MASK_256
#undef KM_LESS_256
#undef KM_SELECT_256
#undef KM_ISELECT_256

#endif

#if KMEANS_NEON
// ---- NEON (AArch64): 8 rows × 2 panels of KM_W_128 centers; bit selects keep the best. --------
#define KM_ISA(name) KM_CAT(name, neon)
#define KM_TARGET_ATTRIBUTE
#define KM_BITS 128
#define KM_ROWS ROWS
// The smallest value (across lanes), then the smallest center index among the lanes holding
// it; the runner-up: every lane's second best, and the best of every other lane.
#define KM_ROW_RESULT(r)                                                                      \
  do {                                                                                        \
    KM_T minimum = KM_RMIN_128(best[r]);                                                      \
    KM_MASK_128 at = KM_EQUAL_128(best[r], KM_SET1_128(minimum));                             \
    KM_INDEX_T winner =                                                                       \
        KM_IRMIN_128(KM_ISELECT_128(at, index[r], KM_ISET1_128(KM_INDEX_MAX)));               \
    labels[start + r] = (int32_t)winner;                                                      \
    if (second) {                                                                             \
      KM_MASK_128 mine = KM_IEQUAL_128(index[r], KM_ISET1_128(winner));                       \
      KM_V_128 others = KM_SELECT_128(mine, KM_SET1_128(KM_INFINITY), best[r]);               \
      second[start + r] = KM_RMIN_128(KM_MIN_128(runner[r], others));                         \
    }                                                                                         \
  } while (0)
#include "kmeans_simd_isa.h"
#endif

// Runs this precision's vector kernel `name` where `level` selects one (AVX-512, AVX2 or
// NEON), and returns.
#define KM_RUN(wanted, isa, name, ...)                                                        \
  if (level == (wanted)) {                                                                    \
    KM_NAME(name##_##isa)(__VA_ARGS__);                                                       \
    return;                                                                                   \
  }
#if KMEANS_X86
#define KM_DISPATCH(name, ...)                                                                \
  KM_RUN(2, avx512, name, __VA_ARGS__)                                                        \
  KM_RUN(1, avx2, name, __VA_ARGS__)
#elif KMEANS_NEON
#define KM_DISPATCH(name, ...) KM_RUN(3, neon, name, __VA_ARGS__)
#else
#define KM_DISPATCH(name, ...) (void)level
#endif

// Lane `l` of panel `p` for the row `x`, portably: the same fused multiply-adds as every
// vector kernel, so the same bits.
static KM_T KM_NAME(lane_value)(const KM_T *x, int d, const KM_T *packed,
                                const KM_T *packed_norms, long p, int l, int width) {
  KM_T dot = 0;
  for (int j = 0; j < d; j++) dot = KM_FMA(x[j], packed[(p * d + j) * width + l], dot);
  return KM_FMA(-2, dot, packed_norms[p * width + l]);
}

void KM_NAME(kmeans_simd_assign)(int level, const KM_T *points, long n, int d,
                                 const KM_T *packed, const KM_T *packed_norms, int k,
                                 int32_t *labels, KM_T *second) {
  KM_DISPATCH(assign, points, n, d, packed, packed_norms, k, labels, second);
  // Portable fallback (callers use BLAS instead; kept for completeness and tests).
  int width = KM_PANEL_WIDTH(level);
  int panels = (k + width - 1) / width;
  for (long i = 0; i < n; i++) {
    KM_T best = (KM_T)KM_INFINITY, runner_up = (KM_T)KM_INFINITY;
    int32_t index = 0;
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < width; l++) {
        KM_T value = KM_NAME(lane_value)(points + i * (long)d, d, packed, packed_norms, p, l, width);
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

// Every lane of panel `p` for the row `x`, portably (lanes of the width `level` packs).
static void KM_NAME(panel_lanes)(int level, const KM_T *x, int d, const KM_T *packed,
                                 const KM_T *packed_norms, long p, KM_T *values) {
  int width = KM_PANEL_WIDTH(level);
  for (int l = 0; l < width; l++)
    values[l] = KM_NAME(lane_value)(x, d, packed, packed_norms, p, l, width);
}

void KM_NAME(kmeans_simd_panel_values)(int level, const KM_T *x, int d, const KM_T *packed,
                                       const KM_T *packed_norms, const int32_t *panels,
                                       int count, KM_T *values) {
  KM_DISPATCH(panel_values, x, d, packed, packed_norms, panels, count, values);
  for (int i = 0; i < count; i++) {
    long width = KM_PANEL_WIDTH(level);
    KM_NAME(panel_lanes)(level, x, d, packed, packed_norms, panels[i], values + i * width);
  }
}

void KM_NAME(kmeans_simd_block_values)(int level, const KM_T *points, long n, int d,
                                       const KM_T *packed, const KM_T *packed_norms,
                                       int panels, KM_T *values) {
  KM_DISPATCH(block_values, points, n, d, packed, packed_norms, panels, values);
  long stride = (long)panels * (KM_PANEL_WIDTH(level));
  for (long i = 0; i < n; i++)
    for (int p = 0; p < panels; p++)
      KM_NAME(panel_lanes)(level, points + i * (long)d, d, packed, packed_norms, p,
                           values + i * stride + p * (stride / panels));
}

void KM_NAME(kmeans_simd_dots)(int level, const KM_T *points, long n, int d,
                               const KM_T *centers, int m, KM_T *dots) {
#if KMEANS_X86
  if (level >= 1) {
    KM_NAME(dots_avx2)(points, n, d, centers, m, dots);
    return;
  }
#else
  (void)level;
#endif
  for (long row = 0; row < n; row++)
    for (int i = 0; i < m; i++) {
      KM_T s = 0;
      for (int j = 0; j < d; j++) s += points[row * d + j] * centers[(long)i * d + j];
      dots[row * m + i] = s;
    }
}

#undef KM_DISPATCH
#undef KM_RUN
#undef KM_NAME
#undef KM_CAT
#undef KM_CAT2
