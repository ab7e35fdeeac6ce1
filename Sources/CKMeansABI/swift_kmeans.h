// The C ABI of swift-kmeans: plain functions over pointers, lengths and numbers, exported by
// the dynamic library `libSwiftKMeans` (product `SwiftKMeans`). The Python package
// `swift_kmeans` calls it through ctypes; any language with a C FFI can.
//
// Conventions:
// - Every function returns an `skm_status`. On `SKM_ERROR` a NUL-terminated message that says
//   what was wrong (and where: row, column, file) is written to `error` (at most `capacity`
//   bytes, truncated). No Swift trap is reachable through these functions with arguments that
//   satisfy the documented shapes; shapes themselves are checked where the ABI can see them.
// - Arrays are C-contiguous (row-major) and read in place; the caller keeps them alive and
//   unchanged for the length of the call. Outputs are written to caller-owned buffers.
// - `dtype` selects `float` (SKM_FLOAT32) or `double` (SKM_FLOAT64) for every `void *` array
//   of a call; weights and given centers are always `double`.
// - Calls are independent and thread-safe; the engine uses `n_threads` worker threads and
//   gives the same bits for any count.
#ifndef SWIFT_KMEANS_H
#define SWIFT_KMEANS_H

#include "include/skm_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The library's version, e.g. "1.0.0".
const char *skm_version(void);

/// Trains (full batch, or mini-batch when `config->mini_batch`) and writes the winning run.
skm_status skm_fit(const skm_data *data, const skm_config *config, const skm_observer *observer,
                   skm_fit_result *result, char *error, int64_t capacity);

/// The nearest of `k` centers (`k × data->columns`, dtype) for each row, under `metric`.
/// Any output may be NULL: `labels` (rows), `distances` (rows, dtype: the distance to the
/// nearest center, squared Euclidean or 1 − cos), `all_distances` (`rows × k`, dtype),
/// `score` (Σ weight · distance).
skm_status skm_assign(const skm_data *data, const void *centers, int64_t k, int32_t metric,
                      int64_t n_threads, int64_t *labels, void *distances, void *all_distances,
                      double *score, char *error, int64_t capacity);

/// Seeds `config->n_clusters` centers from dense rows with `config->init_method` (k-means++ and the
/// random seedings): writes the centers (dtype) and the row each came from.
skm_status skm_seed(const skm_data *data, const skm_config *config, void *centers,
                    int64_t *indices, char *error, int64_t capacity);

/// One mini-batch step on `data` from `state` (initialized centers), followed by the
/// reassignment of starved centers; `labels` (rows) may be NULL, `loss` gets the batch loss.
skm_status skm_partial_fit(const skm_data *data, const skm_config *config,
                           skm_online_state *state, int64_t *labels, double *loss, char *error,
                           int64_t capacity);

/// Bisecting k-means. The tree has at most `2 · n_clusters − 1` nodes; the call writes
/// `*node_count` nodes: `node_centers` (node_count × columns, dtype), `children` (2 per
/// node, −1 for a leaf), `leaf_labels` (the cluster of a leaf, −1 for an inner node),
/// `node_inertia`, the leaves' `centers` (n_clusters × columns, dtype) and `labels`.
/// `strategy`: 0 biggest inertia, 1 largest cluster.
skm_status skm_bisect(const skm_data *data, const skm_config *config, int32_t strategy,
                      void *node_centers, int64_t *children, int64_t *leaf_labels,
                      double *node_inertia, int64_t *node_count, void *centers, int64_t *labels,
                      double *inertia, char *error, int64_t capacity);

/// The leaf each dense row reaches in a bisecting tree written by `skm_bisect`.
skm_status skm_bisect_predict(const skm_data *data, int32_t metric, const void *node_centers,
                              const int64_t *children, const int64_t *leaf_labels,
                              int64_t node_count, int64_t *labels, char *error, int64_t capacity);

/// Trains in a model directory from its latest checkpoint (or from scratch): `steps` more
/// steps, or up to global step `max_steps` (give one, > 0), or until a stopping rule of the
/// configuration holds. The directory's metric, dtype, k, dimension and mini-batch settings
/// must agree with the call's. Writes the global step reached and the stop reason (−1 when the
/// step budget ended training). A cancelled run checkpoints and returns SKM_CANCELLED.
skm_status skm_estimator_train(const skm_estimator *estimator, const skm_data *data,
                               const skm_config *config, int64_t steps, int64_t max_steps,
                               const skm_observer *observer, int64_t *global_step,
                               int32_t *stop_reason, char *error, int64_t capacity);

/// The latest model of a directory: writes its dtype, k, dimension, global step and metric;
/// with `centers` (room for `capacity_values` values of that dtype), the centers too.
skm_status skm_estimator_model(const char *model_dir, int32_t *dtype, int64_t *k,
                               int64_t *dimension, int64_t *global_step, int32_t *metric,
                               void *centers, int64_t capacity_values, char *error,
                               int64_t capacity);

/// Exports the latest model of a directory as a TensorFlow SavedModel directory (`saved_model`,
/// with the estimator's signatures; an existing non-empty one is refused unless `overwrite`)
/// and/or an ONNX file (`onnx`); either path may be NULL, not both.
skm_status skm_export(const char *model_dir, const char *saved_model, const char *onnx,
                      int32_t overwrite, char *error, int64_t capacity);

#ifdef __cplusplus
}
#endif

#endif
