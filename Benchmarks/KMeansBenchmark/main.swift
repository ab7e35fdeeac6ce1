// kmeans-bench: seconds per Lloyd iteration on seeded Gaussian blobs, the achieved GFLOP/s
// (2·n·k·d per iteration) and the ratio to one plain GEMM of the same shape timed in the same
// run; with `--suite mini-batch`, seeding (k-means++, AFK-MC², k-MC²) and mini-batch against
// full batch. Run it with
// `swift run -c release kmeans-bench [--suite lloyd|mini-batch|peak|soft-kmeans|all] [--quick] [--threads T]`;
// `--suite peak` times one large square SGEMM (the bound of Scripts/bench-peers.py);
// `--suite soft-kmeans` the loss and gradient of soft k-means (Scripts/bench-differentiable.py
// runs it against TensorFlow's GradientTape).

import Dispatch
import Foundation
import KMeans
import KMeansIO
import KMeansKernels

#if canImport(_Differentiation)
  import KMeansDifferentiable
  import _Differentiation
#endif

struct Shape {
  var name: String
  var rows: Int
  var dimension: Int
  var clusters: Int
}

/// `rows` points around `clusters` seeded centers in [-10, 10]^d with unit Gaussian noise.
func blobs(_ shape: Shape, seed: UInt64) throws -> Matrix<Float> {
  var random = RandomSource(seed: seed)
  let d = shape.dimension
  let centers = (0..<(shape.clusters * d)).map { _ in Float(random.nextUnit() * 20 - 10) }
  var values = [Float](repeating: 0, count: shape.rows * d)
  for row in 0..<shape.rows {
    let center = random.nextIndex(below: shape.clusters)
    for column in 0..<d {
      // Box–Muller.
      let u = max(random.nextUnit(), 1e-300)
      let v = random.nextUnit()
      let noise = (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
      values[row * d + column] = centers[center * d + column] + Float(noise)
    }
  }
  return try Matrix(rowCount: shape.rows, columnCount: d, values: values)
}

func seconds(_ body: () -> Void) -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The best of `repeats` timings of one GEMM `(n × d) · (k × d)ᵀ`, BLAS on `threads` threads,
/// its output tiled by 4096 rows so memory stays bounded as in Lloyd.
func plainGEMMSeconds(_ data: Matrix<Float>, centers: Matrix<Float>, threads: Int, repeats: Int)
  -> Double
{
  let n = data.rowCount
  let d = data.columnCount
  let k = centers.rowCount
  let tile = 4096
  var output = [Float](repeating: 0, count: tile * k)
  let a = data.values
  let b = centers.values
  BLASLibrary.setThreadCount(threads)
  defer { BLASLibrary.setThreadCount(1) }
  var best = Double.infinity
  for _ in 0..<repeats {
    let time = seconds {
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          output.withUnsafeMutableBufferPointer { c in
            var start = 0
            while start < n {
              let rows = min(tile, n - start)
              Float._kernels.multiplyTransposed(
                rows, k, d, a.baseAddress! + start * d, d, b.baseAddress!, d, c.baseAddress!, k)
              start += rows
            }
          }
        }
      }
    }
    best = min(best, time)
  }
  return best
}

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let threads =
  arguments.firstIndex(of: "--threads").flatMap { Int(arguments[$0 + 1]) }
  ?? ProcessInfo.processInfo.activeProcessorCount
let suite = arguments.firstIndex(of: "--suite").map { arguments[$0 + 1] } ?? "lloyd"
let iterations = quick ? 3 : 10
let small = Shape(name: "blobs 100k×32 k=64", rows: 100_000, dimension: 32, clusters: 64)
let large = Shape(name: "blobs 1M×64 k=256", rows: 1_000_000, dimension: 64, clusters: 256)

print("BLAS: \(BLASLibrary.description)")
print("Float assignment kernel: \(FusedKernel.name) (KMEANS_KERNEL=blas|avx2|avx512 to compare)")

/// Seconds per Lloyd iteration against a plain GEMM of the same shape.
func lloydSuite() throws {
  print("threads: \(threads), Float, \(iterations) Lloyd iterations from the same random centers")
  print(
    "shape".padding(toLength: 22, withPad: " ", startingAt: 0)
      + "  s/iter   GFLOP/s   GEMM s   GEMM GFLOP/s   iter/GEMM")
  for shape in quick ? [small] : [small, large] {
    let data = try blobs(shape, seed: 1)
    // The blobs are drawn in random order, so the first k rows are random initial centers.
    let initial = data.rows(0..<shape.clusters)
    var configuration = KMeansConfiguration(clusterCount: shape.clusters)
    configuration.initialization = .centers(initial)
    configuration.maxIterations = iterations
    configuration.tolerance = 0
    configuration.threadCount = threads
    configuration.algorithm = .lloyd  // every distance every iteration: the GEMM comparison
    let result = try KMeansModel.fit(data, configuration: configuration)
    // The machine is shared: both sides report their fastest repetition (the first
    // iteration, which page-faults fresh buffers, is left out).
    let times = result.model.iterationStatistics.dropFirst().map(\.seconds)
    let perIteration = times.min() ?? result.model.iterationStatistics[0].seconds
    let flops = 2.0 * Double(shape.rows) * Double(shape.clusters) * Double(shape.dimension)
    let gemm = plainGEMMSeconds(data, centers: initial, threads: threads, repeats: iterations)
    let line =
      shape.name.padding(toLength: 22, withPad: " ", startingAt: 0)
      + String(
        format: "  %6.4f  %8.1f  %7.4f  %13.1f  %9.2f", perIteration, flops / perIteration / 1e9,
        gemm, flops / gemm / 1e9, perIteration / gemm)
    print(line)
  }
}

/// Seeding time and quality: greedy k-means++ against AFK-MC² and k-MC², and full-batch
/// Lloyd against mini-batch from k-means++ to convergence.
func miniBatchSuite() throws {
  let shape = quick ? small : large
  let data = try blobs(shape, seed: 1)
  print("threads: \(threads), Float, \(shape.name), seed 0")
  print("seeding                      seconds   potential (Σ D² after seeding)")
  var timings: [(String, Double)] = []
  for initialization in [
    Initialization.kMeansPlusPlus(), .afkmc2(chainLength: 200), .kmc2(chainLength: 200),
  ] {
    var configuration = KMeansConfiguration(clusterCount: shape.clusters)
    configuration.initialization = initialization
    configuration.threadCount = threads
    var trainer = try KMeansTrainer<Float>(configuration: configuration)
    let time = seconds { _ = try? trainer.initialize(with: data) }
    let potential = try trainer.model.score(data, threadCount: threads)
    timings.append((initialization.name, time))
    print(
      initialization.name.padding(toLength: 27, withPad: " ", startingAt: 0)
        + String(format: "  %7.3f   %.6g", time, potential))
  }
  print(String(format: "AFK-MC² / k-means++ seeding time: %.3f", timings[1].1 / timings[0].1))

  print("training (k-means++ seeding)  seconds   steps   inertia")
  var configuration = KMeansConfiguration(clusterCount: shape.clusters)
  configuration.threadCount = threads
  var full: KMeansFitResult<Float>? = nil
  let fullTime = seconds { full = try? KMeansModel.fit(data, configuration: configuration) }
  var miniBatch = MiniBatchConfiguration()
  miniBatch.batchSize = 4096
  var miniBatchRun = configuration
  miniBatchRun.miniBatch = miniBatch
  var mini: KMeansFitResult<Float>? = nil
  let miniTime = seconds { mini = try? KMeansModel.fit(data, configuration: miniBatchRun) }
  // Seeding from a sample can land in a worse local optimum; three seedings judged on the
  // sample (scikit-learn's n_init) cost little.
  var threeSeedings = miniBatchRun
  threeSeedings.restarts = 3
  var mini3: KMeansFitResult<Float>? = nil
  let mini3Time = seconds { mini3 = try? KMeansModel.fit(data, configuration: threeSeedings) }
  for (name, time, result) in [
    ("full batch (Lloyd)", fullTime, full), ("mini-batch (4096 rows)", miniTime, mini),
    ("mini-batch, 3 seedings", mini3Time, mini3),
  ] {
    guard let result else { continue }
    print(
      name.padding(toLength: 27, withPad: " ", startingAt: 0)
        + String(
          format: "  %7.2f   %5d   %.6g", time, result.model.iterationCount, result.model.inertia))
  }
  if let full, let mini, let mini3 {
    print(
      String(
        format:
          "mini-batch / full batch: time %.3f, inertia %.4f (3 seedings: time %.3f, inertia %.4f)",
        miniTime / fullTime, mini.model.inertia / full.model.inertia, mini3Time / fullTime,
        mini3.model.inertia / full.model.inertia))
  }
}

/// The SGEMM speed of this machine: the best of 5 runs of a 4096³ `sgemm` on `threads` threads
/// (the bound the peer benchmark compares Lloyd iterations against).
func peakSuite() throws {
  let size = quick ? 1024 : 4096
  var random = RandomSource(seed: 5)
  let a = try Matrix<Float>(
    rowCount: size, columnCount: size,
    values: (0..<(size * size)).map { _ in Float(random.nextUnit()) })
  let seconds = plainGEMMSeconds(a, centers: a, threads: threads, repeats: 5)
  let flops = 2.0 * Double(size) * Double(size) * Double(size)
  print(
    String(
      format: "peak SGEMM %d³ on %d threads: %.1f GFLOP/s", size, threads, flops / seconds / 1e9))
}

#if canImport(_Differentiation)
  /// Loss + gradient of the soft k-means loss (KMeansDifferentiable) on `--points P.npy` and
  /// `--centers C.npy` (Float), or on seeded blobs 100k×64 with k = 256: the median of 5 timed
  /// calls after one warm-up, with the loss and the gradients' norms so that a peer computing the
  /// same thing (Scripts/bench-differentiable.py: TensorFlow's GradientTape) can be checked.
  func softKMeansSuite() throws {
    let points: Matrix<Float>
    let centers: Matrix<Float>
    if let path = arguments.firstIndex(of: "--points").map({ arguments[$0 + 1] }),
      let centersPath = arguments.firstIndex(of: "--centers").map({ arguments[$0 + 1] })
    {
      points = try NumPyFile.read(path, as: Float.self)
      centers = try NumPyFile.read(centersPath, as: Float.self)
    } else {
      let shape = Shape(name: "blobs 100k×64 k=256", rows: 100_000, dimension: 64, clusters: 256)
      points = try blobs(shape, seed: 1)
      centers = points.rows(0..<256)
    }
    let temperature = Float(
      arguments.firstIndex(of: "--temperature").flatMap { Double(arguments[$0 + 1]) } ?? 1)
    var times: [Double] = []
    var loss: Float = 0
    var gradients = (Matrix<Float>.zero, Matrix<Float>.zero)
    for repetition in 0..<6 {
      let time = seconds {
        (loss, gradients) = valueWithGradient(at: points, centers) { x, c in
          SoftKMeans.loss(points: x, centers: c, temperature: temperature)
        }
      }
      if repetition > 0 { times.append(time) }
    }
    func norm(_ matrix: Matrix<Float>) -> Double {
      matrix.values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
    let median = times.sorted()[times.count / 2]
    print(
      "{\"suite\": \"soft-kmeans\", \"rows\": \(points.rowCount), \"dimension\": \(points.columnCount), "
        + "\"clusters\": \(centers.rowCount), \"threads\": \(threads), \"seconds\": \(median), "
        + "\"loss\": \(loss), \"pointsGradientNorm\": \(norm(gradients.0)), "
        + "\"centersGradientNorm\": \(norm(gradients.1))}")
  }
#else
  func softKMeansSuite() throws {
    print("--suite soft-kmeans needs a Swift toolchain with the _Differentiation module")
  }
#endif

switch suite {
case "soft-kmeans": try softKMeansSuite()
case "peak": try peakSuite()
case "lloyd": try lloydSuite()
case "mini-batch": try miniBatchSuite()
case "all":
  try lloydSuite()
  try miniBatchSuite()
default:
  print("unknown --suite \(suite): use lloyd, mini-batch, peak, soft-kmeans or all")
}
