#!/usr/bin/env bash
# Portability checks that a Linux x86-64 machine can make, each able to fail:
#  1. Scripts/check-portability.py: Glibc without Darwin, Linux-only calls, Synchronization,
#     _Differentiation outside its guard, process APIs in the library products;
#  2. the C kernels (Sources/CKMeansSIMD) bit for bit against a scalar reference
#     (Scripts/portability/simd_kernels_test.c): natively (portable, AVX2, AVX-512 as the CPU
#     has them), then cross-compiled for aarch64 with Debian's gcc-aarch64-linux-gnu and run
#     under qemu-aarch64 (portable and NEON);
#  3. the C modules and headers compiled (-fsyntax-only, freestanding: no SDK here) with the
#     Swift toolchain's clang for arm64 and x86-64 macOS, arm64 iOS and aarch64 Linux.
# Installs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 Scripts/check-portability.py

if ! command -v aarch64-linux-gnu-gcc > /dev/null || ! command -v qemu-aarch64 > /dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gcc-aarch64-linux-gnu \
    libc6-dev-arm64-cross qemu-user > /dev/null
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
kernels=(Sources/CKMeansSIMD/kmeans_simd.c Scripts/portability/simd_kernels_test.c)
flags=(-std=c11 -O2 -Wall -Wextra -pedantic -Werror -ffp-contract=off -ISources/CKMeansSIMD/include)

echo "-- C kernels, native ($(uname -m))"
cc "${flags[@]}" "${kernels[@]}" -lm -o "$build/native"
"$build/native"

echo "-- C kernels, aarch64 under qemu"
aarch64-linux-gnu-gcc "${flags[@]}" -static "${kernels[@]}" -lm -o "$build/aarch64"
qemu-aarch64 "$build/aarch64"

echo "-- C modules for other targets (clang $(clang -dumpversion), -fsyntax-only, freestanding)"
for target in arm64-apple-macos13.3 x86_64-apple-macos13.3 arm64-apple-ios16.4 aarch64-linux-gnu; do
  clang --target="$target" -ffreestanding -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only \
    -ISources/CKMeansSIMD/include Sources/CKMeansSIMD/kmeans_simd.c
  clang --target="$target" -ffreestanding -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only \
    -ISources/CKMeansABI/include -x c Sources/CKMeansABI/swift_kmeans.h
  echo "$target: ok"
done
