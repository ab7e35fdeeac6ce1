"""The engine's C ABI (``_lib/swift_kmeans.h``) through ctypes.

ctypes releases the GIL for the length of every foreign call, so other Python threads run
while the engine works. Long calls run on a worker thread while the calling (main) thread
waits in short slices: Ctrl-C there raises the cancellation flag the engine polls after every
iteration, the worker returns, and ``KeyboardInterrupt`` is raised to the caller.
"""

from __future__ import annotations

import ctypes
import os
import threading

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))

FLOAT32, FLOAT64 = 0, 1
OK, ERROR, CANCELLED = 0, 1, 2

INIT = {
    "k-means++": 0,
    "random": 1,
    "centers": 2,
    "k-mc2": 3,
    "afk-mc2": 4,
    "k-means||": 5,
    "random-with-replacement": 6,
}
METRIC = {"sqeuclidean": 0, "euclidean": 0, "cosine": 1}
ALGORITHM = {"plain": 0, "hamerly": 1, "yinyang": 2, "auto": 3}
STOP_REASONS = (
    "labels unchanged",
    "center shift within tolerance",
    "relative loss change within tolerance",
    "maximum iterations reached",
    "no improvement of the smoothed batch loss",
    "cancelled",
)

_int64_p = ctypes.POINTER(ctypes.c_int64)
_int32_p = ctypes.POINTER(ctypes.c_int32)
_double_p = ctypes.POINTER(ctypes.c_double)


class Data(ctypes.Structure):
    _fields_ = [
        ("dtype", ctypes.c_int32),
        ("rows", ctypes.c_int64),
        ("columns", ctypes.c_int64),
        ("values", ctypes.c_void_p),
        ("indptr", _int64_p),
        ("indices", _int32_p),
        ("nnz", ctypes.c_int64),
        ("weights", _double_p),
    ]


class Config(ctypes.Structure):
    _fields_ = [
        ("n_clusters", ctypes.c_int64),
        ("init_method", ctypes.c_int32),
        ("metric", ctypes.c_int32),
        ("algorithm", ctypes.c_int32),
        ("tf_compat", ctypes.c_int32),
        ("max_iter", ctypes.c_int64),
        ("tol", ctypes.c_double),
        ("relative_tol", ctypes.c_double),
        ("n_init", ctypes.c_int64),
        ("seed", ctypes.c_uint64),
        ("n_threads", ctypes.c_int64),
        ("n_local_trials", ctypes.c_int64),
        ("chain_length", ctypes.c_int64),
        ("parallel_rounds", ctypes.c_int64),
        ("parallel_oversampling", ctypes.c_double),
        ("n_frozen", ctypes.c_int64),
        ("max_points_per_center", ctypes.c_int64),
        ("seeding_sample", ctypes.c_int64),
        ("init_centers", _double_p),
        ("mini_batch", ctypes.c_int32),
        ("batch_size", ctypes.c_int64),
        ("steps_per_iteration", ctypes.c_int64),
        ("max_no_improvement", ctypes.c_int64),
        ("init_size", ctypes.c_int64),
        ("reassignment_ratio", ctypes.c_double),
    ]


PROGRESS = ctypes.CFUNCTYPE(
    None,
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_double,
    ctypes.c_double,
    ctypes.c_int64,
    ctypes.c_int64,
)


class Observer(ctypes.Structure):
    _fields_ = [
        ("progress", PROGRESS),
        ("context", ctypes.c_void_p),
        ("cancel", _int32_p),
    ]


class FitResult(ctypes.Structure):
    _fields_ = [
        ("centers", ctypes.c_void_p),
        ("labels", _int64_p),
        ("inertia", ctypes.c_double),
        ("n_iter", ctypes.c_int64),
        ("stop_reason", ctypes.c_int32),
    ]


class OnlineState(ctypes.Structure):
    _fields_ = [
        ("centers", ctypes.c_void_p),
        ("weight_totals", _double_p),
        ("steps", ctypes.c_int64),
        ("rows_since_reassignment", ctypes.c_int64),
        ("reassigned_centers", ctypes.c_int64),
    ]


def _load():
    override = os.environ.get("SWIFT_KMEANS_LIBRARY")
    if override:
        return ctypes.CDLL(override)
    folder = os.path.join(_HERE, "_lib")
    manifest = os.path.join(folder, "libraries.txt")
    if not os.path.exists(manifest):
        raise ImportError(
            f"swift_kmeans: the engine is missing ({manifest}); install the package with "
            "`pip install .` from a checkout, or set SWIFT_KMEANS_LIBRARY to libSwiftKMeans.so"
        )
    with open(manifest, encoding="utf-8") as file:
        names = [line.strip() for line in file if line.strip()]
    handles = [ctypes.CDLL(os.path.join(folder, name)) for name in names]
    return handles[-1]


_lib = _load()


def _declare(name, *arguments):
    """Every ABI call returns an ``skm_status`` and ends with an error buffer and its size."""
    function = getattr(_lib, name)
    function.restype = ctypes.c_int32
    function.argtypes = [*arguments, ctypes.c_char_p, ctypes.c_int64]


_char_p = ctypes.c_char_p
_lib.skm_version.restype = ctypes.c_char_p
_lib.skm_version.argtypes = []
_declare(
    "skm_fit",
    ctypes.POINTER(Data),
    ctypes.POINTER(Config),
    ctypes.POINTER(Observer),
    ctypes.POINTER(FitResult),
)
_declare(
    "skm_assign",
    ctypes.POINTER(Data),
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_int32,
    ctypes.c_int64,
    _int64_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    _double_p,
)
_declare(
    "skm_seed",
    ctypes.POINTER(Data),
    ctypes.POINTER(Config),
    ctypes.c_void_p,
    _int64_p,
)
_declare(
    "skm_partial_fit",
    ctypes.POINTER(Data),
    ctypes.POINTER(Config),
    ctypes.POINTER(OnlineState),
    _int64_p,
    _double_p,
)
_declare(
    "skm_bisect",
    ctypes.POINTER(Data),
    ctypes.POINTER(Config),
    ctypes.c_int32,
    ctypes.c_void_p,
    _int64_p,
    _int64_p,
    _double_p,
    _int64_p,
    ctypes.c_void_p,
    _int64_p,
    _double_p,
)
_declare(
    "skm_bisect_predict",
    ctypes.POINTER(Data),
    ctypes.c_int32,
    ctypes.c_void_p,
    _int64_p,
    _int64_p,
    ctypes.c_int64,
    _int64_p,
)


class Estimator(ctypes.Structure):
    _fields_ = [
        ("model_dir", ctypes.c_char_p),
        ("checkpoint_every_steps", ctypes.c_int64),
        ("keep_checkpoints", ctypes.c_int64),
        ("feature_names", ctypes.POINTER(ctypes.c_char_p)),
        ("feature_count", ctypes.c_int64),
    ]


_declare(
    "skm_estimator_train",
    ctypes.POINTER(Estimator),
    ctypes.POINTER(Data),
    ctypes.POINTER(Config),
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.POINTER(Observer),
    _int64_p,
    _int32_p,
)
_declare(
    "skm_estimator_model",
    ctypes.c_char_p,
    _int32_p,
    _int64_p,
    _int64_p,
    _int64_p,
    _int32_p,
    ctypes.c_void_p,
    ctypes.c_int64,
)

_declare("skm_export", ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32)

version = _lib.skm_version().decode()


def _pointer(array, kind):
    return None if array is None else array.ctypes.data_as(kind)


class Rows:
    """A C-contiguous float32/float64 array or CSR matrix as an ``skm_data``; keeps every
    array it points into alive for as long as the value lives."""

    def __init__(self, X, sample_weight=None):
        self._keep = [X]
        self.dtype = X.dtype
        code = FLOAT32 if X.dtype == np.float32 else FLOAT64
        weights = None
        if sample_weight is not None:
            weights = np.ascontiguousarray(sample_weight, dtype=np.float64)
            self._keep.append(weights)
        if hasattr(X, "indptr"):
            indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
            indices = np.ascontiguousarray(X.indices, dtype=np.int32)
            values = np.ascontiguousarray(X.data)
            self._keep += [indptr, indices, values]
            self.data = Data(
                code,
                X.shape[0],
                X.shape[1],
                values.ctypes.data,
                _pointer(indptr, _int64_p),
                _pointer(indices, _int32_p),
                values.shape[0],
                _pointer(weights, _double_p),
            )
        else:
            if not X.flags.c_contiguous or X.dtype not in (np.float32, np.float64):
                raise AssertionError("the engine takes C-contiguous float32/float64 rows")
            self.data = Data(
                code,
                X.shape[0],
                X.shape[1],
                X.ctypes.data if X.size else None,
                None,
                None,
                0,
                _pointer(weights, _double_p),
            )


class EngineError(ValueError):
    """An error the engine reported: bad input or settings (a ``ValueError``)."""


def _error_buffer():
    return ctypes.create_string_buffer(4096)


def _check(status, buffer):
    if status == OK:
        return
    if status == CANCELLED:
        raise KeyboardInterrupt
    raise EngineError(buffer.value.decode("utf-8", "replace"))


def _run_interruptible(call, cancel):
    """Runs ``call()`` (a foreign call that polls ``cancel``) so that Ctrl-C in the main thread
    raises the flag, waits for the engine to stop, and raises ``KeyboardInterrupt``."""
    if threading.current_thread() is not threading.main_thread():
        return call()
    outcome = {}
    finished = threading.Event()

    def work():
        try:
            outcome["value"] = call()
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="swift-kmeans", daemon=True)
    worker.start()
    interrupted = False
    # Wait on an event, not on join: a join interrupted by Ctrl-C can leave the thread listed.
    while not finished.is_set():
        try:
            finished.wait(0.05)
        except KeyboardInterrupt:
            cancel.value = 1
            interrupted = True
    worker.join()
    if interrupted:
        raise KeyboardInterrupt
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def fit(rows, config, n_clusters, progress=None):
    """Trains; returns (centers, labels, inertia, n_iter, stop reason)."""
    n, d = rows.data.rows, rows.data.columns
    centers = np.empty((n_clusters, d), dtype=rows.dtype)
    labels = np.empty(n, dtype=np.int64)
    result = FitResult(centers.ctypes.data, labels.ctypes.data_as(_int64_p), 0.0, 0, 0)
    cancel = ctypes.c_int32(0)
    callback = PROGRESS(progress) if progress is not None else PROGRESS()
    observer = Observer(callback, None, ctypes.pointer(cancel))
    buffer = _error_buffer()

    def call():
        return _lib.skm_fit(
            ctypes.byref(rows.data),
            ctypes.byref(config),
            ctypes.byref(observer),
            ctypes.byref(result),
            buffer,
            len(buffer),
        )

    _check(_run_interruptible(call, cancel), buffer)
    return centers, labels, result.inertia, result.n_iter, STOP_REASONS[result.stop_reason]


def assign(
    rows,
    centers,
    metric,
    n_threads=0,
    labels=False,
    distances=False,
    all_distances=False,
    score=False,
):
    """Nearest centers; returns the requested outputs as a dict."""
    n = rows.data.rows
    centers = np.ascontiguousarray(centers, dtype=rows.dtype)
    k = centers.shape[0]
    out = {}
    label_buffer = np.empty(n, dtype=np.int64) if labels else None
    distance_buffer = np.empty(n, dtype=rows.dtype) if distances else None
    all_buffer = np.empty((n, k), dtype=rows.dtype) if all_distances else None
    score_value = ctypes.c_double(0.0)
    buffer = _error_buffer()
    status = _lib.skm_assign(
        ctypes.byref(rows.data),
        centers.ctypes.data,
        k,
        METRIC[metric],
        n_threads,
        _pointer(label_buffer, _int64_p),
        None if distance_buffer is None else distance_buffer.ctypes.data,
        None if all_buffer is None else all_buffer.ctypes.data,
        ctypes.byref(score_value) if score else None,
        buffer,
        len(buffer),
    )
    _check(status, buffer)
    if labels:
        out["labels"] = label_buffer
    if distances:
        out["distances"] = distance_buffer
    if all_distances:
        out["all_distances"] = all_buffer
    if score:
        out["score"] = score_value.value
    return out


def seed(rows, config, n_clusters):
    """Initial centers alone; returns (centers, indices)."""
    centers = np.empty((n_clusters, rows.data.columns), dtype=rows.dtype)
    indices = np.empty(n_clusters, dtype=np.int64)
    buffer = _error_buffer()
    status = _lib.skm_seed(
        ctypes.byref(rows.data),
        ctypes.byref(config),
        centers.ctypes.data,
        indices.ctypes.data_as(_int64_p),
        buffer,
        len(buffer),
    )
    _check(status, buffer)
    return centers, indices


def partial_fit(rows, config, centers, weight_totals, counters):
    """One online mini-batch step, updating ``centers`` and ``weight_totals`` in place;
    returns (labels of the batch, loss, counters)."""
    steps, since, reassigned = counters
    state = OnlineState(
        centers.ctypes.data, weight_totals.ctypes.data_as(_double_p), steps, since, reassigned
    )
    labels = np.empty(rows.data.rows, dtype=np.int64)
    loss = ctypes.c_double(0.0)
    buffer = _error_buffer()
    status = _lib.skm_partial_fit(
        ctypes.byref(rows.data),
        ctypes.byref(config),
        ctypes.byref(state),
        labels.ctypes.data_as(_int64_p),
        ctypes.byref(loss),
        buffer,
        len(buffer),
    )
    _check(status, buffer)
    return (
        labels,
        loss.value,
        (state.steps, state.rows_since_reassignment, state.reassigned_centers),
    )


def bisect(rows, config, strategy, n_clusters):
    """Bisecting k-means; returns (tree, centers, labels, inertia)."""
    d = rows.data.columns
    capacity = 2 * n_clusters - 1
    node_centers = np.empty((capacity, d), dtype=rows.dtype)
    children = np.empty((capacity, 2), dtype=np.int64)
    leaf_labels = np.empty(capacity, dtype=np.int64)
    node_inertia = np.empty(capacity, dtype=np.float64)
    node_count = ctypes.c_int64(0)
    centers = np.empty((n_clusters, d), dtype=rows.dtype)
    labels = np.empty(rows.data.rows, dtype=np.int64)
    inertia = ctypes.c_double(0.0)
    buffer = _error_buffer()
    status = _lib.skm_bisect(
        ctypes.byref(rows.data),
        ctypes.byref(config),
        strategy,
        node_centers.ctypes.data,
        children.ctypes.data_as(_int64_p),
        leaf_labels.ctypes.data_as(_int64_p),
        node_inertia.ctypes.data_as(_double_p),
        ctypes.byref(node_count),
        centers.ctypes.data,
        labels.ctypes.data_as(_int64_p),
        ctypes.byref(inertia),
        buffer,
        len(buffer),
    )
    _check(status, buffer)
    m = node_count.value
    tree = {
        "centers": node_centers[:m].copy(),
        "children": children[:m].copy(),
        "leaf_labels": leaf_labels[:m].copy(),
        "inertia": node_inertia[:m].copy(),
    }
    return tree, centers, labels, inertia.value


def bisect_predict(rows, metric, tree):
    """The leaf of each row in a tree from ``bisect``."""
    node_centers = np.ascontiguousarray(tree["centers"], dtype=rows.dtype)
    children = np.ascontiguousarray(tree["children"], dtype=np.int64)
    leaf_labels = np.ascontiguousarray(tree["leaf_labels"], dtype=np.int64)
    labels = np.empty(rows.data.rows, dtype=np.int64)
    buffer = _error_buffer()
    status = _lib.skm_bisect_predict(
        ctypes.byref(rows.data),
        METRIC[metric],
        node_centers.ctypes.data,
        children.ctypes.data_as(_int64_p),
        leaf_labels.ctypes.data_as(_int64_p),
        node_centers.shape[0],
        labels.ctypes.data_as(_int64_p),
        buffer,
        len(buffer),
    )
    _check(status, buffer)
    return labels


def estimator_train(
    model_dir,
    rows,
    config,
    steps,
    max_steps,
    feature_names=None,
    checkpoint_every=0,
    keep_checkpoints=0,
    progress=None,
):
    """Trains in a model directory; returns (global step, stop reason or None)."""
    names = None
    if feature_names:
        names = (ctypes.c_char_p * len(feature_names))(*[n.encode() for n in feature_names])
    estimator = Estimator(
        os.fsencode(model_dir),
        checkpoint_every,
        keep_checkpoints,
        ctypes.cast(names, ctypes.POINTER(ctypes.c_char_p)) if names else None,
        len(feature_names or ()),
    )
    cancel = ctypes.c_int32(0)
    callback = PROGRESS(progress) if progress is not None else PROGRESS()
    observer = Observer(callback, None, ctypes.pointer(cancel))
    step = ctypes.c_int64(0)
    reason = ctypes.c_int32(-1)
    buffer = _error_buffer()

    def call():
        return _lib.skm_estimator_train(
            ctypes.byref(estimator),
            ctypes.byref(rows.data),
            ctypes.byref(config),
            steps or 0,
            max_steps or 0,
            ctypes.byref(observer),
            ctypes.byref(step),
            ctypes.byref(reason),
            buffer,
            len(buffer),
        )

    _check(_run_interruptible(call, cancel), buffer)
    return step.value, (STOP_REASONS[reason.value] if reason.value >= 0 else None)


def estimator_model(model_dir):
    """The latest model of a directory: (centers, metric name, global step)."""
    dtype, k, d, step, metric = (
        ctypes.c_int32(),
        ctypes.c_int64(),
        ctypes.c_int64(),
        ctypes.c_int64(),
        ctypes.c_int32(),
    )
    buffer = _error_buffer()
    path = os.fsencode(model_dir)
    arguments = (
        ctypes.byref(dtype),
        ctypes.byref(k),
        ctypes.byref(d),
        ctypes.byref(step),
        ctypes.byref(metric),
    )
    _check(_lib.skm_estimator_model(path, *arguments, None, 0, buffer, len(buffer)), buffer)
    centers = np.empty((k.value, d.value), dtype=np.float32 if dtype.value == 0 else np.float64)
    status = _lib.skm_estimator_model(
        path, *arguments, centers.ctypes.data, centers.size, buffer, len(buffer)
    )
    _check(status, buffer)
    return centers, ("cosine" if metric.value == 1 else "sqeuclidean"), step.value


def export(model_dir, saved_model=None, onnx=None, overwrite=False):
    """Exports a directory's latest model as a SavedModel directory and/or an ONNX file."""
    buffer = _error_buffer()
    status = _lib.skm_export(
        os.fsencode(model_dir),
        None if saved_model is None else os.fsencode(saved_model),
        None if onnx is None else os.fsencode(onnx),
        1 if overwrite else 0,
        buffer,
        len(buffer),
    )
    _check(status, buffer)
