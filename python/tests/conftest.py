"""Shared fixtures: the repository's data and the scikit-learn known answers the Swift tests
also read."""

import json
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def digits():
    table = np.loadtxt(os.path.join(ROOT, "Data", "digits.csv"), delimiter=",", skiprows=1)
    return table[:, :64], table[:, 64].astype(int)


@pytest.fixture(scope="session")
def sklearn_lloyd():
    path = os.path.join(ROOT, "Tests", "KMeansTests", "Fixtures", "sklearn-lloyd.json")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


@pytest.fixture
def blobs():
    rng = np.random.default_rng(7)
    centers = rng.normal(scale=8, size=(6, 5))
    X = np.concatenate([c + rng.normal(size=(400, 5)) for c in centers])
    return X[rng.permutation(len(X))]
