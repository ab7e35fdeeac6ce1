#!/usr/bin/env bash
# Builds the DocC archive of every library module (KMeans, KMeansIO, KMeansEstimator,
# KMeansInterop, KMeansDifferentiable), or of the modules named as arguments, into
# .build/docs/MODULE.doccarchive — one DocC invocation for all of them — and fails when DocC
# warns about anything (an undocumented parameter, a broken symbol link): the documentation
# stays complete. A warning names its file, and so its module.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(KMeans KMeansIO KMeansEstimator KMeansInterop KMeansDifferentiable)
mkdir -p .build/docs
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=()
for module in "${modules[@]}"; do targets+=(--target "$module"); done
echo "== ${modules[*]}"
if ! swift package --disable-sandbox generate-documentation "${targets[@]}" \
  --output-path .build/docs > "$log" 2>&1; then
  cat "$log"
  echo "DocC failed" >&2
  exit 1
fi
# DocC's own diagnostics (the compiler's build warnings are not about the documentation).
diagnostics() {
  grep -E "^(warning|error):|\.(md|swift):[0-9]+:[0-9]+: (warning|error):" "$log" \
    | grep -v "/\.build/\|/Sources/CKMeansSIMD/\|system-packager"
}
if diagnostics > /dev/null; then
  diagnostics >&2
  echo "DocC warnings (above)" >&2
  exit 1
fi
for module in "${modules[@]}"; do
  [ -d ".build/docs/$module.doccarchive" ] || { echo "DocC wrote no $module.doccarchive" >&2; exit 1; }
  echo "   .build/docs/$module.doccarchive, no warnings"
done
