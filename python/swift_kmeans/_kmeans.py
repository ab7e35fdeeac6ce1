"""scikit-learn's ``KMeans``, ``MiniBatchKMeans`` and ``BisectingKMeans`` on the Swift engine."""

from __future__ import annotations

import numbers
import os
import warnings

import numpy as np

from . import _native
from ._base import (
    HAVE_SKLEARN,
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    check_is_fitted,
    sample_weights,
    seed_from,
    validate,
)

_EXTRA_INITS = ("k-mc2", "afk-mc2", "k-means||")
_ALGORITHMS = {
    "lloyd": "auto",
    "auto": "auto",
    "elkan": "hamerly",
    "hamerly": "hamerly",
    "yinyang": "yinyang",
    "plain": "plain",
}


class _BaseKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """What the three estimators share: settings, prediction and distances."""

    _default_n_init_random = 10

    # -- settings ---------------------------------------------------------------------------

    def _check_common(self, X):
        if not isinstance(self.n_clusters, numbers.Integral) or self.n_clusters < 1:
            raise ValueError(f"n_clusters={self.n_clusters!r} must be an integer >= 1")
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter={self.max_iter!r} must be an integer >= 1")
        if not isinstance(self.tol, numbers.Real) or not (self.tol >= 0):
            raise ValueError(f"tol={self.tol!r} must be a number >= 0")
        metric = getattr(self, "metric", "sqeuclidean")
        if metric not in _native.METRIC:
            raise ValueError(f"metric={metric!r} must be 'sqeuclidean' or 'cosine'")

    def _n_init(self, init):
        n_init = self.n_init
        if isinstance(n_init, str):
            if n_init != "auto":
                raise ValueError(f"n_init={n_init!r} must be 'auto' or an integer >= 1")
            n_init = (
                self._default_n_init_random
                if (isinstance(init, str) and init in ("random",)) or callable(init)
                else 1
            )
        if not isinstance(n_init, numbers.Integral) or n_init < 1:
            raise ValueError(f"n_init={n_init!r} must be 'auto' or an integer >= 1")
        if hasattr(init, "__array__") and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return int(n_init)

    def _initial_centers(self, X, seed):
        """(engine seeding name, given centers or None) from ``init``."""
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means++", "random") + _EXTRA_INITS:
                raise ValueError(
                    f"init={init!r} must be 'k-means++', 'random', 'k-mc2', 'afk-mc2', "
                    "'k-means||', a callable or an array of shape (n_clusters, n_features)"
                )
            return init, None
        if callable(init):
            centers = init(X, self.n_clusters, random_state=np.random.RandomState(seed % 2**32))
        else:
            centers = init
        centers = np.asarray(centers, dtype=np.float64)
        if centers.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number "
                f"of clusters {self.n_clusters} and features {X.shape[1]}."
            )
        if not np.all(np.isfinite(centers)):
            raise ValueError("the initial centers contain NaN or infinity")
        return "centers", np.ascontiguousarray(centers)

    def _config(self, X, seed, n_init, mini_batch=False):
        init_name, given = self._initial_centers(X, seed)
        algorithm = getattr(self, "algorithm", "lloyd")
        if algorithm not in _ALGORITHMS:
            raise ValueError(f"algorithm={algorithm!r} must be one of {sorted(_ALGORITHMS)}")
        config = _native.Config()
        config.n_clusters = self.n_clusters
        config.init_method = _native.INIT[init_name]
        config.metric = _native.METRIC[getattr(self, "metric", "sqeuclidean")]
        config.algorithm = _native.ALGORITHM[_ALGORITHMS[algorithm]]
        config.max_iter = self.max_iter
        config.tol = float(self.tol)
        config.relative_tol = -1.0
        config.n_init = n_init
        config.seed = seed
        config.n_threads = _thread_count()
        config.n_local_trials = 0
        n_frozen = getattr(self, "n_frozen_centers", 0) or 0
        config.n_frozen = int(n_frozen)
        max_points = getattr(self, "max_points_per_center", None)
        if max_points is not None and (
            not isinstance(max_points, numbers.Integral) or max_points < 1
        ):
            raise ValueError(
                f"max_points_per_center={max_points!r} must be None or an integer >= 1"
            )
        config.max_points_per_center = 0 if max_points is None else int(max_points)
        config.seeding_sample = 0
        if given is not None:
            config.init_centers = given.ctypes.data_as(_native._double_p)
            self._given_centers = given  # kept alive for the call
        return config

    # -- prediction -------------------------------------------------------------------------

    def _metric(self):
        return getattr(self, "metric", "sqeuclidean")

    def predict(self, X, sample_weight="deprecated"):
        """The index of the nearest center of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
        """
        check_is_fitted(self)
        X = validate(self, X, reset=False)
        labels = _native.assign(
            _native.Rows(X), self.cluster_centers_, self._metric(), _thread_count(), labels=True
        )["labels"]
        return labels.astype(np.int32)

    def transform(self, X):
        """The distance from each row to every center: Euclidean distances (scikit-learn's
        and TensorFlow's ``transform``) for squared Euclidean models, 1 − cos under cosine.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters), in X's precision
        """
        check_is_fitted(self)
        X = validate(self, X, reset=False)
        return self._transform(X)

    def _transform(self, X):
        distances = _native.assign(
            _native.Rows(X),
            self.cluster_centers_,
            self._metric(),
            _thread_count(),
            all_distances=True,
        )["all_distances"]
        if self._metric() == "sqeuclidean":
            np.maximum(distances, 0, out=distances)
            np.sqrt(distances, out=distances)
        return distances

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fits and returns ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fits and returns the distances of X to the centers (see ``transform``)."""
        return self.fit(X, sample_weight=sample_weight)._transform(validate(self, X, reset=False))

    def score(self, X, y=None, sample_weight=None):
        """The opposite of the (weighted) inertia of X on the fitted centers:
        −Σ wᵢ·d(xᵢ, nearest center)."""
        check_is_fitted(self)
        X = validate(self, X, reset=False)
        weights = sample_weights(sample_weight, X)
        return -_native.assign(
            _native.Rows(X, weights),
            self.cluster_centers_,
            self._metric(),
            _thread_count(),
            score=True,
        )["score"]

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[0]

    def _more_tags(self):
        return {"preserves_dtype": [np.float64, np.float32]}

    if HAVE_SKLEARN:

        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.sparse = True
            if tags.transformer_tags is not None:
                tags.transformer_tags.preserves_dtype = ["float64", "float32"]
            return tags

    def _progress(self, label="Iteration"):
        if not self.verbose:
            return None

        def report(context, iteration, loss, shift, changed, rows):
            print(f"{label} {iteration - 1}, inertia {loss:.3f}.", flush=True)

        return report

    def _set_fitted(self, centers, labels, inertia, n_iter):
        self.cluster_centers_ = centers
        self.labels_ = labels.astype(np.int32)
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.__dict__.pop("_given_centers", None)


def _thread_count():
    value = os.environ.get("SWIFT_KMEANS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    try:
        return max(0, int(value)) if value else 0
    except ValueError:
        return 0


class KMeans(_BaseKMeans):
    """K-means clustering (scikit-learn's ``KMeans``) on the Swift engine.

    Lloyd's algorithm from k-means++ seeding, with the exact bounds of Hamerly and Yinyang
    chosen automatically: the labels and centers are Lloyd's, bit for bit, for any thread
    count. Dense arrays are read in place when C-contiguous float32/float64 (other layouts
    and dtypes are converted once), as are the indices and values of CSR matrices, which are
    clustered without densifying. The GIL is released while the engine works, and Ctrl-C
    stops a fit within an iteration.

    Results differ from scikit-learn's for the same ``random_state``: the seeding draws come
    from the engine's own generator, so the same seed gives other (equally good) centers.
    A fit whose data has fewer distinct rows than ``n_clusters`` raises instead of warning.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters.
    init : {'k-means++', 'random', 'k-mc2', 'afk-mc2', 'k-means||'}, callable or array of
        shape (n_clusters, n_features), default='k-means++'
        Greedy k-means++ (2 + ln k candidates per center); ``'random'``: distinct rows;
        ``'afk-mc2'`` (Bachem et al., NeurIPS 2016): a Markov-chain approximation of
        k-means++; ``'k-mc2'``: TensorFlow's k-MC², whose chains start at the first row and
        propose the next rows in order (shuffle the rows first); ``'k-means||'``
        (Bahmani et al. 2012); a callable ``init(X, n_clusters, random_state)``
        returning centers; or the centers themselves.
    n_init : 'auto' or int, default='auto'
        Independent seedings; the run with the lowest inertia wins. ``'auto'``: 10 for
        ``'random'`` or a callable, 1 otherwise.
    max_iter : int, default=300
        The most Lloyd iterations per run.
    tol : float, default=1e-4
        Stop when Σⱼ‖cⱼ − cⱼ′‖² of an iteration is at most ``tol`` × the mean feature
        variance (scikit-learn's rule). Runs also stop when no label changes.
    verbose : int, default=0
        1 prints the inertia of every iteration.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice; an int gives the same bits on any machine and thread count.
    copy_x : bool, default=True
        Accepted for compatibility; the engine never modifies X.
    algorithm : {'lloyd', 'elkan', 'auto', 'hamerly', 'yinyang', 'plain'}, default='lloyd'
        How nearest centers are found; every choice gives Lloyd's result exactly.
        ``'lloyd'`` and ``'auto'``: the engine's choice (Hamerly's bounds from 16 clusters,
        Yinyang's from 512 on dense rows); ``'elkan'`` and ``'hamerly'``: Hamerly's bounds
        (G. Hamerly, SDM 2010); ``'yinyang'``: Yinyang's group bounds (Ding et al., ICML 2015);
        ``'plain'``: every distance every iteration.
    metric : {'sqeuclidean', 'cosine'}, default='sqeuclidean'
        ``'cosine'``: spherical k-means (rows and centers normalised; inertia Σ 1 − cos).
    max_points_per_center : int or None, default=None
        Train on a seeded sample of at most ``n_clusters × max_points_per_center`` rows, then
        label every row (FAISS's ``max_points_per_centroid``).
    n_frozen_centers : int, default=0
        With ``init`` an array: its first rows stay fixed (FAISS's frozen centroids).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The centers, in X's precision (unit length under cosine).
    labels_ : ndarray of shape (n_samples,)
        The cluster of each training row, for the final centers.
    inertia_ : float
        Σ wᵢ·d(xᵢ, nearest center) over the training rows.
    n_iter_ : int
        Iterations of the winning run.
    n_features_in_ : int
        Features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen in ``fit``, when X had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from swift_kmeans import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        metric="sqeuclidean",
        max_points_per_center=None,
        n_frozen_centers=0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.metric = metric
        self.max_points_per_center = max_points_per_center
        self.n_frozen_centers = n_frozen_centers

    def fit(self, X, y=None, sample_weight=None):
        """Computes the clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Each row counts this many times (finite, ≥ 0).

        Returns
        -------
        self
        """
        X = validate(self, X, reset=True)
        self._check_common(X)
        weights = sample_weights(sample_weight, X)
        seed = seed_from(self.random_state)
        config = self._config(X, seed, self._n_init(self.init))
        if self.verbose:
            print("Initialization complete", flush=True)
        centers, labels, inertia, n_iter, reason = _native.fit(
            _native.Rows(X, weights), config, self.n_clusters, self._progress()
        )
        if self.verbose:
            print(f"Stopped at iteration {n_iter - 1}: {reason}.", flush=True)
        self._set_fitted(centers, labels, inertia, n_iter)
        return self


class MiniBatchKMeans(_BaseKMeans):
    """Mini-batch k-means (scikit-learn's ``MiniBatchKMeans``) on the Swift engine.

    TensorFlow's mini-batch update rule with scikit-learn's schedule: seeded shuffled batches,
    epochs, early stopping on the smoothed batch loss, and reassignment of starved centers.
    ``partial_fit`` trains online, one batch a call. The same ``random_state`` gives the same
    bits on any thread count; it gives other centers than scikit-learn's (other draws).

    Parameters
    ----------
    n_clusters : int, default=8
    init : {'k-means++', 'random', 'k-mc2', 'afk-mc2', 'k-means||'}, callable or array,
        default='k-means++'
    max_iter : int, default=100
        The most passes (epochs) over the data.
    batch_size : int, default=1024
        Rows per step.
    verbose : int, default=0
    compute_labels : bool, default=True
        Label every training row with the final centers (``labels_`` and ``inertia_``).
    random_state : int, RandomState instance or None, default=None
    tol : float, default=0.0
        Stop when a step's center shift is at most ``tol`` × the mean feature variance.
    max_no_improvement : int or None, default=10
        Stop after this many steps without improvement of the smoothed batch loss.
    init_size : int or None, default=None
        Rows sampled for seeding; None: 256·k, fewer where seeding them would cost more
        than full-batch seeding's automatic budget, never fewer than 3·max(batch_size, k).
    n_init : 'auto' or int, default='auto'
        Seedings tried on the sample (the best inertia wins); 'auto': 3 for 'random', else 1.
    reassignment_ratio : float, default=0.01
        Centers whose count falls below this fraction of the largest are moved to random rows.
    metric : {'sqeuclidean', 'cosine'}, default='sqeuclidean'

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_ (epochs), n_steps_, n_features_in_,
    feature_names_in_ : as scikit-learn's.
    """

    _default_n_init_random = 3

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        metric="sqeuclidean",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.metric = metric

    def _mini_batch_config(self, X, seed, n_init):
        if not isinstance(self.batch_size, numbers.Integral) or self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size!r} must be an integer >= 1")
        if self.max_no_improvement is not None and (
            not isinstance(self.max_no_improvement, numbers.Integral) or self.max_no_improvement < 0
        ):
            raise ValueError(f"max_no_improvement={self.max_no_improvement!r} must be >= 0")
        if not isinstance(self.reassignment_ratio, numbers.Real) or self.reassignment_ratio < 0:
            raise ValueError(f"reassignment_ratio={self.reassignment_ratio!r} must be >= 0")
        config = self._config(X, seed, n_init)
        config.mini_batch = 1
        config.batch_size = self.batch_size
        config.steps_per_iteration = 1
        no_improvement = self.max_no_improvement
        config.max_no_improvement = -1 if no_improvement in (None, 0) else no_improvement
        if self.init_size is not None:
            config.init_size = max(int(self.init_size), self.n_clusters)
        config.reassignment_ratio = float(self.reassignment_ratio)
        return config

    def fit(self, X, y=None, sample_weight=None):
        """Trains on X in mini-batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        X = validate(self, X, reset=True)
        self._check_common(X)
        weights = sample_weights(sample_weight, X)
        seed = seed_from(self.random_state)
        config = self._mini_batch_config(X, seed, self._n_init(self.init))
        centers, labels, inertia, steps, reason = _native.fit(
            _native.Rows(X, weights), config, self.n_clusters, self._progress("Minibatch step")
        )
        if self.verbose:
            print(f"Stopped after {steps} steps: {reason}.", flush=True)
        n = X.shape[0]
        self.cluster_centers_ = centers
        self.n_steps_ = int(steps)
        self.n_iter_ = int(np.ceil(steps * self.batch_size / n))
        if self.compute_labels:
            self.labels_ = labels.astype(np.int32)
            self.inertia_ = float(inertia)
        else:
            self.inertia_ = float(inertia)
        self._weight_totals = None
        self.__dict__.pop("_given_centers", None)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Updates the centers with one mini-batch step on X (the first call seeds them
        from X first).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        first = not hasattr(self, "cluster_centers_")
        X = validate(self, X, reset=first)
        if hasattr(X, "indptr"):
            X = np.ascontiguousarray(X.toarray())
        weights = sample_weights(sample_weight, X)
        if first:
            self._check_common(X)
            self._random_seed = seed_from(self.random_state)
            init = self.init
            if isinstance(init, str) and init in ("k-means++", "random"):
                config = self._config(X, self._random_seed, 1)
                centers, _ = _native.seed(_native.Rows(X, weights), config, self.n_clusters)
            else:
                _, given = self._initial_centers(X, self._random_seed)
                if given is None:
                    raise ValueError(
                        f"partial_fit seeds with k-means++, random or given "
                        f"centers, not init={init!r}"
                    )
                centers = given.astype(X.dtype)
            self.cluster_centers_ = np.ascontiguousarray(centers)
            self._weight_totals = np.zeros(self.n_clusters, dtype=np.float64)
            self._online_counters = (0, 0, 0)
            self.n_steps_ = 0
        elif getattr(self, "_weight_totals", None) is None:
            # Continue a fitted model: the counts of a full fit are not kept, start afresh.
            self._weight_totals = np.zeros(self.n_clusters, dtype=np.float64)
            self._online_counters = (self.n_steps_, 0, 0)
            self._random_seed = seed_from(self.random_state)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype).copy()
        config = self._mini_batch_config(X, self._random_seed, 1)
        config.init_method = _native.INIT["random"]
        config.seed = (self._random_seed + self._online_counters[0]) & 0xFFFFFFFFFFFFFFFF
        _, loss, counters = _native.partial_fit(
            _native.Rows(X, weights),
            config,
            centers,
            self._weight_totals,
            self._online_counters,
        )
        self.cluster_centers_ = centers
        self._online_counters = counters
        self.n_steps_ = int(counters[0])
        self.__dict__.pop("_given_centers", None)
        if self.compute_labels:
            out = _native.assign(
                _native.Rows(X, weights),
                centers,
                self._metric(),
                _thread_count(),
                labels=True,
                score=True,
            )
            self.labels_ = out["labels"].astype(np.int32)
            self.inertia_ = out["score"]
        return self


class BisectingKMeans(_BaseKMeans):
    """Bisecting k-means (scikit-learn's ``BisectingKMeans``) on the Swift engine.

    Starts from one cluster and splits a leaf in two with 2-means until there are
    ``n_clusters`` leaves; prediction walks the hierarchy from the root, taking the nearer
    child at each split, as scikit-learn does.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {'k-means++', 'random'}, default='random'
        The seeding of each 2-means split.
    n_init : int, default=1
        Seedings per split; the best wins.
    random_state : int, RandomState instance or None, default=None
    max_iter : int, default=300
    verbose : int, default=0
    tol : float, default=1e-4
    copy_x : bool, default=True
        Accepted for compatibility; the engine never modifies X.
    algorithm : {'lloyd', 'elkan', ...}, default='lloyd'
        As ``KMeans``: every choice gives Lloyd's result.
    bisecting_strategy : {'biggest_inertia', 'largest_cluster'}, default='biggest_inertia'
    metric : {'sqeuclidean', 'cosine'}, default='sqeuclidean'

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_features_in_, feature_names_in_ : as scikit-learn's.
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="random",
        n_init=1,
        random_state=None,
        max_iter=300,
        verbose=0,
        tol=1e-4,
        copy_x=True,
        algorithm="lloyd",
        bisecting_strategy="biggest_inertia",
        metric="sqeuclidean",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.random_state = random_state
        self.max_iter = max_iter
        self.verbose = verbose
        self.tol = tol
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.bisecting_strategy = bisecting_strategy
        self.metric = metric

    def fit(self, X, y=None, sample_weight=None):
        """Computes the hierarchy of clusters.

        Returns
        -------
        self
        """
        X = validate(self, X, reset=True)
        self._check_common(X)
        if hasattr(X, "indptr"):
            X = np.ascontiguousarray(X.toarray())
        strategies = ("biggest_inertia", "largest_cluster")
        if self.bisecting_strategy not in strategies:
            raise ValueError(
                f"bisecting_strategy={self.bisecting_strategy!r} must be one of {strategies}"
            )
        if not isinstance(self.init, str) or self.init not in ("k-means++", "random"):
            raise ValueError(f"init={self.init!r} must be 'k-means++' or 'random'")
        weights = sample_weights(sample_weight, X)
        seed = seed_from(self.random_state)
        config = self._config(X, seed, self._n_init(self.init))
        tree, centers, labels, inertia = _native.bisect(
            _native.Rows(X, weights),
            config,
            strategies.index(self.bisecting_strategy),
            self.n_clusters,
        )
        self._tree = tree
        self.cluster_centers_ = centers
        self.labels_ = labels.astype(np.int32)
        self.inertia_ = float(inertia)
        self.__dict__.pop("_given_centers", None)
        return self

    def predict(self, X):
        """The leaf each row reaches by walking down the hierarchy."""
        check_is_fitted(self)
        X = validate(self, X, reset=False)
        if hasattr(X, "indptr"):
            X = np.ascontiguousarray(X.toarray())
        return _native.bisect_predict(_native.Rows(X), self._metric(), self._tree).astype(np.int32)


def k_means(
    X,
    n_clusters,
    *,
    sample_weight=None,
    init="k-means++",
    n_init="auto",
    max_iter=300,
    verbose=False,
    tol=1e-4,
    random_state=None,
    copy_x=True,
    algorithm="lloyd",
    return_n_iter=False,
    **extra,
):
    """Runs ``KMeans`` and returns its results, as scikit-learn's ``k_means``.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
    label : ndarray of shape (n_samples,)
    inertia : float
    best_n_iter : int, only with ``return_n_iter``
    """
    estimator = KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        verbose=verbose,
        tol=tol,
        random_state=random_state,
        copy_x=copy_x,
        algorithm=algorithm,
        **extra,
    ).fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return (
            estimator.cluster_centers_,
            estimator.labels_,
            estimator.inertia_,
            estimator.n_iter_,
        )
    return estimator.cluster_centers_, estimator.labels_, estimator.inertia_


def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
):
    """Greedy k-means++ seeding alone, as scikit-learn's ``kmeans_plusplus``.

    Each new center is the best (lowest potential) of ``n_local_trials`` rows drawn with
    probability ∝ weight · D(x)² (default 2 + ⌊ln k⌋). ``x_squared_norms`` is accepted and
    ignored (the engine computes its own).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), rows of X
    indices : ndarray of shape (n_clusters,), the row of X each center came from
    """
    estimator = KMeans(n_clusters=n_clusters)
    X = validate(estimator, X, reset=True)
    if hasattr(X, "indptr"):
        X = np.ascontiguousarray(X.toarray())
    estimator._check_common(X)
    if n_local_trials is not None and (
        not isinstance(n_local_trials, numbers.Integral) or n_local_trials < 1
    ):
        raise ValueError(f"n_local_trials={n_local_trials!r} must be an integer >= 1")
    weights = sample_weights(sample_weight, X)
    config = estimator._config(X, seed_from(random_state), 1)
    config.n_local_trials = 0 if n_local_trials is None else int(n_local_trials)
    centers, indices = _native.seed(_native.Rows(X, weights), config, n_clusters)
    return centers, indices
