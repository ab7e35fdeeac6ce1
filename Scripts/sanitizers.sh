#!/usr/bin/env bash
# The test suite's threaded and parsing parts under the sanitizers (run by .ci/run). Each
# sanitizer builds into its own folder, so the plain build is not rebuilt.
#
#   ThreadSanitizer: the deterministic parallel-for (the kernels' own tests run on one thread:
#   their passes on several threads come through the tests below), every setting through every
#   driver (ConfigurationWalkTests),
#   Lloyd, mini-batch, streaming, sample weights and the thread-group "ranks" of the
#   distributed tests; of Hamerly's and Yinyang's tests those on several threads, with weights,
#   frozen centers and an emptied cluster, cosine rows. Left out (the same threaded passes
#   again, at more sizes, which take minutes under TSan; the plain run checks their bits):
#   CombinationTests, AutomaticChoiceTests, the sparse rows (the same parallel-for over another
#   kernel), the other Hamerly and Yinyang sizes, and the automatic seeding size's tests (the
#   seeding sample's threaded pass is SeedingSampleTests/sampledSeeding's). Also
#   left out: the command-line tests (they start the plain `kmeans` binary, so its progress bar
#   is not instrumented) and the MPI watchdog thread (MPI itself is not built with TSan; the
#   watchdog is checked for real in mpi-tests.sh).
#   AddressSanitizer: every parser's tests and the fuzz regressions (the crafted files and the
#   fuzzer's findings), the checkpoint reader and writer, the faults of a long run, and the
#   SavedModel, ONNX and events-file writers (KMeansInteropTests), and the C ABI under
#   malformed arguments (ABITests). CI runs the ThreadSanitizer part; AddressSanitizer reaches
#   the parsers and the C ABI there through the fuzz targets (Scripts/fuzz.sh).
#
#   The ThreadSanitizer run takes one test at a time: the tests start their own threads, and
#   running several at once on a small machine makes TSan's bookkeeping slower, not faster.
#
#   Scripts/sanitizers.sh [thread|address]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-dependencies.sh
which=${1:-both}

thread_filter="NearestCenterKernelTests/parallelForCoversEveryChunk|SoftAssignmentDeterminismTests|ConfigurationWalkTests|LloydTests|HamerlyTests/(sameAsLloydEverywhere|cosine|floatDigits)|YinyangTests/weighted|MiniBatchTests|StreamingTests|DistributedTests|SeedingSampleTests/sampledSeeding|SampleWeightTests"
address_filter="KMeansIOTests|KMeansEstimatorTests|KMeansInteropTests|ModelPersistenceTests|ErrorTests|AgreementArgumentTests|ABITests"

if [ "$which" = thread ] || [ "$which" = both ]; then
  echo "== ThreadSanitizer: $thread_filter"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    swift test --sanitize=thread --scratch-path .build-tsan --no-parallel --filter "$thread_filter"
fi
if [ "$which" = address ] || [ "$which" = both ]; then
  echo "== AddressSanitizer: $address_filter"
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" \
    swift test --sanitize=address --scratch-path .build-asan --filter "$address_filter"
fi
