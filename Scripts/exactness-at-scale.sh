#!/usr/bin/env bash
# Exactness at the sizes where blocks, pieces and groups change, on the release build (what a
# user runs): blobs 150,000 × 64 (float32; a stream reads them in 19 pieces of up to 8,192
# rows, each summed after its pass; in memory the cluster sums are taken inside the
# assignment pass), k = 1,024 (Yinyang's groups reach their cap of 64), 3 full-batch
# iterations from the same random centers. For each metric, every run must give the labels and the bit-identical
# centers (compared as raw .npy bytes) of in-memory Lloyd on 2 threads:
#   Lloyd on 1 thread; Hamerly, Yinyang and automatic in memory; Lloyd, Hamerly and Yinyang
#   over --stream; and, with sample weights, Yinyang against Lloyd, in memory and streamed.
#   Then `kmeans predict` with the model must give the training labels.
# With `--mpi KMEANS_MPI` (Scripts/mpi-tests.sh passes its build), only 2 MPI ranks instead:
# Lloyd and Yinyang under `mpirun -np 2`, both metrics, against one process's Lloyd — the same
# labels, centers within 1e-6 relative (per-rank sums are added in another order).
# Prints the assignment kernel that ran (KMEANS_KERNEL=avx2|blas forces one), a line per check
# and "N passed, M failed"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mpi=""
if [ "${1:-}" = --mpi ]; then mpi=$2; fi
# KMEANS_BINARY names a kmeans already built (Scripts/mpi-tests.sh's, built before the MPI
# trait recompiled the package); otherwise the release build's.
if [ -n "${KMEANS_BINARY:-}" ]; then
  kmeans=$KMEANS_BINARY
else
  swift build -c release --product kmeans >/dev/null || exit 1
  kmeans="$(swift build -c release --show-bin-path)/kmeans"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# The data and the weights (Python's standard library only), made once per version of this
# script and kept under .build/exactness-at-scale for the next runs (each kernel's, MPI's).
cache=".build/exactness-at-scale/$(sha256sum Scripts/exactness-at-scale.sh | cut -c1-16)"
if [ ! -f "$cache/weights.npy" ]; then
  mkdir -p "$cache.$$"
  python3 - "$cache.$$" <<'PY'
import array, random, struct, sys
def write(path, values, shape, code, descr):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(array.array(code, values).tobytes())
random.seed(5)
n, d, clusters = 150_000, 64, 200
centers = [[random.uniform(-8, 8) for _ in range(d)] for _ in range(clusters)]
rows = []
for _ in range(n):
    center = centers[random.randrange(clusters)]
    rows.extend(c + random.gauss(0, 1.5) for c in center)
write(f"{sys.argv[1]}/data.npy", rows, (n, d), "f", "<f4")
write(f"{sys.argv[1]}/weights.npy", [random.uniform(0.5, 3) for _ in range(n)], (n,), "d", "<f8")
PY
  mv -T "$cache.$$" "$cache" 2>/dev/null || rm -rf "$cache.$$"
fi
ln -s "$PWD/$cache/data.npy" "$work/data.npy"
ln -s "$PWD/$cache/weights.npy" "$work/weights.npy"
echo "     blobs 150,000 x 64 float32, k = 1,024; assignment kernel: $("$kmeans" train "$work/data.npy" -k 1024 --init random --max-iter 1 --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["kernel"])')${KMEANS_KERNEL:+ (KMEANS_KERNEL=$KMEANS_KERNEL)}"

# run NAME ARGS...: trains, writing NAME's centers and labels; a failed run fails its checks.
# With KMEANS_RUN set to a command prefix (mpirun …), runs through it.
run() {
  local name=$1; shift
  ${KMEANS_RUN:-"$kmeans"} train "$work/data.npy" -k 1024 --init random --seed 7 --max-iter 3 \
    --tol 0 --centers-output "$work/$name.centers.npy" --labels-output "$work/$name.labels.npy" \
    --output "$work/$name.json" "$@" >"$work/$name.log" 2>&1 \
    || { echo "     $name failed:"; tail -n 3 "$work/$name.log"; }
}
same() { # same NAME REFERENCE: identical centers (bit for bit) and labels
  if cmp -s "$work/$1.centers.npy" "$work/$2.centers.npy" \
    && cmp -s "$work/$1.labels.npy" "$work/$2.labels.npy"; then
    echo "ok   $1 = $2 (labels, centers bit for bit)"; passed=$((passed + 1))
  else
    echo "FAIL $1 != $2"; failed=$((failed + 1))
  fi
}

# close NAME REFERENCE: the same labels, centers within 1e-6 relative (float32 .npy files).
close() {
  if cmp -s "$work/$1.labels.npy" "$work/$2.labels.npy" && python3 - "$work/$1.centers.npy" \
    "$work/$2.centers.npy" <<'PY'
import array, sys
def values(path):
    data = open(path, "rb").read()
    header = 10 + int.from_bytes(data[8:10], "little")
    return array.array("f", data[header:])
a, b = values(sys.argv[1]), values(sys.argv[2])
sys.exit(0 if len(a) == len(b) and len(a) > 0
         and all(abs(x - y) <= 1e-6 * max(1.0, abs(y)) for x, y in zip(a, b)) else 1)
PY
  then
    echo "ok   $1 ~ $2 (labels equal, centers within 1e-6)"; passed=$((passed + 1))
  else
    echo "FAIL $1 differs from $2"; failed=$((failed + 1))
  fi
}

if [ -n "$mpi" ]; then
  for metric in euclidean cosine; do
    run "$metric-lloyd" --metric $metric --algorithm lloyd --threads 2
    for algorithm in lloyd yinyang; do
      KMEANS_RUN="timeout 600 mpirun --oversubscribe -np 2 $mpi" \
        run "$metric-$algorithm-2-ranks" --metric $metric --algorithm $algorithm --threads 1
      close "$metric-$algorithm-2-ranks" "$metric-lloyd"
    done
  done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

for metric in euclidean cosine; do
  m="--metric $metric"
  run "$metric-lloyd" $m --algorithm lloyd --threads 2
  run "$metric-lloyd-1-thread" $m --algorithm lloyd --threads 1
  for algorithm in hamerly yinyang auto; do
    run "$metric-$algorithm" $m --algorithm "$algorithm" --threads 2
  done
  for algorithm in lloyd hamerly yinyang; do
    run "$metric-$algorithm-stream" $m --algorithm "$algorithm" --threads 2 --stream
  done
  for name in lloyd-1-thread hamerly yinyang auto lloyd-stream hamerly-stream yinyang-stream; do
    same "$metric-$name" "$metric-lloyd"
  done
  # The labels training returns are the labels its model predicts.
  "$kmeans" predict --model "$work/$metric-lloyd.json" "$work/data.npy" --threads 2 \
    --output "$work/$metric-predict.labels.npy" >/dev/null 2>&1
  if cmp -s "$work/$metric-predict.labels.npy" "$work/$metric-lloyd.labels.npy"; then
    echo "ok   predict with $metric-lloyd's model = its training labels"; passed=$((passed + 1))
  else
    echo "FAIL predict with $metric-lloyd's model != its training labels"; failed=$((failed + 1))
  fi
done
w="--weights $work/weights.npy"
run weighted-lloyd $w --algorithm lloyd --threads 2
run weighted-yinyang $w --algorithm yinyang --threads 2
run weighted-yinyang-stream $w --algorithm yinyang --threads 2 --stream
same weighted-yinyang weighted-lloyd
same weighted-yinyang-stream weighted-lloyd
if cmp -s "$work/weighted-lloyd.centers.npy" "$work/euclidean-lloyd.centers.npy"; then
  echo "FAIL the weights changed nothing"; failed=$((failed + 1))
else
  echo "ok   the weights move the centers"; passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
