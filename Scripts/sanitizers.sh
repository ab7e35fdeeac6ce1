#!/usr/bin/env bash
# The test suite's threaded and parsing parts under the sanitizers (run by .ci/run). Each
# sanitizer builds into its own folder, so the plain build is not rebuilt.
#
#   ThreadSanitizer: the kernels' tests (the deterministic parallel-for, fused and bounded
#   passes on several threads), every combination on 1 and 3 threads and as thread-group
#   workers (KMeansEngineTests), Lloyd, Hamerly, mini-batch, streaming and the thread-group
#   "ranks" of the distributed tests. Left out: AutomaticChoiceTests (the same passes at
#   k = 520, single-purpose and slow under TSan), the command-line tests (they start the plain
#   `kmeans` binary, so its progress bar is not instrumented) and the MPI watchdog thread
#   (MPI itself is not built with TSan; the watchdog is checked for real in mpi-tests.sh).
#   AddressSanitizer: every parser's tests and the fuzz regressions (the crafted files and the
#   fuzzer's findings), the checkpoint reader and writer, the faults of a long run, and the
#   SavedModel, ONNX and events-file writers (KMeansInteropTests), and the C ABI under
#   malformed arguments (ABITests).
#
#   Scripts/sanitizers.sh [thread|address]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-dependencies.sh
which=${1:-both}

thread_filter="KMeansKernelsTests|SoftAssignmentDeterminismTests|KMeansEngineTests|LloydTests|HamerlyTests|MiniBatchTests|StreamingTests|DistributedTests|SeedingSampleTests|SampleWeightTests"
address_filter="KMeansIOTests|KMeansEstimatorTests|KMeansInteropTests|ModelPersistenceTests|ErrorTests|AgreementArgumentTests|ABITests"

if [ "$which" = thread ] || [ "$which" = both ]; then
  echo "== ThreadSanitizer: $thread_filter"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    swift test --sanitize=thread --scratch-path .build-tsan --filter "$thread_filter" \
    --skip AutomaticChoiceTests
fi
if [ "$which" = address ] || [ "$which" = both ]; then
  echo "== AddressSanitizer: $address_filter"
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" \
    swift test --sanitize=address --scratch-path .build-asan --filter "$address_filter"
fi
