"""What the estimators share: scikit-learn's base classes when scikit-learn is installed (so
the estimators work in ``Pipeline``, ``GridSearchCV`` and ``clone``), small stand-ins when
it is not; input validation; seeds from ``random_state``."""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np

try:  # scikit-learn is optional
    import sklearn
    from sklearn.base import (
        BaseEstimator,
        ClassNamePrefixFeaturesOutMixin,
        ClusterMixin,
        TransformerMixin,
    )
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils import check_random_state
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted

    try:
        from sklearn.utils.validation import validate_data as _validate_data
    except ImportError:  # scikit-learn < 1.6

        def _validate_data(estimator, X, **kwargs):
            return estimator._validate_data(X, **kwargs)

    HAVE_SKLEARN = True
    SKLEARN_VERSION = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
except ImportError:  # pragma: no cover - exercised in the no-scikit-learn test
    HAVE_SKLEARN = False
    SKLEARN_VERSION = (0, 0)

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before ``fit``."""

    class ConvergenceWarning(UserWarning):
        """A run did not converge."""

    class BaseEstimator:
        """``get_params`` / ``set_params`` from the constructor's signature, as scikit-learn."""

        @classmethod
        def _get_param_names(cls):
            signature = inspect.signature(cls.__init__)
            return sorted(
                name
                for name, parameter in signature.parameters.items()
                if name != "self" and parameter.kind != parameter.VAR_KEYWORD
            )

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(
                        f"Invalid parameter {name!r} for estimator {self}. "
                        f"Valid parameters are: {valid!r}."
                    )
                setattr(self, name, value)
            return self

        def __repr__(self):
            params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({params})"

    class ClusterMixin:
        """``fit_predict``."""

        def fit_predict(self, X, y=None, **kwargs):
            self.fit(X, **kwargs)
            return self.labels_

    class TransformerMixin:
        """``fit_transform``."""

        def fit_transform(self, X, y=None, **kwargs):
            return self.fit(X, y, **kwargs).transform(X)

    class ClassNamePrefixFeaturesOutMixin:
        """``get_feature_names_out``: ``kmeans0``, ``kmeans1``, …"""

        def get_feature_names_out(self, input_features=None):
            check_is_fitted(self, "_n_features_out")
            prefix = type(self).__name__.lower()
            return np.asarray([f"{prefix}{i}" for i in range(self._n_features_out)], dtype=object)

    def check_random_state(seed):
        if seed is None or seed is np.random:
            return np.random.mtrand._rand
        if isinstance(seed, numbers.Integral):
            return np.random.RandomState(seed)
        if isinstance(seed, np.random.RandomState):
            return seed
        raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")

    def check_is_fitted(estimator, attributes=None):
        names = [attributes] if isinstance(attributes, str) else attributes
        if names is None:
            fitted = any(k.endswith("_") and not k.startswith("__") for k in vars(estimator))
        else:
            fitted = all(hasattr(estimator, name) for name in names)
        if not fitted:
            raise NotFittedError(
                f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _validate_data(
        estimator, X, reset=True, accept_sparse=False, dtype=None, order=None, copy=False, **kwargs
    ):
        if hasattr(X, "tocsr") and hasattr(X, "nnz"):
            if not accept_sparse:
                raise TypeError("A sparse matrix was passed, but dense data is required.")
            X = X.tocsr()
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float64)
            if not np.all(np.isfinite(X.data)):
                raise ValueError("Input X contains NaN or infinity.")
        else:
            names = getattr(X, "columns", None)
            if reset and names is not None and all(isinstance(n, str) for n in names):
                estimator.feature_names_in_ = np.asarray(list(names), dtype=object)
            X = np.asarray(X)
            if X.dtype.kind in "OUSV":
                try:
                    X = X.astype(np.float64)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"could not convert the input to numbers: {error}") from None
            if X.dtype.kind == "c":
                raise ValueError("Complex data not supported")
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float64)
            if X.ndim != 2:
                raise ValueError(
                    f"Expected 2D array, got {X.ndim}D array instead: reshape your data "
                    "with array.reshape(-1, 1) for one feature or array.reshape(1, -1) for one "
                    "sample."
                )
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            if X.shape[1] < 1:
                raise ValueError(
                    f"Found array with 0 feature(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            if not np.all(np.isfinite(X)):
                raise ValueError("Input X contains NaN or infinity.")
            X = np.ascontiguousarray(X)
        if reset:
            estimator.n_features_in_ = X.shape[1]
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
        return X

    def _check_sample_weight(sample_weight, X, dtype=None, **kwargs):
        n = X.shape[0]
        if sample_weight is None:
            return np.ones(n, dtype=dtype or np.float64)
        if isinstance(sample_weight, numbers.Number):
            return np.full(n, sample_weight, dtype=dtype or np.float64)
        weights = np.asarray(sample_weight, dtype=dtype or np.float64)
        if weights.ndim != 1:
            raise ValueError("Sample weights must be 1D array or scalar")
        if weights.shape != (n,):
            raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n,)}!")
        return weights


def validate(estimator, X, reset):
    """X as C-contiguous float32/float64 rows or CSR (one conversion at most), checked for
    NaN and infinity, with ``n_features_in_`` / ``feature_names_in_`` set or checked."""
    X = _validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        order="C",
        accept_large_sparse=False,
    )
    if hasattr(X, "indptr") and not X.has_sorted_indices:
        X = X.sorted_indices()  # a sorted copy: the caller's matrix is never changed
    return X


def sample_weights(sample_weight, X):
    """Weights as float64 (None when absent or all ones: the same run as no weights)."""
    if sample_weight is None:
        return None
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(weights < 0):
        raise ValueError(f"sample_weight has a negative value at row {int(np.argmin(weights))}")
    if np.all(weights == 1):
        return None
    if not np.any(weights > 0):
        raise ValueError("sample_weight is zero for every row")
    return weights


def seed_from(random_state):
    """The engine's 64-bit seed: the integer itself, or a draw from the generator given."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) & 0xFFFFFFFFFFFFFFFF
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def warn_convergence(message):
    warnings.warn(message, ConvergenceWarning, stacklevel=3)
