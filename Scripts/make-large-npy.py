#!/usr/bin/env python3
"""Writes a large float32 .npy of Gaussian blobs, chunk by chunk (for the streaming check).

Usage: python3 Scripts/make-large-npy.py OUT.npy ROWS [DIMENSION] [CLUSTERS]
Needs numpy (the fixture script's .venv has it).
"""
import sys
import numpy as np

out, rows = sys.argv[1], int(sys.argv[2])
d = int(sys.argv[3]) if len(sys.argv) > 3 else 64
k = int(sys.argv[4]) if len(sys.argv) > 4 else 256
rng = np.random.default_rng(0)
centers = rng.uniform(-10, 10, size=(k, d)).astype(np.float32)
array = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(rows, d))
chunk = 1 << 20
for start in range(0, rows, chunk):
    n = min(chunk, rows - start)
    labels = rng.integers(0, k, size=n)
    array[start:start + n] = centers[labels] + rng.standard_normal((n, d), dtype=np.float32)
array.flush()
print(f"wrote {out}: {rows} x {d} float32, {array.nbytes / 2**30:.2f} GiB")
