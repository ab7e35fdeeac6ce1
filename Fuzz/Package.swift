// swift-tools-version:5.4
// Fuzz targets for every parser of swift-kmeans, one executable per parser, and one for the C
// ABI (FuzzABI, over the dynamic library product `SwiftKMeans`). Build and run them
// with `Scripts/fuzz.sh TARGET SECONDS`, which puts the libFuzzer and AddressSanitizer flags on
// the `swift build` command line (never `unsafeFlags` here or in the main package).
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point for
// test discovery (`--defsym main=<Target>_main`), which hides libFuzzer's own `main`.

import PackageDescription

let targets = [
  "FuzzCSV", "FuzzNumPy", "FuzzNPZ", "FuzzSVMLight", "FuzzVecs", "FuzzCheckpointIndex",
  "FuzzCheckpointState", "FuzzEstimatorJSON", "FuzzModelJSON",
]

let package = Package(
  name: "swift-kmeans-fuzz",
  dependencies: [.package(name: "swift-kmeans", path: "..")],
  targets: [
    .target(
      name: "FuzzSupport",
      dependencies: [
        .product(name: "KMeans", package: "swift-kmeans"),
        .product(name: "KMeansIO", package: "swift-kmeans"),
        .product(name: "KMeansEstimator", package: "swift-kmeans"),
      ])
  ]
    + targets.map { .executableTarget(name: $0, dependencies: ["FuzzSupport"]) }
    + [
      .executableTarget(
        name: "FuzzABI", dependencies: [.product(name: "SwiftKMeans", package: "swift-kmeans")])
    ]
)
