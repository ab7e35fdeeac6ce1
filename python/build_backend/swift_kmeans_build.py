"""PEP 517 build backend for the ``swift-kmeans`` Python package.

``build_wheel`` runs ``swift build -c release --product SwiftKMeans`` (the engine's C ABI as a
shared library), copies the library into ``swift_kmeans/_lib`` with every shared library it
needs beyond the C and C++ runtimes (the Swift runtime and Foundation from the toolchain,
OpenBLAS and its Fortran runtime), points the engine's run path at its own folder only, and
writes the list of libraries in the order the package loads them. The wheel therefore runs on
a Linux machine without the Swift toolchain or OpenBLAS installed.

Settings (environment): ``SWIFT_KMEANS_SWIFT`` names the ``swift`` executable (default: the one
on ``PATH``); ``SWIFT_KMEANS_SCRATCH`` the build folder (default ``.build``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

NAME = "swift_kmeans"
DISTRIBUTION = "swift_kmeans"
PRODUCT = "libSwiftKMeans.so"
# Libraries every Linux machine has (glibc, the GCC runtimes, zlib): never bundled.
SYSTEM_LIBRARIES = re.compile(
    r"^(linux-vdso|ld-linux|libc\.|libm\.|libpthread\.|libdl\.|librt\.|libgcc_s\.|libstdc\+\+\."
    r"|libz\.)"
)


def _root() -> str:
    return os.path.abspath(os.getcwd())


def _version() -> str:
    with open(os.path.join(_root(), "pyproject.toml"), encoding="utf-8") as file:
        match = re.search(r'^version\s*=\s*"([^"]+)"', file.read(), re.MULTILINE)
    if not match:
        raise RuntimeError("pyproject.toml has no version")
    return match.group(1)


def _tag() -> str:
    machine = platform.machine().lower().replace("-", "_")
    return f"py3-none-linux_{machine}"


def _metadata() -> str:
    root = _root()
    with open(os.path.join(root, "python", "README.md"), encoding="utf-8") as file:
        readme = file.read()
    lines = [
        "Metadata-Version: 2.1",
        "Name: swift-kmeans",
        f"Version: {_version()}",
        "Summary: k-means on a Swift engine: scikit-learn's KMeans API and TensorFlow's KMeans"
        " estimator, exact and fast",
        "License: Apache-2.0",
        "Requires-Python: >=3.9",
        "Requires-Dist: numpy>=1.21",
        "Provides-Extra: sklearn",
        'Requires-Dist: scikit-learn>=1.3; extra == "sklearn"',
        'Requires-Dist: scipy>=1.7; extra == "sklearn"',
        "Provides-Extra: test",
        'Requires-Dist: pytest; extra == "test"',
        'Requires-Dist: scikit-learn>=1.3; extra == "test"',
        'Requires-Dist: scipy>=1.7; extra == "test"',
        "Description-Content-Type: text/markdown",
        "",
        readme,
    ]
    return "\n".join(lines)


def _wheel_file() -> str:
    return "\n".join(
        [
            "Wheel-Version: 1.0",
            "Generator: swift_kmeans_build",
            "Root-Is-Purelib: false",
            f"Tag: {_tag()}",
            "",
        ]
    )


def _environment_outside_pip(swift: str) -> dict:
    """The environment of the shell that ran pip, without what pip's isolated build adds.

    SwiftPM recompiles a dependency (SwiftProtobuf) when the environment differs from the one
    its cached package manifests were read in, so a wheel built in pip's environment would cost
    a rebuild here and another at the next ``swift build`` in the shell.
    """
    environment = dict(os.environ)
    if "pip-build-env-" in environment.get("PYTHONPATH", ""):
        for name in ("PYTHONPATH", "PYTHONNOUSERSITE"):
            environment.pop(name, None)
    for name in ("PEP517_BACKEND_PATH", "PEP517_BUILD_BACKEND", "PIP_BUILD_TRACKER"):
        environment.pop(name, None)
    entries = environment.get("PATH", "").split(os.pathsep)
    environment["PATH"] = os.pathsep.join(e for e in entries if "pip-build-env-" not in e)
    environment["_"] = swift  # what a shell sets for the command it runs
    return environment


def _build_engine() -> str:
    swift = os.environ.get("SWIFT_KMEANS_SWIFT") or shutil.which("swift")
    if not swift:
        raise RuntimeError(
            "building swift-kmeans needs the Swift toolchain (swift on PATH) and OpenBLAS "
            "(Scripts/install-dependencies.sh installs the Debian packages)"
        )
    scratch = os.environ.get("SWIFT_KMEANS_SCRATCH", os.path.join(_root(), ".build"))
    command = [
        swift,
        "build",
        "-c",
        "release",
        "--product",
        "SwiftKMeans",
        "--scratch-path",
        scratch,
    ]
    print("running", " ".join(command), file=sys.stderr)
    environment = _environment_outside_pip(swift)
    subprocess.run(command, check=True, cwd=_root(), stdout=sys.stderr, env=environment)
    output = subprocess.run(
        [swift, "build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"],
        check=True,
        cwd=_root(),
        capture_output=True,
        text=True,
        env=environment,
    ).stdout.strip()
    library = os.path.join(output, PRODUCT)
    if not os.path.exists(library):
        raise RuntimeError(f"swift build wrote no {library}")
    return library


def _dependencies(library: str) -> dict:
    """Every shared library ``library`` loads (transitively), by file name: resolved path."""
    output = subprocess.run(["ldd", library], check=True, capture_output=True, text=True).stdout
    found = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if not match:
            continue
        name, path = match.groups()
        if path == "not" or SYSTEM_LIBRARIES.match(name):
            if path == "not":
                raise RuntimeError(f"{library} needs {name}, which the loader cannot find")
            continue
        found[name] = os.path.realpath(path)
    return found


def _needed(path: str) -> list:
    """The DT_NEEDED names of an ELF shared library."""
    output = subprocess.run(
        ["readelf", "-d", path], check=True, capture_output=True, text=True
    ).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)


def _load_order(names: list, paths: dict) -> list:
    """``names`` ordered so that each library comes after the bundled libraries it needs."""
    order, state = [], {}

    def visit(name):
        if state.get(name) == "done":
            return
        state[name] = "visiting"
        for dependency in _needed(paths[name]):
            if dependency in paths and state.get(dependency) != "visiting":
                visit(dependency)
        state[name] = "done"
        order.append(name)

    for name in sorted(names):
        visit(name)
    return order


def _set_runpath_to_origin(path: str) -> None:
    """Rewrites the DT_RUNPATH (or DT_RPATH) string of an ELF64 file to ``$ORIGIN`` in place.

    The new string is never longer than the old one, so it fits where the old one was (the rest
    is filled with NULs); nothing else in the file moves.
    """
    with open(path, "r+b") as file:
        data = bytearray(file.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise RuntimeError(f"{path} is not a little-endian ELF64 file")
        (phoff,) = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        segments = []
        dynamic = None
        for index in range(phnum):
            base = phoff + index * phentsize
            kind, _, offset, vaddr, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, base)
            segments.append((kind, offset, vaddr, filesz))
            if kind == 2:  # PT_DYNAMIC
                dynamic = (offset, filesz)
        if dynamic is None:
            raise RuntimeError(f"{path} has no dynamic segment")

        def file_offset(address):
            for kind, offset, vaddr, filesz in segments:
                if kind == 1 and vaddr <= address < vaddr + filesz:  # PT_LOAD
                    return offset + address - vaddr
            raise RuntimeError(f"{path}: address {address:#x} is in no loaded segment")

        strtab, runpaths = None, []
        for position in range(dynamic[0], dynamic[0] + dynamic[1], 16):
            tag, value = struct.unpack_from("<qQ", data, position)
            if tag == 0:
                break
            if tag == 5:  # DT_STRTAB
                strtab = value
            elif tag in (15, 29):  # DT_RPATH, DT_RUNPATH
                runpaths.append(value)
        if strtab is None or not runpaths:
            raise RuntimeError(f"{path} has no run path to rewrite")
        for string_offset in runpaths:
            start = file_offset(strtab) + string_offset
            end = data.index(b"\0", start)
            replacement = b"$ORIGIN"
            if end - start < len(replacement):
                raise RuntimeError(f"{path}: the run path is shorter than $ORIGIN")
            data[start:end] = replacement + b"\0" * (end - start - len(replacement))
        file.seek(0)
        file.write(data)


def _stage(directory: str) -> None:
    """Lays out the package, the engine and its libraries under ``directory``."""
    root = _root()
    package = os.path.join(directory, NAME)
    shutil.copytree(
        os.path.join(root, "python", NAME),
        package,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_lib"),
    )
    lib = os.path.join(package, "_lib")
    os.makedirs(os.path.join(lib, "include"))
    engine = _build_engine()
    bundled = _dependencies(engine)
    for name, path in bundled.items():
        shutil.copyfile(path, os.path.join(lib, name))
        os.chmod(os.path.join(lib, name), 0o755)
    shutil.copyfile(engine, os.path.join(lib, PRODUCT))
    os.chmod(os.path.join(lib, PRODUCT), 0o755)
    _set_runpath_to_origin(os.path.join(lib, PRODUCT))
    paths = {name: os.path.join(lib, name) for name in bundled}
    with open(os.path.join(lib, "libraries.txt"), "w", encoding="utf-8") as file:
        for name in _load_order(list(bundled), paths):
            file.write(name + "\n")
        file.write(PRODUCT + "\n")
    abi = os.path.join(root, "Sources", "CKMeansABI")
    shutil.copyfile(os.path.join(abi, "swift_kmeans.h"), os.path.join(lib, "swift_kmeans.h"))
    shutil.copyfile(
        os.path.join(abi, "include", "skm_types.h"), os.path.join(lib, "include", "skm_types.h")
    )


def _record_line(archive_path: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{archive_path},sha256={digest},{len(content)}"


def _write_wheel(directory: str, wheel_directory: str) -> str:
    version = _version()
    name = f"{DISTRIBUTION}-{version}-{_tag()}.whl"
    dist_info = f"{DISTRIBUTION}-{version}.dist-info"
    records = []
    target = os.path.join(wheel_directory, name)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for folder, _, files in sorted(os.walk(directory)):
            for file_name in sorted(files):
                path = os.path.join(folder, file_name)
                archive_path = os.path.relpath(path, directory).replace(os.sep, "/")
                with open(path, "rb") as file:
                    content = file.read()
                info = zipfile.ZipInfo(archive_path, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (os.stat(path).st_mode & 0o777 | 0o100000) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                wheel.writestr(info, content)
                records.append(_record_line(archive_path, content))
        for file_name, content in (
            ("METADATA", _metadata().encode()),
            ("WHEEL", _wheel_file().encode()),
        ):
            archive_path = f"{dist_info}/{file_name}"
            wheel.writestr(archive_path, content)
            records.append(_record_line(archive_path, content))
        records.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return name


# PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with tempfile.TemporaryDirectory() as staging:
        _stage(staging)
        return _write_wheel(staging, wheel_directory)


def build_sdist(sdist_directory, config_settings=None):
    """A source archive of the tracked files (``git ls-files``)."""
    import tarfile

    version = _version()
    base = f"{DISTRIBUTION}-{version}"
    files = (
        subprocess.run(["git", "ls-files", "-z"], check=True, cwd=_root(), capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as archive:
        for file_name in filter(None, files):
            archive.add(os.path.join(_root(), file_name), arcname=f"{base}/{file_name}")
        metadata = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(metadata)
        import io

        archive.addfile(info, io.BytesIO(metadata))
    return name
