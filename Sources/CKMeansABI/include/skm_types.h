// The types of the swift-kmeans C ABI (see ../swift_kmeans.h for the functions and the
// conventions). Swift's KMeansC target implements the functions over these types.
#ifndef SKM_TYPES_H
#define SKM_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The result of every call.
typedef enum {
  SKM_OK = 0,
  /// Bad input or configuration; `error` says what and where.
  SKM_ERROR = 1,
  /// The cancellation flag was raised; outputs are unspecified.
  SKM_CANCELLED = 2,
} skm_status;

/// The element type of the `void *` arrays of a call.
enum { SKM_FLOAT32 = 0, SKM_FLOAT64 = 1 };

/// Seedings (`skm_config.init_method`).
enum {
  SKM_INIT_KMEANS_PLUS_PLUS = 0,
  SKM_INIT_RANDOM = 1,
  SKM_INIT_CENTERS = 2,
  SKM_INIT_KMC2 = 3,
  SKM_INIT_AFKMC2 = 4,
  SKM_INIT_KMEANS_PARALLEL = 5,
  SKM_INIT_RANDOM_WITH_REPLACEMENT = 6,
};

/// Distances (`skm_config.metric`).
enum { SKM_METRIC_SQUARED_EUCLIDEAN = 0, SKM_METRIC_COSINE = 1 };

/// How full-batch Lloyd finds nearest centers (`skm_config.algorithm`); all give Lloyd's bits.
enum {
  SKM_ALGORITHM_LLOYD = 0,
  SKM_ALGORITHM_HAMERLY = 1,
  SKM_ALGORITHM_YINYANG = 2,
  SKM_ALGORITHM_AUTOMATIC = 3,
};

/// Why a run stopped (`skm_fit_result.stop_reason`).
enum {
  SKM_STOP_LABELS_UNCHANGED = 0,
  SKM_STOP_CENTER_SHIFT_TOLERANCE = 1,
  SKM_STOP_RELATIVE_LOSS_TOLERANCE = 2,
  SKM_STOP_MAX_ITERATIONS = 3,
  SKM_STOP_NO_IMPROVEMENT = 4,
  SKM_STOP_CANCELLED = 5,
};

/// Rows to cluster: dense (`indptr == NULL`: `rows × columns` values) or CSR (`indptr` has
/// `rows + 1` offsets into `indices` and `values`, which hold `nnz` entries).
typedef struct {
  int32_t dtype;
  int64_t rows;
  int64_t columns;
  const void *values;
  const int64_t *indptr;
  const int32_t *indices;
  int64_t nnz;
  /// One sample weight per row (finite, >= 0), or NULL for 1 each.
  const double *weights;
} skm_data;

/// Every training setting. Fields at zero take the engine's default where one is named.
typedef struct {
  int64_t n_clusters;
  int32_t init_method;
  int32_t metric;
  int32_t algorithm;
  /// Non-zero: TensorFlow's behaviour where swift-kmeans differs (empty clusters, random).
  int32_t tf_compat;
  int64_t max_iter;
  /// Center-shift tolerance relative to the mean feature variance; < 0: the mode's default.
  double tol;
  /// TensorFlow's relative loss tolerance; < 0: off.
  double relative_tol;
  int64_t n_init;
  uint64_t seed;
  /// Worker threads; 0: one per core. At most 4,096.
  int64_t n_threads;
  /// k-means++ candidates per center; 0: 2 + ln k. At most 65,536.
  int64_t n_local_trials;
  /// k-MC² and AFK-MC² chain length; 0: 200.
  int64_t chain_length;
  /// k-means|| rounds (0: 5) and oversampling (<= 0: 2k).
  int64_t parallel_rounds;
  double parallel_oversampling;
  /// The first this-many given centers stay fixed.
  int64_t n_frozen;
  /// Train on at most this many rows per center (0: every row).
  int64_t max_points_per_center;
  /// Seeding sample rows: 0 automatic, -1 every row.
  int64_t seeding_sample;
  /// `n_clusters × columns` centers when `init_method == SKM_INIT_CENTERS`, else NULL.
  const double *init_centers;
  /// Non-zero: mini-batch training with the settings below.
  int32_t mini_batch;
  int64_t batch_size;
  int64_t steps_per_iteration;
  /// Mini-batch: the smoothed loss may fail to improve this many steps; < 0: no limit.
  int64_t max_no_improvement;
  /// Mini-batch: seeding rows; 0: the engine's default.
  int64_t init_size;
  double reassignment_ratio;
} skm_config;

/// Called after every iteration (mini-batch: every step) on the calling thread.
typedef void (*skm_progress_fn)(void *context, int64_t iteration, double loss,
                                double center_shift, int64_t changed_labels, int64_t rows);

/// Progress and cancellation; any field may be NULL.
typedef struct {
  skm_progress_fn progress;
  void *context;
  /// Polled after every iteration or step; non-zero stops the run with SKM_CANCELLED.
  const volatile int32_t *cancel;
} skm_observer;

/// What a fit writes. `centers` (`n_clusters × columns`, dtype) and `labels` (`rows`) are
/// caller-owned; `labels` may be NULL.
typedef struct {
  void *centers;
  int64_t *labels;
  double inertia;
  int64_t n_iter;
  int32_t stop_reason;
} skm_fit_result;

/// The state of online mini-batch training between calls of `skm_partial_fit`.
typedef struct {
  /// `n_clusters × columns` centers (dtype), read and written.
  void *centers;
  /// The running weight of each center, read and written.
  double *weight_totals;
  /// Steps taken, read and written.
  int64_t steps;
  /// Rows seen since starved centers were last checked, and centers reassigned so far.
  int64_t rows_since_reassignment;
  int64_t reassigned_centers;
} skm_online_state;

/// A model directory in TensorFlow's layout (V2 checkpoints, `checkpoint` state file),
/// trained by `skm_estimator_train` as `kmeans train --model-dir` and TensorFlow's `KMeans`
/// estimator train it.
typedef struct {
  /// The directory (created when missing), NUL-terminated UTF-8.
  const char *model_dir;
  /// A checkpoint every this many steps; 0: 100; < 0: only at the end.
  int64_t checkpoint_every_steps;
  /// Checkpoints kept; 0: 5.
  int64_t keep_checkpoints;
  /// The names of the data's columns (recorded with the model), or NULL.
  const char *const *feature_names;
  int64_t feature_count;
} skm_estimator;

#ifdef __cplusplus
}
#endif

#endif
