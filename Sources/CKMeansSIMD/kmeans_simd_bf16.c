// Nearest centers screened with bfloat16 products and confirmed in float32: the labels of
// kmeans_simd_assign_f32, bit for bit, at about half its arithmetic where the CPU has
// AVX512_BF16 (vdpbf16ps: 32 bfloat16 products a register, summed into 16 float32 lanes).
//
// Each row x and center c is rounded to bfloat16 (x̃, c̃, nearest even); a pass like the float32
// kernel's gives v16(c) = ‖c‖² − 2·D16(c), where D16 sums the exact products x̃ⱼ·c̃ⱼ in float32
// (vdpbf16ps, or its portable emulation), and keeps each row's best center b, the smallest
// value over the others, s, and every value. The float32 kernel's value is
// v32(c) = fl(‖c‖² − 2·D32(c)), D32 the chain of fused multiply-adds over j. Since
// x·c − x̃·c̃ = (x − x̃)·c + x̃·(c − c̃), with ‖x̃‖ ≤ ‖x‖ + ‖x − x̃‖ and likewise for c̃,
//
//   |D16 − D32| ≤ B = ‖x − x̃‖·max‖c‖ + ‖x̃‖·max‖c − c̃‖ + γ(‖x̃‖·max‖c̃‖ + ‖x‖·max‖c‖) + A
//
// (Cauchy–Schwarz; γ = γ₂d₊₂ = (2d + 2)u / (1 − (2d + 2)u) bounds both float32 sums, u = 2⁻²⁴;
// A = 2⁻¹²⁵·(√d·(‖x̃‖ + max‖c̃‖) + 2d + 2) bounds what vdpbf16ps's flushing of subnormal inputs
// and results, and gradual underflow anywhere, can add), and each final multiply-add rounds
// once, so |v16(c) − v32(c)| ≤ E(c) = 2B(1 + u) + 2u(1 + 2u)·|v16(c)|. The norms are bounded
// from above from their sums of squares (bf16_sizes). v − E(v) grows with v, so when
// v16(s) − v16(b) > E(s) + E(b), every other center's v32 is above v32(b): b is the float32
// kernel's unique winner (no tie to break). For another row, a center c can win only if
// v16(c) − v16(b) ≤ E(c) + E(b): those candidates' v32 are computed as the float32 kernel
// computes them (the same multiply-adds in the same order) and the first with the smallest
// wins, the kernel's rule. Rows with NaN or infinite values take the float32 kernel whole. The
// bound is evaluated in double and widened by 10⁻⁹ (relative) for its own rounding.

#include "kmeans_simd.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define KMEANS_X86 1
#endif

#define BF16_ROWS 8
#define BF16_WIDTH 16

int kmeans_simd_has_bf16(void) {
#if KMEANS_X86 && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
  return 0;
#endif
}

// Nearest-even bfloat16 of `value` (NaN stays NaN), as the upper half of a float's bits.
static inline uint16_t bf16_round(float value) {
  union { float f; uint32_t u; } bits = {value};
  if ((bits.u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits.u >> 16) | 0x40);
  bits.u += 0x7FFFu + ((bits.u >> 16) & 1u);
  return (uint16_t)(bits.u >> 16);
}

static inline float bf16_widen(uint16_t half) {
  union { uint32_t u; float f; } bits = {(uint32_t)half << 16};
  return bits.f;
}

// Upper bounds of ‖v‖² and ‖v − ṽ‖² from sums of d squares however they were added in
// float32 or double (a relative (d + 64)·2⁻²³ covers either's rounding, d·2⁻¹⁴⁸ the squares that
// underflow).
static inline void bf16_sizes(double whole, double residual, int d, double sizes[2]) {
  double widen = 1 + (d + 64.0) * 0x1p-23, floor = d * 0x1p-148;
  sizes[0] = whole * widen + floor;
  sizes[1] = residual * widen + floor;
}

// Rounds `d` values into (d + 1) / 2 pairs, pair q at pairs[q · stride] (the low half holds
// the even dimension, as vdpbf16ps pairs them; an odd d pads with +0), and bounds ‖v‖² and
// ‖v − ṽ‖² (`sizes`).
static void bf16_pack(const float *v, int d, uint32_t *pairs, long stride, double sizes[2]) {
  double whole = 0, residual = 0;
  for (int j = 0; j < d; j += 2) {
    uint16_t lo = bf16_round(v[j]), hi = j + 1 < d ? bf16_round(v[j + 1]) : 0;
    pairs[(long)(j / 2) * stride] = (uint32_t)lo | ((uint32_t)hi << 16);
    for (int t = j; t < d && t < j + 2; t++) {
      double exact = v[t], gap = exact - bf16_widen(t == j ? lo : hi);
      whole += exact * exact;
      residual += gap * gap;
    }
  }
  bf16_sizes(whole, residual, d, sizes);
}

long kmeans_bf16_scratch_floats(int d, int k) {
  long pairs = (d + 1) / 2, panels = (k + BF16_WIDTH - 1) / BF16_WIDTH;
  // Center pairs and norms, one block's row pairs and values, then the confirmation's (row,
  // center) pairs — centers, rows in the block and float32 values, a block's rows × (k + 16)
  // each — and their row pointers (two floats each).
  long spare = (long)k + 16;
  return panels * pairs * BF16_WIDTH + panels * BF16_WIDTH + BF16_ROWS * pairs +
         BF16_ROWS * panels * BF16_WIDTH + 5 * BF16_ROWS * spare;
}

// The screening pass for up to BF16_ROWS rows (`pairs`: rows × dp pairs): each row's best
// center, its value, the smallest value over the other centers, and every value (row r's in
// values[r · panels · 16 ...]).
typedef void (*bf16_block_fn)(const uint32_t *rows_pairs, int rows, int dp,
                              const uint32_t *centers, const float *norms, int panels,
                              int32_t *label, float *best, float *second, float *values,
                              const char *next, long next_bytes);

// Portable emulation: each lane as vdpbf16ps computes it (the odd product added first, then
// the even one, each sum rounded to float32), then the same multiply-add and comparisons.
static void bf16_block_portable(const uint32_t *rows_pairs, int rows, int dp,
                                const uint32_t *centers, const float *norms, int panels,
                                int32_t *label, float *best, float *second, float *values,
                                const char *next, long next_bytes) {
  (void)next;
  (void)next_bytes;
  for (int r = 0; r < rows; r++) {
    const uint32_t *x = rows_pairs + (long)r * dp;
    float top = __builtin_inff(), runner = __builtin_inff();
    int32_t winner = 0;
    for (int p = 0; p < panels; p++) {
      for (int l = 0; l < BF16_WIDTH; l++) {
        float acc = 0;
        for (int q = 0; q < dp; q++) {
          uint32_t c = centers[((long)p * dp + q) * BF16_WIDTH + l];
          float odd = bf16_widen((uint16_t)(x[q] >> 16)) * bf16_widen((uint16_t)(c >> 16));
          float even = bf16_widen((uint16_t)x[q]) * bf16_widen((uint16_t)c);
          acc = acc + odd;
          acc = acc + even;
        }
        float value = __builtin_fmaf(-2.0f, acc, norms[p * BF16_WIDTH + l]);
        values[((long)r * panels + p) * BF16_WIDTH + l] = value;
        if (value < top) {
          runner = top;
          top = value;
          winner = p * BF16_WIDTH + l;
        } else if (value < runner) {
          runner = value;
        }
      }
    }
    label[r] = winner;
    best[r] = top;
    second[r] = runner;
  }
}

#if KMEANS_X86
#define BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

// One row's lanes: the smallest value, the smallest index holding it, and the smallest value
// over the other centers (every lane's runner-up, every other lane's best).
BF16_TARGET static inline void bf16_row_result(__m512 top, __m512i index, __m512 runner,
                                               int32_t *label, float *best, float *second) {
  float minimum = _mm512_reduce_min_ps(top);
  __mmask16 at = _mm512_cmp_ps_mask(top, _mm512_set1_ps(minimum), _CMP_EQ_OQ);
  int32_t winner = _mm512_mask_reduce_min_epi32(at, index);
  __mmask16 others =
      (__mmask16)~_mm512_mask_cmpeq_epi32_mask(at, index, _mm512_set1_epi32(winner));
  float other = _mm512_mask_reduce_min_ps(others, top);
  float lane_second = _mm512_reduce_min_ps(runner);
  *label = winner;
  *best = minimum;
  *second = other < lane_second ? other : lane_second;
}

#define BF16_UPDATE(r, value, idx)                                                            \
  do {                                                                                        \
    runner[r] = _mm512_min_ps(runner[r], _mm512_max_ps(top[r], value));                       \
    __mmask16 m = _mm512_cmp_ps_mask(value, top[r], _CMP_LT_OQ);                              \
    top[r] = _mm512_mask_mov_ps(top[r], m, value);                                            \
    index[r] = _mm512_mask_mov_epi32(index[r], m, idx);                                       \
  } while (0)

// BF16_ROWS rows × 2 panels of 16 centers a pass, one vdpbf16ps per row, panel and pair of
// dimensions (rows past `rows` repeat the first). The first pass also prefetches the
// `next_bytes` at `next` (the next block's rows), a cache line per pair of dimensions, so that
// they arrive while this block is computed.
BF16_TARGET static void bf16_block_avx512(const uint32_t *rows_pairs, int rows, int dp,
                                          const uint32_t *centers, const float *norms,
                                          int panels, int32_t *label, float *best,
                                          float *second, float *values, const char *next,
                                          long next_bytes) {
  const uint32_t *x[BF16_ROWS];
  for (int r = 0; r < BF16_ROWS; r++) x[r] = rows_pairs + (long)(r < rows ? r : 0) * dp;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 minus_two = _mm512_set1_ps(-2.0f);
  __m512 top[BF16_ROWS], runner[BF16_ROWS];
  __m512i index[BF16_ROWS];
  for (int r = 0; r < BF16_ROWS; r++) {
    top[r] = runner[r] = _mm512_set1_ps(__builtin_inff());
    index[r] = _mm512_setzero_si512();
  }
  int p = 0;
  for (; p + 1 < panels; p += 2) {
    const uint32_t *a = centers + (long)p * dp * BF16_WIDTH, *b = a + (long)dp * BF16_WIDTH;
    __m512 acc_a[BF16_ROWS], acc_b[BF16_ROWS];
    for (int r = 0; r < BF16_ROWS; r++) acc_a[r] = acc_b[r] = _mm512_setzero_ps();
    for (int q = 0; q < dp; q++) {
      if (p == 0 && (long)q * 64 < next_bytes) _mm_prefetch(next + (long)q * 64, _MM_HINT_T0);
      __m512bh ca = (__m512bh)_mm512_loadu_si512(a + (long)q * BF16_WIDTH);
      __m512bh cb = (__m512bh)_mm512_loadu_si512(b + (long)q * BF16_WIDTH);
      for (int r = 0; r < BF16_ROWS; r++) {
        __m512bh xr = (__m512bh)_mm512_set1_epi32((int)x[r][q]);
        acc_a[r] = _mm512_dpbf16_ps(acc_a[r], xr, ca);
        acc_b[r] = _mm512_dpbf16_ps(acc_b[r], xr, cb);
      }
    }
    __m512 na = _mm512_loadu_ps(norms + (long)p * BF16_WIDTH);
    __m512 nb = _mm512_loadu_ps(norms + (long)(p + 1) * BF16_WIDTH);
    __m512i ia = _mm512_add_epi32(lane, _mm512_set1_epi32(p * BF16_WIDTH));
    __m512i ib = _mm512_add_epi32(lane, _mm512_set1_epi32((p + 1) * BF16_WIDTH));
    for (int r = 0; r < BF16_ROWS; r++) {
      __m512 va = _mm512_fmadd_ps(minus_two, acc_a[r], na);
      __m512 vb = _mm512_fmadd_ps(minus_two, acc_b[r], nb);
      float *out = values + ((long)r * panels + p) * BF16_WIDTH;
      _mm512_storeu_ps(out, va);
      _mm512_storeu_ps(out + BF16_WIDTH, vb);
      BF16_UPDATE(r, va, ia);
      BF16_UPDATE(r, vb, ib);
    }
  }
  if (p < panels) {
    // The last, unpaired panel alone.
    const uint32_t *a = centers + (long)p * dp * BF16_WIDTH;
    __m512 acc_a[BF16_ROWS];
    for (int r = 0; r < BF16_ROWS; r++) acc_a[r] = _mm512_setzero_ps();
    for (int q = 0; q < dp; q++) {
      __m512bh ca = (__m512bh)_mm512_loadu_si512(a + (long)q * BF16_WIDTH);
      for (int r = 0; r < BF16_ROWS; r++)
        acc_a[r] = _mm512_dpbf16_ps(acc_a[r], (__m512bh)_mm512_set1_epi32((int)x[r][q]), ca);
    }
    __m512 na = _mm512_loadu_ps(norms + (long)p * BF16_WIDTH);
    __m512i ia = _mm512_add_epi32(lane, _mm512_set1_epi32(p * BF16_WIDTH));
    for (int r = 0; r < BF16_ROWS; r++) {
      __m512 va = _mm512_fmadd_ps(minus_two, acc_a[r], na);
      _mm512_storeu_ps(values + ((long)r * panels + p) * BF16_WIDTH, va);
      BF16_UPDATE(r, va, ia);
    }
  }
  for (int r = 0; r < rows; r++)
    bf16_row_result(top[r], index[r], runner[r], label + r, best + r, second + r);
}
#undef BF16_UPDATE
#endif

#if KMEANS_X86
// bf16_pack for rows (stride 1) sixteen values a step: nearest-even rounding on the bits (no
// flushing), bfloat16 values stored in order (each 32-bit pair: even dimension low), squares
// summed in float32 lanes.
BF16_TARGET static void bf16_pack_avx512(const float *v, int d, uint32_t *pairs,
                                         double sizes[2]) {
  uint16_t *halves = (uint16_t *)pairs;
  __m512 whole = _mm512_setzero_ps(), residual = _mm512_setzero_ps();
  const __m512i half_ulp = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1);
  const __m512i upper = _mm512_set1_epi32((int)0xFFFF0000u);
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    __m512i bits = _mm512_loadu_si512(v + j);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), one);
    __m512i near = _mm512_and_si512(_mm512_add_epi32(bits, _mm512_add_epi32(half_ulp, odd)), upper);
    _mm256_storeu_si256((__m256i *)(halves + j), _mm512_cvtepi32_epi16(_mm512_srli_epi32(near, 16)));
    __m512 exact = _mm512_castsi512_ps(bits);
    __m512 gap = _mm512_sub_ps(exact, _mm512_castsi512_ps(near));
    whole = _mm512_fmadd_ps(exact, exact, whole);
    residual = _mm512_fmadd_ps(gap, gap, residual);
  }
  double tail[2] = {0, 0};
  // The last values (and an odd d's +0 pad) portably, from an even offset.
  if (j < d) bf16_pack(v + j, d - j, pairs + j / 2, 1, tail);
  bf16_sizes((double)_mm512_reduce_add_ps(whole) + tail[0],
             (double)_mm512_reduce_add_ps(residual) + tail[1], d, sizes);
}
#endif

// 2B(1 + u) for one row (see the top of this file) from bounds of ‖x‖², ‖x − x̃‖² (`row`) and
// of the largest ‖c‖², ‖c − c̃‖² (`centers`); ‖x̃‖ ≤ ‖x‖ + ‖x − x̃‖, likewise for c̃. NaN or +∞
// where anything is not finite.
static double bf16_slack(const double row[2], const double centers[2], int d) {
  const double u = 0x1p-24;
  double n = 2.0 * d + 2.0, gamma = n * u / (1 - n * u);
  double x = __builtin_sqrt(row[0]), dx = __builtin_sqrt(row[1]), xt = x + dx;
  double c = __builtin_sqrt(centers[0]), dc = __builtin_sqrt(centers[1]), ct = c + dc;
  double tiny = 0x1p-125 * (__builtin_sqrt((double)d) * (xt + ct) + n);
  return 2 * (dx * c + xt * dc + gamma * (xt * ct + x * c) + tiny) * (1 + u);
}

// E(v): the bound on |v16(c) − v32(c)| where v16(c) = v.
static inline double bf16_error(double slack, float value) {
  const double u = 0x1p-24;
  return slack + 2 * u * (1 + 2 * u) * __builtin_fabs((double)value);
}

// Whether v32(c) may be at or below v32(b), given v16(c) = other and v16(b) = best.
static inline int bf16_may_win(double slack, float best, float other) {
  return !((double)other - (double)best >
           (bf16_error(slack, best) + bf16_error(slack, other)) * (1 + 1e-9));
}

// Centers as bfloat16 pairs in panels (dimension-pair-major, 16 lanes, zero past k), their
// norms padded with +∞, and bounds of the largest ‖c‖² and ‖c − c̃‖² (NaN counts as +∞).
static void bf16_pack_centers(const float *centers, const float *norms, int k, int d,
                              uint32_t *pairs, float *panel_norms, double largest[2],
                              int vector, uint32_t *row) {
  int dp = (d + 1) / 2, panels = (k + BF16_WIDTH - 1) / BF16_WIDTH;
  largest[0] = largest[1] = 0;
  for (int center = 0; center < panels * BF16_WIDTH; center++) {
    uint32_t *lane = pairs + (long)(center / BF16_WIDTH) * dp * BF16_WIDTH + center % BF16_WIDTH;
    panel_norms[center] = center < k ? (norms ? norms[center] : 0.0f) : __builtin_inff();
    if (center >= k) {
      for (int q = 0; q < dp; q++) lane[(long)q * BF16_WIDTH] = 0;
      continue;
    }
    double sizes[2];
#if KMEANS_X86
    if (vector) {
      bf16_pack_avx512(centers + (long)center * d, d, row, sizes);
      for (int q = 0; q < dp; q++) lane[(long)q * BF16_WIDTH] = row[q];
    } else {
      bf16_pack(centers + (long)center * d, d, lane, BF16_WIDTH, sizes);
    }
#else
    (void)vector;
    (void)row;
    bf16_pack(centers + (long)center * d, d, lane, BF16_WIDTH, sizes);
#endif
    for (int t = 0; t < 2; t++)
      if (!(sizes[t] <= largest[t])) largest[t] = sizes[t] == sizes[t] ? sizes[t] : __builtin_inf();
  }
}

// The float32 kernel's value of `count` (row, center) pairs, ‖c‖² − 2·Σⱼ xⱼ·cⱼ with the sum's
// fused multiply-adds in order of j, as each lane of kmeans_simd_assign_f32 computes it (so
// the same bits), sixteen independent chains at a time to hide their latency.
#define BF16_CHAINS(NAME, ATTRIBUTE)                                                          \
  ATTRIBUTE static void NAME(const float *const *rows, const int32_t *centers, int count,    \
                             int d, const float *matrix, const float *norms, float *values) { \
    for (int first = 0; first < count; first += 16) {                                         \
      int m = count - first < 16 ? count - first : 16;                                        \
      const float *x[16], *c[16];                                                             \
      float acc[16];                                                                          \
      for (int i = 0; i < 16; i++) {                                                          \
        int pair = first + (i < m ? i : 0);                                                   \
        x[i] = rows[pair];                                                                    \
        c[i] = matrix + (long)centers[pair] * d;                                              \
        acc[i] = 0;                                                                           \
      }                                                                                       \
      for (int j = 0; j < d; j++)                                                             \
        for (int i = 0; i < 16; i++) acc[i] = __builtin_fmaf(x[i][j], c[i][j], acc[i]);       \
      for (int i = 0; i < m; i++)                                                             \
        values[first + i] =                                                                   \
            __builtin_fmaf(-2.0f, acc[i], norms ? norms[centers[first + i]] : 0.0f);          \
    }                                                                                         \
  }
BF16_CHAINS(bf16_chains_portable, )
#if KMEANS_X86
BF16_CHAINS(bf16_chains_fma, __attribute__((target("avx2,fma"))))
#endif
#undef BF16_CHAINS

// The float32 kernel's labels for a block's rows whose bfloat16 margins are within the bound:
// the float32 values (the kernel's bits) of every center that may win, and the first center
// with the smallest; a row with nothing finite to go by gets the float32 kernel over every
// center.
typedef struct {
  int level, k, d, fma;
  const float *centers, *norms, *packed, *packed_norms;
  int32_t *candidates, *owners;  // per (row, center) pair: the center, the row in the block
  const float **rows;            // per pair
  float *values;                 // per pair
} bf16_confirmation;

// A row with nothing finite to go by: the float32 kernel over every center.
static void bf16_whole_row(const bf16_confirmation *c, const float *row, int32_t *label) {
  kmeans_simd_assign_f32(c->level, row, 1, c->d, c->packed, c->packed_norms, c->k, label, NULL);
}

static void bf16_confirm(const bf16_confirmation *c, const float *const *rows,
                         const int *unproven, int count, const float *values16, long stride,
                         const float *best, const double *slack, int32_t *labels) {
  int pairs = 0;
  for (int i = 0; i < count; i++) {
    int r = unproven[i];
    if (!(slack[r] < __builtin_inf() && best[r] > -__builtin_inff() &&
          best[r] < __builtin_inff())) {
      bf16_whole_row(c, rows[r], labels + r);
      continue;
    }
    for (int center = 0; center < c->k; center++) {
      if (!bf16_may_win(slack[r], best[r], values16[r * stride + center])) continue;
      c->candidates[pairs] = center;
      c->owners[pairs] = r;
      c->rows[pairs++] = rows[r];
    }
  }
#if KMEANS_X86
  if (c->fma)
    bf16_chains_fma(c->rows, c->candidates, pairs, c->d, c->centers, c->norms, c->values);
  else
#endif
    bf16_chains_portable(c->rows, c->candidates, pairs, c->d, c->centers, c->norms, c->values);
  // The smallest value, ties to the smallest center (the kernel's rule; NaN and +∞ never win).
  int32_t winner = -1;
  float top = __builtin_inff();
  for (int pair = 0; pair < pairs; pair++) {
    int r = c->owners[pair];
    int32_t center = c->candidates[pair];
    float value = c->values[pair];
    if (value < top || (value == top && center < winner)) {
      top = value;
      winner = center;
    }
    if (pair + 1 < pairs && c->owners[pair + 1] == r) continue;
    if (winner >= 0) {
      labels[r] = winner;
    } else {
      bf16_whole_row(c, rows[r], labels + r);
    }
    winner = -1;
    top = __builtin_inff();
  }
}

// The winners' distances as the Swift engine computes them (kmeans_simd_label_distances_f32),
// while the block's rows are in cache.
static void bf16_distances(const float *points, long start, long rows, int d,
                           const float *centers, const int32_t *labels, int cosine, int level,
                           float *distances) {
  if (!distances) return;
  kmeans_simd_label_distances_f32(level, points + start * (long)d, rows, d, centers,
                                  labels + start, cosine, distances + start);
}

long kmeans_simd_assign_bf16_f32(int level, int emulate, const float *points, long n, int d,
                                 const float *centers, const float *norms, int k,
                                 const float *packed, const float *packed_norms,
                                 int32_t *labels, float *distances, float *scratch) {
  if (k < 2 || d < 1) {
    kmeans_simd_assign_f32(level, points, n, d, packed, packed_norms, k, labels, NULL);
    if (k > 0)
      bf16_distances(points, 0, n, d, centers, labels, norms == NULL, level, distances);
    return n;
  }
  bf16_block_fn block = bf16_block_portable;
  int vector = 0;
#if KMEANS_X86
  if (!emulate && kmeans_simd_has_bf16()) {
    block = bf16_block_avx512;
    vector = 1;
  }
#endif
  int dp = (d + 1) / 2, panels = (k + BF16_WIDTH - 1) / BF16_WIDTH;
  long spare = (long)k + 16, stride = (long)panels * BF16_WIDTH;
  uint32_t *center_pairs = (uint32_t *)scratch;
  float *panel_norms = scratch + (long)panels * dp * BF16_WIDTH;
  uint32_t *row_pairs = (uint32_t *)(panel_norms + stride);
  float *values16 = (float *)(row_pairs + (long)BF16_ROWS * dp);
  bf16_confirmation confirmation = {level, k, d, level >= 1, centers, norms, packed,
                                    packed_norms, NULL, NULL, NULL, NULL};
  confirmation.candidates = (int32_t *)(values16 + BF16_ROWS * stride);
  confirmation.owners = confirmation.candidates + BF16_ROWS * spare;
  confirmation.values = (float *)(confirmation.owners + BF16_ROWS * spare);
  confirmation.rows = (const float **)(confirmation.values + BF16_ROWS * spare);

  double largest[2];
  bf16_pack_centers(centers, norms, k, d, center_pairs, panel_norms, largest, vector, row_pairs);
  long confirmed = 0;
  int32_t label[BF16_ROWS];
  float best[BF16_ROWS], second[BF16_ROWS];
  double row_sizes[BF16_ROWS][2], slack[BF16_ROWS];
  const float *rows_of_block[BF16_ROWS];
  int unproven[BF16_ROWS];
  for (long start = 0; start < n; start += BF16_ROWS) {
    int rows = n - start < BF16_ROWS ? (int)(n - start) : BF16_ROWS;
    for (int r = 0; r < rows; r++) {
      const float *row = points + (start + r) * (long)d;
      rows_of_block[r] = row;
#if KMEANS_X86
      if (vector) {
        bf16_pack_avx512(row, d, row_pairs + (long)r * dp, row_sizes[r]);
        continue;
      }
#endif
      bf16_pack(row, d, row_pairs + (long)r * dp, 1, row_sizes[r]);
    }
    // The next block's rows, to prefetch while this one is screened.
    long following = n - start - rows < BF16_ROWS ? n - start - rows : BF16_ROWS;
    const char *next = (const char *)(points + (start + rows) * (long)d);
    block(row_pairs, rows, dp, center_pairs, panel_norms, panels, label, best, second, values16,
          next, following * d * (long)sizeof(float));
    int count = 0;
    for (int r = 0; r < rows; r++) {
      slack[r] = bf16_slack(row_sizes[r], largest, d);
      labels[start + r] = label[r];
      if (bf16_may_win(slack[r], best[r], second[r])) unproven[count++] = r;
    }
    if (count > 0)
      bf16_confirm(&confirmation, rows_of_block, unproven, count, values16, stride, best, slack,
                   labels + start);
    bf16_distances(points, start, rows, d, centers, labels, norms == NULL, level, distances);
    confirmed += count;
    // Data so crowded that a quarter of the rows need float32 (e.g. no cluster structure) are
    // faster in float32 alone: the rest of the call goes there (the same labels either way).
    long done = start + rows;
    if (done >= 512 && done < n && confirmed * 4 > done) {
      kmeans_simd_assign_f32(level, points + done * (long)d, n - done, d, packed, packed_norms,
                             k, labels + done, NULL);
      bf16_distances(points, done, n - done, d, centers, labels, norms == NULL, level,
                     distances);
      return confirmed + (n - done);
    }
  }
  return confirmed;
}
