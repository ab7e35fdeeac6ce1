"""The Python environment of the interop checks: real TensorFlow 2.15.1 (with TensorBoard and
saved_model_cli), ONNX, ONNX Runtime, scikit-learn and its ONNX converter, in .venv-tf.

`enter()` creates the environment on first use (Python 3.11), re-runs the calling script in
it, and from there returns the repository root and the path of a freshly built `kmeans`.
`python3 Scripts/interop_environment.py` only creates it (CI does so in the background while
it builds).
"""
import os
import shutil
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-tf")
PYTHON = os.path.join(VENV, "bin", "python")
PACKAGES = ["tensorflow-cpu==2.15.1", "tensorflow-estimator==2.15.0", "onnx==1.17.0",
            "onnxruntime==1.20.1", "skl2onnx==1.18.0", "scikit-learn==1.5.2"]
MODULES = "import tensorflow, tensorflow_estimator, tensorboard, onnx, onnxruntime, skl2onnx"


def prepare():
    """Creates .venv-tf with the packages unless it already imports them all."""
    ready = os.path.exists(PYTHON) and subprocess.call(
        [PYTHON, "-c", MODULES], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL) == 0
    if not ready:
        print(f"installing {' '.join(PACKAGES)} into .venv-tf ...", flush=True)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([PYTHON, "-m", "pip", "install", "-q", *PACKAGES])


def cpu_model_and_flags():
    """The CPU's model name and feature flags from /proc/cpuinfo ("unknown CPU" and no flags
    where it cannot be read), for the benchmarks' headers."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            lines = cpuinfo.read().splitlines()
    except OSError:
        return "unknown CPU", []
    model = next((line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("model name")), "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return model, flags


def swift_environment():
    """This process's environment as a shell gives `swift`: `_` names the executable.

    SwiftPM keys its cache of package manifests on the environment; a `swift build` started
    from Python inherits `_` = python and would recompile SwiftProtobuf, here and again at the
    next `swift build` from the shell.
    """
    environment = dict(os.environ)
    environment["_"] = shutil.which("swift") or "swift"
    return environment


def build_release(root, product="kmeans"):
    """`swift build -c release --product PRODUCT` in `root`, quietly (errors still print)."""
    subprocess.run(
        ["swift", "build", "-c", "release", "--product", product],
        cwd=root,
        env=swift_environment(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def enter():
    if sys.prefix != VENV:
        prepare()
        os.execv(PYTHON, [PYTHON] + sys.argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    subprocess.check_call(["swift", "build", "--product", "kmeans"], cwd=ROOT,
                          stdout=subprocess.DEVNULL, env=swift_environment())
    binaries = subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT,
                                       text=True, env=swift_environment()).strip()
    return ROOT, os.path.join(binaries, "kmeans")


class Checks:
    """Prints one line per check and counts the failures."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, label, ok, detail=""):
        print(f"  {'ok  ' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


if __name__ == "__main__":
    prepare()
