#!/usr/bin/env python3
"""Rows kept at their own width (float16, bfloat16, uint8 `.npy`) against the same values in
float32: time, memory and bits.

    python3 Scripts/bench-half-precision.py [--threads T] [--quick]

For 1,000,000 × 384 unit rows (a mixture of 256 directions, like sentence embeddings) and a
100,000-row part of them, each stored as float16, as bfloat16 (as `ml_dtypes` saves it: `<V2`)
and as uint8 (128 + 127·x, rounded), and as float32 holding exactly the same values, it runs

- `kmeans train FILE -k 256 --metric cosine --algorithm lloyd --max-iter 6` in memory: the
  compact file is kept at its own width and widened a piece at a time; the float32 file is
  read whole. It prints the median seconds per iteration after the first, the whole run's
  seconds (reading the file, seeding, the iterations, the final labels), the peak resident
  memory, and whether labels, centers and inertia are the same bits;
- `kmeans train FILE -k 8 --stream --init random --max-iter 5` (one pass over the file per
  iteration): seconds per pass, and the file's bytes read per second.

Data are made once into .build/bench-half-precision/ (NumPy and ml_dtypes; from
Scripts/interop_environment.py's .venv-tf when the system Python lacks them): about 3 GB. The
files are read from the page cache (each run reads its file once before timing). Nothing else
should be running.
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

WORK = ROOT / ".build" / "bench-half-precision"
BINARY = ROOT / ".build" / "release" / "kmeans"


def numpy():
    try:
        import ml_dtypes  # noqa: F401, PLC0415
        import numpy as np  # noqa: PLC0415

        return np
    except ImportError:
        venv = ROOT / ".venv-tf" / "bin" / "python"
        if not venv.exists() or Path(sys.executable) == venv:
            message = "NumPy and ml_dtypes are needed: python3 Scripts/interop_environment.py"
            raise SystemExit(message) from None
        os.execv(str(venv), [str(venv), *sys.argv])


ELEMENTS = ["float16", "bfloat16", "uint8"]


def make_files(np, rows):
    """Writes the compact files and their float32 twins (run in a child process: see files)."""
    import ml_dtypes  # noqa: PLC0415

    WORK.mkdir(parents=True, exist_ok=True)
    base = WORK / f"unit-{rows}x384-float32.npy"
    if not base.exists():
        random = np.random.default_rng(1)
        means = random.standard_normal((256, 384)).astype(np.float32)
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        data = means[random.integers(0, 256, rows)]
        data += random.standard_normal((rows, 384)).astype(np.float32) * (1.2 / 384**0.5)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        np.save(base, data.astype(np.float32))
    data = np.load(base, mmap_mode="r")
    converters = {
        "float16": lambda x: x.astype(np.float16),
        "bfloat16": lambda x: x.astype(ml_dtypes.bfloat16),
        "uint8": lambda x: np.rint(128 + 127 * x).astype(np.uint8),
    }
    for name, (compact, twin) in files(rows, make=False).items():
        if not compact.exists() or not twin.exists():
            values = converters[name](np.asarray(data))
            np.save(compact, values)
            np.save(twin, values.astype(np.float32))


def files(rows, make=True):
    """The compact files and their float32 twins (`name` → (compact path, float32 path)), made
    by a child process when missing: Linux keeps a process's peak memory across fork and exec,
    so the commands timed here must start from a process that never held the data."""
    paths = {
        name: (
            WORK / f"unit-{rows}x384-{name}.npy",
            WORK / f"unit-{rows}x384-{name}-as-float32.npy",
        )
        for name in ELEMENTS
    }
    if make and not all(a.exists() and b.exists() for a, b in paths.values()):
        subprocess.run([sys.executable, __file__, "--make", str(rows)], check=True)
    return paths


def warm(path):
    """Reads `path` into the page cache, a few MiB at a time."""
    with open(path, "rb") as file:
        while file.read(1 << 22):
            pass


def train(path, arguments, threads):
    labels = WORK / "labels.npy"
    centers = WORK / "centers.npy"
    warm(path)
    result = subprocess.run(
        [str(BINARY), "train", str(path), *arguments, "--threads", str(threads), "--json"]
        + ["--labels-output", str(labels), "--centers-output", str(centers), "--seed", "3"],
        env=swift_environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    summary = json.loads(result.stdout)
    digest = hashlib.sha256(labels.read_bytes() + centers.read_bytes()).hexdigest()
    seconds = summary["iterationSeconds"][1:] or summary["iterationSeconds"]
    return summary, statistics.median(seconds), digest + repr(summary["inertia"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="the 100,000-row set alone")
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.make:
        make_files(numpy(), options.make)
        return
    build_release(ROOT)
    cpu, flags = cpu_model_and_flags()
    isa = ", ".join(f for f in ["avx2", "f16c", "avx512f", "avx512_bf16"] if f in flags)
    print(f"CPU: {cpu} ({isa}); {options.threads} threads")
    print()
    print("In memory: cosine, Lloyd, k = 256, 6 iterations, seeded alike (greedy k-means++)")
    print()
    print(
        "| data | stored as | s/iter | float32 s/iter | × | run s | float32 run s | "
        "peak MB | float32 peak MB | × | same bits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    in_memory = ["-k", "256", "--metric", "cosine", "--algorithm", "lloyd", "--max-iter", "6"]
    sizes = [100_000] if options.quick else [100_000, 1_000_000]
    for rows in sizes:
        for name, (compact, twin) in files(rows).items():
            small = train(compact, in_memory, options.threads)
            wide = train(twin, in_memory, options.threads)
            same = small[2] == wide[2]
            failures += not same
            peak, wide_peak = (run[0]["peakResidentBytes"] / 2**20 for run in (small, wide))
            print(
                f"| {rows // 1000}k×384 | {name} | {small[1]:.3f} | {wide[1]:.3f} | "
                f"{small[1] / wide[1]:.2f} | {small[0]['seconds']:.2f} | "
                f"{wide[0]['seconds']:.2f} | {peak:.0f} | {wide_peak:.0f} | "
                f"{peak / wide_peak:.2f} | {'yes' if same else 'NO'} |",
                flush=True,
            )
    print()
    print("--stream: k = 8, random start, 5 passes over the file (median seconds per pass)")
    print()
    print("| data | stored as | file GB | s/pass | file GB/s | same bits as float32 |")
    print("|---|---|---|---|---|---|")
    streamed = ["-k", "8", "--stream", "--init", "random", "--max-iter", "5"]
    for name, (compact, twin) in files(sizes[-1]).items():
        wide = train(twin, streamed, options.threads)
        small = train(compact, streamed, options.threads)
        same = small[2] == wide[2]
        failures += not same
        for label, path, run in [(name, compact, small), ("float32", twin, wide)]:
            gigabytes = path.stat().st_size / 1e9
            print(
                f"| {sizes[-1] // 1000}k×384 | {label} ({name} values) | {gigabytes:.2f} | "
                f"{run[1]:.3f} | {gigabytes / run[1]:.2f} | {'yes' if same else 'NO'} |",
                flush=True,
            )
    if failures:
        raise SystemExit(f"{failures} runs gave different bits")


if __name__ == "__main__":
    main()
