#!/usr/bin/env python3
"""Lloyd iterations with the bfloat16 screen against the float32 kernels and the GEMM bound.

    python3 Scripts/bench-bfloat16.py [--threads T] [--quick]

For each data set — the peer benchmark's blobs (1M × 64 at k = 256 and 100k × 32 at k = 64,
Euclidean) and unit blobs (20,000 × 384 rows scaled to unit length), from Scripts/bench-peers.py's
cache when present, and unit-length mixtures at d = 384, 768 and 1,536 for k = 100 … 4,096 —
`kmeans train --algorithm lloyd` runs from the same initial centers with the default kernel (on
CPUs with AVX512_BF16: "fused AVX-512, bfloat16 screening"), with `KMEANS_KERNEL=avx512` (the
float32 AVX-512 kernel alone) and with `KMEANS_KERNEL=avx2`. It prints the median seconds per
iteration of each, the ratio to the bfloat16 run, each float32 kernel's time over its GEMM bound
(one NumPy/OpenBLAS float32 product n × d · d × k on the same threads, best of 3, in a process
without OPENBLAS_L2_SIZE: for AVX-512 with OpenBLAS's own choice of kernel, for AVX2 with
OPENBLAS_CORETYPE=Haswell, its AVX2 kernel — the bound on a machine without AVX-512), and checks
that every run's labels, centers and inertia are the same bits. Data are made once into
.build/bench-bfloat16/ (NumPy; from Scripts/interop_environment.py's .venv-tf when the system
Python lacks it). Nothing else should be running.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Scripts"))
from interop_environment import (  # noqa: E402
    build_release,
    cpu_model_and_flags,
    swift_environment,
)

WORK = ROOT / ".build" / "bench-bfloat16"
BINARY = ROOT / ".build" / "release" / "kmeans"


def numpy(threads):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    try:
        import numpy as np  # noqa: PLC0415

        return np
    except ImportError:
        venv = ROOT / ".venv-tf" / "bin" / "python"
        if not venv.exists():
            raise SystemExit("NumPy is needed: python3 Scripts/interop_environment.py") from None
        os.execv(str(venv), [str(venv), *sys.argv])


def mixture(np, rows, dimension, clusters, seed):
    """Unit rows around `clusters` random unit directions (spread like sentence embeddings)."""
    random = np.random.default_rng(seed)
    means = random.standard_normal((clusters, dimension)).astype(np.float32)
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    which = random.integers(0, clusters, rows)
    noise = random.standard_normal((rows, dimension)).astype(np.float32) * (1.2 / dimension**0.5)
    data = means[which] + noise
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def data_sets(np, quick):
    WORK.mkdir(parents=True, exist_ok=True)
    sets = []
    peers = ROOT / ".build" / "bench-peers"
    for name, file, ks, metric in [
        ("blobs 1M×64", "blobs-1Mx64.npy", [256], "euclidean"),
        ("blobs 100k×32", "blobs-100kx32.npy", [64], "euclidean"),
        ("unit blobs 20k×384", "unit-20000x384.npy", [100, 1000], "cosine"),
    ]:
        if (peers / file).exists() and not quick:
            sets.append((name, peers / file, ks, metric))
    for rows, dimension in [(100_000, 384), (50_000, 768), (25_000, 1536)]:
        ks = [100, 256, 1024, 4096]
        if quick:
            rows //= 5
            ks = [256]
        path = WORK / f"mixture-{rows}x{dimension}.npy"
        if not path.exists():
            np.save(path, mixture(np, rows, dimension, 2000, seed=dimension))
        sets.append((f"unit mixture {rows // 1000}k×{dimension}", path, ks, "cosine"))
    return sets


def initial_centers(np, path, k):
    out = WORK / f"{path.stem}-init{k}.npy"
    if not out.exists():
        data = np.load(path, mmap_mode="r")
        rows = np.random.default_rng(k).choice(data.shape[0], k, replace=False)
        np.save(out, np.ascontiguousarray(data[np.sort(rows)]))
    return out


GEMM = """
import sys, time
import numpy as np
data = np.load(sys.argv[1])
centers = np.ascontiguousarray(data[: int(sys.argv[2])].T)
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    np.dot(data, centers)
    best = min(best, time.perf_counter() - start)
print(best)
"""


def gemm_seconds(path, k, threads, core=None):
    """The best of 3 float32 GEMMs of the data against k of its rows: the shape's bound, in a
    process whose OpenBLAS chooses its own kernel (no OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE),
    or runs `core`'s ("Haswell": its AVX2 kernel, the bound of an AVX2 machine)."""
    environment = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        environment.pop(name, None)
    if core:
        environment["OPENBLAS_CORETYPE"] = core
    environment["OPENBLAS_NUM_THREADS"] = str(threads)
    output = subprocess.run(
        [sys.executable, "-c", GEMM, str(path), str(k)],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.split()[-1])


def train(path, init, k, threads, kernel, iterations, metric):
    environment = swift_environment()
    environment.pop("KMEANS_KERNEL", None)
    if kernel:
        environment["KMEANS_KERNEL"] = kernel
    labels = WORK / f"labels-{kernel or 'default'}.npy"
    centers = WORK / f"centers-{kernel or 'default'}.npy"
    result = subprocess.run(
        [
            str(BINARY),
            "train",
            str(path),
            "-k",
            str(k),
            "--init",
            str(init),
            "--metric",
            metric,
            "--algorithm",
            "lloyd",
            "--max-iter",
            str(iterations),
            "--tol",
            "0",
            "--threads",
            str(threads),
            "--labels-output",
            str(labels),
            "--centers-output",
            str(centers),
            "--json",
        ],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    summary = json.loads(result.stdout)
    digest = hashlib.sha256(labels.read_bytes() + centers.read_bytes()).hexdigest()
    # The first iteration also packs and warms; the rest are the steady state.
    seconds = summary["iterationSeconds"][1:] or summary["iterationSeconds"]
    return summary, statistics.median(seconds), digest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a fifth of the rows, one k each")
    arguments = parser.parse_args()
    np = numpy(arguments.threads)
    build_release(ROOT)
    cpu, flags = cpu_model_and_flags()
    isa = ", ".join(f for f in ["avx2", "avx512f", "avx512_bf16"] if f in flags)
    print(
        f"CPU: {cpu} ({isa}); {arguments.threads} threads; Lloyd, from the same "
        "initial centers; median seconds per iteration after the first"
    )
    print(
        "| data | metric | k | bfloat16 screen ms | float32 AVX-512 ms | × | AVX2 ms | × | "
        "GEMM ms | AVX-512 × GEMM | AVX2 GEMM ms | AVX2 × AVX2 GEMM | same bits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for name, path, ks, metric in data_sets(np, arguments.quick):
        for k in ks:
            init = initial_centers(np, path, k)
            iterations = 6 if k >= 4096 else 12
            runs = {
                kernel: train(path, init, k, arguments.threads, kernel, iterations, metric)
                for kernel in [None, "avx512", "avx2"]
            }
            screen = runs[None]
            same = all(
                run[2] == screen[2] and run[0]["inertia"] == screen[0]["inertia"]
                for run in runs.values()
            )
            failures += not same
            gemm = gemm_seconds(path, k, arguments.threads)
            gemm_avx2 = gemm_seconds(path, k, arguments.threads, core="Haswell")
            print(
                f"| {name} | {metric} | {k} | {screen[1] * 1e3:.2f} ({screen[0]['kernel']}) | "
                f"{runs['avx512'][1] * 1e3:.2f} | {runs['avx512'][1] / screen[1]:.2f} | "
                f"{runs['avx2'][1] * 1e3:.2f} | {runs['avx2'][1] / screen[1]:.2f} | "
                f"{gemm * 1e3:.2f} | {runs['avx512'][1] / gemm:.2f} | "
                f"{gemm_avx2 * 1e3:.2f} | {runs['avx2'][1] / gemm_avx2:.2f} | "
                f"{'yes' if same else 'NO'} |",
                flush=True,
            )
    if failures:
        raise SystemExit(f"{failures} data sets gave different bits")


if __name__ == "__main__":
    main()
