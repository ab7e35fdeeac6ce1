#!/usr/bin/env bash
# Distributed-training tests over Open MPI (run by .ci/run; needs root for the network
# namespaces). Prints one line per check and "N passed, M failed" at the end.
#  1. mpirun -np 1, 2, 4 reproduce the single-process labels and centers (1e-6 relative);
#  2. the same seed and rank count give the same bits twice (k-means||);
#  3. a job checkpointed on 2 ranks resumes on 4 and ends where an uninterrupted run does;
#  4. bad input on one rank names the rank and the row;
#  4b. 2 ranks at scale (Scripts/exactness-at-scale.sh --mpi): one process's labels, centers
#     within 1e-6, for Lloyd and Yinyang with k = 1,024 on 150,000 rows, both metrics;
#  5. a rank killed with SIGKILL ends the job with a message naming it, within a bounded time,
#     and the last checkpoint still loads;
#  5a. a damaged latest checkpoint is named by inspect, and --resume-from resumes a job from the
#     one before;
#  5b. a rank that stops answering (SIGSTOP) ends the job within --timeout, naming the rank that
#     waited (the watchdog), and the last checkpoint still loads;
#  6. two "hosts" in network namespaces joined by a veth pair run one job over TCP;
#  7. a seeded sample of the combination cells (format × metric × weights × algorithm) on 2
#     and 3 ranks equals one process.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi-c; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libopenmpi-dev openmpi-bin iproute2 >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; ip netns del kmeans-a 2>/dev/null; ip netns del kmeans-b 2>/dev/null' EXIT
# Release builds (what a user runs), both in the default .build: first the one-process
# reference, kmeans, copied aside; then kmeans-mpi with the MPI trait, which recompiles this
# package's modules with it but reuses the built dependencies (so the next plain
# `swift build -c release` recompiles them without it).
swift build -c release --product kmeans >/dev/null || exit 1
cp "$(swift build -c release --show-bin-path)/kmeans" "$work/kmeans"
kmeans="$work/kmeans"
build=(swift build -c release --traits MPI)
"${build[@]}" --product kmeans-mpi >/dev/null || exit 1
bin=$("${build[@]}" --show-bin-path)
passed=0
failed=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/last.log" 2>&1; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; sed 's/^/     /' "$work/last.log" | tail -15; failed=$((failed + 1))
  fi
}
run_mpi() { timeout 600 mpirun --oversubscribe "$@"; }

python3 - "$work" <<'EOF'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(1)
k, d = 8, 6
centers = rng.uniform(-20, 20, (k, d))
labels = rng.integers(0, k, 20000)
x = (centers[labels] + rng.standard_normal((20000, d))).astype(np.float32)
np.save(f"{work}/data.npy", x)
np.save(f"{work}/init.npy", x[:k].astype(np.float64))
np.save(f"{work}/narrow.npy", np.ascontiguousarray(x[:, :5]))
bad = x.copy(); bad[15000, 4] = np.nan
np.save(f"{work}/bad.npy", bad)
# The same rows as CSV (with a weight column) and as svmlight (sparse), and weights beside them.
small = x[:3000]
weights = (np.arange(3000) % 5) * 0.75 + 0.25
np.save(f"{work}/small.npy", small)
np.save(f"{work}/weights.npy", weights)
with open(f"{work}/small.csv", "w") as f:
    f.write(",".join(f"f{j}" for j in range(d)) + ",w\n")
    for row, w in zip(small, weights):
        f.write(",".join(repr(float(v)) for v in row) + f",{w!r}\n")
sparse = small.copy(); sparse[np.arange(3000)[:, None] % 2 == np.arange(d)[None, :] % 2] = 0
with open(f"{work}/small.svmlight", "w") as f:
    for row in sparse:
        f.write("0 " + " ".join(f"{j}:{float(v)!r}" for j, v in enumerate(row) if v != 0) + "\n")
# Uniform data: Lloyd with k = 64 needs over a thousand iterations to settle, so a job on it is
# still running long after its first checkpoint, on any machine.
np.save(f"{work}/big.npy", rng.uniform(-5, 5, (400000, 16)).astype(np.float32))
EOF

compare() { # compare MODEL.json LABELS.npy REFERENCE.json REFERENCE.npy
  python3 - "$@" <<'EOF'
import json, sys, numpy as np
ours, our_labels, ref, ref_labels = sys.argv[1:5]
a = np.array(json.load(open(ours))["centers"]["values"])
b = np.array(json.load(open(ref))["centers"]["values"])
la, lb = np.load(our_labels), np.load(ref_labels)
diff = np.max(np.abs(a - b) / np.maximum(1, np.abs(b)))
print(f"labels differing: {int(np.sum(la != lb))}, largest relative center difference {diff:.2e}")
sys.exit(0 if np.array_equal(la, lb) and diff <= 1e-6 else 1)
EOF
}

"$kmeans" train "$work/data.npy" --init "$work/init.npy" --output "$work/single.json" \
  --labels-output "$work/single.npy" >/dev/null
for np in 1 2 4; do
  run_mpi -np $np "$bin/kmeans-mpi" train "$work/data.npy" --init "$work/init.npy" \
    --output "$work/mpi-$np.json" --labels-output "$work/mpi-$np.npy" >/dev/null 2>&1
  check "mpirun -np $np equals one process" compare "$work/mpi-$np.json" "$work/mpi-$np.npy" "$work/single.json" "$work/single.npy"
done

for attempt in 1 2; do
  run_mpi -np 2 "$bin/kmeans-mpi" train "$work/data.npy" -k 8 --seed 7 --init "kmeans||" --output "$work/par-$attempt.json" >/dev/null 2>&1
done
same_centers() {
  python3 -c 'import json, sys; a, b = (json.load(open(p))["centers"]["values"] for p in sys.argv[1:3]); print(f"{len(a)} values"); sys.exit(0 if a == b else 1)' "$@"
}
check "k-means|| on 2 ranks: the same bits twice" same_centers "$work/par-1.json" "$work/par-2.json"

run_mpi -np 2 "$bin/kmeans-mpi" train "$work/data.npy" --init "$work/init.npy" --tol 0 --max-iter 6 \
  --model-dir "$work/run" --max-steps 3 --checkpoint-every 1 >/dev/null 2>&1
run_mpi -np 4 "$bin/kmeans-mpi" train "$work/data.npy" --init "$work/init.npy" --tol 0 --max-iter 6 \
  --model-dir "$work/run" --max-steps 6 --output "$work/resumed.json" --labels-output "$work/resumed.npy" >"$work/resume.log" 2>&1
"$kmeans" train "$work/data.npy" --init "$work/init.npy" --tol 0 --max-iter 6 \
  --output "$work/six.json" --labels-output "$work/six.npy" >/dev/null
check "a 2-rank checkpoint resumes on 4 ranks (from step 3)" grep -q "resumed:     from step 3" "$work/resume.log"
check "the resumed run ends at the uninterrupted centers" compare "$work/resumed.json" "$work/resumed.npy" "$work/six.json" "$work/six.npy"
summaries_of_both_jobs() { # one events file per job, each with loss/raw
  local files=("$work"/run/events.out.tfevents.*)
  [ "${#files[@]}" -eq 2 ] && grep -q "loss/raw" "${files[0]}" && grep -q "loss/raw" "${files[1]}"
}
check "rank 0 wrote TensorBoard summaries for both jobs" summaries_of_both_jobs

checkpoint_step() { # the global step of the latest checkpoint in DIR, or 0
  sed -n 's/^model_checkpoint_path: "[^"]*ckpt-\([0-9]*\)"$/\1/p' "$1/checkpoint" 2>/dev/null | tail -n 1
}
past_step() { local step; step=$(checkpoint_step "$1"); [ -n "$step" ] && [ "$step" -ge "$2" ]; }

# One model-directory run behind the library, kmeans and kmeans-mpi: what 'kmeans train'
# refuses in a directory it trained, a 2-rank job refuses with the same words.
"$kmeans" train "$work/data.npy" -k 8 --model-dir "$work/refusing" --steps 2 >/dev/null
refused() { # refused MESSAGE ARGS...: the 2-rank job fails and says MESSAGE
  local message=$1; shift
  ! run_mpi -np 2 "$bin/kmeans-mpi" train --model-dir "$work/refusing" --steps 2 "$@" \
    >"$work/refused.log" 2>&1 && grep -qF -- "$message" "$work/refused.log"
}
check "model directory refusal: metric" refused \
  "was trained with metric squaredEuclidean, not cosine" "$work/data.npy" -k 8 --metric cosine
check "model directory refusal: dtype" refused \
  "was trained with dtype float32, not float64" "$work/data.npy" -k 8 --float64
check "model directory refusal: k" refused "was trained with k 8, not 9" "$work/data.npy" -k 9
check "model directory refusal: dimension" refused \
  "the model directory expects 6 column(s), got 5" "$work/narrow.npy" -k 8
check "model directory refusal: restarts" refused \
  "restarts=3 with a model directory" "$work/data.npy" -k 8 --n-init 3
check "model directory refusal: mini-batch settings" refused \
  "was trained with steps per iteration (0: full batch) 0, not 1" "$work/data.npy" -k 8 --mini-batch
check "model directory refusal: --steps without --model-dir" eval \
  '! "$bin/kmeans-mpi" train "$work/data.npy" -k 8 --steps 2 >"$work/usage.log" 2>&1 && grep -q "need --model-dir" "$work/usage.log"'
check "the refusing directory is as kmeans train left it (step 2 at most)" eval \
  'step=$(checkpoint_step "$work/refusing"); [ -n "$step" ] && [ "$step" -le 2 ]'

run_mpi -np 2 "$bin/kmeans-mpi" train "$work/bad.npy" -k 8 >"$work/bad.log" 2>&1
check "bad input: the job fails" test $? -ne 0
check "bad input: the message names rank 1 and row 15000" grep -q "rank 1: non-finite value (NaN or infinity) at row 15000, column 4" "$work/bad.log"

# A seeded sample of the combination cells (the test suite runs every cell with threads as
# ranks): input format × metric × weights × algorithm, on 2 and 3 ranks, against one process.
cells=$(python3 - <<'CELLS'
import itertools, random
inputs = ["small.npy", "small.csv", "small.svmlight"]
metrics = ["euclidean", "cosine"]
weights = ["none", "weights"]
algorithms = ["lloyd", "hamerly", "mini-batch", "kmeans||"]
cells = list(itertools.product(inputs, metrics, weights, algorithms))
random.Random(12).shuffle(cells)
for cell in cells[:8]:
    print(" ".join(cell))
CELLS
)
while read -r -u 3 input metric weighted algorithm; do
  options=(-k 8 --seed 3 --metric "$metric")
  case $algorithm in
    mini-batch) options+=(--mini-batch --batch-size 256) ;;
    kmeans*) options+=(--init "kmeans||") ;;
    *) options+=(--algorithm "$algorithm") ;;
  esac
  if [ "$weighted" = weights ]; then
    case $input in
      *.csv) options+=(--weight-column w) ;;
      *) options+=(--weights "$work/weights.npy") ;;
    esac
  elif [ "${input##*.}" = csv ]; then
    options+=(--columns f0,f1,f2,f3,f4,f5)
  fi
  name="${input%.*}-$metric-$weighted-${algorithm//|/p}"
  "$kmeans" train "$work/$input" "${options[@]}" --output "$work/$name-1.json" \
    --labels-output "$work/$name-1.npy" >/dev/null 2>&1
  for np in 2 3; do
    run_mpi -np $np "$bin/kmeans-mpi" train "$work/$input" "${options[@]}" \
      --output "$work/$name-$np.json" --labels-output "$work/$name-$np.npy" >/dev/null 2>&1
    check "cell $input $metric $weighted $algorithm: $np ranks equal one process" \
      compare "$work/$name-$np.json" "$work/$name-$np.npy" "$work/$name-1.json" "$work/$name-1.npy"
  done
done 3<<<"$cells"

# A killed rank. Every wait is on an event (a checkpoint written, the job ended), with a deadline
# of minutes, so the checks do not depend on the machine's speed.
wait_for() { # wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.1; done
}
# signal_rank NAME SIGNAL TIMEOUT: a 2-rank job checkpointing every step; after its third
# checkpoint one rank gets SIGNAL; sets `elapsed` (seconds until the job ended), `victim_rank`
# (the MPI rank signalled, from its environment) and `signalled_at` (the latest checkpoint's
# step when it was signalled), and leaves the job's log and exit status in $work/NAME.log and
# $work/NAME.status.
signal_rank() {
  local name=$1 signal=$2 limit=$3
  (timeout 900 mpirun --oversubscribe -np 2 "$bin/kmeans-mpi" train "$work/big.npy" -k 64 --tol 0 \
    --max-iter 100000 --model-dir "$work/$name" --max-steps 100000 --checkpoint-every 1 --timeout "$limit" \
    >"$work/$name.log" 2>&1; echo $? >"$work/$name.status") &
  wait_for 600 past_step "$work/$name" 3
  local victim
  victim=$(pgrep -f "kmeans-mpi train $work/big.npy" | tail -n 1)
  check "the $name job was still running after its third checkpoint" test -n "$victim" -a ! -f "$work/$name.status"
  victim_rank=$(tr '\0' '\n' <"/proc/$victim/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
  signalled_at=$(checkpoint_step "$work/$name")
  local started
  started=$(date +%s)
  kill "-$signal" "$victim"
  wait_for 600 test -f "$work/$name.status"
  elapsed=$(( $(date +%s) - started ))
  kill -KILL "$victim" 2>/dev/null
}
signal_rank killed KILL 20
check "a killed rank ends the job (in ${elapsed} s)" test -f "$work/killed.status" -a "$(cat "$work/killed.status" 2>/dev/null)" != 0
check "the job's message names the dead rank ($victim_rank)" \
  grep -Eq "process rank $victim_rank .*(signal 9|Killed)" "$work/killed.log"
check "the last checkpoint of the killed job loads" "$kmeans" inspect "$work/killed"
check "and none written before the kill (step $signalled_at) was lost" \
  past_step "$work/killed" "$signalled_at"

# A damaged latest checkpoint: inspect refuses it, and a job on 2 ranks resumes from the one
# before (--resume-from), after which the directory is sound again.
latest=$(checkpoint_step "$work/killed")
previous=$(sed -n 's/^all_model_checkpoint_paths: "[^"]*ckpt-\([0-9]*\)"$/\1/p' "$work/killed/checkpoint" | tail -n 2 | head -n 1)
printf '\377' | dd of="$work/killed/model.ckpt-$latest.data-00000-of-00001" bs=1 seek=7 conv=notrunc 2>/dev/null
inspect_damaged() { # inspect_damaged DIR NAME: inspect fails and names NAME as damaged
  ! "$kmeans" inspect "$1" >"$work/inspect.log" 2>&1 && grep -q "$2: DAMAGED" "$work/inspect.log"
}
check "inspect names the damaged latest checkpoint (model.ckpt-$latest)" \
  inspect_damaged "$work/killed" "model.ckpt-$latest"
check "a 2-rank job resumes from model.ckpt-$previous (--resume-from)" run_mpi -np 2 "$bin/kmeans-mpi" \
  train "$work/big.npy" -k 64 --tol 0 --max-iter 100000 --max-steps $((latest + 2)) --model-dir "$work/killed" \
  --checkpoint-every 1 --resume-from "model.ckpt-$previous"
check "and the directory is sound again" "$kmeans" inspect "$work/killed"

# A rank that stops answering (SIGSTOP: alive, holding its sockets, silent). The other rank's
# watchdog must end the job within --timeout plus a few seconds, naming the rank that waited.
signal_rank stopped STOP 10
check "a silent rank ends the job within --timeout 10 s + 20 s (in ${elapsed} s)" test -f "$work/stopped.status" -a "$elapsed" -le 30
check "the job's message names the rank that waited ($((1 - victim_rank))) and the timeout" \
  grep -Eq "rank $((1 - victim_rank)): no answer from the other ranks within 10" "$work/stopped.log"
check "the last checkpoint of the stopped job loads" "$kmeans" inspect "$work/stopped"

# Two hosts: network namespaces joined by a veth pair, ranks talking TCP across it.
netns_job() {
  ip netns add kmeans-a && ip netns add kmeans-b || return 1
  ip link add kmeans-va type veth peer name kmeans-vb || return 1
  ip link set kmeans-va netns kmeans-a && ip link set kmeans-vb netns kmeans-b
  ip -n kmeans-a addr add 10.77.0.1/24 dev kmeans-va && ip -n kmeans-b addr add 10.77.0.2/24 dev kmeans-vb
  for ns in kmeans-a kmeans-b; do ip -n $ns link set lo up; done
  ip -n kmeans-a link set kmeans-va up && ip -n kmeans-b link set kmeans-vb up
  # mpirun starts the remote daemon through this "rsh": it runs the command in the namespace
  # that owns the address.
  cat >"$work/netns-rsh" <<'AGENT'
#!/usr/bin/env bash
host=$1; shift
case "$host" in 10.77.0.1) ns=kmeans-a ;; *) ns=kmeans-b ;; esac
exec ip netns exec "$ns" bash -c "$*"
AGENT
  chmod +x "$work/netns-rsh"
  ip netns exec kmeans-a timeout 600 mpirun --oversubscribe -np 2 --host 10.77.0.1:1,10.77.0.2:1 \
    --mca plm_rsh_agent "$work/netns-rsh" --mca plm_rsh_no_tree_spawn 1 \
    --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    "$bin/kmeans-mpi" train "$work/data.npy" --init "$work/init.npy" \
    --output "$work/netns.json" --labels-output "$work/netns.npy"
}
check "two network-namespace hosts run one job over TCP" netns_job
check "the two-host job equals one process" compare "$work/netns.json" "$work/netns.npy" "$work/single.json" "$work/single.npy"

# At scale: 150,000 × 64, k = 1,024 (Yinyang's group cap) on 2 ranks against one process.
check "2 ranks at scale (n = 150,000, k = 1,024): one process's labels, its centers within 1e-6" \
  env KMEANS_BINARY="$kmeans" Scripts/exactness-at-scale.sh --mpi "$bin/kmeans-mpi"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
