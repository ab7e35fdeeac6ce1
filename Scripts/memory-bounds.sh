#!/usr/bin/env bash
# Memory bounds, measured (never timed): each `kmeans` run is a child process whose peak
# resident memory is measured from outside by GNU time (`/usr/bin/time -v`, the kernel's
# maximum RSS of the child), and the check compares it with a stated bound; the process's own
# report (`peakResidentBytes` in its --json summary) is printed beside it. Run by .ci/run on the release build (what a user
# runs). Prints one line per check with the figures, and "N passed, M failed" at the end.
#  1. streamed training over a .npy of more than 1 GiB stays under: one piece of 65,536 rows (a
#     few copies), 8 bytes per row (each row's label and distance), O(k·d), a fixed allowance;
#  2. streamed predict over the same file stays under one piece + the fixed allowance;
#  3. training in memory at n = 2,000,000, k = 256 stays under the data, 24 bytes per row (its
#     label, distance and Hamerly's two bounds) and the fixed allowance: no n × k buffer (that
#     alone would be 2 GiB).
# The fixed allowance is the process's own baseline, measured here on a 10-row file, + 48 MiB.
set -uo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product kmeans >/dev/null || exit 1
if [ ! -x /usr/bin/time ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time >/dev/null
fi
kmeans="$(swift build -c release --show-bin-path)/kmeans"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
mib() { echo $(( $1 / 1048576 )); }

# write_npy OUT ROWS DIMENSION: float32 blobs, one random block of 65,536 rows written over and
# over (Python's standard library only; the bytes are what matters here, not the clusters).
write_npy() {
  python3 - "$@" <<'PY'
import array, random, struct, sys
out, rows, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(0)
centers = [[random.uniform(-10, 10) for _ in range(d)] for _ in range(64)]
block_rows = min(rows, 65536)
block = array.array("f")
for _ in range(block_rows):
    center = random.choice(centers)
    block.extend(c + random.gauss(0, 1) for c in center)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, d)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    written = 0
    while written < rows:
        n = min(block_rows, rows - written)
        f.write(block[: n * d].tobytes())
        written += n
PY
}

# peak COMMAND...: runs a kmeans command with --json under /usr/bin/time -v and prints the peak
# resident bytes GNU time measured (0 when the command failed); the command's own report goes
# to standard error beside it.
peak() {
  /usr/bin/time -v -o "$work/time.txt" "$@" --json >"$work/out.json" 2>"$work/err.log" \
    || { cat "$work/err.log" >&2; echo 0; return; }
  local outside inside
  outside=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  outside=$(( ${outside:-0} * 1024 ))
  inside=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['peakResidentBytes'])" \
    "$work/out.json")
  echo "     measured by /usr/bin/time: $(mib "${outside:-0}") MiB; the process's own report: $(mib "$inside") MiB" >&2
  echo "${outside:-0}"
}

check() { # check NAME MEASURED BOUND
  if [ "$2" -gt 0 ] && [ "$2" -le "$3" ]; then
    echo "ok   $1: peak $(mib "$2") MiB <= bound $(mib "$3") MiB"; passed=$((passed + 1))
  else
    echo "FAIL $1: peak $(mib "$2") MiB, bound $(mib "$3") MiB"; failed=$((failed + 1))
  fi
}

write_npy "$work/tiny.npy" 10 4
baseline=$(peak "$kmeans" train "$work/tiny.npy" -k 2)
allowance=$(( baseline + 48 * 1048576 ))
echo "     baseline of the process: $(mib "$baseline") MiB; fixed allowance $(mib "$allowance") MiB"

rows=4194304 d=64 k=64
write_npy "$work/big.npy" $rows $d
size=$(stat -c %s "$work/big.npy")
echo "     big.npy: $rows x $d float32, $(mib "$size") MiB"
piece=$(( 65536 * d * 4 ))
stream_bound=$(( allowance + 4 * piece + 8 * rows + 8 * k * d * 8 ))
check "streamed training over $(mib "$size") MiB (k=$k)" \
  "$(peak "$kmeans" train "$work/big.npy" -k $k --stream --max-iter 3 --output "$work/big.json")" \
  $stream_bound
check "streamed predict over $(mib "$size") MiB" \
  "$(peak "$kmeans" predict "$work/big.npy" --model "$work/big.json" --stream --output "$work/labels.npy")" \
  $(( allowance + 4 * piece ))

n=2000000 d=8 k=256
write_npy "$work/fit.npy" $n $d
data=$(( n * d * 4 ))
check "in-memory training at n=$n, k=$k ($(mib "$data") MiB of data; n x k floats would be $(mib $(( n * k * 4 ))) MiB)" \
  "$(peak "$kmeans" train "$work/fit.npy" -k $k --max-iter 3)" \
  $(( data + 24 * n + allowance ))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
