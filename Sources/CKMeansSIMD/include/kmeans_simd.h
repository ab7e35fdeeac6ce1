// Fused distance + argmin micro-kernels for swift-kmeans: AVX-512 and AVX2 on x86-64
// (per-function target attributes, chosen at run time: no special compiler flags) and NEON on
// AArch64. Every kernel gives the bits of the portable loop.
#ifndef KMEANS_SIMD_H
#define KMEANS_SIMD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 3 on AArch64 (NEON), 2 when the CPU and OS support AVX-512F, 1 for AVX2 with FMA, 0
/// otherwise.
int kmeans_simd_level(void);

/// Centers per panel for `level` (16 for AVX-512, 8 for AVX2 and the portable loop, 4 for NEON).
int kmeans_simd_panel_width(int level);

/// Packs `k` centers of dimension `d` (row-major) into panels of `width` centers, each stored
/// dimension-major (`d × width`), zero-padded; `packed_norms` gets the norms padded with +inf.
/// `packed` holds ceil(k / width) · d · width floats, `packed_norms` ceil(k / width) · width.
void kmeans_simd_pack_f32(const float *centers, const float *norms, int k, int d, int width,
                          float *packed, float *packed_norms);

/// For each of `n` rows of `points` (row-major, dimension `d`): the first center minimising
/// norms[c] − 2·x·c over the packed centers, computed with fused multiply-adds in registers.
/// With `second`, also the smallest norms[c] − 2·x·c over the other centers (the runner-up).
void kmeans_simd_assign_f32(int level, const float *points, long n, int d, const float *packed,
                            const float *packed_norms, int k, int32_t *labels, float *second);

/// 1 when the CPU supports F16C (vcvtph2ps) and AVX2, else 0.
int kmeans_simd_has_f16c(void);

/// The element codes of kmeans_widen_f32 and kmeans_widen_f64.
#define KMEANS_ELEMENT_FLOAT16 0  // IEEE binary16
#define KMEANS_ELEMENT_BFLOAT16 1 // the upper half of a float
#define KMEANS_ELEMENT_UINT8 2
#define KMEANS_ELEMENT_INT8 3

/// Widens `count` compact elements at `source` (little-endian, packed) to floats, `element`
/// one of the KMEANS_ELEMENT_ codes. Exact (each such
/// value is a float); a NaN comes out quiet with its payload. AVX-512 at `level` 2, AVX2 with
/// F16C at `level` 1 (where the CPU has F16C), else a portable loop: the same bits.
void kmeans_widen_f32(int level, int element, const void *source, long count, float *target);
/// kmeans_widen_f32 to doubles.
void kmeans_widen_f64(int level, int element, const void *source, long count, double *target);

#ifdef __cplusplus
}
#endif


#ifdef __cplusplus
extern "C" {
#endif

/// The values norms[c] − 2·x·c of one row `x` against the `count` packed panels listed in
/// `panels` (panel indices), into values[i·width + lane]: each lane the same fused multiply-adds
/// in the same order as kmeans_simd_assign_f32, so the same bits (Yinyang's group filter).
void kmeans_simd_panel_values_f32(int level, const float *x, int d, const float *packed,
                                  const float *packed_norms, const int32_t *panels, int count,
                                  float *values);
void kmeans_simd_panel_values_f64(int level, const double *x, int d, const double *packed,
                                  const double *packed_norms, const int32_t *panels, int count,
                                  double *values);

/// The values norms[c] − 2·x·c of `n` rows against all `panels` packed panels, into
/// values[row · panels · width + panel · width + lane]; each lane the same bits as
/// kmeans_simd_assign_f32 (Yinyang's rows whose filters mostly fail).
void kmeans_simd_block_values_f32(int level, const float *points, long n, int d,
                                  const float *packed, const float *packed_norms, int panels,
                                  float *values);
void kmeans_simd_block_values_f64(int level, const double *points, long n, int d,
                                  const double *packed, const double *packed_norms, int panels,
                                  double *values);

/// Dot products x·c of `n` rows against `m` centers (row-major, `m × d`), into
/// dots[row · m + center]: two rows × six centers at a time, the centers read as rows (no
/// packing). For k-means++'s few candidates a step, where panels of 8 or 16 would be mostly
/// padding. Level 0 runs a portable loop; AVX-512 machines run the AVX2 code.
void kmeans_simd_dots_f32(int level, const float *points, long n, int d, const float *centers,
                          int m, float *dots);
void kmeans_simd_dots_f64(int level, const double *points, long n, int d,
                          const double *centers, int m, double *dots);

/// Double versions: panels of 8 centers for AVX-512, 4 for AVX2 and the portable loop, 2 for
/// NEON.
int kmeans_simd_panel_width_f64(int level);
void kmeans_simd_pack_f64(const double *centers, const double *norms, int k, int d, int width,
                          double *packed, double *packed_norms);
void kmeans_simd_assign_f64(int level, const double *points, long n, int d,
                            const double *packed, const double *packed_norms, int k,
                            int32_t *labels, double *second);

/// The distance of each row of `points` (rows × d) to its center `centers[labels[row]]`, as
/// the Swift engine's `VectorKernels` computes it: eight lanes over the first multiple of 8
/// columns summed in order, the lanes added from 0, then the other columns; each term
/// (xⱼ − cⱼ)², or for `cosine` xⱼ·cⱼ and then max(0, 1 − x·c). The same bits at every level.
void kmeans_simd_label_distances_f32(int level, const float *points, long rows, int d,
                                     const float *centers, const int32_t *labels, int cosine,
                                     float *distances);

/// kmeans_simd_assign_f32 (labels, and the runner-ups where `second` is not NULL) followed by
/// kmeans_simd_label_distances_f32 (the winners' distances to `centers`, the unpacked
/// centers), a few rows at a time so the rows are read from memory once. The same bits as the
/// two calls.
void kmeans_simd_assign_distances_f32(int level, const float *points, long n, int d,
                                      const float *packed, const float *packed_norms, int k,
                                      const float *centers, int cosine, int32_t *labels,
                                      float *distances, float *second);

/// Adds each row whose label lies in [lower, upper) into `sums` (double, k × d), `counts` and
/// `weight_totals`, in row order (times `weights[row]` when `weights` is not NULL). The same
/// element-wise additions as a scalar loop, eight, four or two doubles at a time.
void kmeans_simd_accumulate_f32(int level, const float *points, long rows, int d,
                                const int32_t *labels, const double *weights, int lower,
                                int upper, double *sums, long *counts, double *weight_totals);

/// 1 when none of `count` values is NaN or ±∞ (an exponent field of all ones), else 0:
/// 64 floats (32 doubles) a step with AVX-512, 32 (16) with AVX2.
int kmeans_simd_all_finite_f32(int level, const float *values, long count);
int kmeans_simd_all_finite_f64(int level, const double *values, long count);

/// 1 when the CPU and OS support AVX512_BF16 (vdpbf16ps) besides AVX-512F, else 0.
int kmeans_simd_has_bf16(void);

/// The floats of scratch kmeans_simd_assign_bf16_f32 needs for dimension `d` and `k` centers.
long kmeans_bf16_scratch_floats(int d, int k);

/// The labels of kmeans_simd_assign_f32 (no runner-up), bit for bit, screened with bfloat16
/// products: each row's winner over bfloat16 values is kept where the margin to its runner-up
/// exceeds a proven bound on the bfloat16 error; the other rows are assigned again by
/// kmeans_simd_assign_f32(level, …, packed, packed_norms, …). `centers` are the k × d centers
/// row-major, `norms` their ‖c‖² (NULL for zeros: cosine on unit rows); `packed` and
/// `packed_norms` the same centers packed for `level`. The bfloat16 pass runs vdpbf16ps where
/// the CPU has it and `emulate` is 0, else a portable emulation of it (same bound, same
/// labels). With `distances`, each row's distance to its center as the Swift engine computes
/// it (VectorKernels: ‖x − c‖² from the differences, or max(0, 1 − x·c) when `norms` is NULL),
/// while the rows are in cache. `scratch` holds kmeans_bf16_scratch_floats(d, k) floats.
/// Where more than a quarter of the first 512 or more rows needed float32, the call's other
/// rows go to kmeans_simd_assign_f32 directly. Returns the number of rows labelled in float32.
long kmeans_simd_assign_bf16_f32(int level, int emulate, const float *points, long n, int d,
                                 const float *centers, const float *norms, int k,
                                 const float *packed, const float *packed_norms,
                                 int32_t *labels, float *distances, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
