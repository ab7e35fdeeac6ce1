"""Bad input gets a Python exception that says what was wrong, never a crash: at the
estimator level and at the C ABI, with malformed arguments of every kind."""

import ctypes

import numpy as np
import pytest

from swift_kmeans import EngineError, KMeans, MiniBatchKMeans, NotFittedError, _native


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(50, 3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(X, bad):
    X[7, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        KMeans(3).fit(X)


def test_wrong_number_of_features(X):
    km = KMeans(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="3 features"):
        km.predict(X[:, :2])


def test_more_clusters_than_rows(X):
    with pytest.raises(ValueError, match="n_samples=50 should be >= n_clusters=60"):
        KMeans(60).fit(X)


def test_fewer_distinct_rows_than_clusters():
    with pytest.raises(ValueError, match="distinct"):
        KMeans(3).fit(np.ones((10, 2)))


def test_zero_rows_and_zero_columns():
    with pytest.raises(ValueError, match="0 sample"):
        KMeans(1).fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="0 feature"):
        KMeans(1).fit(np.empty((5, 0)))


def test_object_and_string_arrays(X):
    km = KMeans(3, random_state=0).fit(X.astype(object))
    assert km.cluster_centers_.dtype == np.float64
    with pytest.raises(ValueError):
        KMeans(3).fit(np.array([["a", "b"], ["c", "d"], ["e", "f"]]))


def test_negative_and_misshapen_weights(X):
    weights = np.ones(50)
    weights[4] = -1
    with pytest.raises(ValueError, match="negative value at row 4"):
        KMeans(3).fit(X, sample_weight=weights)
    with pytest.raises(ValueError):
        KMeans(3).fit(X, sample_weight=np.ones(49))
    with pytest.raises(ValueError, match="zero"):
        KMeans(3).fit(X, sample_weight=np.zeros(50))


def test_zero_row_under_cosine(X):
    X[11] = 0
    with pytest.raises(ValueError, match="row 11"):
        KMeans(3, metric="cosine").fit(X)


@pytest.mark.parametrize(
    "params",
    [
        {"n_clusters": 0},
        {"n_clusters": 2, "init": "spectral"},
        {"n_clusters": 2, "algorithm": "fast"},
        {"n_clusters": 2, "max_iter": 0},
        {"n_clusters": 2, "tol": -1},
        {"n_clusters": 2, "n_init": 0},
        {"n_clusters": 2, "n_init": "many"},
        {"n_clusters": 2, "metric": "manhattan"},
        {"n_clusters": 2, "init": np.zeros((3, 3))},
        {"n_clusters": 2, "max_points_per_center": 0},
        {"n_clusters": 2, "init": np.zeros((2, 3)), "n_frozen_centers": 2},
    ],
)
def test_bad_settings_are_refused_at_fit(X, params):
    with pytest.raises(ValueError):
        KMeans(**params).fit(X)


def test_unfitted_estimators_raise_not_fitted(X):
    for estimator in (KMeans(), MiniBatchKMeans()):
        with pytest.raises(NotFittedError):
            estimator.predict(X)


# -- the C ABI, called directly with malformed arguments --------------------------------------


def _call_fit(data, config=None, k=2):
    config = config or _base_config(k)
    # Large enough for every call expected to succeed; the malformed ones fail before writing.
    centers = np.zeros((max(k, 1), min(max(int(data.columns), 1), 64)), dtype=np.float64)
    labels = np.zeros(min(max(int(data.rows), 1), 1000), dtype=np.int64)
    result = _native.FitResult(
        centers.ctypes.data, labels.ctypes.data_as(_native._int64_p), 0.0, 0, 0
    )
    buffer = ctypes.create_string_buffer(512)
    status = _native._lib.skm_fit(
        ctypes.byref(data), ctypes.byref(config), None, ctypes.byref(result), buffer, 512
    )
    return status, buffer.value.decode()


def _base_config(k=2):
    config = _native.Config()
    config.n_clusters = k
    config.tol = -1
    config.relative_tol = -1
    config.n_threads = 1
    return config


def test_abi_refuses_malformed_data_with_a_message():
    values = np.random.default_rng(1).normal(size=(20, 4))
    cases = {
        "dtype": _native.Data(7, 20, 4, values.ctypes.data, None, None, 0, None),
        "negative": _native.Data(1, -5, 4, values.ctypes.data, None, None, 0, None),
        "overflow": _native.Data(1, 2**40, 2**40, values.ctypes.data, None, None, 0, None),
        "NULL": _native.Data(1, 20, 4, None, None, None, 0, None),
    }
    for name, data in cases.items():
        status, message = _call_fit(data)
        assert status == _native.ERROR and message, name


def test_abi_refuses_malformed_csr():
    rng = np.random.default_rng(2)
    for trial in range(200):
        rows, cols, nnz = 6, 5, 8
        indptr = np.sort(rng.integers(0, nnz + 1, size=rows + 1)).astype(np.int64)
        indptr[0], indptr[-1] = 0, nnz
        indices = rng.integers(0, cols, size=nnz).astype(np.int32)
        values = rng.normal(size=nnz)
        broken = trial % 4
        if broken == 0:
            indptr[rng.integers(1, rows)] = nnz + 3
        elif broken == 1:
            indices[rng.integers(0, nnz)] = rng.choice([-1, cols, 2**31 - 1])
        elif broken == 2:
            indptr[1:] = indptr[1:][::-1]
            indptr[-1] = nnz if indptr[1] != nnz else nnz - 1
        else:
            values[rng.integers(0, nnz)] = np.nan
        data = _native.Data(
            1,
            rows,
            cols,
            values.ctypes.data,
            indptr.ctypes.data_as(_native._int64_p),
            indices.ctypes.data_as(_native._int32_p),
            nnz,
            None,
        )
        status, message = _call_fit(data)
        assert status == _native.ERROR and message, (trial, indptr, indices)


def test_abi_refuses_malformed_settings():
    values = np.random.default_rng(3).normal(size=(20, 4))
    data = _native.Data(1, 20, 4, values.ctypes.data, None, None, 0, None)
    rng = np.random.default_rng(4)
    fields = [
        "n_clusters",
        "init_method",
        "metric",
        "algorithm",
        "max_iter",
        "n_init",
        "n_threads",
        "n_frozen",
        "max_points_per_center",
        "seeding_sample",
        "chain_length",
        "parallel_rounds",
    ]
    refused = 0
    for trial in range(300):
        config = _base_config(3)
        for field in rng.choice(fields, size=2, replace=False):
            setattr(config, field, int(rng.choice([-(2**62), -7, -1, 99, 2**40])))
        if trial % 5 == 0:
            config.tol = float(rng.choice([np.nan, -np.inf, np.inf]))
        if trial % 7 == 0:
            config.init_method = _native.INIT["centers"]  # with NULL centers
        status, message = _call_fit(data, config, k=3)
        assert status in (_native.OK, _native.ERROR)
        if status == _native.ERROR:
            refused += 1
            assert message
    assert refused > 250


def test_abi_refuses_malformed_trees():
    rows = np.random.default_rng(5).normal(size=(10, 2))
    data = _native.Data(1, 10, 2, rows.ctypes.data, None, None, 0, None)
    centers = np.zeros((3, 2))
    for children, leaves in [
        ([[0, 1], [-1, -1], [-1, -1]], [-1, 0, 1]),  # a node that is its own child
        ([[1, 7], [-1, -1], [-1, -1]], [-1, 0, 1]),  # a child out of range
        ([[1, 2], [-1, -1], [-1, -1]], [-1, -1, 1]),  # a leaf without a label
    ]:
        tree = {"centers": centers, "children": np.array(children), "leaf_labels": leaves}
        with pytest.raises(EngineError):
            _native.bisect_predict(_native.Rows(rows), "sqeuclidean", tree)
    assert data.rows == 10


def test_abi_refuses_null_arguments():
    buffer = ctypes.create_string_buffer(256)
    assert _native._lib.skm_fit(None, None, None, None, buffer, 256) == _native.ERROR
    assert b"NULL" in buffer.value
    assert _native._lib.skm_fit(None, None, None, None, None, 0) == _native.ERROR
    rows = np.zeros((3, 2))
    data = _native.Data(1, 3, 2, rows.ctypes.data, None, None, 0, None)
    status = _native._lib.skm_assign(
        ctypes.byref(data), None, 2, 0, 0, None, None, None, None, buffer, 256
    )
    assert status == _native.ERROR and b"centers" in buffer.value
    centers = np.array([[np.nan, 0.0], [1.0, 1.0]])
    status = _native._lib.skm_assign(
        ctypes.byref(data), centers.ctypes.data, 2, 0, 0, None, None, None, None, buffer, 256
    )
    assert status == _native.ERROR and b"non-finite" in buffer.value
