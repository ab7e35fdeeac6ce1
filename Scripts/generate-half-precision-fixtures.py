#!/usr/bin/env python3
"""Writes the half-precision and 8-bit .npy fixtures of Tests/KMeansIOTests/Fixtures with NumPy
and ml_dtypes (in .venv-tf: `python3 Scripts/generate-half-precision-fixtures.py`):
float16, bfloat16 (as ml_dtypes saves it, descr '<V2'), uint8 and int8 arrays, and
half-precision.json with every value as the float64 that NumPy widens it to (exact), which the
readers must reproduce bit for bit.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import interop_environment  # noqa: E402

if sys.prefix != interop_environment.VENV:
    interop_environment.prepare()
    os.execv(interop_environment.PYTHON, [interop_environment.PYTHON] + sys.argv)

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

target = os.path.join(ROOT, "Tests", "KMeansIOTests", "Fixtures")
# Values that exercise every case: zeros of both signs, subnormals, the largest finite value,
# values that round (1/3, 0.1), negative and large magnitudes.
wide = np.array([
    [0.0, -0.0, 1.0 / 3.0, 0.1, -2.5, 65504.0],
    [6.1e-5, 5.96e-8, -1e-7, 1234.567, -0.333, 3.14159],
    [1e30, -7.0, 0.5, 2.0 ** -14, 100.25, -65504.0],
])
arrays = {
    "float16-3x6.npy": wide.clip(-65504, 65504).astype(np.float16),
    "bfloat16-3x6.npy": wide.astype(np.float32).astype(ml_dtypes.bfloat16),
    "uint8-2x5.npy": np.array([[0, 1, 127, 128, 255], [3, 250, 17, 64, 9]], dtype=np.uint8),
    "int8-2x5.npy": np.array([[0, -1, 127, -128, 5], [-3, 100, -17, 64, -9]], dtype=np.int8),
    "uint8-labels.npy": np.array([0, 1, 2, 255, 7], dtype=np.uint8),
}
expected = {}
for name, array in arrays.items():
    np.save(os.path.join(target, name), array)
    if array.ndim == 2:  # (the labels are checked as integers)
        expected[name] = array.astype(np.float64).tolist()
with open(os.path.join(target, "half-precision.json"), "w") as f:
    json.dump({"numpy": np.__version__, "ml_dtypes": ml_dtypes.__version__, "values": expected},
              f, indent=1)
    f.write("\n")
print("wrote", ", ".join(arrays), "and half-precision.json to", target)
