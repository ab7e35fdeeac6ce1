// Fused distance + argmin kernels (AVX-512 and AVX2 on x86-64, NEON on AArch64). Each row's
// dot products with a panel of centers are accumulated over the dimension with FMAs in vector
// registers (8 rows × 2 panels at a time),
// turned into norms[c] − 2·x·c, and compared with the row's best so far; the n × k distances
// never reach memory. Every row sees the same sequence of operations whichever group it falls
// in, so results do not depend on the thread count or on n.

#include "kmeans_simd.h"

// Sums must round like the Swift loops they replace: no fused multiply-adds but the explicit
// ones (GCC ignores the standard pragma: build with -ffp-contract=off there).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

// Freestanding headers only (the module builds for any target, with or without an SDK): the
// compiler's builtins stand for <math.h>'s INFINITY, fmaf and fma.
#include <stddef.h>
#include <stdint.h>

#define KM_INFINITY __builtin_inff()

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define KMEANS_X86 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define KMEANS_NEON 1
#endif

int kmeans_simd_level(void) {
#if KMEANS_X86 && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#elif KMEANS_NEON
  return 3;  // Advanced SIMD is part of every AArch64 CPU
#endif
  return 0;
}

int kmeans_simd_panel_width(int level) { return level == 2 ? 16 : level == 3 ? 4 : 8; }

int kmeans_simd_panel_width_f64(int level) { return level == 2 ? 8 : level == 3 ? 2 : 4; }

#define ROWS 8
#define ROWS2 6

#if KMEANS_X86

// Every lane the smallest of the lanes (exact, in any order): the assignment kernels' argmin.
__attribute__((target("avx2,fma"))) static inline __m256 hmin_avx2_ps(__m256 v) {
  v = _mm256_min_ps(v, _mm256_permute2f128_ps(v, v, 1));
  v = _mm256_min_ps(v, _mm256_permute_ps(v, 0x4E));
  return _mm256_min_ps(v, _mm256_permute_ps(v, 0xB1));
}

__attribute__((target("avx2,fma"))) static inline __m256d hmin_avx2_pd(__m256d v) {
  v = _mm256_min_pd(v, _mm256_permute2f128_pd(v, v, 1));
  return _mm256_min_pd(v, _mm256_permute_pd(v, 0x5));
}

__attribute__((target("avx2,fma"))) static inline __m256i hmin_avx2_epi32(__m256i c) {
  c = _mm256_min_epi32(c, _mm256_permute2x128_si256(c, c, 1));
  c = _mm256_min_epi32(c, _mm256_shuffle_epi32(c, 0x4E));
  return _mm256_min_epi32(c, _mm256_shuffle_epi32(c, 0xB1));
}

__attribute__((target("avx2,fma"))) static inline __m256i min_epi64_avx2(__m256i a, __m256i b) {
  return _mm256_castpd_si256(_mm256_blendv_pd(
      _mm256_castsi256_pd(a), _mm256_castsi256_pd(b), _mm256_castsi256_pd(_mm256_cmpgt_epi64(a, b))));
}

__attribute__((target("avx2,fma"))) static inline __m256i hmin_avx2_epi64(__m256i c) {
  c = min_epi64_avx2(c, _mm256_permute2x128_si256(c, c, 1));
  return min_epi64_avx2(c, _mm256_shuffle_epi32(c, 0x4E));
}

#endif

// ---- dot products against a few centers -------------------------------------------------------

#define DOT_ROWS 2
#define DOT_CENTERS 6

#if KMEANS_X86
__attribute__((target("avx2,fma"))) static float hsum_avx2_f32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static double hsum_avx2_f64(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

// 2 rows × C ≤ 6 centers: 2C accumulators, two row loads and C center loads per 8 (4)
// columns. The next two rows are prefetched a cache line per 16 (8) columns: k-means++ reads
// every row once a step, and without it the loads wait on memory. Each dot product is the
// same sequence of operations whatever C is.
#define KM_DOTS_BLOCK(NAME, C, T, V, W, LOAD, ZERO, FMA, HSUM)                                \
  __attribute__((target("avx2,fma"))) static inline void NAME##_##C(                          \
      const T *x0, const T *x1, const T *next, int d, const T *block, T *out0, T *out1) {     \
    V a0[C], a1[C];                                                                           \
    const T *c[C];                                                                            \
    for (int i = 0; i < C; i++) {                                                             \
      a0[i] = a1[i] = ZERO();                                                                 \
      c[i] = block + (long)i * d;                                                             \
    }                                                                                         \
    int j = 0;                                                                                \
    for (; j + W <= d; j += W) {                                                              \
      if (next && (j & (64 / (int)sizeof(T) - 1)) == 0) {                                     \
        _mm_prefetch((const char *)(next + j), _MM_HINT_T0);                                  \
        _mm_prefetch((const char *)(next + d + j), _MM_HINT_T0);                              \
      }                                                                                       \
      V v0 = LOAD(x0 + j), v1 = LOAD(x1 + j);                                                 \
      for (int i = 0; i < C; i++) {                                                           \
        V ci = LOAD(c[i] + j);                                                                \
        a0[i] = FMA(v0, ci, a0[i]);                                                           \
        a1[i] = FMA(v1, ci, a1[i]);                                                           \
      }                                                                                       \
    }                                                                                         \
    for (int i = 0; i < C; i++) {                                                             \
      T s0 = HSUM(a0[i]), s1 = HSUM(a1[i]);                                                   \
      for (int t = j; t < d; t++) {                                                           \
        s0 += x0[t] * c[i][t];                                                                \
        s1 += x1[t] * c[i][t];                                                                \
      }                                                                                       \
      out0[i] = s0;                                                                           \
      out1[i] = s1;                                                                           \
    }                                                                                         \
  }

// Blocks of six centers, then one block of the rest (the next two rows prefetched once).
#define KM_DOTS_AVX2(NAME, T)                                                                 \
  T scratch[DOT_CENTERS];                                                                     \
  for (long start = 0; start < n; start += DOT_ROWS) {                                        \
    int pair = n - start >= DOT_ROWS;                                                         \
    const T *x0 = points + start * (long)d;                                                   \
    const T *x1 = pair ? x0 + d : x0;                                                         \
    const T *next = start + 2 * DOT_ROWS <= n ? x0 + DOT_ROWS * (long)d : NULL;               \
    for (int first = 0; first < m;) {                                                         \
      int count = m - first < DOT_CENTERS ? m - first : DOT_CENTERS;                          \
      const T *block = centers + (long)first * d;                                             \
      T *out0 = dots + start * m + first, *out1 = pair ? out0 + m : scratch;                  \
      switch (count) {                                                                        \
      case 6: NAME##_6(x0, x1, next, d, block, out0, out1); break;                            \
      case 5: NAME##_5(x0, x1, next, d, block, out0, out1); break;                            \
      case 4: NAME##_4(x0, x1, next, d, block, out0, out1); break;                            \
      case 3: NAME##_3(x0, x1, next, d, block, out0, out1); break;                            \
      case 2: NAME##_2(x0, x1, next, d, block, out0, out1); break;                            \
      default: NAME##_1(x0, x1, next, d, block, out0, out1); break;                           \
      }                                                                                       \
      next = NULL;                                                                            \
      first += count;                                                                         \
    }                                                                                         \
  }

#define KM_DOTS_BLOCKS(NAME, T, V, W, LOAD, ZERO, FMA, HSUM)                                  \
  KM_DOTS_BLOCK(NAME, 1, T, V, W, LOAD, ZERO, FMA, HSUM)                                      \
  KM_DOTS_BLOCK(NAME, 2, T, V, W, LOAD, ZERO, FMA, HSUM)                                      \
  KM_DOTS_BLOCK(NAME, 3, T, V, W, LOAD, ZERO, FMA, HSUM)                                      \
  KM_DOTS_BLOCK(NAME, 4, T, V, W, LOAD, ZERO, FMA, HSUM)                                      \
  KM_DOTS_BLOCK(NAME, 5, T, V, W, LOAD, ZERO, FMA, HSUM)                                      \
  KM_DOTS_BLOCK(NAME, 6, T, V, W, LOAD, ZERO, FMA, HSUM)

KM_DOTS_BLOCKS(dots_block_f32, float, __m256, 8, _mm256_loadu_ps, _mm256_setzero_ps,
               _mm256_fmadd_ps, hsum_avx2_f32)
KM_DOTS_BLOCKS(dots_block_f64, double, __m256d, 4, _mm256_loadu_pd, _mm256_setzero_pd,
               _mm256_fmadd_pd, hsum_avx2_f64)

__attribute__((target("avx2,fma"))) static void dots_avx2_f32(const float *points, long n, int d,
                                                              const float *centers, int m,
                                                              float *dots) {
  KM_DOTS_AVX2(dots_block_f32, float)
}

__attribute__((target("avx2,fma"))) static void dots_avx2_f64(const double *points, long n,
                                                              int d, const double *centers,
                                                              int m, double *dots) {
  KM_DOTS_AVX2(dots_block_f64, double)
}
#undef KM_DOTS_AVX2
#undef KM_DOTS_BLOCKS
#undef KM_DOTS_BLOCK
#endif

#if KMEANS_NEON
// Lane numbers, and the smallest of two 64-bit lanes (AArch64 has no across-lanes 64-bit min).
static const int32_t kmeans_lanes_s32[4] = {0, 1, 2, 3};
static const int64_t kmeans_lanes_s64[2] = {0, 1};
static inline int64_t kmeans_rmin_s64(int64x2_t v) {
  int64_t a = vgetq_lane_s64(v, 0), b = vgetq_lane_s64(v, 1);
  return a < b ? a : b;
}
#endif

// ---- float ----------------------------------------------------------------------------------

#define KM_T float
#define KM_SUFFIX f32
#define KM_INDEX_T int32_t
#define KM_FMA __builtin_fmaf
#define KM_W_512 16
#define KM_V_512 __m512
#define KM_MASK512 __mmask16
#define KM_SET1_512 _mm512_set1_ps
#define KM_LOAD_512 _mm512_loadu_ps
#define KM_ZERO_512 _mm512_setzero_ps
#define KM_STORE_512 _mm512_storeu_ps
#define KM_FMA_512 _mm512_fmadd_ps
#define KM_MIN_512 _mm512_min_ps
#define KM_MAX_512 _mm512_max_ps
#define KM_CMP_512 _mm512_cmp_ps_mask
#define KM_MOV_512 _mm512_mask_mov_ps
#define KM_RMIN_512 _mm512_reduce_min_ps
#define KM_MRMIN_512 _mm512_mask_reduce_min_ps
#define KM_LANES_512 _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define KM_IADD_512 _mm512_add_epi32
#define KM_ISET1_512 _mm512_set1_epi32
#define KM_IMOV_512 _mm512_mask_mov_epi32
#define KM_ICMPEQ_512 _mm512_mask_cmpeq_epi32_mask
#define KM_IRMIN_512 _mm512_mask_reduce_min_epi32
#define KM_W_256 8
#define KM_V_256 __m256
#define KM_SET1_256 _mm256_set1_ps
#define KM_LOAD_256 _mm256_loadu_ps
#define KM_STORE_256 _mm256_storeu_ps
#define KM_ZERO_256 _mm256_setzero_ps
#define KM_FMA_256 _mm256_fmadd_ps
#define KM_BCAST_256 _mm256_broadcast_ss
#define KM_CMP_256 _mm256_cmp_ps
#define KM_BLEND_256 _mm256_blendv_ps
#define KM_MIN_256 _mm256_min_ps
#define KM_MAX_256 _mm256_max_ps
#define KM_TO_256 _mm256_castsi256_ps
#define KM_FROM_256 _mm256_castps_si256
#define KM_LANES_256 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
#define KM_IADD_256 _mm256_add_epi32
#define KM_HMIN_256 hmin_avx2_ps
#define KM_IHMIN_256 hmin_avx2_epi32
#define KM_ICMPEQ_256 _mm256_cmpeq_epi32
#define KM_INDEX_MAX INT32_MAX
#define KM_FIRST_256 _mm256_cvtss_f32
#define KM_IFIRST_256 _mm256_cvtsi256_si32
#define KM_PANEL_WIDTH kmeans_simd_panel_width
#define KM_W_128 4
#define KM_V_128 float32x4_t
#define KM_SET1_128 vdupq_n_f32
#define KM_LOAD_128 vld1q_f32
#define KM_STORE_128 vst1q_f32
#define KM_ZERO_128() vdupq_n_f32(0)
#define KM_FMA_128(a, b, c) vfmaq_f32(c, a, b)
#define KM_SPLAT_128 vld1q_dup_f32
#define KM_MIN_128 vminq_f32
#define KM_MAX_128 vmaxq_f32
#define KM_MASK_128 uint32x4_t
#define KM_LESS_128 vcltq_f32
#define KM_EQUAL_128 vceqq_f32
#define KM_SELECT_128 vbslq_f32
#define KM_RMIN_128 vminvq_f32
#define KM_IV_128 int32x4_t
#define KM_IZERO_128() vdupq_n_s32(0)
#define KM_LANES_128 vld1q_s32(kmeans_lanes_s32)
#define KM_IADD_128 vaddq_s32
#define KM_ISET1_128 vdupq_n_s32
#define KM_ISELECT_128 vbslq_s32
#define KM_IEQUAL_128 vceqq_s32
#define KM_IRMIN_128 vminvq_s32
#define KM_ISET1_256 _mm256_set1_epi32
#include "kmeans_simd_assign.h"
#undef KM_T
#undef KM_SUFFIX
#undef KM_INDEX_T
#undef KM_FMA
#undef KM_W_512
#undef KM_V_512
#undef KM_MASK512
#undef KM_SET1_512
#undef KM_LOAD_512
#undef KM_ZERO_512
#undef KM_STORE_512
#undef KM_FMA_512
#undef KM_MIN_512
#undef KM_MAX_512
#undef KM_CMP_512
#undef KM_MOV_512
#undef KM_RMIN_512
#undef KM_MRMIN_512
#undef KM_LANES_512
#undef KM_IADD_512
#undef KM_ISET1_512
#undef KM_IMOV_512
#undef KM_ICMPEQ_512
#undef KM_IRMIN_512
#undef KM_W_256
#undef KM_V_256
#undef KM_SET1_256
#undef KM_LOAD_256
#undef KM_STORE_256
#undef KM_ZERO_256
#undef KM_FMA_256
#undef KM_BCAST_256
#undef KM_CMP_256
#undef KM_BLEND_256
#undef KM_MIN_256
#undef KM_MAX_256
#undef KM_TO_256
#undef KM_FROM_256
#undef KM_LANES_256
#undef KM_IADD_256
#undef KM_ISET1_256
#undef KM_HMIN_256
#undef KM_IHMIN_256
#undef KM_ICMPEQ_256
#undef KM_INDEX_MAX
#undef KM_FIRST_256
#undef KM_IFIRST_256
#undef KM_PANEL_WIDTH
#undef KM_W_128
#undef KM_V_128
#undef KM_SET1_128
#undef KM_LOAD_128
#undef KM_STORE_128
#undef KM_ZERO_128
#undef KM_FMA_128
#undef KM_SPLAT_128
#undef KM_MIN_128
#undef KM_MAX_128
#undef KM_MASK_128
#undef KM_LESS_128
#undef KM_EQUAL_128
#undef KM_SELECT_128
#undef KM_RMIN_128
#undef KM_IV_128
#undef KM_IZERO_128
#undef KM_LANES_128
#undef KM_IADD_128
#undef KM_ISET1_128
#undef KM_ISELECT_128
#undef KM_IEQUAL_128
#undef KM_IRMIN_128

// ---- double ---------------------------------------------------------------------------------

#define KM_T double
#define KM_SUFFIX f64
#define KM_INDEX_T int64_t
#define KM_FMA __builtin_fma
#define KM_W_512 8
#define KM_V_512 __m512d
#define KM_MASK512 __mmask8
#define KM_SET1_512 _mm512_set1_pd
#define KM_LOAD_512 _mm512_loadu_pd
#define KM_ZERO_512 _mm512_setzero_pd
#define KM_STORE_512 _mm512_storeu_pd
#define KM_FMA_512 _mm512_fmadd_pd
#define KM_MIN_512 _mm512_min_pd
#define KM_MAX_512 _mm512_max_pd
#define KM_CMP_512 _mm512_cmp_pd_mask
#define KM_MOV_512 _mm512_mask_mov_pd
#define KM_RMIN_512 _mm512_reduce_min_pd
#define KM_MRMIN_512 _mm512_mask_reduce_min_pd
#define KM_LANES_512 _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7)
#define KM_IADD_512 _mm512_add_epi64
#define KM_ISET1_512 _mm512_set1_epi64
#define KM_IMOV_512 _mm512_mask_mov_epi64
#define KM_ICMPEQ_512 _mm512_mask_cmpeq_epi64_mask
#define KM_IRMIN_512 _mm512_mask_reduce_min_epi64
#define KM_W_256 4
#define KM_V_256 __m256d
#define KM_SET1_256 _mm256_set1_pd
#define KM_LOAD_256 _mm256_loadu_pd
#define KM_STORE_256 _mm256_storeu_pd
#define KM_ZERO_256 _mm256_setzero_pd
#define KM_FMA_256 _mm256_fmadd_pd
#define KM_BCAST_256 _mm256_broadcast_sd
#define KM_CMP_256 _mm256_cmp_pd
#define KM_BLEND_256 _mm256_blendv_pd
#define KM_MIN_256 _mm256_min_pd
#define KM_MAX_256 _mm256_max_pd
#define KM_TO_256 _mm256_castsi256_pd
#define KM_FROM_256 _mm256_castpd_si256
#define KM_LANES_256 _mm256_setr_epi64x(0, 1, 2, 3)
#define KM_IADD_256 _mm256_add_epi64
#define KM_HMIN_256 hmin_avx2_pd
#define KM_IHMIN_256 hmin_avx2_epi64
#define KM_ICMPEQ_256 _mm256_cmpeq_epi64
#define KM_INDEX_MAX INT64_MAX
#define KM_FIRST_256 _mm256_cvtsd_f64
#define KM_IFIRST_256(c) _mm_cvtsi128_si64(_mm256_castsi256_si128(c))
#define KM_PANEL_WIDTH kmeans_simd_panel_width_f64
#define KM_W_128 2
#define KM_V_128 float64x2_t
#define KM_SET1_128 vdupq_n_f64
#define KM_LOAD_128 vld1q_f64
#define KM_STORE_128 vst1q_f64
#define KM_ZERO_128() vdupq_n_f64(0)
#define KM_FMA_128(a, b, c) vfmaq_f64(c, a, b)
#define KM_SPLAT_128 vld1q_dup_f64
#define KM_MIN_128 vminq_f64
#define KM_MAX_128 vmaxq_f64
#define KM_MASK_128 uint64x2_t
#define KM_LESS_128 vcltq_f64
#define KM_EQUAL_128 vceqq_f64
#define KM_SELECT_128 vbslq_f64
#define KM_RMIN_128 vminvq_f64
#define KM_IV_128 int64x2_t
#define KM_IZERO_128() vdupq_n_s64(0)
#define KM_LANES_128 vld1q_s64(kmeans_lanes_s64)
#define KM_IADD_128 vaddq_s64
#define KM_ISET1_128 vdupq_n_s64
#define KM_ISELECT_128 vbslq_s64
#define KM_IEQUAL_128 vceqq_s64
#define KM_IRMIN_128 kmeans_rmin_s64
#define KM_ISET1_256 _mm256_set1_epi64x
#include "kmeans_simd_assign.h"

// Σ (w·)x into each row's cluster sum, W doubles per vector: every element of a sum gets the
// same additions, in row order, as the portable loop below, so the same bits.
#define KM_ACCUMULATE(NAME, ATTRIBUTE, VD, W, WIDEN_LOAD, SET1, LOAD, STORE, ADD, MUL)          \
  ATTRIBUTE static void NAME(                                                                   \
      const float *points, long rows, int d, const int32_t *labels, const double *weights,      \
      int lower, int upper, double *sums, long *counts, double *weight_totals) {                \
    for (long row = 0; row < rows; row++) {                                                     \
      int label = labels[row];                                                                  \
      if (label < lower || label >= upper) continue;                                            \
      double *sum = sums + (long)label * d;                                                     \
      const float *x = points + row * (long)d;                                                  \
      double w = weights ? weights[row] : 1.0;                                                  \
      int j = 0;                                                                                \
      if (weights) {                                                                            \
        VD wv = SET1(w);                                                                        \
        for (; j + W <= d; j += W)                                                              \
          STORE(sum + j, ADD(LOAD(sum + j), MUL(wv, WIDEN_LOAD(x + j))));                       \
        for (; j < d; j++) sum[j] += w * (double)x[j];                                          \
      } else {                                                                                  \
        for (; j + W <= d; j += W) STORE(sum + j, ADD(LOAD(sum + j), WIDEN_LOAD(x + j)));       \
        for (; j < d; j++) sum[j] += (double)x[j];                                              \
      }                                                                                         \
      weight_totals[label] += w;                                                                \
      counts[label] += 1;                                                                       \
    }                                                                                           \
  }

#if KMEANS_X86
#define KM_WIDEN_512(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define KM_WIDEN_256(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
KM_ACCUMULATE(accumulate_avx512, __attribute__((target("avx512f"))), __m512d, 8, KM_WIDEN_512, _mm512_set1_pd,
              _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd, _mm512_mul_pd)
KM_ACCUMULATE(accumulate_avx2, __attribute__((target("avx2"))), __m256d, 4, KM_WIDEN_256, _mm256_set1_pd, _mm256_loadu_pd,
              _mm256_storeu_pd, _mm256_add_pd, _mm256_mul_pd)
#undef KM_WIDEN_512
#undef KM_WIDEN_256
#endif

#if KMEANS_NEON
#define KM_WIDEN_128(p) vcvt_f64_f32(vld1_f32(p))
KM_ACCUMULATE(accumulate_neon, , float64x2_t, 2, KM_WIDEN_128, vdupq_n_f64, vld1q_f64, vst1q_f64,
              vaddq_f64, vmulq_f64)
#undef KM_WIDEN_128
#endif
#undef KM_ACCUMULATE

// ---- finiteness --------------------------------------------------------------------------

// Whether a value's exponent field is all ones (NaN or ±∞), on its bits.
#define KM_NONFINITE_32(bits) (((bits) & 0x7F800000u) == 0x7F800000u)
#define KM_NONFINITE_64(bits) (((bits) & 0x7FF0000000000000ull) == 0x7FF0000000000000ull)

// Each value's bits (copied out, not aliased) tested in order.
#define KM_ALL_FINITE_PORTABLE(NAME, T, BITS, NONFINITE)                                      \
  static int NAME(const T *values, long count) {                                              \
    int bad = 0;                                                                              \
    for (long i = 0; i < count; i++) {                                                        \
      BITS bits;                                                                              \
      __builtin_memcpy(&bits, values + i, sizeof bits);                                       \
      bad |= NONFINITE(bits);                                                                 \
    }                                                                                         \
    return !bad;                                                                              \
  }
KM_ALL_FINITE_PORTABLE(all_finite_portable_f32, float, uint32_t, KM_NONFINITE_32)
KM_ALL_FINITE_PORTABLE(all_finite_portable_f64, double, uint64_t, KM_NONFINITE_64)
#undef KM_ALL_FINITE_PORTABLE

#if KMEANS_X86
// Four vectors a step (W values each): each value's bits ANDed with the exponent mask and
// compared with it; the comparisons ORed, tested once a step.
#define KM_ALL_FINITE_512(NAME, T, W, SET1, CMPEQ, MASK, PORTABLE, EXPONENT)                   \
  __attribute__((target("avx512f"))) static int NAME(const T *values, long count) {          \
    const __m512i mask = SET1(EXPONENT);                                                      \
    long i = 0;                                                                               \
    for (; i + 4 * W <= count; i += 4 * W) {                                                  \
      MASK bad = 0;                                                                           \
      for (int part = 0; part < 4 * W; part += W)                                             \
        bad |= CMPEQ(_mm512_and_si512(_mm512_loadu_si512((const void *)(values + i + part)), \
                                      mask),                                                  \
                     mask);                                                                   \
      if (bad) return 0;                                                                      \
    }                                                                                         \
    return PORTABLE(values + i, count - i);                                                   \
  }
#define KM_ALL_FINITE_256(NAME, T, W, SET1, CMPEQ, PORTABLE, EXPONENT)                        \
  __attribute__((target("avx2"))) static int NAME(const T *values, long count) {             \
    const __m256i mask = SET1(EXPONENT);                                                      \
    long i = 0;                                                                               \
    for (; i + 4 * W <= count; i += 4 * W) {                                                  \
      __m256i bad = _mm256_setzero_si256();                                                   \
      for (int part = 0; part < 4 * W; part += W) {                                           \
        __m256i bits = _mm256_loadu_si256((const __m256i *)(values + i + part));              \
        bad = _mm256_or_si256(bad, CMPEQ(_mm256_and_si256(bits, mask), mask));                \
      }                                                                                       \
      if (!_mm256_testz_si256(bad, bad)) return 0;                                            \
    }                                                                                         \
    return PORTABLE(values + i, count - i);                                                   \
  }
KM_ALL_FINITE_512(all_finite_avx512_f32, float, 16, _mm512_set1_epi32, _mm512_cmpeq_epi32_mask,
                  __mmask16, all_finite_portable_f32, 0x7F800000)
KM_ALL_FINITE_512(all_finite_avx512_f64, double, 8, _mm512_set1_epi64, _mm512_cmpeq_epi64_mask,
                  __mmask8, all_finite_portable_f64, 0x7FF0000000000000ll)
KM_ALL_FINITE_256(all_finite_avx2_f32, float, 8, _mm256_set1_epi32, _mm256_cmpeq_epi32,
                  all_finite_portable_f32, 0x7F800000)
KM_ALL_FINITE_256(all_finite_avx2_f64, double, 4, _mm256_set1_epi64x, _mm256_cmpeq_epi64,
                  all_finite_portable_f64, 0x7FF0000000000000ll)
#undef KM_ALL_FINITE_512
#undef KM_ALL_FINITE_256
#endif

int kmeans_simd_all_finite_f32(int level, const float *values, long count) {
#if KMEANS_X86
  if (level == 2) return all_finite_avx512_f32(values, count);
  if (level == 1) return all_finite_avx2_f32(values, count);
#endif
  (void)level;
  return all_finite_portable_f32(values, count);
}

int kmeans_simd_all_finite_f64(int level, const double *values, long count) {
#if KMEANS_X86
  if (level == 2) return all_finite_avx512_f64(values, count);
  if (level == 1) return all_finite_avx2_f64(values, count);
#endif
  (void)level;
  return all_finite_portable_f64(values, count);
}
#undef KM_NONFINITE_32
#undef KM_NONFINITE_64

void kmeans_simd_accumulate_f32(int level, const float *points, long rows, int d,
                                const int32_t *labels, const double *weights, int lower,
                                int upper, double *sums, long *counts, double *weight_totals) {
#if KMEANS_X86
  if (level == 2) {
    accumulate_avx512(points, rows, d, labels, weights, lower, upper, sums, counts,
                      weight_totals);
    return;
  }
  if (level == 1) {
    accumulate_avx2(points, rows, d, labels, weights, lower, upper, sums, counts, weight_totals);
    return;
  }
#elif KMEANS_NEON
  if (level == 3) {
    accumulate_neon(points, rows, d, labels, weights, lower, upper, sums, counts, weight_totals);
    return;
  }
#endif
  for (long row = 0; row < rows; row++) {
    int label = labels[row];
    if (label < lower || label >= upper) continue;
    double *sum = sums + (long)label * d;
    const float *x = points + row * (long)d;
    double w = weights ? weights[row] : 1.0;
    for (int j = 0; j < d; j++) sum[j] += weights ? w * (double)x[j] : (double)x[j];
    weight_totals[label] += w;
    counts[label] += 1;
  }
}

// The distance of each row to its labelled center as the Swift engine computes it
// (VectorKernels.sum): eight lanes over the first multiple of 8 columns, each the sum of its
// terms in order, the lanes added in order from 0, then the other columns in order; each term
// (xⱼ − cⱼ)², or xⱼ·cⱼ and then max(0, 1 − x·c) for cosine. One chain of additions per row is
// bound by the adder's latency, so the AVX2 loop runs four rows' chains side by side, each
// row's operations unchanged: the same bits as the portable loop and the Swift one.
static float label_distance_end(const float lanes[8], const float *x, const float *c, int j,
                                int d, int cosine) {
  float total = 0;
  for (int l = 0; l < 8; l++) total += lanes[l];
  for (; j < d; j++) total += cosine ? x[j] * c[j] : (x[j] - c[j]) * (x[j] - c[j]);
  if (!cosine) return total;
  float value = 1 - total;
  return value >= 0 ? value : 0;
}

static float label_distance_portable(const float *x, const float *c, int d, int cosine) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int j = 0;
  for (; j + 8 <= d; j += 8)
    for (int l = 0; l < 8; l++) {
      float a = x[j + l], b = c[j + l];
      lanes[l] += cosine ? a * b : (a - b) * (a - b);
    }
  return label_distance_end(lanes, x, c, j, d, cosine);
}

#if KMEANS_X86
#define KM_DOT_TERM(a, b) _mm256_mul_ps(a, b)
#define KM_SQUARE_TERM(a, b) _mm256_mul_ps(_mm256_sub_ps(a, b), _mm256_sub_ps(a, b))
#define KM_FOUR_CHAINS(TERM)                                                                \
  for (int j = 0; j < whole; j += 8) {                                                      \
    l0 = _mm256_add_ps(l0, TERM(_mm256_loadu_ps(x[0] + j), _mm256_loadu_ps(c[0] + j)));     \
    l1 = _mm256_add_ps(l1, TERM(_mm256_loadu_ps(x[1] + j), _mm256_loadu_ps(c[1] + j)));     \
    l2 = _mm256_add_ps(l2, TERM(_mm256_loadu_ps(x[2] + j), _mm256_loadu_ps(c[2] + j)));     \
    l3 = _mm256_add_ps(l3, TERM(_mm256_loadu_ps(x[3] + j), _mm256_loadu_ps(c[3] + j)));     \
  }
__attribute__((target("avx2"))) static void label_distances_avx2(
    const float *points, long rows, int d, const float *centers, const int32_t *labels,
    int cosine, float *distances) {
  int whole = d & ~7;
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *x[4], *c[4];
    for (int i = 0; i < 4; i++) {
      x[i] = points + (r + i) * (long)d;
      c[i] = centers + (long)labels[r + i] * d;
    }
    __m256 l0 = _mm256_setzero_ps(), l1 = l0, l2 = l0, l3 = l0;
    if (cosine) {
      KM_FOUR_CHAINS(KM_DOT_TERM)
    } else {
      KM_FOUR_CHAINS(KM_SQUARE_TERM)
    }
    float lanes[4][8];
    _mm256_storeu_ps(lanes[0], l0);
    _mm256_storeu_ps(lanes[1], l1);
    _mm256_storeu_ps(lanes[2], l2);
    _mm256_storeu_ps(lanes[3], l3);
    for (int i = 0; i < 4; i++)
      distances[r + i] = label_distance_end(lanes[i], x[i], c[i], whole, d, cosine);
  }
  for (; r < rows; r++) {
    const float *x0 = points + r * (long)d, *c0 = centers + (long)labels[r] * d;
    __m256 lanes = _mm256_setzero_ps();
    for (int j = 0; j < whole; j += 8) {
      __m256 a = _mm256_loadu_ps(x0 + j), b = _mm256_loadu_ps(c0 + j);
      lanes = _mm256_add_ps(lanes, cosine ? KM_DOT_TERM(a, b) : KM_SQUARE_TERM(a, b));
    }
    float lane[8];
    _mm256_storeu_ps(lane, lanes);
    distances[r] = label_distance_end(lane, x0, c0, whole, d, cosine);
  }
}
#undef KM_FOUR_CHAINS
#undef KM_DOT_TERM
#undef KM_SQUARE_TERM
#endif

void kmeans_simd_label_distances_f32(int level, const float *points, long rows, int d,
                                     const float *centers, const int32_t *labels, int cosine,
                                     float *distances) {
#if KMEANS_X86
  if (level == 1 || level == 2) {
    label_distances_avx2(points, rows, d, centers, labels, cosine, distances);
    return;
  }
#endif
  (void)level;
  for (long r = 0; r < rows; r++)
    distances[r] = label_distance_portable(points + r * (long)d,
                                           centers + (long)labels[r] * d, d, cosine);
}

// kmeans_simd_assign_f32, then the winners' distances, 24 rows at a time (three blocks of the
// AVX-512 kernel, four of the AVX2 one): the rows are still in the level-1 cache when their
// distances are summed, instead of read again from memory after the whole pass.
void kmeans_simd_assign_distances_f32(int level, const float *points, long n, int d,
                                      const float *packed, const float *packed_norms, int k,
                                      const float *centers, int cosine, int32_t *labels,
                                      float *distances, float *second) {
  const long group = 24;
  for (long start = 0; start < n; start += group) {
    long rows = n - start < group ? n - start : group;
    const float *x = points + start * (long)d;
    kmeans_simd_assign_f32(level, x, rows, d, packed, packed_norms, k, labels + start,
                           second ? second + start : NULL);
    kmeans_simd_label_distances_f32(level, x, rows, d, centers, labels + start, cosine,
                                    distances + start);
  }
}
