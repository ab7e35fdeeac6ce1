#!/usr/bin/env bash
# Formats every Swift file in place, then lints strictly (what CI checks).
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Sources Benchmarks Tests Examples Fuzz Package.swift)
swift format format --in-place --recursive "${paths[@]}"
swift format lint --strict --recursive "${paths[@]}"
