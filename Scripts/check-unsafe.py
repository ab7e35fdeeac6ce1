#!/usr/bin/env python3
"""The unsafe-code gate: unsafe Swift lives in the numeric kernels, the byte layer and the C ABI.

Outside Sources/KMeansKernels, Sources/KMeansBytes and Sources/KMeansC (and the C boundary
files listed below, each with its reason):
- no `Unsafe…` type or call at all;
- every `@unchecked Sendable` and `nonisolated(unsafe)` carries a `// Safety:` comment on its
  line, just above it or in the comment block above its declaration, saying why the
  compiler's check may be skipped;
- no `&value` handed to a C function (a name with an underscore, or a libc call taking a
  pointer), unless the line or the one above says `// Safety:`.

Prints every offence as path:line: why, then a count, and exits 1 if there is one.
"""

import pathlib
import re
import sys

ALLOWED = ("Sources/KMeansKernels/", "Sources/KMeansBytes/", "Sources/KMeansC/")
# C boundaries outside those modules: the whole file talks to a C library.
BOUNDARIES = {
    "Sources/KMeansMPI/MPICommunicator.swift":
        "Open MPI's collectives read and write the buffers handed to them for one call",
}
UNCHECKED = re.compile(r"@unchecked Sendable|nonisolated\(unsafe\)")
C_POINTER_CALL = re.compile(
    r"\b([a-z]+_[a-z0-9_]+|[A-Z]+_[A-Za-z_]+|gethostname|getrusage|uname|fstat|stat|pipe|"
    r"clock_gettime|sysctl|sysctlbyname|pthread_[a-z_]+)\([^)]*&[A-Za-z_]")


def justified(lines, index):
    """Whether the line, the two above it, or the comment block right above the declaration
    it belongs to says `// Safety:`."""
    if any("// Safety:" in lines[i] for i in range(max(0, index - 2), index + 1)):
        return True
    start = index
    while start > 0 and not lines[start - 1].strip().startswith("//") and index - start < 3:
        start -= 1
    while start > 0 and lines[start - 1].strip().startswith("//"):
        start -= 1
        if "// Safety:" in lines[start]:
            return True
    return False


def main():
    offences = []
    files = 0
    for path in sorted(pathlib.Path("Sources").rglob("*.swift")):
        name = str(path)
        if name.startswith(ALLOWED) or name in BOUNDARIES or "Protos/Generated" in name:
            continue
        files += 1
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            code = line.split("//")[0]
            if re.search(r"\bUnsafe[A-Z]\w*|\bwithUnsafe\w*", code):
                offences.append(f"{name}:{index + 1}: unsafe pointer code outside the kernels")
            if UNCHECKED.search(code) and not justified(lines, index):
                offences.append(
                    f"{name}:{index + 1}: {UNCHECKED.search(code).group(0)} without a "
                    "'// Safety:' reason")
            if C_POINTER_CALL.search(code) and not justified(lines, index):
                offences.append(
                    f"{name}:{index + 1}: &value passed to C without a '// Safety:' reason")
    for offence in offences:
        print(offence)
    print(f"{files} Swift files outside the kernels checked: {len(offences)} offences")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
