"""Known answers: scikit-learn 1.9.1's KMeans (lloyd) from given initial centers, the fixture
the Swift tests compare against too (Scripts/generate-sklearn-fixtures.py writes it)."""

import numpy as np
import pytest

from swift_kmeans import KMeans, k_means


def _case_data(case, fixture, digits):
    if case["name"] == "digits":
        return digits[0]
    return np.asarray(fixture["blobs"], dtype=np.float64)


def test_every_case_matches_scikit_learn(sklearn_lloyd, digits):
    assert len(sklearn_lloyd["cases"]) >= 6
    for case in sklearn_lloyd["cases"]:
        dtype = np.dtype(case["dtype"])
        X = _case_data(case, sklearn_lloyd, digits).astype(dtype)
        init = np.asarray(case["initialCenters"], dtype=dtype)
        km = KMeans(n_clusters=len(init), init=init, n_init=1, tol=1e-4, max_iter=300).fit(X)
        assert km.cluster_centers_.dtype == dtype
        np.testing.assert_array_equal(km.labels_, case["labels"], err_msg=case["note"])
        tolerance = 1e-4 if dtype == np.float32 else 1e-9
        assert km.inertia_ == pytest.approx(case["inertia"], rel=tolerance), case["note"]
        np.testing.assert_allclose(
            km.cluster_centers_, case["centers"], rtol=tolerance, atol=tolerance * 10
        )


def test_k_means_function_returns_the_estimators_results(digits):
    X = digits[0][:600]
    centers, labels, inertia, n_iter = k_means(X, 5, random_state=3, return_n_iter=True)
    km = KMeans(5, random_state=3).fit(X)
    np.testing.assert_array_equal(centers, km.cluster_centers_)
    np.testing.assert_array_equal(labels, km.labels_)
    assert inertia == km.inertia_ and n_iter == km.n_iter_


def test_digits_clusters_agree_with_the_true_digits(digits):
    from sklearn.metrics import adjusted_rand_score

    X, y = digits
    km = KMeans(10, n_init=4, random_state=0).fit(X)
    assert adjusted_rand_score(y, km.labels_) > 0.6
