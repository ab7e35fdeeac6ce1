#!/usr/bin/env python3
"""Known answers for KMeansDifferentiable from TensorFlow 2.15.1's tf.GradientTape, once:
Tests/KMeansDifferentiableTests/Fixtures/tensorflow-gradients.json. For seeded float32 points
and centers: the soft k-means loss and the gradient of a weighted sum of the soft assignments
(squared Euclidean and cosine), DEC's KL(P‖Q) with its target held fixed, and VQ-VAE's codebook
and commitment losses; each with its gradients toward points (or embedding, inputs) and
centers (or codebook). The losses are written in plain TensorFlow ops, as a TensorFlow user
would write them.

Run from the repository root: python3 Scripts/generate-differentiable-fixtures.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import enter  # noqa: E402

ROOT, _ = enter()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

rng = np.random.RandomState(2015)
n, k, d = 9, 4, 5
points = rng.uniform(-2, 2, (n, d)).astype(np.float32)
centers = rng.uniform(-2, 2, (k, d)).astype(np.float32)
weights = rng.uniform(-1, 1, (n, k)).astype(np.float32)
temperature = 0.7


def distances(x, c, metric):
    if metric == "cosine":
        x, c = tf.math.l2_normalize(x, axis=1), tf.math.l2_normalize(c, axis=1)
        return 1 - tf.matmul(x, c, transpose_b=True)
    return (tf.reduce_sum(x * x, 1, keepdims=True) - 2 * tf.matmul(x, c, transpose_b=True)
            + tf.reduce_sum(c * c, 1)[tf.newaxis, :])


def with_gradients(function):
    x, c = tf.Variable(points), tf.Variable(centers)
    with tf.GradientTape() as tape:
        value = function(x, c)
    towards_x, towards_c = tape.gradient(
        value, [x, c], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    dense = [tf.convert_to_tensor(g).numpy().ravel().tolist() for g in [towards_x, towards_c]]
    return {"value": float(value.numpy()), "towardPoints": dense[0], "towardCenters": dense[1]}


cases = {}
for metric in ["squaredEuclidean", "cosine"]:
    cases[f"softKMeansLoss/{metric}"] = with_gradients(
        lambda x, c: -temperature * tf.reduce_sum(
            tf.reduce_logsumexp(-distances(x, c, metric) / temperature, axis=1)))
    cases[f"softAssignments/{metric}"] = with_gradients(
        lambda x, c: tf.reduce_sum(weights * tf.nn.softmax(-distances(x, c, metric) / temperature,
                                                           axis=1)))


def student_t(z, mu, alpha=1.0):
    kernel = tf.pow(1 + distances(z, mu, "squaredEuclidean") / alpha, -(alpha + 1) / 2)
    return kernel / tf.reduce_sum(kernel, axis=1, keepdims=True)


q = student_t(points, centers).numpy()
p = (q ** 2 / q.sum(0)) / (q ** 2 / q.sum(0)).sum(1, keepdims=True)
cases["deepEmbeddedClustering"] = with_gradients(
    lambda z, mu: tf.reduce_sum(p * tf.math.log(p / student_t(z, mu))))
indices = np.argmin(distances(points, centers, "squaredEuclidean").numpy(), axis=1)
cases["codebookLoss"] = with_gradients(
    lambda x, c: tf.reduce_mean(tf.square(tf.stop_gradient(x) - tf.gather(c, indices))))
cases["commitmentLoss"] = with_gradients(
    lambda x, c: tf.reduce_mean(tf.square(x - tf.stop_gradient(tf.gather(c, indices)))))

fixture = {
    "generator": f"TensorFlow {tf.__version__} tf.GradientTape, Scripts/generate-differentiable-fixtures.py",
    "n": n, "k": k, "d": d, "temperature": temperature,
    "points": points.ravel().tolist(), "centers": centers.ravel().tolist(),
    "weights": weights.ravel().tolist(), "target": p.astype(np.float32).ravel().tolist(),
    "indices": indices.tolist(), "cases": cases,
}
path = os.path.join(ROOT, "Tests", "KMeansDifferentiableTests", "Fixtures",
                    "tensorflow-gradients.json")
with open(path, "w") as file:
    json.dump(fixture, file, indent=1)
print(f"wrote {os.path.relpath(path, ROOT)}: {', '.join(cases)}")
