#!/usr/bin/env python3
"""Fails on Swift code that would not build, or would misbehave, outside Linux x86-64.

Checked in Sources, Tests, Benchmarks, Examples and Fuzz:
- `import Glibc` only under `#if canImport(Glibc)`, with a `canImport(Darwin)` branch that
  imports Darwin beside it;
- Linux-only calls and paths (`/proc/`, `sched_getaffinity`, `get_nprocs`, `sysinfo(`,
  `MAP_POPULATE`, `O_DIRECT`, `RUSAGE_SELF.rawValue`, `epoll_`) only inside a block that is
  compiled on Linux alone (`#if canImport(Glibc)` or `#if os(Linux)`);
- no `Synchronization` (`Mutex`, `Atomic`: macOS 15 / iOS 18; `LockedValue` is the package's
  lock);
- `_Differentiation` and `KMeansDifferentiable` imported only under
  `#if canImport(_Differentiation)` (Xcode's toolchains do not ship the module), and no other
  library target importing `KMeansDifferentiable`;
- the library products (KMeans, KMeansIO, KMeansEstimator, KMeansInterop and the modules under
  them) free of process and terminal APIs, which iOS apps cannot use.

Prints every offence as path:line: why, and exits 1 if there is one.
"""

import pathlib
import re
import sys

ROOTS = ["Sources", "Tests", "Benchmarks", "Examples", "Fuzz"]
LIBRARY_MODULES = ["KMeans", "KMeansIO", "KMeansEstimator", "KMeansInterop", "KMeansKernels",
                   "KMeansBytes"]
LINUX_ONLY = re.compile(r"/proc/|sched_getaffinity|get_nprocs|sysinfo\(|MAP_POPULATE|O_DIRECT|"
                        r"RUSAGE_SELF\.rawValue|epoll_")
PROCESS_APIS = re.compile(r"\bProcess\(|\bisatty\(|\bsignal\(|\bexit\(|FileHandle\.standardError|"
                          r"\bCommandLine\.|processInfo\.arguments|\bfork\(|\bexecv")
LINUX_CONDITIONS = ("canImport(Glibc)", "os(Linux)")


def blocks(lines):
    """Yields (number, line, conditions): the #if conditions in force on each line, each with
    whether the line is in its first branch."""
    stack = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("#if "):
            stack.append([stripped[4:], True])
        elif stripped.startswith("#elseif ") or stripped == "#else":
            if stack:
                stack[-1] = [stripped[8:] if stripped.startswith("#elseif") else "", False]
        elif stripped == "#endif":
            if stack:
                stack.pop()
        yield number, line, [tuple(entry) for entry in stack]


def check(path, offences):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    module = path.parts[1] if path.parts[0] == "Sources" else None
    def offend(number, why):
        offences.append(f"{path}:{number}: {why}")
    if "import Glibc" in text and "import Darwin" not in text:
        offend(1, "imports Glibc with no Darwin branch beside it")
    for number, line, conditions in blocks(lines):
        stripped = line.strip()
        code = stripped.split("//")[0] if not stripped.startswith("///") else ""
        linux = any(c.strip() in LINUX_CONDITIONS and first for c, first in conditions)
        if stripped == "import Glibc" and not linux:
            offend(number, "import Glibc outside #if canImport(Glibc)")
        if LINUX_ONLY.search(code) and not linux:
            offend(number, "Linux-only API outside a Linux-only block")
        if re.search(r"\bimport Synchronization\b|\bMutex<|\bAtomic<", code):
            offend(number, "Synchronization (macOS 15 / iOS 18): use LockedValue")
        if re.match(r"(@testable )?import (_Differentiation|KMeansDifferentiable)\b", stripped):
            guarded = any(c.strip() == "canImport(_Differentiation)" and first
                          for c, first in conditions)
            if not guarded:
                offend(number, "imports _Differentiation outside #if canImport(_Differentiation)")
            if module and module != "KMeansDifferentiable" and path.parts[0] == "Sources":
                offend(number, "a library target depends on KMeansDifferentiable")
        if module in LIBRARY_MODULES and PROCESS_APIS.search(code):
            offend(number, "process or terminal API in a library product (not on iOS)")


def main():
    offences = []
    files = 0
    for root in ROOTS:
        for path in sorted(pathlib.Path(root).rglob("*.swift")):
            # Generated protocol buffers, and build folders (Fuzz/.build holds checkouts).
            if "Protos/Generated" in str(path) or any(p.startswith(".build") for p in path.parts):
                continue
            files += 1
            check(path, offences)
    for offence in offences:
        print(offence)
    print(f"{files} Swift files checked: {len(offences)} portability offences")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
