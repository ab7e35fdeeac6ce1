#!/usr/bin/env python3
"""Lloyd iterations with the bfloat16 screen against the float32 kernels, at embedding widths.

    python3 Scripts/bench-bfloat16.py [--threads T] [--quick]

For each data set — the peer benchmark's unit blobs (20,000 × 384 rows scaled to unit length,
from Scripts/bench-peers.py's cache when present) and unit-length mixtures at d = 384, 768 and
1,536 — and each k, `kmeans train --algorithm lloyd` runs from the same initial centers with
the default kernel (on CPUs with AVX512_BF16: "fused AVX-512, bfloat16 screening"), with
`KMEANS_KERNEL=avx512` (the float32 AVX-512 kernel alone) and with `KMEANS_KERNEL=avx2`. It
prints the median seconds per iteration of each, the ratio to the bfloat16 run, the float32
kernel's time over the GEMM bound (one NumPy/OpenBLAS float32 product n × d · d × k on the same
threads, best of 3), and checks that every run's labels, centers and inertia are the same bits.
Data are made once into .build/bench-bfloat16/ (NumPy; from Scripts/interop_environment.py's
.venv-tf when the system Python lacks it). Nothing else should be running.
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
    embeddings = ROOT / ".build" / "bench-peers" / "unit-20000x384.npy"
    if embeddings.exists():
        sets.append(("unit blobs 20k×384", embeddings, [100, 1000]))
    for rows, dimension, ks in [
        (100_000, 384, [256, 1024]),
        (50_000, 768, [256, 1024]),
        (25_000, 1536, [256, 1024]),
    ]:
        if quick:
            rows //= 5
            ks = ks[:1]
        path = WORK / f"mixture-{rows}x{dimension}.npy"
        if not path.exists():
            np.save(path, mixture(np, rows, dimension, 2000, seed=dimension))
        sets.append((f"unit mixture {rows // 1000}k×{dimension}", path, ks))
    return sets


def initial_centers(np, path, k):
    out = WORK / f"{path.stem}-init{k}.npy"
    if not out.exists():
        data = np.load(path, mmap_mode="r")
        rows = np.random.default_rng(k).choice(data.shape[0], k, replace=False)
        np.save(out, np.ascontiguousarray(data[np.sort(rows)]))
    return out


def gemm_seconds(np, path, k):
    """The best of 3 float32 GEMMs of the data against k of its rows: the shape's bound."""
    import time  # noqa: PLC0415

    data = np.load(path)
    centers = np.ascontiguousarray(data[:k].T)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        np.dot(data, centers)
        best = min(best, time.perf_counter() - start)
    return best


def train(path, init, k, threads, kernel, iterations):
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
            "cosine",
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
        f"CPU: {cpu} ({isa}); {arguments.threads} threads; cosine, Lloyd, from the same "
        "initial centers; median seconds per iteration after the first"
    )
    print(
        "| data | k | bfloat16 screen ms | float32 AVX-512 ms | × | AVX2 ms | × | "
        "GEMM ms | float32 × GEMM | same bits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for name, path, ks in data_sets(np, arguments.quick):
        for k in ks:
            init = initial_centers(np, path, k)
            runs = {
                kernel: train(path, init, k, arguments.threads, kernel, 12)
                for kernel in [None, "avx512", "avx2"]
            }
            screen = runs[None]
            same = all(
                run[2] == screen[2] and run[0]["inertia"] == screen[0]["inertia"]
                for run in runs.values()
            )
            failures += not same
            gemm = gemm_seconds(np, path, k)
            print(
                f"| {name} | {k} | {screen[1] * 1e3:.2f} ({screen[0]['kernel']}) | "
                f"{runs['avx512'][1] * 1e3:.2f} | {runs['avx512'][1] / screen[1]:.2f} | "
                f"{runs['avx2'][1] * 1e3:.2f} | {runs['avx2'][1] / screen[1]:.2f} | "
                f"{gemm * 1e3:.2f} | {runs['avx512'][1] / gemm:.2f} | "
                f"{'yes' if same else 'NO'} |",
                flush=True,
            )
    if failures:
        raise SystemExit(f"{failures} data sets gave different bits")


if __name__ == "__main__":
    main()
