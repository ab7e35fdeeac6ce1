"""The scikit-learn API: attributes, dtypes, sparse input, determinism, transform, score,
online training, bisecting, and composition with Pipeline, GridSearchCV and clone."""

import os

import numpy as np
import pytest
import scipy.sparse as sp

from swift_kmeans import BisectingKMeans, KMeans, MiniBatchKMeans, kmeans_plusplus


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fitted_attributes_keep_the_precision(blobs, dtype):
    X = blobs.astype(dtype)
    km = KMeans(n_clusters=6, random_state=0).fit(X)
    assert km.cluster_centers_.shape == (6, 5) and km.cluster_centers_.dtype == dtype
    assert km.labels_.shape == (len(X),) and km.labels_.dtype == np.int32
    assert km.n_features_in_ == 5 and km.n_iter_ >= 1
    assert km.transform(X).dtype == dtype
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-5)


def test_inertia_is_the_sum_of_squared_distances(blobs):
    km = KMeans(n_clusters=6, random_state=1).fit(blobs)
    squared = ((blobs - km.cluster_centers_[km.labels_]) ** 2).sum()
    assert km.inertia_ == pytest.approx(squared, rel=1e-9)


def test_transform_is_the_euclidean_distance(blobs):
    from scipy.spatial.distance import cdist

    km = KMeans(n_clusters=4, random_state=0).fit(blobs)
    np.testing.assert_allclose(
        km.transform(blobs), cdist(blobs, km.cluster_centers_), rtol=1e-7, atol=1e-6
    )


def test_cosine_centers_are_unit_and_inertia_is_one_minus_cos(blobs):
    km = KMeans(n_clusters=3, metric="cosine", random_state=0).fit(blobs)
    np.testing.assert_allclose(np.linalg.norm(km.cluster_centers_, axis=1), 1, rtol=1e-9)
    unit = blobs / np.linalg.norm(blobs, axis=1, keepdims=True)
    expected = (1 - (unit * km.cluster_centers_[km.labels_]).sum(axis=1)).sum()
    assert km.inertia_ == pytest.approx(expected, rel=1e-7)


def test_the_same_seed_gives_the_same_bits_on_any_thread_count(blobs, monkeypatch):
    runs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("SWIFT_KMEANS_NUM_THREADS", threads)
        runs.append(KMeans(n_clusters=6, n_init=3, random_state=42).fit(blobs))
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].cluster_centers_, other.cluster_centers_)
        np.testing.assert_array_equal(runs[0].labels_, other.labels_)
        assert runs[0].inertia_ == other.inertia_


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly", "yinyang", "plain", "auto"])
def test_every_algorithm_gives_lloyds_bits(blobs, algorithm):
    X = np.tile(blobs, (2, 1)) + np.arange(2 * len(blobs))[:, None] * 1e-6
    reference = KMeans(n_clusters=20, algorithm="plain", random_state=5).fit(X)
    km = KMeans(n_clusters=20, algorithm=algorithm, random_state=5).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, reference.cluster_centers_)
    np.testing.assert_array_equal(km.labels_, reference.labels_)


@pytest.mark.parametrize("init", ["k-means++", "random", "afk-mc2", "k-means||"])
def test_every_seeding_reaches_the_best_inertia(blobs, init):
    best = KMeans(n_clusters=6, n_init=10, random_state=0).fit(blobs).inertia_
    km = KMeans(n_clusters=6, init=init, n_init=10, random_state=0).fit(blobs)
    assert km.inertia_ <= 1.01 * best


def test_k_mc2_is_seeded_and_deterministic(blobs):
    first = KMeans(n_clusters=6, init="k-mc2", n_init=3, random_state=0).fit(blobs)
    again = KMeans(n_clusters=6, init="k-mc2", n_init=3, random_state=0).fit(blobs)
    np.testing.assert_array_equal(first.cluster_centers_, again.cluster_centers_)
    best = KMeans(n_clusters=6, n_init=10, random_state=0).fit(blobs).inertia_
    assert first.inertia_ < 2 * best


def test_callable_init_receives_the_data_and_a_random_state(blobs):
    seen = {}

    def init(X, n_clusters, random_state):
        seen["args"] = (X.shape, n_clusters, type(random_state).__name__)
        return X[:n_clusters]

    km = KMeans(n_clusters=3, init=init, n_init=1).fit(blobs)
    assert seen["args"] == (blobs.shape, 3, "RandomState")
    assert km.cluster_centers_.shape == (3, 5)


def test_array_init_with_several_inits_warns_and_runs_once(blobs):
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeans(n_clusters=2, init=blobs[:2], n_init=5).fit(blobs)


def test_sparse_rows_give_the_dense_result(blobs):
    X = np.where(np.abs(blobs) < 4, 0.0, blobs)
    dense = KMeans(n_clusters=5, random_state=3).fit(X)
    sparse = KMeans(n_clusters=5, random_state=3).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(dense.labels_, sparse.labels_)
    np.testing.assert_allclose(dense.cluster_centers_, sparse.cluster_centers_, rtol=1e-9)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_unsorted_csr_indices_are_sorted_on_a_copy(blobs):
    X = sp.csr_matrix(np.where(np.abs(blobs) < 4, 0.0, blobs))
    unsorted = X.copy()
    for row in range(unsorted.shape[0]):
        part = slice(unsorted.indptr[row], unsorted.indptr[row + 1])
        unsorted.indices[part] = unsorted.indices[part][::-1]
        unsorted.data[part] = unsorted.data[part][::-1]
    unsorted.has_sorted_indices = False
    before = unsorted.indices.copy()
    expected = KMeans(n_clusters=5, random_state=1).fit(X)
    km = KMeans(n_clusters=5, random_state=1).fit(unsorted)
    np.testing.assert_array_equal(km.cluster_centers_, expected.cluster_centers_)
    np.testing.assert_array_equal(unsorted.indices, before)


def test_mini_batch_on_sparse_rows(blobs):
    X = np.where(np.abs(blobs) < 4, 0.0, blobs)
    dense = MiniBatchKMeans(n_clusters=5, batch_size=200, random_state=3).fit(X)
    sparse = MiniBatchKMeans(n_clusters=5, batch_size=200, random_state=3).fit(sp.csr_matrix(X))
    assert sparse.cluster_centers_.shape == (5, 5) and sparse.n_steps_ >= 1
    assert sparse.inertia_ == pytest.approx(dense.inertia_, rel=0.05)


def test_integer_weights_equal_repeated_rows_from_given_centers(blobs):
    X = blobs[:300]
    weights = np.arange(300) % 3 + 1
    init = X[:4]
    weighted = KMeans(n_clusters=4, init=init, n_init=1).fit(X, sample_weight=weights)
    repeated = KMeans(n_clusters=4, init=init, n_init=1).fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-9)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-9)


def test_weights_of_one_are_no_weights(blobs):
    plain = KMeans(n_clusters=4, random_state=2).fit(blobs)
    ones = KMeans(n_clusters=4, random_state=2).fit(blobs, sample_weight=np.ones(len(blobs)))
    np.testing.assert_array_equal(plain.cluster_centers_, ones.cluster_centers_)


def test_mini_batch_fit_and_partial_fit(blobs):
    km = MiniBatchKMeans(n_clusters=6, batch_size=256, random_state=0).fit(blobs)
    full = KMeans(n_clusters=6, random_state=0).fit(blobs)
    assert km.inertia_ < 1.2 * full.inertia_
    assert km.n_steps_ >= 1 and km.n_iter_ >= 1
    online = MiniBatchKMeans(n_clusters=6, random_state=0)
    for _ in range(5):
        for start in range(0, len(blobs), 400):
            online.partial_fit(blobs[start : start + 400])
    assert online.n_steps_ == 5 * 6
    assert online.score(blobs) > -1.5 * full.inertia_
    again = MiniBatchKMeans(n_clusters=6, random_state=0)
    for _ in range(5):
        for start in range(0, len(blobs), 400):
            again.partial_fit(blobs[start : start + 400])
    np.testing.assert_array_equal(online.cluster_centers_, again.cluster_centers_)


def test_bisecting_predict_walks_the_tree(blobs):
    km = BisectingKMeans(n_clusters=6, random_state=0).fit(blobs)
    assert km.cluster_centers_.shape == (6, 5)
    assert set(np.unique(km.labels_)) == set(range(6))
    assert (km.predict(blobs) == km.labels_).mean() > 0.98
    strategy = BisectingKMeans(n_clusters=6, bisecting_strategy="largest_cluster", random_state=0)
    assert strategy.fit(blobs).cluster_centers_.shape == (6, 5)


def test_kmeans_plusplus_returns_rows_of_the_data(blobs):
    centers, indices = kmeans_plusplus(blobs, 6, random_state=0)
    np.testing.assert_array_equal(centers, blobs[indices])
    assert len(set(indices.tolist())) == 6
    again, _ = kmeans_plusplus(blobs, 6, random_state=0, n_local_trials=1)
    assert again.shape == (6, 5)


def test_pipeline_grid_search_and_clone(blobs):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(StandardScaler(), KMeans(n_clusters=3, random_state=0))
    assert pipeline.fit_transform(blobs).shape == (len(blobs), 3)
    search = GridSearchCV(KMeans(random_state=0), {"n_clusters": [2, 6]}, cv=3).fit(blobs)
    assert search.best_params_ == {"n_clusters": 6}
    copy = clone(KMeans(n_clusters=7, metric="cosine"))
    assert copy.get_params()["n_clusters"] == 7 and copy.get_params()["metric"] == "cosine"


def test_feature_names_and_set_output(blobs):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(blobs, columns=[f"f{i}" for i in range(5)])
    km = KMeans(n_clusters=3, random_state=0).set_output(transform="pandas").fit(frame)
    np.testing.assert_array_equal(km.feature_names_in_, frame.columns)
    out = km.transform(frame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]


def test_verbose_prints_every_iteration(blobs, capsys):
    km = KMeans(n_clusters=3, random_state=0, verbose=1).fit(blobs)
    printed = capsys.readouterr().out
    assert "Initialization complete" in printed
    assert printed.count("Iteration ") == km.n_iter_


def test_read_only_memmap_and_fortran_arrays_give_the_same_result(blobs, tmp_path):
    reference = KMeans(n_clusters=4, random_state=0).fit(blobs)
    path = os.path.join(tmp_path, "rows.npy")
    np.save(path, blobs)
    mapped = np.load(path, mmap_mode="r")
    assert not mapped.flags.writeable
    km = KMeans(n_clusters=4, random_state=0).fit(mapped)
    np.testing.assert_array_equal(km.cluster_centers_, reference.cluster_centers_)
    fortran = KMeans(n_clusters=4, random_state=0).fit(np.asfortranarray(blobs))
    np.testing.assert_array_equal(fortran.cluster_centers_, reference.cluster_centers_)
