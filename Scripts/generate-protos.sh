#!/usr/bin/env bash
# Regenerates Sources/KMeansInterop/Protos/Generated/*.pb.swift from the project's own .proto
# subsets in Protos/. The generated code is committed, so a
# build never needs protoc or the plugin; run this only after changing a .proto file.
# Needs protoc (Debian: protobuf-compiler) and swift-protobuf's protoc-gen-swift at the version
# Package.swift names (built here from the local package copy when it is not on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.39.0
command -v protoc > /dev/null || apt-get install -y -q protobuf-compiler
plugin=$(command -v protoc-gen-swift || true)
if [ -z "$plugin" ]; then
  checkout=.build-protoc-gen-swift
  if [ ! -d "$checkout" ]; then
    git clone -q https://github.com/apple/swift-protobuf "$checkout"
    git -C "$checkout" checkout -q "$version"
  fi
  swift build -c release --package-path "$checkout" --product protoc-gen-swift
  plugin="$(swift build -c release --package-path "$checkout" --show-bin-path)/protoc-gen-swift"
fi
definitions=Protos
generated=Sources/KMeansInterop/Protos/Generated
mkdir -p "$generated"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$definitions" \
  --swift_out="$generated" --swift_opt=Visibility=Internal "$definitions"/*.proto
echo "wrote $(ls "$generated" | tr '\n' ' ')"
