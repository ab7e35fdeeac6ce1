#!/usr/bin/env bash
# Fuzzes one parser (or all) with libFuzzer and AddressSanitizer.
#
#   Scripts/fuzz.sh TARGET SECONDS [JOBS]   e.g. Scripts/fuzz.sh npy 300
#   Scripts/fuzz.sh all SECONDS [JOBS]      every target, JOBS at a time (default 2)
#   Scripts/fuzz.sh list                    the targets
#   FUZZ_BUILD=debug Scripts/fuzz.sh ...    a debug build: a third of the build time, about a
#                                           third of the executions per second (CI's smoke run)
#
# TARGET: csv npy npz svmlight vecs checkpoint-index checkpoint-state estimator-json model-json,
# and abi (the C ABI's calls with shapes, settings and values from the input).
# The targets live in Fuzz/ (a package of their own); the sanitizer flags go on the `swift
# build` command line, never into a Package.swift. Seeds come from the test fixtures and
# Fuzz/Seeds; the growing corpus is kept in .build/fuzz/corpus/TARGET between runs. A finding
# stops the run with its input in .build/fuzz/findings/TARGET (make it a regression test in
# Tests/KMeansIOTests/FuzzRegressionTests.swift). Prints one line per target: executions, corpus
# size, findings.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

declare -A product=(
  [csv]=FuzzCSV [npy]=FuzzNumPy [npz]=FuzzNPZ [svmlight]=FuzzSVMLight [vecs]=FuzzVecs
  [checkpoint-index]=FuzzCheckpointIndex [checkpoint-state]=FuzzCheckpointState
  [estimator-json]=FuzzEstimatorJSON [model-json]=FuzzModelJSON [abi]=FuzzABI
)
declare -A dictionary=(
  [csv]=csv [npy]=npy [npz]=npz [svmlight]=svmlight [vecs]=vecs [checkpoint-index]=checkpoint
  [checkpoint-state]=checkpoint-state [estimator-json]=json [model-json]=json [abi]=abi
)
all_targets=(csv npy npz svmlight vecs checkpoint-index checkpoint-state estimator-json model-json abi)

if [ "${1:-}" = list ]; then printf '%s\n' "${all_targets[@]}"; exit 0; fi
if [ $# -lt 2 ]; then sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
target=$1 seconds=$2 jobs=${3:-2}
if [ "$target" = all ]; then targets=("${all_targets[@]}"); else
  [ -n "${product[$target]:-}" ] || { echo "unknown target '$target' (Scripts/fuzz.sh list)" >&2; exit 2; }
  targets=("$target")
fi

Scripts/install-dependencies.sh
configuration=${FUZZ_BUILD:-release}
case $configuration in debug | release) ;; *) echo "FUZZ_BUILD must be debug or release" >&2; exit 2 ;; esac
echo "== building the fuzz targets (libFuzzer + AddressSanitizer, $configuration)"
# SwiftPM keeps the fuzz package's plan of its path dependency (this package) and misses source
# files added since: plan again when any source is newer than the plan.
plan=Fuzz/.build/$configuration.yaml
if [ -f "$plan" ] && [ -n "$(find Sources Tests/KMeansTestSupport -newer "$plan" -name '*.swift' | head -n 1)" ]; then
  rm -f "$plan" Fuzz/.build/build.db
fi
swift build --package-path Fuzz -c "$configuration" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -v "warning: Cannot export local symbol" | tail -3
bin=$(swift build --package-path Fuzz -c "$configuration" --show-bin-path \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

work=$root/.build/fuzz
regressions=$root/Tests/KMeansIOTests/Fixtures/Fuzz

# The seeds of one target, from the fixtures (the input layouts are in Fuzz/Sources/*/main.swift).
seed() {
  local target=$1 dir=$2
  mkdir -p "$dir"
  local io=Tests/KMeansIOTests/Fixtures est=Tests/KMeansEstimatorTests/Fixtures
  case $target in
    csv)
      for choice in 0 1 2 8 24 72; do
        { printf "\\x$(printf %02x $choice)"; cat $io/points.csv; } >"$dir/points-$choice"
        { printf "\\x$(printf %02x $choice)"; head -c 2000 Data/digits.csv; } >"$dir/digits-$choice"
      done ;;
    npy) cp $io/*.npy "$dir/" ;;
    npz) cp $io/*.npz "$dir/" ;;
    svmlight)
      for choice in 0 1 2 40; do
        { printf "\\x$(printf %02x $choice)"; head -c 4000 $io/tfidf.svmlight; } >"$dir/tfidf-$choice"
      done ;;
    vecs)
      python3 - "$dir" <<'PY'
import struct, sys
d = sys.argv[1]
rows = [[1.5, -2.0, 3.25], [0.0, 4.0, -1.0], [2.0, 2.0, 2.0]]
for choice, fmt, conv in ((0, "f", float), (1, "B", int), (2, "i", int), (19, "f", float)):
    body = b"".join(struct.pack("<i", 3) + struct.pack("<3" + fmt, *[abs(conv(v)) if fmt == "B" else conv(v) for v in row]) for row in rows)
    open(f"{d}/vecs-{choice}", "wb").write(bytes([choice]) + body)
PY
      ;;
    checkpoint-index)
      local n=0
      for prefix in $est/tf-kmeans-estimator/model_dir/model.ckpt-5 $est/tf-kmeans-estimator/model_dir/model.ckpt-0 \
        $est/tf-tiny-checkpoint/object_v2/ckpt-1 $est/tf-tiny-checkpoint/saver_v1/model.ckpt-7; do
        python3 - "$prefix" "$dir/checkpoint-$n" <<'PY'
import struct, sys
prefix, out = sys.argv[1], sys.argv[2]
index = open(prefix + ".index", "rb").read()
data = open(prefix + ".data-00000-of-00001", "rb").read()
open(out, "wb").write(struct.pack("<I", len(index)) + index + data)
PY
        n=$((n + 1))
      done ;;
    checkpoint-state)
      cp $est/tf-kmeans-estimator/model_dir/checkpoint "$dir/estimator"
      cp $est/tf-tiny-checkpoint/object_v2/checkpoint "$dir/object"
      cp $est/tf-tiny-checkpoint/saver_v1/checkpoint "$dir/saver" ;;
    estimator-json) cp Fuzz/Seeds/estimator.json "$dir/" ;;
    model-json) cp Fuzz/Seeds/model.json "$dir/" ;;
    abi) cp Fuzz/Seeds/abi-* "$dir/" ;;
  esac
  if [ -d "$regressions/$target" ]; then cp "$regressions/$target"/* "$dir/" 2>/dev/null || true; fi
}

run_one() {
  local target=$1
  local corpus=$work/corpus/$target seeds=$work/seeds/$target findings=$work/findings/$target
  rm -rf "$seeds" && seed "$target" "$seeds"
  mkdir -p "$corpus" "$findings"
  local log=$work/logs/$target.log
  mkdir -p "$work/logs"
  # -rss_limit_mb / -malloc_limit_mb: a header that promises terabytes must be refused before
  # anything is allocated, so a large allocation is a finding too.
  local status=0
  TMPDIR=$scratch ASAN_OPTIONS=detect_leaks=0 "$bin/${product[$target]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" \
    -dict="Fuzz/Dictionaries/${dictionary[$target]}.dict" -use_value_profile=1 \
    "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  local runs size
  runs=$(grep -m1 "stat::number_of_executed_units" "$log" | awk '{print $2}')
  size=$(ls "$corpus" | wc -l)
  local found
  found=$(ls "$findings" | wc -l)
  printf '%-18s %10s executions in %ss, corpus %5s, findings %s (exit %s)\n' \
    "$target" "${runs:-?}" "$seconds" "$size" "$found" "$status"
  if [ "$status" -ne 0 ]; then
    grep -m1 -A12 "ERROR\|Fatal error\|deadly signal\|out-of-memory\|timeout" "$log" | head -20
    return 1
  fi
}

# Inputs are written to files (the parsers read paths): in memory when /dev/shm is there.
scratch=$work/tmp
if [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch=/dev/shm/kmeans-fuzz-$$; fi
mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT
failed=0
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit $failed
