"""scikit-learn's own estimator checks: every check passes except those scikit-learn lists as
expected failures for its own KMeans, MiniBatchKMeans and BisectingKMeans."""

import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from swift_kmeans import BisectingKMeans, KMeans, MiniBatchKMeans  # noqa: E402

# scikit-learn's PER_ESTIMATOR_XFAIL_CHECKS for its own KMeans family: seeding draws depend
# on the row count, so weights are not the same as repeated or removed rows.
EXPECTED = {
    "check_sample_weight_equivalence_on_dense_data": "seeding differs with the row count",
    "check_sample_weight_equivalence_on_sparse_data": "seeding differs with the row count",
}

ESTIMATORS = [
    KMeans(n_init=2, n_clusters=2, max_iter=5),
    MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10),
    BisectingKMeans(n_init=2, n_clusters=2, max_iter=5),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_check_estimator(estimator):
    results = check_estimator(estimator, expected_failed_checks=EXPECTED, on_fail=None)
    failed = [f"{r['check_name']}: {r['exception']!r}" for r in results if r["status"] == "failed"]
    assert not failed, "\n".join(failed)
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) > 30
