"""swift-kmeans: k-means on a Swift engine, with scikit-learn's API.

``KMeans``, ``MiniBatchKMeans`` and ``BisectingKMeans`` take scikit-learn's parameters and
give its attributes and methods; with scikit-learn installed they are real scikit-learn
estimators (``Pipeline``, ``GridSearchCV``, ``clone``). The engine is exact (Lloyd's bits
whatever the bounds and thread count) and releases the GIL while it works.

>>> import numpy as np
>>> from swift_kmeans import KMeans
>>> X = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
>>> KMeans(n_clusters=4, random_state=0).fit(X).cluster_centers_.shape
(4, 8)
"""

from ._base import ConvergenceWarning, NotFittedError
from ._kmeans import BisectingKMeans, KMeans, MiniBatchKMeans, k_means, kmeans_plusplus
from ._native import EngineError
from ._native import version as engine_version

__version__ = "1.0.0"

__all__ = [
    "BisectingKMeans",
    "ConvergenceWarning",
    "EngineError",
    "KMeans",
    "MiniBatchKMeans",
    "NotFittedError",
    "engine_version",
    "k_means",
    "kmeans_plusplus",
]
