// Fused distance + argmin kernels. Each row's dot products with a panel of centers are
// accumulated over the dimension with FMAs in vector registers (8 rows × 2 panels at a time),
// turned into norms[c] − 2·x·c, and compared with the row's best so far; the n × k distances
// never reach memory. Every row sees the same sequence of operations whichever group it falls
// in, so results do not depend on the thread count or on n.

#include "kmeans_simd.h"

// Sums must round like the Swift loops they replace: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

#include <float.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define KMEANS_X86 1
#endif

int kmeans_simd_level(void) {
#if KMEANS_X86 && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

int kmeans_simd_panel_width(int level) { return level == 2 ? 16 : 8; }

void kmeans_simd_pack_f32(const float *centers, const float *norms, int k, int d, int width,
                          float *packed, float *packed_norms) {
  int panels = (k + width - 1) / width;
  for (int p = 0; p < panels; p++) {
    float *panel = packed + (long)p * d * width;
    for (int j = 0; j < d; j++) {
      for (int l = 0; l < width; l++) {
        int c = p * width + l;
        panel[(long)j * width + l] = c < k ? centers[(long)c * d + j] : 0.0f;
      }
    }
    for (int l = 0; l < width; l++) {
      int c = p * width + l;
      packed_norms[p * width + l] = c < k ? norms[c] : INFINITY;
    }
  }
}

// Picks, among lanes holding the smallest value, the smallest center index.
static int32_t first_minimum(const float *values, const int32_t *indices, int width) {
  float best = values[0];
  int32_t index = indices[0];
  for (int l = 1; l < width; l++) {
    if (values[l] < best || (values[l] == best && indices[l] < index)) {
      best = values[l];
      index = indices[l];
    }
  }
  return index;
}

#if KMEANS_X86

#define ROWS 8

__attribute__((target("avx512f"))) static void assign_avx512(
    const float *points, long n, int d, const float *packed, const float *packed_norms, int k,
    int32_t *labels, float *second) {
  const int width = 16;
  int panels = (k + width - 1) / width;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 minus_two = _mm512_set1_ps(-2.0f);
  for (long start = 0; start < n; start += ROWS) {
    int rows = n - start < ROWS ? (int)(n - start) : ROWS;
    const float *x[ROWS];
    for (int r = 0; r < ROWS; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    __m512 best[ROWS];
    __m512 runner[ROWS];
    __m512i index[ROWS];
    for (int r = 0; r < ROWS; r++) {
      best[r] = _mm512_set1_ps(INFINITY);
      runner[r] = _mm512_set1_ps(INFINITY);
      index[r] = _mm512_setzero_si512();
    }
    int p = 0;
    for (; p + 1 < panels; p += 2) {
      const float *a = packed + (long)p * d * width;
      const float *b = a + (long)d * width;
      __m512 acc_a[ROWS], acc_b[ROWS];
      for (int r = 0; r < ROWS; r++) {
        acc_a[r] = _mm512_setzero_ps();
        acc_b[r] = _mm512_setzero_ps();
      }
      for (int j = 0; j < d; j++) {
        __m512 ca = _mm512_loadu_ps(a + (long)j * width);
        __m512 cb = _mm512_loadu_ps(b + (long)j * width);
        for (int r = 0; r < ROWS; r++) {
          __m512 xr = _mm512_set1_ps(x[r][j]);
          acc_a[r] = _mm512_fmadd_ps(xr, ca, acc_a[r]);
          acc_b[r] = _mm512_fmadd_ps(xr, cb, acc_b[r]);
        }
      }
      __m512 na = _mm512_loadu_ps(packed_norms + p * width);
      __m512 nb = _mm512_loadu_ps(packed_norms + (p + 1) * width);
      __m512i ia = _mm512_add_epi32(lane, _mm512_set1_epi32(p * width));
      __m512i ib = _mm512_add_epi32(lane, _mm512_set1_epi32((p + 1) * width));
      for (int r = 0; r < ROWS; r++) {
        __m512 va = _mm512_fmadd_ps(minus_two, acc_a[r], na);
        __m512 vb = _mm512_fmadd_ps(minus_two, acc_b[r], nb);
        if (second) runner[r] = _mm512_min_ps(runner[r], _mm512_max_ps(best[r], va));
        __mmask16 ma = _mm512_cmp_ps_mask(va, best[r], _CMP_LT_OQ);
        best[r] = _mm512_mask_mov_ps(best[r], ma, va);
        index[r] = _mm512_mask_mov_epi32(index[r], ma, ia);
        if (second) runner[r] = _mm512_min_ps(runner[r], _mm512_max_ps(best[r], vb));
        __mmask16 mb = _mm512_cmp_ps_mask(vb, best[r], _CMP_LT_OQ);
        best[r] = _mm512_mask_mov_ps(best[r], mb, vb);
        index[r] = _mm512_mask_mov_epi32(index[r], mb, ib);
      }
    }
    for (; p < panels; p++) {
      const float *a = packed + (long)p * d * width;
      __m512 acc_a[ROWS];
      for (int r = 0; r < ROWS; r++) acc_a[r] = _mm512_setzero_ps();
      for (int j = 0; j < d; j++) {
        __m512 ca = _mm512_loadu_ps(a + (long)j * width);
        for (int r = 0; r < ROWS; r++) {
          acc_a[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r][j]), ca, acc_a[r]);
        }
      }
      __m512 na = _mm512_loadu_ps(packed_norms + p * width);
      __m512i ia = _mm512_add_epi32(lane, _mm512_set1_epi32(p * width));
      for (int r = 0; r < ROWS; r++) {
        __m512 va = _mm512_fmadd_ps(minus_two, acc_a[r], na);
        if (second) runner[r] = _mm512_min_ps(runner[r], _mm512_max_ps(best[r], va));
        __mmask16 ma = _mm512_cmp_ps_mask(va, best[r], _CMP_LT_OQ);
        best[r] = _mm512_mask_mov_ps(best[r], ma, va);
        index[r] = _mm512_mask_mov_epi32(index[r], ma, ia);
      }
    }
    for (int r = 0; r < rows; r++) {
      // The smallest value, then the smallest center index among the lanes holding it.
      float minimum = _mm512_reduce_min_ps(best[r]);
      __mmask16 at = _mm512_cmp_ps_mask(best[r], _mm512_set1_ps(minimum), _CMP_EQ_OQ);
      int32_t winner = _mm512_mask_reduce_min_epi32(at, index[r]);
      labels[start + r] = (int32_t)winner;
      if (second) {
        // The runner-up: every lane's second best, and every other lane's best.
        __mmask16 others = (__mmask16)~_mm512_mask_cmpeq_epi32_mask(at, index[r], _mm512_set1_epi32(winner));
        float other = _mm512_mask_reduce_min_ps(others, best[r]);
        float lane_second = _mm512_reduce_min_ps(runner[r]);
        second[start + r] = other < lane_second ? other : lane_second;
      }
    }
  }
}

#define ROWS2 6

__attribute__((target("avx2,fma"))) static void assign_avx2(
    const float *points, long n, int d, const float *packed, const float *packed_norms, int k,
    int32_t *labels) {
  const int width = 8;
  int panels = (k + width - 1) / width;
  float best_values[ROWS2][8];
  int32_t best_indices[ROWS2][8];
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 minus_two = _mm256_set1_ps(-2.0f);
  for (long start = 0; start < n; start += ROWS2) {
    int rows = n - start < ROWS2 ? (int)(n - start) : ROWS2;
    const float *x[ROWS2];
    for (int r = 0; r < ROWS2; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    __m256 best[ROWS2];
    __m256i index[ROWS2];
    for (int r = 0; r < ROWS2; r++) {
      best[r] = _mm256_set1_ps(INFINITY);
      index[r] = _mm256_setzero_si256();
    }
    for (int p = 0; p < panels; p += 2) {
      int pair = p + 1 < panels;
      const float *a = packed + (long)p * d * width;
      const float *b = pair ? a + (long)d * width : a;
      __m256 acc_a[ROWS2], acc_b[ROWS2];
      for (int r = 0; r < ROWS2; r++) {
        acc_a[r] = _mm256_setzero_ps();
        acc_b[r] = _mm256_setzero_ps();
      }
      for (int j = 0; j < d; j++) {
        __m256 ca = _mm256_loadu_ps(a + (long)j * width);
        __m256 cb = _mm256_loadu_ps(b + (long)j * width);
        for (int r = 0; r < ROWS2; r++) {
          __m256 xr = _mm256_broadcast_ss(x[r] + j);
          acc_a[r] = _mm256_fmadd_ps(xr, ca, acc_a[r]);
          acc_b[r] = _mm256_fmadd_ps(xr, cb, acc_b[r]);
        }
      }
      __m256 na = _mm256_loadu_ps(packed_norms + p * width);
      __m256i ia = _mm256_add_epi32(lane, _mm256_set1_epi32(p * width));
      __m256 nb = pair ? _mm256_loadu_ps(packed_norms + (p + 1) * width) : _mm256_set1_ps(INFINITY);
      __m256i ib = _mm256_add_epi32(lane, _mm256_set1_epi32((p + 1) * width));
      for (int r = 0; r < ROWS2; r++) {
        __m256 va = _mm256_fmadd_ps(minus_two, acc_a[r], na);
        __m256 ma = _mm256_cmp_ps(va, best[r], _CMP_LT_OQ);
        best[r] = _mm256_blendv_ps(best[r], va, ma);
        index[r] = _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(index[r]), _mm256_castsi256_ps(ia), ma));
        __m256 vb = _mm256_fmadd_ps(minus_two, acc_b[r], nb);
        __m256 mb = _mm256_cmp_ps(vb, best[r], _CMP_LT_OQ);
        best[r] = _mm256_blendv_ps(best[r], vb, mb);
        index[r] = _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(index[r]), _mm256_castsi256_ps(ib), mb));
      }
    }
    for (int r = 0; r < rows; r++) {
      _mm256_storeu_ps(best_values[r], best[r]);
      _mm256_storeu_si256((__m256i *)best_indices[r], index[r]);
      labels[start + r] = first_minimum(best_values[r], best_indices[r], 8);
    }
  }
}

#endif

#if KMEANS_X86

__attribute__((target("avx512f"))) static void accumulate_avx512(
    const float *points, long rows, int d, const int32_t *labels, const double *weights,
    int lower, int upper, double *sums, long *counts, double *weight_totals) {
  for (long row = 0; row < rows; row++) {
    int label = labels[row];
    if (label < lower || label >= upper) continue;
    double *sum = sums + (long)label * d;
    const float *x = points + row * (long)d;
    int j = 0;
    if (weights) {
      double w = weights[row];
      __m512d wv = _mm512_set1_pd(w);
      for (; j + 8 <= d; j += 8) {
        __m512d v = _mm512_mul_pd(wv, _mm512_cvtps_pd(_mm256_loadu_ps(x + j)));
        _mm512_storeu_pd(sum + j, _mm512_add_pd(_mm512_loadu_pd(sum + j), v));
      }
      for (; j < d; j++) sum[j] += w * (double)x[j];
      weight_totals[label] += w;
    } else {
      for (; j + 8 <= d; j += 8) {
        __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + j));
        _mm512_storeu_pd(sum + j, _mm512_add_pd(_mm512_loadu_pd(sum + j), v));
      }
      for (; j < d; j++) sum[j] += (double)x[j];
      weight_totals[label] += 1.0;
    }
    counts[label] += 1;
  }
}

__attribute__((target("avx2"))) static void accumulate_avx2(
    const float *points, long rows, int d, const int32_t *labels, const double *weights,
    int lower, int upper, double *sums, long *counts, double *weight_totals) {
  for (long row = 0; row < rows; row++) {
    int label = labels[row];
    if (label < lower || label >= upper) continue;
    double *sum = sums + (long)label * d;
    const float *x = points + row * (long)d;
    int j = 0;
    if (weights) {
      double w = weights[row];
      __m256d wv = _mm256_set1_pd(w);
      for (; j + 4 <= d; j += 4) {
        __m256d v = _mm256_mul_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(x + j)));
        _mm256_storeu_pd(sum + j, _mm256_add_pd(_mm256_loadu_pd(sum + j), v));
      }
      for (; j < d; j++) sum[j] += w * (double)x[j];
      weight_totals[label] += w;
    } else {
      for (; j + 4 <= d; j += 4) {
        __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + j));
        _mm256_storeu_pd(sum + j, _mm256_add_pd(_mm256_loadu_pd(sum + j), v));
      }
      for (; j < d; j++) sum[j] += (double)x[j];
      weight_totals[label] += 1.0;
    }
    counts[label] += 1;
  }
}

#endif

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

void kmeans_simd_assign_f32(int level, const float *points, long n, int d, const float *packed,
                            const float *packed_norms, int k, int32_t *labels, float *second) {
#if KMEANS_X86
  if (level == 2) {
    assign_avx512(points, n, d, packed, packed_norms, k, labels, second);
    return;
  }
  if (level == 1) {
    assign_avx2(points, n, d, packed, packed_norms, k, labels);
    return;
  }
#endif
  // Portable fallback (callers use BLAS instead; kept for completeness and tests).
  int width = kmeans_simd_panel_width(level);
  int panels = (k + width - 1) / width;
  for (long i = 0; i < n; i++) {
    const float *x = points + i * (long)d;
    float best = INFINITY;
    int32_t index = 0;
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < width; l++) {
        float dot = 0.0f;
        for (int j = 0; j < d; j++) dot = fmaf(x[j], packed[((long)p * d + j) * width + l], dot);
        float value = fmaf(-2.0f, dot, packed_norms[p * width + l]);
        if (value < best) {
          best = value;
          index = p * width + l;
        }
      }
    }
    labels[i] = index;
  }
}

// ---- Double ---------------------------------------------------------------------------------

int kmeans_simd_panel_width_f64(int level) { return level == 2 ? 8 : 4; }

void kmeans_simd_pack_f64(const double *centers, const double *norms, int k, int d, int width,
                          double *packed, double *packed_norms) {
  int panels = (k + width - 1) / width;
  for (int p = 0; p < panels; p++) {
    double *panel = packed + (long)p * d * width;
    for (int j = 0; j < d; j++) {
      for (int l = 0; l < width; l++) {
        int c = p * width + l;
        panel[(long)j * width + l] = c < k ? centers[(long)c * d + j] : 0.0;
      }
    }
    for (int l = 0; l < width; l++) {
      int c = p * width + l;
      packed_norms[p * width + l] = c < k ? norms[c] : INFINITY;
    }
  }
}

#if KMEANS_X86

__attribute__((target("avx512f"))) static void assign_avx512_f64(
    const double *points, long n, int d, const double *packed, const double *packed_norms, int k,
    int32_t *labels, double *second) {
  const int width = 8;
  int panels = (k + width - 1) / width;
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512d minus_two = _mm512_set1_pd(-2.0);
  for (long start = 0; start < n; start += ROWS) {
    int rows = n - start < ROWS ? (int)(n - start) : ROWS;
    const double *x[ROWS];
    for (int r = 0; r < ROWS; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    __m512d best[ROWS];
    __m512d runner[ROWS];
    __m512i index[ROWS];
    for (int r = 0; r < ROWS; r++) {
      best[r] = _mm512_set1_pd(INFINITY);
      runner[r] = _mm512_set1_pd(INFINITY);
      index[r] = _mm512_setzero_si512();
    }
    for (int p = 0; p < panels; p += 2) {
      int pair = p + 1 < panels;
      const double *a = packed + (long)p * d * width;
      const double *b = pair ? a + (long)d * width : a;
      __m512d acc_a[ROWS], acc_b[ROWS];
      for (int r = 0; r < ROWS; r++) {
        acc_a[r] = _mm512_setzero_pd();
        acc_b[r] = _mm512_setzero_pd();
      }
      for (int j = 0; j < d; j++) {
        __m512d ca = _mm512_loadu_pd(a + (long)j * width);
        __m512d cb = _mm512_loadu_pd(b + (long)j * width);
        for (int r = 0; r < ROWS; r++) {
          __m512d xr = _mm512_set1_pd(x[r][j]);
          acc_a[r] = _mm512_fmadd_pd(xr, ca, acc_a[r]);
          acc_b[r] = _mm512_fmadd_pd(xr, cb, acc_b[r]);
        }
      }
      __m512d na = _mm512_loadu_pd(packed_norms + p * width);
      __m512d nb =
          pair ? _mm512_loadu_pd(packed_norms + (p + 1) * width) : _mm512_set1_pd(INFINITY);
      __m512i ia = _mm512_add_epi64(lane, _mm512_set1_epi64(p * width));
      __m512i ib = _mm512_add_epi64(lane, _mm512_set1_epi64((p + 1) * width));
      for (int r = 0; r < ROWS; r++) {
        __m512d va = _mm512_fmadd_pd(minus_two, acc_a[r], na);
        if (second) runner[r] = _mm512_min_pd(runner[r], _mm512_max_pd(best[r], va));
        __mmask8 ma = _mm512_cmp_pd_mask(va, best[r], _CMP_LT_OQ);
        best[r] = _mm512_mask_mov_pd(best[r], ma, va);
        index[r] = _mm512_mask_mov_epi64(index[r], ma, ia);
        __m512d vb = _mm512_fmadd_pd(minus_two, acc_b[r], nb);
        if (second) runner[r] = _mm512_min_pd(runner[r], _mm512_max_pd(best[r], vb));
        __mmask8 mb = _mm512_cmp_pd_mask(vb, best[r], _CMP_LT_OQ);
        best[r] = _mm512_mask_mov_pd(best[r], mb, vb);
        index[r] = _mm512_mask_mov_epi64(index[r], mb, ib);
      }
    }
    for (int r = 0; r < rows; r++) {
      // The smallest value, then the smallest center index among the lanes holding it.
      double minimum = _mm512_reduce_min_pd(best[r]);
      __mmask8 at = _mm512_cmp_pd_mask(best[r], _mm512_set1_pd(minimum), _CMP_EQ_OQ);
      int64_t winner = _mm512_mask_reduce_min_epi64(at, index[r]);
      labels[start + r] = (int32_t)winner;
      if (second) {
        // The runner-up: every lane's second best, and every other lane's best.
        __mmask8 others = (__mmask8)~_mm512_mask_cmpeq_epi64_mask(at, index[r], _mm512_set1_epi64(winner));
        double other = _mm512_mask_reduce_min_pd(others, best[r]);
        double lane_second = _mm512_reduce_min_pd(runner[r]);
        second[start + r] = other < lane_second ? other : lane_second;
      }
    }
  }
}

__attribute__((target("avx2,fma"))) static void assign_avx2_f64(
    const double *points, long n, int d, const double *packed, const double *packed_norms, int k,
    int32_t *labels) {
  const int width = 4;
  int panels = (k + width - 1) / width;
  double best_values[4];
  int64_t best_indices[4];
  const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
  const __m256d minus_two = _mm256_set1_pd(-2.0);
  for (long start = 0; start < n; start += ROWS2) {
    int rows = n - start < ROWS2 ? (int)(n - start) : ROWS2;
    const double *x[ROWS2];
    for (int r = 0; r < ROWS2; r++) x[r] = points + (start + (r < rows ? r : 0)) * (long)d;
    __m256d best[ROWS2];
    __m256i index[ROWS2];
    for (int r = 0; r < ROWS2; r++) {
      best[r] = _mm256_set1_pd(INFINITY);
      index[r] = _mm256_setzero_si256();
    }
    for (int p = 0; p < panels; p += 2) {
      int pair = p + 1 < panels;
      const double *a = packed + (long)p * d * width;
      const double *b = pair ? a + (long)d * width : a;
      __m256d acc_a[ROWS2], acc_b[ROWS2];
      for (int r = 0; r < ROWS2; r++) {
        acc_a[r] = _mm256_setzero_pd();
        acc_b[r] = _mm256_setzero_pd();
      }
      for (int j = 0; j < d; j++) {
        __m256d ca = _mm256_loadu_pd(a + (long)j * width);
        __m256d cb = _mm256_loadu_pd(b + (long)j * width);
        for (int r = 0; r < ROWS2; r++) {
          __m256d xr = _mm256_broadcast_sd(x[r] + j);
          acc_a[r] = _mm256_fmadd_pd(xr, ca, acc_a[r]);
          acc_b[r] = _mm256_fmadd_pd(xr, cb, acc_b[r]);
        }
      }
      __m256d na = _mm256_loadu_pd(packed_norms + p * width);
      __m256d nb =
          pair ? _mm256_loadu_pd(packed_norms + (p + 1) * width) : _mm256_set1_pd(INFINITY);
      __m256i ia = _mm256_add_epi64(lane, _mm256_set1_epi64x(p * width));
      __m256i ib = _mm256_add_epi64(lane, _mm256_set1_epi64x((p + 1) * width));
      for (int r = 0; r < ROWS2; r++) {
        __m256d va = _mm256_fmadd_pd(minus_two, acc_a[r], na);
        __m256d ma = _mm256_cmp_pd(va, best[r], _CMP_LT_OQ);
        best[r] = _mm256_blendv_pd(best[r], va, ma);
        index[r] = _mm256_castpd_si256(
            _mm256_blendv_pd(_mm256_castsi256_pd(index[r]), _mm256_castsi256_pd(ia), ma));
        __m256d vb = _mm256_fmadd_pd(minus_two, acc_b[r], nb);
        __m256d mb = _mm256_cmp_pd(vb, best[r], _CMP_LT_OQ);
        best[r] = _mm256_blendv_pd(best[r], vb, mb);
        index[r] = _mm256_castpd_si256(
            _mm256_blendv_pd(_mm256_castsi256_pd(index[r]), _mm256_castsi256_pd(ib), mb));
      }
    }
    for (int r = 0; r < rows; r++) {
      _mm256_storeu_pd(best_values, best[r]);
      _mm256_storeu_si256((__m256i *)best_indices, index[r]);
      double value = best_values[0];
      int64_t winner = best_indices[0];
      for (int l = 1; l < 4; l++) {
        if (best_values[l] < value || (best_values[l] == value && best_indices[l] < winner)) {
          value = best_values[l];
          winner = best_indices[l];
        }
      }
      labels[start + r] = (int32_t)winner;
    }
  }
}

#endif

void kmeans_simd_assign_f64(int level, const double *points, long n, int d,
                            const double *packed, const double *packed_norms, int k,
                            int32_t *labels, double *second) {
#if KMEANS_X86
  if (level == 2) {
    assign_avx512_f64(points, n, d, packed, packed_norms, k, labels, second);
    return;
  }
  if (level == 1) {
    assign_avx2_f64(points, n, d, packed, packed_norms, k, labels);
    return;
  }
#endif
  int width = kmeans_simd_panel_width_f64(level);
  int panels = (k + width - 1) / width;
  for (long i = 0; i < n; i++) {
    const double *x = points + i * (long)d;
    double best = INFINITY;
    int32_t index = 0;
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < width; l++) {
        double dot = 0.0;
        for (int j = 0; j < d; j++) dot = fma(x[j], packed[((long)p * d + j) * width + l], dot);
        double value = fma(-2.0, dot, packed_norms[p * width + l]);
        if (value < best) {
          best = value;
          index = p * width + l;
        }
      }
    }
    labels[i] = index;
  }
}
