#!/usr/bin/env python3
"""The Python package's costs, measured: the overhead of the Python layer over the engine's
own time, the peak memory of a fit against the size of the array, and how long Ctrl-C takes
to stop a fit. Run from the repository root with the package installed (Scripts/python-tests.sh
makes .venv-python):

    .venv-python/bin/python Scripts/bench-python.py [--rows 1000000] [--columns 64] [-k 256]

Each figure runs in a child process of its own, so peak memory is that run's alone.
"""

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time


def child(task, rows, columns, k):
    import numpy as np

    import swift_kmeans
    from swift_kmeans import KMeans, _native

    rng = np.random.default_rng(0)
    if task == "memory-csr":
        import scipy.sparse as sp

        # `columns` stored values a row among 100 × `columns` columns, made a piece at a time.
        width = 100 * columns
        data = np.empty(rows * columns, dtype=np.float32)
        indices = np.empty(rows * columns, dtype=np.int32)
        for start in range(0, rows, 65_536):
            stop = min(rows, start + 65_536)
            picks = rng.integers(0, width, size=(stop - start, columns), dtype=np.int32)
            picks.sort(axis=1)
            indices[start * columns : stop * columns] = picks.reshape(-1)
            data[start * columns : stop * columns] = rng.random((stop - start) * columns)
        indptr = np.arange(0, rows * columns + 1, columns, dtype=np.int64)
        X = sp.csr_matrix((data, indices, indptr), shape=(rows, width))
        size = data.nbytes + indices.nbytes + indptr.nbytes
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        KMeans(k, n_init=1, max_iter=3, random_state=0).fit(X)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {
            "csr_bytes": size,
            "rss_before_fit": before,
            "peak_rss": peak,
            "ratio": 1 + (peak - before) / size,
        }
    centers = rng.normal(scale=4, size=(k, columns)).astype(np.float32)
    # Filled a piece at a time, so that making the data raises the peak by no more than it.
    X = np.empty((rows, columns), dtype=np.float32)
    for start in range(0, rows, 65_536):
        stop = min(rows, start + 65_536)
        X[start:stop] = centers[rng.integers(0, k, size=stop - start)]
        X[start:stop] += rng.normal(size=(stop - start, columns)).astype(np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if task == "overhead":
        engine = []
        call = _native._run_interruptible

        def timed(function, cancel):
            started = time.perf_counter()
            try:
                return call(function, cancel)
            finally:
                engine.append(time.perf_counter() - started)

        _native._run_interruptible = timed
        started = time.perf_counter()
        km = KMeans(k, n_init=1, max_iter=10, tol=0, random_state=0, algorithm="plain").fit(X)
        total = time.perf_counter() - started
        return {
            "total_s": total,
            "engine_s": sum(engine),
            "iterations": km.n_iter_,
            "overhead": total / sum(engine) - 1,
        }
    if task == "memory":
        KMeans(k, n_init=1, max_iter=3, random_state=0).fit(X)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {
            "array_bytes": X.nbytes,
            "rss_before_fit": before,
            "peak_rss": peak,
            "ratio": 1 + (peak - before) / X.nbytes,
        }
    if task == "interrupt":
        signal.signal(signal.SIGINT, signal.default_int_handler)

        def interrupt():
            time.sleep(1.0)
            interrupt.sent = time.perf_counter()
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        try:
            KMeans(k, n_init=1, max_iter=100_000, tol=0, algorithm="plain", random_state=0).fit(X)
            return {"latency_s": None, "note": "finished before the interrupt"}
        except KeyboardInterrupt:
            return {
                "latency_s": time.perf_counter() - interrupt.sent,
                "threads_left": [t.name for t in threading.enumerate() if t.name == "swift-kmeans"],
            }
    raise SystemExit(f"unknown task {task} ({swift_kmeans.__version__})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=64)
    parser.add_argument("-k", type=int, default=256)
    parser.add_argument(
        "--memory-rows", type=int, default=8_388_608, help="rows of the memory run (2 GiB)"
    )
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.columns, args.k)))
        return
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            text = file.read()
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("model name")
        )
        isa = "AVX-512" if " avx512f" in text else "AVX2" if " avx2" in text else "other"
    except (OSError, StopIteration):
        isa = "unknown"
    print(
        f"CPU {cpu} ({isa}), {os.cpu_count()} cores; blobs {args.rows}x{args.columns} "
        f"float32, k={args.k} (memory: {args.memory_rows} rows dense; CSR: half as many rows "
        f"of {args.columns} values among {100 * args.columns} columns)"
    )
    for task in ("overhead", "memory", "memory-csr", "interrupt"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                task,
                "--rows",
                str(
                    args.memory_rows
                    if task == "memory"
                    else args.memory_rows // 2
                    if task == "memory-csr"
                    else args.rows
                ),
                "--columns",
                str(args.columns),
                "-k",
                str(args.k),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(f"{task:10s} {out.strip()}")


if __name__ == "__main__":
    main()
