"""The same settings give the same bits from Python as from the `kmeans` command (the engine
is one): SWIFT_KMEANS_CLI names the command (Scripts/python-tests.sh sets it, with
SWIFT_KMEANS_REQUIRE_CLI so that a missing command fails rather than skips)."""

import os
import subprocess

import numpy as np
import pytest

from swift_kmeans import KMeans, MiniBatchKMeans

CLI = os.environ.get("SWIFT_KMEANS_CLI")
if not CLI and os.environ.get("SWIFT_KMEANS_REQUIRE_CLI"):
    raise RuntimeError("SWIFT_KMEANS_REQUIRE_CLI is set but SWIFT_KMEANS_CLI names no command")
pytestmark = pytest.mark.skipif(not CLI, reason="SWIFT_KMEANS_CLI names no kmeans command")


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    rng = np.random.default_rng(21)
    centers = rng.normal(scale=5, size=(12, 10))
    X = (centers[rng.integers(0, 12, size=6000)] + rng.normal(size=(6000, 10))).astype(np.float32)
    path = str(tmp_path_factory.mktemp("cli") / "points.npy")
    np.save(path, X)
    return X, path


def _cli(path, tmp_path, *options):
    centers, labels = str(tmp_path / "centers.npy"), str(tmp_path / "labels.npy")
    subprocess.run(
        [CLI, "train", path, "--centers-output", centers, "--labels-output", labels, *options],
        check=True,
        capture_output=True,
    )
    return np.load(centers), np.load(labels)


@pytest.mark.parametrize(
    "options, estimator",
    [
        (["-k", "12", "--seed", "3"], KMeans(12, random_state=3)),
        (["-k", "12", "--seed", "4", "--n-init", "3"], KMeans(12, random_state=4, n_init=3)),
        (
            ["-k", "7", "--seed", "5", "--metric", "cosine"],
            KMeans(7, random_state=5, metric="cosine"),
        ),
        (
            ["-k", "12", "--seed", "6", "--mini-batch", "--batch-size", "256"],
            MiniBatchKMeans(12, random_state=6, batch_size=256),
        ),
    ],
    ids=["lloyd", "restarts", "cosine", "mini-batch"],
)
def test_python_and_the_command_give_the_same_bits(points, tmp_path, options, estimator):
    X, path = points
    centers, labels = _cli(path, tmp_path, *options)
    estimator.fit(X)
    assert estimator.cluster_centers_.dtype == centers.dtype == np.float32
    np.testing.assert_array_equal(estimator.cluster_centers_, centers)
    np.testing.assert_array_equal(estimator.labels_, labels)
