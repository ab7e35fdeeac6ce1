// Bit-for-bit checks of the C kernels of Sources/CKMeansSIMD against a scalar reference written
// here, at every kernel level the machine (or emulator) runs: 0 (the portable loops), 1 (AVX2),
// 2 (AVX-512) on x86-64, 3 (NEON) on AArch64. Each check covers random shapes with every
// remainder of n, d and k against the vector width, the row blocks and the panel pairs, and
// centers repeated three times over (exact ties: the first center must win).
//
// Build with -ffp-contract=off (the kernels' rule: no fused multiply-adds but the explicit
// ones); Scripts/check-portability.sh builds it natively and for aarch64 under qemu.
#include "kmeans_simd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t random_state = 0x9E3779B97F4A7C15ull;

// A uniform value in [-1, 1) (xorshift64*).
static double uniform(void) {
  random_state ^= random_state >> 12;
  random_state ^= random_state << 25;
  random_state ^= random_state >> 27;
  return (double)((random_state * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-52 - 1.0;
}

static long checks = 0, failures = 0;

#define CHECK(condition, ...)                                                                 \
  do {                                                                                        \
    checks++;                                                                                 \
    if (!(condition)) {                                                                       \
      if (++failures <= 20) {                                                                 \
        fprintf(stderr, "FAILED: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                  \
      }                                                                                       \
    }                                                                                         \
  } while (0)

// The assignment, block-value and panel-value kernels of one precision against the reference
// value of row x and center c: fma(−2, Σⱼ xⱼ·cⱼ (fused, in order of j), ‖c‖²).
#define DEFINE_CHECKS(T, SUFFIX, FMA, PANEL_WIDTH)                                            \
  static T reference_##SUFFIX(const T *x, const T *c, T norm, int d) {                       \
    T dot = 0;                                                                                \
    for (int j = 0; j < d; j++) dot = FMA(x[j], c[j], dot);                                   \
    return FMA(-2, dot, norm);                                                                \
  }                                                                                           \
                                                                                              \
  static void check_##SUFFIX(int level, long n, int d, int k, int ties) {                     \
    int width = PANEL_WIDTH(level), panels = (k + width - 1) / width;                         \
    T *points = malloc(sizeof(T) * n * d), *centers = malloc(sizeof(T) * k * d);              \
    T *norms = malloc(sizeof(T) * k), *second = malloc(sizeof(T) * n);                        \
    T *packed = malloc(sizeof(T) * panels * d * width);                                       \
    T *packed_norms = malloc(sizeof(T) * panels * width);                                     \
    T *values = malloc(sizeof(T) * n * panels * width);                                       \
    int32_t *labels = malloc(sizeof(int32_t) * n), *order = malloc(sizeof(int32_t) * panels); \
    for (long i = 0; i < n * d; i++) points[i] = (T)uniform();                                \
    for (int c = 0; c < k; c++) {                                                             \
      norms[c] = 0;                                                                           \
      for (int j = 0; j < d; j++) {                                                           \
        T value = ties && c >= 3 ? centers[(c % 3) * d + j] : (T)uniform();                   \
        centers[c * d + j] = value;                                                           \
        norms[c] += value * value;                                                            \
      }                                                                                       \
    }                                                                                         \
    kmeans_simd_pack_##SUFFIX(centers, norms, k, d, width, packed, packed_norms);             \
    kmeans_simd_assign_##SUFFIX(level, points, n, d, packed, packed_norms, k, labels, second); \
    kmeans_simd_block_values_##SUFFIX(level, points, n, d, packed, packed_norms, panels,      \
                                      values);                                                \
    for (long i = 0; i < n; i++) {                                                            \
      T best = (T)INFINITY, runner = (T)INFINITY;                                             \
      int32_t label = 0;                                                                      \
      for (int c = 0; c < panels * width; c++) {                                              \
        T value = c < k ? reference_##SUFFIX(points + i * d, centers + c * d, norms[c], d)    \
                        : (T)INFINITY;                                                        \
        T got = values[i * panels * width + c];                                               \
        CHECK(memcmp(&got, &value, sizeof(T)) == 0,                                           \
              #SUFFIX " block values level %d n=%ld d=%d k=%d row %ld center %d", level, n,   \
              d, k, i, c);                                                                    \
        if (value < best) {                                                                   \
          runner = best;                                                                      \
          best = value;                                                                       \
          label = c;                                                                          \
        } else if (value < runner) {                                                          \
          runner = value;                                                                     \
        }                                                                                     \
      }                                                                                       \
      CHECK(labels[i] == label, #SUFFIX " assign level %d n=%ld d=%d k=%d row %ld: %d, not %d", \
            level, n, d, k, i, labels[i], label);                                             \
      CHECK(memcmp(&second[i], &runner, sizeof(T)) == 0,                                      \
            #SUFFIX " runner-up level %d n=%ld d=%d k=%d row %ld", level, n, d, k, i);        \
    }                                                                                         \
    /* One row against the panels in reverse order (Yinyang's group lists). */                \
    for (int p = 0; p < panels; p++) order[p] = panels - 1 - p;                               \
    kmeans_simd_panel_values_##SUFFIX(level, points, d, packed, packed_norms, order, panels,  \
                                      values);                                                \
    for (int p = 0; p < panels; p++)                                                          \
      for (int l = 0; l < width; l++) {                                                       \
        int c = order[p] * width + l;                                                         \
        T value = c < k ? reference_##SUFFIX(points, centers + c * d, norms[c], d)            \
                        : (T)INFINITY;                                                        \
        CHECK(memcmp(&values[p * width + l], &value, sizeof(T)) == 0,                         \
              #SUFFIX " panel values level %d d=%d k=%d panel %d lane %d", level, d, k,       \
              order[p], l);                                                                   \
      }                                                                                       \
    free(points), free(centers), free(norms), free(second), free(packed);                     \
    free(packed_norms), free(values), free(labels), free(order);                              \
  }

DEFINE_CHECKS(float, f32, fmaf, kmeans_simd_panel_width)
DEFINE_CHECKS(double, f64, fma, kmeans_simd_panel_width_f64)

// The cluster sums (float rows into double sums) against the scalar loop, with and without
// weights, for labels inside and outside the range of centers a worker owns.
static void check_accumulate(int level, long rows, int d, int k, int weighted) {
  float *points = malloc(sizeof(float) * rows * d);
  double *weights = weighted ? malloc(sizeof(double) * rows) : NULL;
  int32_t *labels = malloc(sizeof(int32_t) * rows);
  double *sums = calloc((size_t)k * d, sizeof(double)), *expected = calloc((size_t)k * d, sizeof(double));
  double *totals = calloc(k, sizeof(double)), *expected_totals = calloc(k, sizeof(double));
  long *counts = calloc(k, sizeof(long)), *expected_counts = calloc(k, sizeof(long));
  for (long i = 0; i < rows * d; i++) points[i] = (float)uniform() * 100;
  for (long i = 0; i < rows; i++) {
    labels[i] = (int32_t)((uniform() + 1) / 2 * k);
    if (weights) weights[i] = (uniform() + 1) * 3;
  }
  int lower = k / 4, upper = k - k / 4;
  kmeans_simd_accumulate_f32(level, points, rows, d, labels, weights, lower, upper, sums, counts,
                             totals);
  for (long i = 0; i < rows; i++) {
    if (labels[i] < lower || labels[i] >= upper) continue;
    double w = weights ? weights[i] : 1.0;
    for (int j = 0; j < d; j++)
      expected[labels[i] * d + j] += weights ? w * (double)points[i * d + j] : (double)points[i * d + j];
    expected_totals[labels[i]] += w;
    expected_counts[labels[i]] += 1;
  }
  CHECK(memcmp(sums, expected, sizeof(double) * k * d) == 0,
        "accumulate level %d rows=%ld d=%d k=%d weighted=%d: sums", level, rows, d, k, weighted);
  CHECK(memcmp(totals, expected_totals, sizeof(double) * k) == 0 &&
            memcmp(counts, expected_counts, sizeof(long) * k) == 0,
        "accumulate level %d rows=%ld d=%d k=%d weighted=%d: totals", level, rows, d, k, weighted);
  free(points), free(weights), free(labels), free(sums), free(expected), free(totals);
  free(expected_totals), free(counts), free(expected_counts);
}

int main(void) {
  int top = kmeans_simd_level();
  int levels[4], count = 0;
  levels[count++] = 0;
  if (top == 1 || top == 2) levels[count++] = 1;
  if (top == 2) levels[count++] = 2;
  if (top == 3) levels[count++] = 3;
  static const char *names[] = {"portable", "AVX2", "AVX-512", "NEON"};
  printf("kernel levels on this machine:");
  for (int i = 0; i < count; i++) printf(" %d (%s)", levels[i], names[levels[i]]);
  printf("\n");
  for (int i = 0; i < count; i++) {
    int level = levels[i];
    long before = failures;
    // Every remainder of k and d against the widths (16, 8, 4, 2) and of n against the row
    // blocks (8, 6, 16), then random shapes with ties.
    for (int k = 1; k <= 40; k++) {
      check_f32(level, 1 + k % 19, 1 + k % 13, k, k % 2);
      check_f64(level, 1 + k % 19, 1 + k % 13, k, k % 2);
    }
    for (int d = 1; d <= 40; d++) {
      check_f32(level, 17 + d % 7, d, 9 + d % 24, 0);
      check_f64(level, 17 + d % 7, d, 5 + d % 12, 1);
    }
    for (int trial = 0; trial < 60; trial++) {
      long n = 1 + (long)((uniform() + 1) * 20);
      int d = 1 + (int)((uniform() + 1) * 35), k = 1 + (int)((uniform() + 1) * 40);
      check_f32(level, n, d, k, trial % 3 == 0);
      check_f64(level, n, d, k, trial % 3 == 1);
    }
    // Centers over 256 KiB: the rows in blocks, each pair of panels over a whole block (two
    // blocks and a part, an unpaired last panel).
    check_f32(level, 560, 260, 260, 0);
    check_f64(level, 350, 200, 170, 1);
    // Wide rows in blocks: a group's rows (8 × 600 floats) outgrow the level-1 cache.
    check_f32(level, 100, 600, 120, 0);
    check_f64(level, 90, 600, 60, 1);
    check_f32(level, 40, 1100, 70, 1);
    for (int d = 1; d <= 19; d++) check_accumulate(level, 50 + d, d, 7, d % 2);
    printf("level %d (%s): %s\n", level, names[level], failures == before ? "ok" : "FAILED");
  }
  printf("%ld passed, %ld failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
