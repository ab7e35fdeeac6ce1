#!/usr/bin/env bash
# Builds the DocC archive of every library module (KMeans, KMeansIO, KMeansEstimator,
# KMeansInterop, KMeansDifferentiable), or of the modules named as arguments, into
# .build/docs/MODULE.doccarchive, and fails when DocC warns about anything (an undocumented
# parameter, a broken symbol link): the documentation stays complete.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(KMeans KMeansIO KMeansEstimator KMeansInterop KMeansDifferentiable)
mkdir -p .build/docs
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for module in "${modules[@]}"; do
  echo "== $module"
  if ! swift package --disable-sandbox generate-documentation --target "$module" \
    --output-path ".build/docs/$module.doccarchive" > "$log" 2>&1; then
    cat "$log"
    echo "DocC failed for $module" >&2
    status=1
    continue
  fi
  # DocC's own diagnostics (the compiler's build warnings are not about the documentation).
  if grep -E "^(warning|error):|\.(md|swift):[0-9]+:[0-9]+: (warning|error):" "$log" \
    | grep -v "/\.build/\|/Sources/CKMeansSIMD/\|system-packager" > /dev/null; then
    grep -E "^(warning|error):|\.(md|swift):[0-9]+:[0-9]+: (warning|error):" "$log" \
      | grep -v "/\.build/\|/Sources/CKMeansSIMD/\|system-packager" >&2
    echo "DocC warnings in $module (above)" >&2
    status=1
  else
    echo "   .build/docs/$module.doccarchive, no warnings"
  fi
done
exit $status
