#!/usr/bin/env python3
"""Round trip between swift-kmeans model directories and real TensorFlow 2.15.1.

1. swift-kmeans trains on digits into a model directory (full batch; mini-batch with 1 and
   with 3 steps per iteration); TensorFlow's tf.train.load_variable must return our centers
   exactly, and tf.compat.v1.estimator.experimental.KMeans pointed at the directory must
   predict our cluster indices.
2. TensorFlow's estimator trains a model directory; `kmeans predict --model-dir` must give
   TensorFlow's cluster indices.

Run from the repository root: python3 Scripts/tensorflow-interop.py (or make interop-test).
It installs tensorflow-cpu==2.15.1 and the other interop tools into .venv-tf on first use
(Scripts/interop_environment.py).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import Checks, enter  # noqa: E402

ROOT, KMEANS = enter()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
print(f"TensorFlow {tf.__version__}")
DIGITS = os.path.join(ROOT, "Data", "digits.csv")


def kmeans(*arguments):
    return subprocess.run([KMEANS, *arguments], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


# The digits as TensorFlow's estimator gets them: a dictionary of named columns (it sorts the
# names, as swift-kmeans does for CSV columns).
table = np.genfromtxt(DIGITS, delimiter=",", names=True, dtype=np.float32)
features = {name: table[name].reshape(-1, 1) for name in table.dtype.names if name != "digit"}


def input_fn():
    return tf.compat.v1.estimator.inputs.numpy_input_fn(
        x=features, shuffle=False, num_epochs=1, batch_size=len(table))


check = Checks()

with tempfile.TemporaryDirectory() as scratch:
    cases = [
        ("full batch", [], dict(use_mini_batch=False)),
        ("mini-batch, 1 step per iteration", ["--mini-batch", "--batch-size", "256"],
         dict(use_mini_batch=True, mini_batch_steps_per_iteration=1)),
        ("mini-batch, 3 steps per iteration",
         ["--mini-batch", "--batch-size", "256", "--steps-per-iteration", "3"],
         dict(use_mini_batch=True, mini_batch_steps_per_iteration=3)),
    ]
    for name, options, estimator_options in cases:
        print(f"swift-kmeans → TensorFlow ({name})")
        model_dir = os.path.join(scratch, name.replace(" ", "-").replace(",", ""))
        kmeans("train", DIGITS, "-k", "10", "--label-column", "digit", "--model-dir", model_dir,
               "--steps", "12", "--seed", "5", *options)
        centers_path = os.path.join(scratch, "centers.npy")
        kmeans("export", "--model-dir", model_dir, "--centers", centers_path)
        ours = np.load(centers_path)
        theirs = tf.train.load_variable(model_dir, "clusters")
        check("tf.train.load_variable(dir, 'clusters') equals our centers",
              theirs.dtype == np.float32 and np.array_equal(theirs, ours),
              f"shape {theirs.shape}, dtype {theirs.dtype}")
        labels_path = os.path.join(scratch, "labels.npy")
        kmeans("predict", "--model-dir", model_dir, DIGITS, "--label-column", "digit",
               "--output", labels_path)
        our_labels = np.load(labels_path)
        estimator = tf.compat.v1.estimator.experimental.KMeans(
            num_clusters=10, model_dir=model_dir, **estimator_options)
        tf_labels = np.array(list(estimator.predict_cluster_index(input_fn())))
        differing = int(np.sum(tf_labels != our_labels))
        check("TensorFlow's KMeans estimator predicts our cluster indices", differing == 0,
              f"{differing} of {len(our_labels)} differ")
        print(f"    centers[0][:4] = {ours[0][:4].tolist()}; first labels {our_labels[:12].tolist()}")

    print("TensorFlow → swift-kmeans")
    tf_dir = os.path.join(scratch, "tensorflow")
    estimator = tf.compat.v1.estimator.experimental.KMeans(
        num_clusters=10, model_dir=tf_dir, use_mini_batch=False, seed=3,
        config=tf.estimator.RunConfig(tf_random_seed=3))

    def train_input():
        return tf.compat.v1.estimator.inputs.numpy_input_fn(
            x=features, shuffle=False, num_epochs=None, batch_size=len(table))

    estimator.train(train_input(), steps=8)
    tf_labels = np.array(list(estimator.predict_cluster_index(input_fn())))
    labels_path = os.path.join(scratch, "tf-labels.npy")
    kmeans("predict", "--model-dir", tf_dir, DIGITS, "--label-column", "digit", "--columns",
           ",".join(sorted(features)), "--output", labels_path)
    our_labels = np.load(labels_path)
    differing = int(np.sum(tf_labels != our_labels))
    check("kmeans predict --model-dir gives TensorFlow's cluster indices", differing == 0,
          f"{differing} of {len(our_labels)} differ")
    inspect = json.loads(kmeans("inspect", tf_dir, "--json"))
    check("kmeans inspect reads TensorFlow's directory",
          inspect["globalStep"] == 8, f"global step {inspect['globalStep']}, "
          f"variables {[v['name'] for v in inspect['variables']]}")

check.finish()
