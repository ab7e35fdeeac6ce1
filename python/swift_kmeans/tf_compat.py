"""A drop-in for TensorFlow's ``tf.compat.v1.estimator.experimental.KMeans``.

TensorFlow 2.16 removed ``tf.estimator``; this class keeps its constructor, its methods and
its model directories. Training runs the swift-kmeans engine through the same model-directory
code as ``kmeans train --model-dir``: it opens and continues directories TensorFlow 2.15's
estimator wrote (full batch and mini-batch), and TensorFlow continues the directories it
writes (V2 checkpoints with TensorFlow's variable names).

Migration, TensorFlow 2.15::

    import tensorflow as tf
    km = tf.compat.v1.estimator.experimental.KMeans(num_clusters=10, model_dir="runs/km",
                                                    use_mini_batch=False)
    km.train(lambda: tf.compat.v1.train.limit_epochs(tf.constant(X), num_epochs=1), steps=20)
    centers = km.cluster_centers()

swift-kmeans (one import changes; ``input_fn`` may return the array itself)::

    from swift_kmeans.tf_compat import KMeans
    km = KMeans(num_clusters=10, model_dir="runs/km", use_mini_batch=False)
    km.train(lambda: X, steps=20)
    centers = km.cluster_centers()
"""

from __future__ import annotations

import os
import re
import tempfile
import time

import numpy as np

from . import _native

__all__ = ["KMeans"]


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy"):  # a TensorFlow tensor (eager)
        return value.numpy()
    return np.asarray(value)


def _features(input_fn, feature_columns):
    """The rows ``input_fn`` gives, as a float matrix, and the feature names (for a dict)."""
    features = input_fn() if callable(input_fn) else input_fn
    if isinstance(features, tuple):  # (features, labels)
        features = features[0]
    if type(features).__name__.endswith("Dataset") and hasattr(features, "as_numpy_iterator"):
        batches = list(features.as_numpy_iterator())
        if not batches:
            raise ValueError("input_fn's dataset yielded no batch")
        if isinstance(batches[0], tuple):
            batches = [batch[0] for batch in batches]
        if isinstance(batches[0], dict):
            features = {name: np.concatenate([b[name] for b in batches]) for name in batches[0]}
        else:
            features = np.concatenate(batches)
    if isinstance(features, dict):
        names = _column_names(feature_columns) or sorted(features)
        missing = [name for name in names if name not in features]
        if missing:
            raise ValueError(
                f"no feature named {missing[0]!r} (the input has: {', '.join(sorted(features))})"
            )
        columns = [_to_numpy(features[name]) for name in names]
        n = len(columns[0])
        matrix = np.concatenate([np.reshape(c, (n, -1)) for c in columns], axis=1)
        widths = [int(np.prod(np.shape(c)[1:])) for c in columns]
        expanded = [
            name if width == 1 else f"{name}:{i}"
            for name, width in zip(names, widths)
            for i in range(width)
        ]
        return matrix, expanded
    matrix = _to_numpy(features)
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    return matrix, None


def _column_names(feature_columns):
    if not feature_columns:
        return None
    names = []
    for column in feature_columns:
        names.append(
            column if isinstance(column, str) else getattr(column, "key", None) or column.name
        )
    return names


class KMeans:
    """TensorFlow's k-means estimator on the swift-kmeans engine.

    Parameters
    ----------
    num_clusters : int
        The number of clusters (ignored in favour of the rows of ``initial_clusters`` when
        those are given as an array).
    model_dir : str, default=None
        The model directory; None makes a temporary one.
    initial_clusters : {'random', 'kmeans_plus_plus', 'kmc2'} or array, default='random'
        TensorFlow's seedings (``'random'`` draws rows with replacement, as TensorFlow does),
        or the centers. A callable is not supported.
    distance_metric : {'squared_euclidean', 'cosine'}, default='squared_euclidean'
    seed : int, default=None
        Seeds every random choice (None: 0, so runs repeat).
    use_mini_batch : bool, default=True
        TensorFlow's mini-batch rule, each step on the rows ``input_fn`` returns; False: full
        batch (one Lloyd iteration a step).
    mini_batch_steps_per_iteration : int, default=1
        TensorFlow's two copies of the centers when > 1.
    kmeans_plus_plus_num_retries : int, default=2
        Extra candidates per k-means++ center.
    relative_tolerance : float, default=None
        Stop when the loss changes by less than this fraction between steps.
    config : object, default=None
        A ``tf.estimator.RunConfig``-like object: ``save_checkpoints_steps`` and
        ``keep_checkpoint_max`` are honoured when present.
    feature_columns : list, default=None
        Feature names (strings or columns with ``key``) to take from a dict of features, in
        this order; None: every name, sorted, as TensorFlow.
    """

    RANDOM_INIT = "random"
    KMEANS_PLUS_PLUS_INIT = "kmeans_plus_plus"
    KMC2_INIT = "kmc2"
    SQUARED_EUCLIDEAN_DISTANCE = "squared_euclidean"
    COSINE_DISTANCE = "cosine"
    ALL_DISTANCES = "all_distances"
    CLUSTER_CENTERS_VAR_NAME = "clusters"
    CLUSTER_INDEX = "cluster_index"
    SCORE = "score"
    LOSS_OP_NAME = "kmeans_loss"

    def __init__(
        self,
        num_clusters,
        model_dir=None,
        initial_clusters=RANDOM_INIT,
        distance_metric=SQUARED_EUCLIDEAN_DISTANCE,
        seed=None,
        use_mini_batch=True,
        mini_batch_steps_per_iteration=1,
        kmeans_plus_plus_num_retries=2,
        relative_tolerance=None,
        config=None,
        feature_columns=None,
    ):
        if distance_metric not in (self.SQUARED_EUCLIDEAN_DISTANCE, self.COSINE_DISTANCE):
            raise ValueError(f"distance_metric={distance_metric!r} is not supported")
        if callable(initial_clusters):
            raise ValueError("a callable initial_clusters is not supported: pass the centers")
        self._num_clusters = int(num_clusters)
        self._model_dir = model_dir or tempfile.mkdtemp(prefix="swift-kmeans-")
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._seed = 0 if seed is None else int(seed)
        self._use_mini_batch = bool(use_mini_batch)
        self._steps_per_iteration = int(mini_batch_steps_per_iteration)
        self._retries = int(kmeans_plus_plus_num_retries)
        self._relative_tolerance = relative_tolerance
        self._config = config
        self._feature_columns = feature_columns

    @property
    def model_dir(self):
        """The model directory."""
        return self._model_dir

    # -- training ----------------------------------------------------------------------------

    def _engine_config(self, X):
        config = _native.Config()
        given = None
        init = self._initial_clusters
        if isinstance(init, str):
            names = {
                "random": "random-with-replacement",
                "kmeans_plus_plus": "k-means++",
                "kmc2": "k-mc2",
            }
            if init not in names:
                raise ValueError(f"initial_clusters={init!r} is not supported")
            config.init_method = _native.INIT[names[init]]
            config.n_local_trials = self._retries + 1 if init == "kmeans_plus_plus" else 0
            k = self._num_clusters
        else:
            given = np.ascontiguousarray(_to_numpy(init), dtype=np.float64)
            if given.ndim != 2 or given.shape[1] != X.shape[1]:
                raise ValueError(
                    f"initial_clusters has shape {given.shape}, the data {X.shape[1]} columns"
                )
            config.init_method = _native.INIT["centers"]
            config.init_centers = given.ctypes.data_as(_native._double_p)
            k = given.shape[0]
        config.n_clusters = k
        config.metric = _native.METRIC[
            "cosine" if self._distance_metric == self.COSINE_DISTANCE else "sqeuclidean"
        ]
        config.algorithm = _native.ALGORITHM["auto"]
        config.tf_compat = 1
        config.tol = 0.0
        config.relative_tol = (
            -1.0 if self._relative_tolerance is None else float(self._relative_tolerance)
        )
        config.seed = self._seed
        config.max_iter = 0
        if self._use_mini_batch:
            config.mini_batch = 1
            config.batch_size = X.shape[0]
            config.steps_per_iteration = self._steps_per_iteration
            config.max_no_improvement = -1
            config.reassignment_ratio = 0.0
            config.init_size = X.shape[0]
        return config, given

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains from the latest checkpoint: ``steps`` more steps, or up to global step
        ``max_steps``, or (neither given) until a stopping rule holds or 300 steps pass.

        ``input_fn`` returns the rows: a NumPy array, a dict of arrays (feature columns), a
        ``(features, labels)`` pair, or with TensorFlow installed a tensor or a
        ``tf.data.Dataset`` (read whole). Returns self.
        """
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        X, names = _features(input_fn, self._feature_columns)
        X = np.ascontiguousarray(X, dtype=np.float32 if X.dtype != np.float64 else np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"input_fn gave no rows (shape {X.shape})")
        if not np.all(np.isfinite(X)):
            raise ValueError("the input contains NaN or infinity")
        config, given = self._engine_config(X)
        every = getattr(self._config, "save_checkpoints_steps", None) or 0
        keep = getattr(self._config, "keep_checkpoint_max", None) or 0
        if steps is None and max_steps is None:
            steps = 300
        _native.estimator_train(
            self._model_dir,
            _native.Rows(X),
            config,
            steps,
            max_steps,
            feature_names=names,
            checkpoint_every=int(every),
            keep_checkpoints=int(keep),
            progress=self._progress(),
        )
        del given
        return self

    def _progress(self):
        """A per-step hook for the engine (none: TensorFlow's estimator logs through hooks)."""
        return None

    # -- the latest checkpoint -----------------------------------------------------------------

    def _model(self):
        return _native.estimator_model(self._model_dir)

    def cluster_centers(self):
        """The centers of the latest checkpoint."""
        return self._model()[0]

    def latest_checkpoint(self):
        """The path prefix of the latest checkpoint, or None."""
        state = os.path.join(self._model_dir, "checkpoint")
        if not os.path.exists(state):
            return None
        with open(state, encoding="utf-8") as file:
            match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', file.read(), re.M)
        if not match:
            return None
        path = match.group(1)
        return path if os.path.isabs(path) else os.path.join(self._model_dir, path)

    def get_variable_names(self):
        """The variables this class reads by name."""
        return ["clusters", "global_step"]

    def get_variable_value(self, name):
        """``clusters`` (the centers) or ``global_step`` of the latest checkpoint."""
        centers, _, step = self._model()
        if name == "clusters":
            return centers
        if name == "global_step":
            return np.int64(step)
        raise ValueError(f"variable {name!r} is not read here (readable: clusters, global_step)")

    def _assign(self, input_fn, model=None, **outputs):
        X, _ = _features(input_fn, self._feature_columns)
        centers, metric, _ = model or self._model()
        X = np.ascontiguousarray(X, dtype=centers.dtype)
        if X.ndim != 2 or X.shape[1] != centers.shape[1]:
            raise ValueError(
                f"the input has shape {X.shape}, the model {centers.shape[1]} features"
            )
        return _native.assign(_native.Rows(X), centers, metric, **outputs), metric

    def predict_cluster_index(self, input_fn):
        """Yields the index of the nearest center of each row."""
        out, _ = self._assign(input_fn, labels=True)
        yield from (int(label) for label in out["labels"])

    def transform(self, input_fn):
        """Yields, for each row, its distance to every center (Euclidean for squared
        Euclidean models, 1 − cos under cosine)."""
        yield from self._transform(input_fn)

    def _transform(self, input_fn):
        out, metric = self._assign(input_fn, all_distances=True)
        distances = out["all_distances"]
        if metric == "sqeuclidean":
            distances = np.sqrt(np.maximum(distances, 0))
        return distances

    def predict(self, input_fn, predict_keys=None):
        """Yields ``{'cluster_index': …, 'all_distances': …}`` per row (squared distances,
        as TensorFlow's ``all_distances``)."""
        out, _ = self._assign(input_fn, labels=True, all_distances=True)
        keys = predict_keys or [self.CLUSTER_INDEX, self.ALL_DISTANCES]
        for label, distances in zip(out["labels"], out["all_distances"]):
            row = {self.CLUSTER_INDEX: int(label), self.ALL_DISTANCES: distances}
            yield {key: row[key] for key in keys}

    def score(self, input_fn):
        """Σ over the rows of the distance to the nearest center (positive, as TensorFlow)."""
        out, _ = self._assign(input_fn, score=True)
        return out["score"]

    def export_saved_model(
        self,
        export_dir_base,
        serving_input_receiver_fn=None,
        assets_extra=None,
        as_text=False,
        checkpoint_path=None,
        experimental_mode=None,
    ):
        """Writes the latest model as a SavedModel in a new timestamped folder of
        ``export_dir_base`` (as TensorFlow does) and returns its path as bytes. Its
        signatures are the estimator's (``serving_default``, ``cluster_index``,
        ``all_distances``, ``transform``, ``score``); ``serving_input_receiver_fn`` is not
        needed (the input is the rows)."""
        os.makedirs(export_dir_base, exist_ok=True)
        stamp = int(time.time())
        while os.path.exists(os.path.join(export_dir_base, str(stamp))):
            stamp += 1
        path = os.path.join(export_dir_base, str(stamp))
        _native.export(self._model_dir, saved_model=path)
        return os.fsencode(path)

    def export_onnx(self, path):
        """Writes the latest model as an ONNX file (skl2onnx's interface for KMeans)."""
        _native.export(self._model_dir, onnx=path)
        return path

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """``{'score': …, 'loss': …, 'global_step': …}`` on the rows ``input_fn`` gives."""
        model = self._model()  # the latest checkpoint, read once
        score = self._assign(input_fn, model=model, score=True)[0]["score"]
        return {"score": score, "loss": score, "global_step": int(model[2])}
