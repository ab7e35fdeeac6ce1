#!/usr/bin/env bash
# The Python package's checks, from the repository root:
#  1. `pip install .` into a fresh virtual environment (.venv-python) and the README's example;
#  2. `pip wheel .`, installed over it: the engine's library must load nothing from the Swift
#     toolchain (ldd), and pytest runs with the toolchain's runtime folder hidden (a private
#     mount namespace when the machine allows one);
#  3. the same bits as the `kmeans` command (the same settings through both);
#  4. the same wheel under NumPy 1.x (.venv-python-numpy1), known answers and the API tests;
#  5. the same wheel under Python 3.9 (.venv-python39) where the machine has one (pyenv's).
# ruff checks the Python sources' lint and format first. The environments of 4 and 5 install
# in the background while 1–3 run (their packages come from PyPI; the wheel goes in last).
# Each step line starts with the seconds since the script started.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() { echo "-- ($((SECONDS - started)) s) $1"; }

python39=""
for candidate in /root/.pyenv/versions/3.9.*/bin/python /usr/bin/python3.9; do
  if [ -x "$candidate" ] && "$candidate" -c "import sys; assert sys.version_info[:2] == (3, 9)" 2>/dev/null; then
    python39=$candidate
    break
  fi
done
logs=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$logs"' EXIT
(python3 -m venv --clear .venv-python-numpy1 &&
  .venv-python-numpy1/bin/pip install -q --disable-pip-version-check "numpy<2" scipy scikit-learn pytest) \
  >"$logs/numpy1" 2>&1 &
numpy1_environment=$!
python39_environment=""
if [ -n "$python39" ]; then
  ("$python39" -m venv --clear .venv-python39 &&
    .venv-python39/bin/pip install -q --disable-pip-version-check numpy scipy scikit-learn pytest) \
    >"$logs/python39" 2>&1 &
  python39_environment=$!
fi
# wait_for PID NAME: the background install of an environment, its log shown if it failed.
wait_for() {
  wait "$1" || { cat "$logs/$2"; echo "installing the $2 environment failed" >&2; exit 1; }
}

step "fresh virtual environment with NumPy 2, SciPy, scikit-learn, pandas, pytest, ruff"
python3 -m venv --clear .venv-python
.venv-python/bin/pip install -q --disable-pip-version-check \
  "numpy>=2" scipy scikit-learn pandas pytest ruff

step "ruff: lint and format of python/"
.venv-python/bin/ruff check python
.venv-python/bin/ruff format --check python

step "pip install . and the README's example"
.venv-python/bin/pip install -q --disable-pip-version-check --no-deps .
# The README's Python example, as a reader copies it (its first python block), then a check of
# what it made.
example=$(mktemp --suffix=.py)
awk '/^```python$/ {inside = 1; next} /^```$/ && inside {exit} inside' README.md >"$example"
cat >>"$example" <<'PY'
assert km.cluster_centers_.dtype == np.float32 and km.cluster_centers_.shape == (100, 64)
PY
(cd /tmp && "$OLDPWD/.venv-python/bin/python" "$example")
rm -f "$example"

step "pip wheel . and its install"
rm -rf .build/python-wheel
.venv-python/bin/pip wheel -q --disable-pip-version-check --no-deps . -w .build/python-wheel
wheel=$(ls .build/python-wheel/swift_kmeans-*.whl)
ls -l "$wheel"
.venv-python/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
package=$(.venv-python/bin/python -c \
  "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('swift_kmeans').origin))")

step "the installed engine needs nothing from the Swift toolchain"
toolchain_lib=$(cd "$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift" && pwd)
ldd "$package/_lib/libSwiftKMeans.so"
if ldd "$package/_lib/libSwiftKMeans.so" | grep -F "$toolchain_lib"; then
  echo "libSwiftKMeans.so resolves libraries from the toolchain ($toolchain_lib)" >&2
  exit 1
fi
if ldd "$package/_lib/libSwiftKMeans.so" | grep "not found"; then exit 1; fi

step "pytest, with the toolchain's runtime ($toolchain_lib) hidden"
export PYTHONDONTWRITEBYTECODE=1
pytest_command=".venv-python/bin/python -m pytest -q -p no:cacheprovider python/tests"
if unshare --mount true 2>/dev/null; then
  unshare --mount sh -c "mount -t tmpfs none '$toolchain_lib' && test ! -e '$toolchain_lib/linux/libswiftCore.so' && $pytest_command"
else
  echo "(no private mount namespace here: the toolchain stays visible; ldd above is the check)"
  $pytest_command
fi

step "the same bits as the kmeans command (toolchain visible: the command needs it)"
swift build -c release --product kmeans > /dev/null
SWIFT_KMEANS_CLI="$(swift build -c release --show-bin-path)/kmeans" SWIFT_KMEANS_REQUIRE_CLI=1 \
  .venv-python/bin/python -m pytest -q -p no:cacheprovider python/tests/test_same_as_cli.py

step "the wheel under NumPy 1.x"
wait_for "$numpy1_environment" numpy1
.venv-python-numpy1/bin/pip install -q --disable-pip-version-check --no-deps "$wheel"
.venv-python-numpy1/bin/python -c "import numpy; print('numpy', numpy.__version__)"
.venv-python-numpy1/bin/python -m pytest -q -p no:cacheprovider \
  python/tests/test_known_answers.py python/tests/test_api.py python/tests/test_errors.py

step "the wheel under the oldest Python supported (3.9), where the machine has one"
if [ -n "$python39" ]; then
  wait_for "$python39_environment" python39
  .venv-python39/bin/pip install -q --disable-pip-version-check --no-deps "$wheel"
  .venv-python39/bin/python -c "import sys, numpy, sklearn; print(sys.version.split()[0], 'numpy', numpy.__version__, 'scikit-learn', sklearn.__version__)"
  (cd python/tests && ../../.venv-python39/bin/python -m pytest -q -p no:cacheprovider .)
else
  echo "(no Python 3.9 on this machine)"
fi

echo "python checks: $((SECONDS - started)) s"
