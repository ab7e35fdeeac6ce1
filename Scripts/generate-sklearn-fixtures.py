#!/usr/bin/env python3
"""Writes Tests/KMeansTests/Fixtures/sklearn-lloyd.json: scikit-learn's KMeans (lloyd) results
from given initial centers, the known answers the Swift tests compare against.

Run once from the repository root (it makes its own virtual environment):
    python3 Scripts/generate-sklearn-fixtures.py
"""
import json, os, subprocess, sys, venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
if sys.prefix != VENV:
    if not os.path.exists(os.path.join(VENV, "bin", "python")) or subprocess.call([os.path.join(VENV, "bin", "python"), "-c", "import sklearn"], stderr=subprocess.DEVNULL):
        venv.create(VENV, with_pip=True)
        subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "-q",
                               "scikit-learn==1.9.1", "numpy"])
    os.execv(os.path.join(VENV, "bin", "python"), [os.path.join(VENV, "bin", "python")] + sys.argv)

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score


def run(name, X, init, dtype, note):
    X = X.astype(dtype)
    init = init.astype(dtype)
    km = KMeans(n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", tol=1e-4,
                max_iter=300).fit(X)
    return {
        "name": name, "dtype": np.dtype(dtype).name, "note": note,
        "initialCenters": init.astype(float).tolist(),
        "labels": km.labels_.tolist(), "inertia": float(km.inertia_),
        "iterations": int(km.n_iter_), "centers": km.cluster_centers_.astype(float).tolist(),
    }


digits = np.loadtxt(os.path.join(ROOT, "Data", "digits.csv"), delimiter=",", skiprows=1)
digit_features, digit_labels = digits[:, :64], digits[:, 64].astype(int)
# The first occurrence of each digit: a deterministic, reasonable start.
digit_init = np.array([digit_features[np.argmax(digit_labels == d)] for d in range(10)])

blobs, _ = make_blobs(n_samples=3000, n_features=8, centers=6, cluster_std=1.5, random_state=3)
blob_init = blobs[[0, 1, 2, 3, 4, 5]].copy()
# One start far from every point: its cluster is empty after the first assignment, and
# scikit-learn relocates it to the point farthest from its center.
empty_init = blob_init.copy()
empty_init[5] = 1000.0

cases = []
for dtype in (np.float64, np.float32):
    cases.append(run("digits", digit_features, digit_init, dtype, "digits k=10, first row of each digit"))
    cases.append(run("blobs", blobs, blob_init, dtype, "make_blobs(3000, 8, 6, std 1.5, seed 3), first 6 rows"))
    cases.append(run("blobs-empty-cluster", blobs, empty_init, dtype, "as blobs, center 5 moved to 1000"))

fixture = {"generator": "Scripts/generate-sklearn-fixtures.py", "sklearn": sklearn.__version__,
           "blobs": blobs.tolist(), "cases": cases,
           "digitsAdjustedRandIndex": float(adjusted_rand_score(digit_labels, cases[0]["labels"]))}
out = os.path.join(ROOT, "Tests", "KMeansTests", "Fixtures", "sklearn-lloyd.json")
with open(out, "w") as f:
    json.dump(fixture, f)
print(f"wrote {out} with scikit-learn {sklearn.__version__}")

# Metrics: the same labels given to scikit-learn's metrics and to ours.
from sklearn import metrics
iris = np.genfromtxt(os.path.join(ROOT, "Data", "iris.csv"), delimiter=",", names=True, dtype=None,
                     encoding="utf-8")
iris_names = [n for n in iris.dtype.names if n != "species"]
iris_features = np.column_stack([iris[n] for n in iris_names]).astype(np.float64)
iris_truth = [str(v) for v in iris["species"]]
iris_labels = KMeans(n_clusters=3, init=iris_features[[0, 50, 100]], n_init=1).fit(iris_features).labels_
metric_cases = []
for name, X, labels, truth in [
    ("digits", digit_features, np.array(cases[0]["labels"]), [str(v) for v in digit_labels]),
    ("iris", iris_features, iris_labels, iris_truth),
]:
    metric_cases.append({
        "name": name, "labels": labels.tolist(), "truth": truth,
        "silhouette": float(metrics.silhouette_score(X, labels)),
        "silhouetteCosine": float(metrics.silhouette_score(X, labels, metric="cosine")),
        "calinskiHarabasz": float(metrics.calinski_harabasz_score(X, labels)),
        "daviesBouldin": float(metrics.davies_bouldin_score(X, labels)),
        "adjustedRandIndex": float(metrics.adjusted_rand_score(truth, labels)),
        "normalizedMutualInformation": float(metrics.normalized_mutual_info_score(truth, labels)),
    })
out = os.path.join(ROOT, "Tests", "KMeansTests", "Fixtures", "sklearn-metrics.json")
with open(out, "w") as f:
    json.dump({"generator": "Scripts/generate-sklearn-fixtures.py", "sklearn": sklearn.__version__,
               "cases": metric_cases}, f)
print(f"wrote {out}")
for case in metric_cases:
    print(f"  {case['name']}: silhouette {case['silhouette']:.6f}, CH {case['calinskiHarabasz']:.3f}, "
          f"DB {case['daviesBouldin']:.6f}, "
          f"ARI {case['adjustedRandIndex']:.6f}, NMI {case['normalizedMutualInformation']:.6f}")
for case in cases:
    print(f"  {case['name']:22s} {case['dtype']:8s} inertia={case['inertia']:.6f} iterations={case['iterations']}")

# Bisecting k-means: inertia on digits (scikit-learn's random seeds differ from ours, so the
# Swift test compares inertia within a few percent).
from sklearn.cluster import BisectingKMeans
bisecting = {}
for strategy in ("biggest_inertia", "largest_cluster"):
    values = [float(BisectingKMeans(n_clusters=10, bisecting_strategy=strategy, random_state=seed)
                    .fit(digit_features).inertia_) for seed in range(5)]
    bisecting[strategy] = values
out = os.path.join(ROOT, "Tests", "KMeansTests", "Fixtures", "sklearn-bisecting.json")
with open(out, "w") as f:
    json.dump({"generator": "Scripts/generate-sklearn-fixtures.py", "sklearn": sklearn.__version__,
               "digitsK10Inertia": bisecting}, f)
print(f"wrote {out}: {bisecting}")
