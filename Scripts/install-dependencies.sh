#!/usr/bin/env bash
# Installs what swift-kmeans needs beyond the Swift toolchain: OpenBLAS, zlib (for SciPy .npz
# files) and pkg-config, which SwiftPM uses to find them. Does nothing when all are present;
# uses sudo when not root.
set -euo pipefail
if dpkg -s libopenblas-dev zlib1g-dev >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libopenblas-dev zlib1g-dev pkg-config >/dev/null
echo "installed libopenblas-dev, zlib1g-dev and pkg-config"
