#!/usr/bin/env python3
"""Loss + gradient of the soft k-means loss: swift-kmeans (KMeansDifferentiable, through
`kmeans-bench --suite soft-kmeans`) against TensorFlow 2.15.1's GradientTape inside a
tf.function, on the same data (seeded blobs, 100k × 64, k = 256, float32) and the same number
of threads, in one run. Prints both medians (of 5 timed calls after a warm-up), the ratio, the
CPU's ISA and BLAS kernel, and checks that both computed the same loss and gradients.

Run from the repository root: python3 Scripts/bench-differentiable.py [--rows N] [--threads T]
(installs TensorFlow into .venv-tf on first use, see Scripts/interop_environment.py).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import enter, swift_environment  # noqa: E402

ROOT, _ = enter()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=100_000)
parser.add_argument("--dimension", type=int, default=64)
parser.add_argument("--clusters", type=int, default=256)
parser.add_argument("--temperature", type=float, default=1.0)
parser.add_argument("--threads", type=int, default=os.cpu_count())
options = parser.parse_args()
tf.config.threading.set_intra_op_parallelism_threads(options.threads)
tf.config.threading.set_inter_op_parallelism_threads(options.threads)

flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0] if os.path.exists(
    "/proc/cpuinfo") else ""
isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "SSE"
rng = np.random.RandomState(1)
means = rng.uniform(-10, 10, (options.clusters, options.dimension)).astype(np.float32)
points = (means[rng.randint(options.clusters, size=options.rows)]
          + rng.standard_normal((options.rows, options.dimension))).astype(np.float32)
centers = points[:options.clusters].copy()
temperature = options.temperature


@tf.function
def loss_and_gradients(x, c):
    with tf.GradientTape() as tape:
        tape.watch([x, c])
        distances = (tf.reduce_sum(x * x, 1, keepdims=True) - 2 * tf.matmul(x, c, transpose_b=True)
                     + tf.reduce_sum(c * c, 1)[tf.newaxis, :])
        loss = -temperature * tf.reduce_sum(tf.reduce_logsumexp(-distances / temperature, axis=1))
    return (loss, *tape.gradient(loss, [x, c]))


x, c = tf.constant(points), tf.constant(centers)
loss_and_gradients(x, c)  # trace and warm up
times = []
for _ in range(5):
    start = time.perf_counter()
    loss, towards_x, towards_c = loss_and_gradients(x, c)
    _ = loss.numpy()
    times.append(time.perf_counter() - start)
theirs = {"seconds": sorted(times)[2], "loss": float(loss.numpy()),
          "pointsGradientNorm": float(np.linalg.norm(towards_x.numpy())),
          "centersGradientNorm": float(np.linalg.norm(towards_c.numpy()))}

subprocess.check_call(["swift", "build", "-c", "release", "--product", "kmeans-bench"], cwd=ROOT,
                      stdout=subprocess.DEVNULL, env=swift_environment())
binaries = subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"],
                                   cwd=ROOT, text=True, env=swift_environment()).strip()
with tempfile.TemporaryDirectory() as scratch:
    np.save(os.path.join(scratch, "points.npy"), points)
    np.save(os.path.join(scratch, "centers.npy"), centers)
    output = subprocess.check_output(
        [os.path.join(binaries, "kmeans-bench"), "--suite", "soft-kmeans", "--points",
         os.path.join(scratch, "points.npy"), "--centers", os.path.join(scratch, "centers.npy"),
         "--threads", str(options.threads), "--temperature", str(temperature)],
        cwd=ROOT, text=True)
lines = output.strip().splitlines()
ours = json.loads(lines[-1])
print(f"CPU ISA: {isa}; {lines[0]}; threads: {options.threads}; "
      f"{options.rows}×{options.dimension}, k = {options.clusters}, τ = {temperature}, float32")
print(f"swift-kmeans (fused pass + 3 GEMMs):  {ours['seconds']:.3f} s  loss {ours['loss']:.6g}")
print(f"TensorFlow {tf.__version__} GradientTape:    {theirs['seconds']:.3f} s  loss "
      f"{theirs['loss']:.6g}")
print(f"ratio (ours / TensorFlow's): {ours['seconds'] / theirs['seconds']:.2f} (target ≤ 0.5)")
agree = all(abs(ours[key] - theirs[key]) <= 1e-3 * abs(theirs[key])
            for key in ["loss", "pointsGradientNorm", "centersGradientNorm"])
print(f"same loss and gradient norms (1e-3 relative): {'yes' if agree else 'NO'} "
      f"({ours['pointsGradientNorm']:.6g} / {theirs['pointsGradientNorm']:.6g}, "
      f"{ours['centersGradientNorm']:.6g} / {theirs['centersGradientNorm']:.6g})")
sys.exit(0 if agree else 1)
