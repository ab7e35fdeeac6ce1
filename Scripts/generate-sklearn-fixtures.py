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

# Sample weights: scikit-learn's KMeans(sample_weight=) from the same initial centers.
weight_random = np.random.default_rng(7)
weighted_cases = []
digit_weights = weight_random.uniform(0.1, 3.0, size=len(digit_features))
blob_weights = weight_random.uniform(0.0, 2.0, size=len(blobs))
blob_weights[::10] = 0.0  # rows of weight zero must not move any center
for dtype in (np.float64, np.float32):
    for name, X, init, w in [("digits-weighted", digit_features, digit_init, digit_weights),
                             ("blobs-weighted", blobs, blob_init, blob_weights),
                             ("blobs-weighted-empty-cluster", blobs, empty_init, blob_weights)]:
        Xd, initd = X.astype(dtype), init.astype(dtype)
        km = KMeans(n_clusters=len(init), init=initd, n_init=1, algorithm="lloyd", tol=1e-4,
                    max_iter=300).fit(Xd, sample_weight=w)
        weighted_cases.append({
            "name": name, "dtype": np.dtype(dtype).name, "weights": w.tolist(),
            "initialCenters": initd.astype(float).tolist(), "labels": km.labels_.tolist(),
            "inertia": float(km.inertia_), "iterations": int(km.n_iter_),
            "centers": km.cluster_centers_.astype(float).tolist(),
            "score": float(-km.score(Xd, sample_weight=w)),
        })
out = os.path.join(ROOT, "Tests", "KMeansTests", "Fixtures", "sklearn-weighted.json")
with open(out, "w") as f:
    json.dump({"generator": "Scripts/generate-sklearn-fixtures.py", "sklearn": sklearn.__version__,
               "cases": weighted_cases}, f)
print(f"wrote {out}")
for case in weighted_cases:
    print(f"  {case['name']:30s} {case['dtype']:8s} inertia={case['inertia']:.6f} iterations={case['iterations']}")

# Sparse input: TF-IDF of real English text found on every machine with Python (the docstrings
# of the standard library), written as svmlight and as SciPy CSR .npz; scikit-learn's KMeans on
# the sparse matrix from the first k rows.
import scipy.sparse
from sklearn.datasets import dump_svmlight_file
from sklearn.feature_extraction.text import TfidfVectorizer


def stdlib_paragraphs(limit):
    import importlib, inspect, pkgutil
    texts, seen = [], set()
    names = sorted(m.name for m in pkgutil.iter_modules() if m.module_finder.path.endswith("python3.11")
                   and not m.name.startswith("_") and m.name not in ("antigravity", "this", "idlelib"))
    for module_name in names:
        try:
            module = importlib.import_module(module_name)
        except Exception:
            continue
        for _, member in sorted(vars(module).items()):
            doc = inspect.getdoc(member) if callable(member) else None
            if not doc:
                continue
            paragraph = doc.split("\n\n")[0].replace("\n", " ").strip()
            if len(paragraph.split()) >= 8 and paragraph not in seen:
                seen.add(paragraph)
                texts.append(paragraph)
                if len(texts) >= limit:
                    return texts
    return texts


texts = stdlib_paragraphs(1200)
tfidf = TfidfVectorizer(min_df=2, stop_words="english", dtype=np.float64).fit_transform(texts)
tfidf = scipy.sparse.csr_matrix(tfidf)
tfidf.sort_indices()
sparse_dir = os.path.join(ROOT, "Tests", "KMeansIOTests", "Fixtures")
dump_svmlight_file(tfidf, np.zeros(tfidf.shape[0]), os.path.join(sparse_dir, "tfidf.svmlight"),
                   zero_based=True)
scipy.sparse.save_npz(os.path.join(sparse_dir, "tfidf.npz"), tfidf, compressed=True)
scipy.sparse.save_npz(os.path.join(sparse_dir, "tfidf-float32-uncompressed.npz"),
                      tfidf.astype(np.float32), compressed=False)
sparse_cases = []
for dtype in (np.float64, np.float32):
    X = tfidf.astype(dtype)
    init = X[:8].toarray()
    km = KMeans(n_clusters=8, init=init, n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300).fit(X)
    sparse_cases.append({
        "name": "stdlib-docstrings-tfidf", "dtype": np.dtype(dtype).name,
        "shape": list(X.shape), "nonzeros": int(X.nnz),
        "labels": km.labels_.tolist(), "inertia": float(km.inertia_), "iterations": int(km.n_iter_),
        "centers": km.cluster_centers_.astype(float).tolist(),
        "transformFirstRows": km.transform(X[:5]).astype(float).tolist(),
    })
with open(os.path.join(sparse_dir, "sklearn-sparse.json"), "w") as f:
    json.dump({"generator": "Scripts/generate-sklearn-fixtures.py", "sklearn": sklearn.__version__,
               "data": "tfidf.svmlight / tfidf.npz (TF-IDF of 1200 standard-library docstrings)",
               "cases": sparse_cases}, f)
print(f"wrote sparse fixtures: {tfidf.shape}, {tfidf.nnz} non-zeros")
for case in sparse_cases:
    print(f"  sparse {case['dtype']:8s} inertia={case['inertia']:.6f} iterations={case['iterations']}")
