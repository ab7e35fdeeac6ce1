#!/usr/bin/env python3
"""Writes the crafted inputs of Tests/KMeansIOTests/Fixtures/Fuzz/<target>/ once: files that
crashed (or would crash) a parser before its numbers were checked. Each is replayed by
FuzzRegressionTests through the fuzz targets' own checks and seeds Scripts/fuzz.sh. Findings of
the fuzzer itself are copied there by hand (from .build/fuzz/findings/<target>/), named
fuzz-<what>: e.g. npy/fuzz-rows-without-columns.npy (2,147,486,348 rows of 0 columns, which the
batch reader handed out as empty batches for ever).

Layouts: csv, svmlight and vecs inputs start with one byte of options (see
Tests/KMeansTestSupport/ParserChecks.swift); npy and npz inputs are the file itself."""
import io
import os
import struct
import zipfile

root = os.path.join(os.path.dirname(__file__), "..", "Tests", "KMeansIOTests", "Fixtures", "Fuzz")


def save(name, data):
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def npy(descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def text_array(s):
    header = "{'descr': '<U%d', 'fortran_order': False, 'shape': (), }" % len(s)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
            + s.encode("utf-32-le"))


def npz(members, method=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def csr(indptr, indices, data, shape, shape_descr="<i8"):
    shape_payload = (struct.pack("<2q", *shape) if shape_descr == "<i8"
                     else struct.pack("<2d", *shape))
    return npz([
        ("indices.npy", npy("<i4", "(%d,)" % len(indices), struct.pack("<%di" % len(indices), *indices))),
        ("indptr.npy", npy("<i4", "(%d,)" % len(indptr), struct.pack("<%di" % len(indptr), *indptr))),
        ("format.npy", text_array("csr")),
        ("shape.npy", npy(shape_descr, "(2,)", shape_payload)),
        ("data.npy", npy("<f4", "(%d,)" % len(data), struct.pack("<%df" % len(data), *data))),
    ])


# .npy: shapes whose element or byte count overflows; int64 extremes read as labels.
save("npy/shape-product-overflows.npy", npy("<f4", "(4611686018427387904, 4)", b"\0" * 16))
save("npy/byte-count-overflows.npy", npy("<f8", "(2305843009213693952,)", b"\0" * 16))
save("npy/int64-max-label.npy", npy("<i8", "(2,)", struct.pack("<qq", 2**63 - 1, -2**63)))

# .npz: CSR arrays that lie, and ZIP directories that point anywhere.
save("npz/indptr-past-values.npz", csr([0, 5, 2], [0, 1], [1.0, 2.0], [2, 3]))
save("npz/indptr-negative.npz", csr([0, -1, 2], [0, 1], [1.0, 2.0], [2, 3]))
save("npz/shape-nan.npz", csr([0, 1, 2], [0, 1], [1.0, 2.0], [float("nan"), 3.0], "<f8"))
save("npz/shape-huge.npz", csr([0, 1, 2], [0, 1], [1.0, 2.0], [2**63 - 1, 3]))
deflated = bytearray(npz([("format.npy", text_array("csr"))], zipfile.ZIP_DEFLATED))
entry = deflated.find(b"PK\x01\x02")
deflated[entry + 24:entry + 28] = struct.pack("<I", 0xFFFFFFF0)  # claims 4 GiB uncompressed
save("npz/deflate-claims-4-GiB.npz", bytes(deflated))
end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0, 0xFFFFFFFF, 0)
save("npz/zip64-record-offset-huge.npz",
     b"PK\x06\x07" + struct.pack("<IQI", 0, 2**63 + 5, 1) + end)
record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 2**64 - 3, 2**64 - 3, 0, 0)
save("npz/zip64-count-negative.npz", record + b"PK\x06\x07" + struct.pack("<IQI", 0, 0, 1) + end)

# svmlight: indices past Int32 (and Int) range.
save("svmlight/index-int-max", b"\x01" + b"1 9223372036854775807:1.5\n2 3:1\n")
save("svmlight/index-beyond-int32", b"\x00" + b"1 4294967296:1.5\n")

# CSV: numbers past Double and Int.
save("csv/huge-numbers", b"\x00" + b"a,b\n1e309,2\n9223372036854775808,1\n")

# vecs: the largest and a negative dimension.
save("vecs/dimension-int32-max", b"\x00" + struct.pack("<i", 2**31 - 1) + b"\0" * 8)
save("vecs/dimension-negative", b"\x01" + struct.pack("<i", -4) + b"\0" * 8)
