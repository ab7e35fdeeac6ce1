#!/usr/bin/env python3
"""Predicted speed-up of distributed Lloyd: time per iteration = compute(n/p) + allreduce(k·d).

compute(n/p) = C × n/p, with C the measured seconds per row per iteration on one node;
allreduce = 2·log2(p)·α + 2(p−1)/p · S/β (recursive doubling latency + ring bandwidth), with
α (latency per message) and S/β (the 2-rank transfer time of the k·d + k + 2 doubles) measured
with `kmeans-mpi bench-allreduce`.

Usage: python3 Scripts/scaling-model.py [ROWS] [K] [DIM] [SECONDS_PER_MILLION_ROWS] [ALPHA_MS] [TRANSFER_MS]
Defaults: 100M × 64, k = 1024, and this machine's figures (docs/command-line.md, "Running on a cluster").
"""
import math
import sys

args = sys.argv[1:]
rows = float(args[0]) if len(args) > 0 else 100e6
k = int(args[1]) if len(args) > 1 else 1024
d = int(args[2]) if len(args) > 2 else 64
per_million = float(args[3]) if len(args) > 3 else 0.95   # s per iteration per 1M rows (k=1024, d=64)
alpha = (float(args[4]) if len(args) > 4 else 4.0) / 1000   # s per message
transfer = (float(args[5]) if len(args) > 5 else 16.0) / 1000  # s for k·d+k+2 doubles, 2 ranks

compute1 = per_million * rows / 1e6
print(f"{rows/1e6:.0f}M × {d}, k = {k}: allreduce of {k*d + k + 2} doubles "
      f"({(k*d + k + 2) * 8 / 1024:.0f} KiB); compute on one node {compute1:.1f} s/iteration")
print("   p   compute s   allreduce ms   iteration s   speed-up   efficiency")
for p in [1, 2, 4, 8, 16, 32, 64]:
    compute = compute1 / p
    allreduce = 0.0 if p == 1 else 2 * math.log2(p) * alpha + 2 * (p - 1) / p * transfer
    total = compute + allreduce
    print(f"{p:4d}   {compute:9.3f}   {allreduce * 1000:12.1f}   {total:11.3f}   "
          f"{compute1 / total:8.2f}   {compute1 / total / p:10.1%}")
