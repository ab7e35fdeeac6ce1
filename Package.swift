// swift-tools-version: 6.1
// swift-kmeans: k-means clustering for Swift, with TensorFlow's semantics and BLAS speed.

import PackageDescription

/// Where Accelerate replaces OpenBLAS.
let applePlatforms: [Platform] = [.macOS, .iOS, .tvOS, .watchOS, .visionOS]

let package = Package(
  name: "swift-kmeans",
  // macOS 13.3 / iOS 16.4: Accelerate's current BLAS interface; the package's own lock
  // (`LockedValue`, an `NSLock`) stands in for `Synchronization`'s `Mutex`, which
  // needs macOS 15 / iOS 18.
  platforms: [.macOS("13.3"), .iOS("16.4")],
  products: [
    .executable(name: "kmeans-mpi", targets: ["KMeansMPICLI"]),
    .library(name: "KMeans", targets: ["KMeans"]),
    .library(name: "KMeansIO", targets: ["KMeansIO"]),
    .library(name: "KMeansEstimator", targets: ["KMeansEstimator"]),
    .library(name: "KMeansInterop", targets: ["KMeansInterop"]),
    .library(name: "KMeansDifferentiable", targets: ["KMeansDifferentiable"]),
    .executable(name: "kmeans", targets: ["KMeansCLI"]),
    .executable(name: "kmeans-bench", targets: ["KMeansBenchmark"]),
    .executable(name: "colour-quantization", targets: ["ColourQuantization"]),
    .executable(name: "sentence-clusters", targets: ["SentenceEmbeddings"]),
    .executable(name: "deep-clustering", targets: ["DeepClustering"]),
    /// `libSwiftKMeans`: the C ABI of `swift_kmeans.h`, which the Python package loads.
    .library(name: "SwiftKMeans", type: .dynamic, targets: ["KMeansC"]),
  ],
  traits: [
    .trait(
      name: "MPI",
      description: "Build KMeansMPI and kmeans-mpi against Open MPI (libopenmpi-dev, openmpi-bin).")
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // MARK: - Public API

    /// Matrices, configuration, initializers, Lloyd's algorithm, the fitted model, errors.
    .target(name: "KMeans", dependencies: ["KMeansKernels"]),
    /// File formats: CSV with named columns, NumPy `.npy`, `.fvecs`, sparse svmlight and SciPy
    /// `.npz`, model JSON; atomic writes.
    .target(name: "KMeansIO", dependencies: ["KMeans", "KMeansBytes"]),
    /// k-means inside a trained model: `Matrix` as a differentiable value, distances, softmax
    /// and soft k-means with reverse derivatives on BLAS (Swift's `_Differentiation`).
    .target(name: "KMeansDifferentiable", dependencies: ["KMeans", "KMeansKernels"]),
    /// What other tools read: TensorFlow SavedModels, ONNX models and TensorBoard event files
    /// (protocol buffers generated from the project's own subsets in the repository's `Protos/`).
    .target(
      name: "KMeansInterop",
      dependencies: [
        "KMeans", "KMeansIO", "KMeansBytes",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    /// The model directory: TensorFlow V2 checkpoints, resumable training with TensorBoard
    /// summaries, export.
    .target(
      name: "KMeansEstimator",
      dependencies: ["KMeans", "KMeansIO", "KMeansBytes", "KMeansInterop"]
    ),
    /// Distributed training over MPI ranks (with the `MPI` trait; empty without it).
    .target(
      name: "KMeansMPI",
      dependencies: [
        "KMeans", "KMeansIO", "KMeansEstimator",
        .target(name: "CMPI", condition: .when(traits: ["MPI"])),
      ],
      exclude: ["README.md"]
    ),
    /// `kmeans-mpi`: one rank of a distributed training job (run it under `mpirun`).
    .executableTarget(
      name: "KMeansMPICLI",
      dependencies: [
        "KMeansMPI", "KMeans", "KMeansIO", "KMeansEstimator", "KMeansCommandLine",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    /// The `kmeans` command: parses, calls the library, prints.
    .executableTarget(
      name: "KMeansCLI",
      dependencies: [
        "KMeans", "KMeansIO", "KMeansEstimator", "KMeansInterop", "KMeansCommandLine",
        "KMeansKernels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    /// What `kmeans` and `kmeans-mpi` share: the input, weight and training option groups, and
    /// reading any input format into features.
    .target(
      name: "KMeansCommandLine",
      dependencies: [
        "KMeans", "KMeansIO", "KMeansKernels", "KMeansEstimator", "CMalloc",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    /// The C ABI (`Sources/CKMeansABI/swift_kmeans.h`) over the library, for the Python
    /// package and any other language with a C FFI.
    .target(
      name: "KMeansC",
      dependencies: [
        "KMeans", "KMeansKernels", "KMeansEstimator", "KMeansInterop", "CKMeansABI",
      ]),
    /// The C types of that ABI (`include/skm_types.h`).
    .target(name: "CKMeansABI", exclude: ["swift_kmeans.h"]),

    // MARK: - Implementation details

    /// OpenBLAS on Linux (`libopenblas-dev`); Accelerate (`CAccelerateBLAS`) replaces it on
    /// Apple platforms.
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    /// zlib (`zlib1g-dev`): inflates the compressed members of SciPy `.npz` archives.
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    /// glibc's `mallopt`, with which the command-line tools keep large freed blocks for reuse.
    .systemLibrary(name: "CMalloc"),
    /// Open MPI (`libopenmpi-dev`), for KMeansMPI with the `MPI` trait.
    .systemLibrary(
      name: "CMPI",
      pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]
    ),
    /// Accelerate's BLAS on Apple platforms, through its current interface
    /// (`ACCELERATE_NEW_LAPACK`); empty elsewhere.
    .target(
      name: "CAccelerateBLAS",
      cSettings: [.define("ACCELERATE_NEW_LAPACK")],
      linkerSettings: [.linkedFramework("Accelerate", .when(platforms: applePlatforms))]
    ),
    /// Every numeric hot loop and every unsafe pointer of the arithmetic: norms, GEMM distance
    /// tiles, fused argmin, partial sums, the deterministic parallel-for.
    .target(
      name: "KMeansKernels",
      dependencies: [
        "CKMeansSIMD", .target(name: "CBLAS", condition: .when(platforms: [.linux])),
        .target(name: "CAccelerateBLAS", condition: .when(platforms: applePlatforms)),
      ]
    ),
    /// The byte layer under the file formats: little-endian encoding and decoding, memory-mapped
    /// files, zlib inflation, CRC32C, text numbers; half-precision and byte elements widened by
    /// the vector code of `CKMeansSIMD`.
    .target(name: "KMeansBytes", dependencies: ["CZlib", "CKMeansSIMD"]),
    /// Fused distance + argmin micro-kernels in C: AVX-512 and AVX2 (per-function target
    /// attributes, picked at run time) on x86-64, NEON on AArch64.
    .target(name: "CKMeansSIMD"),
    /// `kmeans-bench`: seconds per Lloyd iteration against a plain GEMM of the same shape.
    .executableTarget(
      name: "KMeansBenchmark",
      dependencies: ["KMeans", "KMeansKernels", "KMeansIO", "KMeansDifferentiable"],
      path: "Benchmarks/KMeansBenchmark"
    ),

    // MARK: - Examples

    /// Colour quantisation of a real photo (binary PPM) with k-means.
    .executableTarget(
      name: "ColourQuantization", dependencies: ["KMeans"], path: "Examples/ColourQuantization",
      exclude: ["README.md", "flower.ppm"]),
    /// Spherical k-means on real sentence embeddings.
    .executableTarget(
      name: "SentenceEmbeddings", dependencies: ["KMeans", "KMeansIO"],
      path: "Examples/SentenceEmbeddings",
      exclude: ["README.md", "embeddings.npy", "sentences.tsv", "generate-embeddings.py"]),

    /// Deep embedded clustering of the digits with Swift's automatic differentiation.
    .executableTarget(
      name: "DeepClustering", dependencies: ["KMeans", "KMeansIO", "KMeansDifferentiable"],
      path: "Examples/DeepClustering", exclude: ["README.md"]),

    // MARK: - Tests

    /// What the test bundles share: data generators, workers on threads, temporary folders, and
    /// the parser checks that the fuzz targets in `Fuzz/` run too.
    .target(
      name: "KMeansTestSupport", dependencies: ["KMeans", "KMeansIO", "KMeansEstimator"],
      path: "Tests/KMeansTestSupport"),
    .testTarget(name: "KMeansKernelsTests", dependencies: ["KMeansKernels", "CKMeansSIMD"]),
    .testTarget(
      name: "KMeansTests",
      dependencies: ["KMeans", "KMeansIO", "KMeansKernels", "KMeansTestSupport"],
      exclude: ["Fixtures"]),
    /// Every combination of data, metric, weights, workers, algorithm, precision and driver.
    .testTarget(
      name: "KMeansEngineTests",
      dependencies: ["KMeans", "KMeansIO", "KMeansEstimator", "KMeansMPI", "KMeansTestSupport"]),
    .testTarget(
      name: "KMeansIOTests", dependencies: ["KMeansIO", "KMeansBytes", "KMeansTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "KMeansEstimatorTests",
      dependencies: ["KMeansEstimator", "KMeansBytes", "KMeansTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "KMeansDifferentiableTests",
      dependencies: ["KMeansDifferentiable", "KMeans", "KMeansKernels", "KMeansTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "KMeansInteropTests",
      dependencies: ["KMeansInterop", "KMeansEstimator", "KMeansTestSupport"],
      exclude: ["Fixtures"]),
    /// The C ABI as a foreign caller uses it, with malformed arguments.
    .testTarget(name: "KMeansCTests", dependencies: ["KMeansC", "CKMeansABI"]),
    .testTarget(
      name: "KMeansCLITests",
      dependencies: [
        "KMeansCLI", "KMeansMPICLI", "KMeansMPI", "KMeans", "KMeansIO", "KMeansEstimator",
        "KMeansCommandLine", "KMeansTestSupport",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
