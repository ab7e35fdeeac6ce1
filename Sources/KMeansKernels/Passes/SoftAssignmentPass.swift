import Foundation

/// The forward pass of soft k-means, fused: for a tile of rows at a time, the distance tile
/// (one GEMM), the logits −d/τ, each row's log-sum-exp and softmax, written in place, so the
/// `n × k` matrix is touched once after the GEMM (no separate distance, logit and
/// exponential passes).
package enum SoftAssignmentPass {
  /// Rows per tile: the tile's distances (`tile × k`) stay in cache while they become
  /// responsibilities.
  static let tileRows = 128

  /// The responsibilities rᵢⱼ = softmax(−dᵢ/τ)ⱼ (`n × k`, row-major), each row's
  /// log Σⱼ exp(−dᵢⱼ/τ) in `Double`, and each center's Σᵢ rᵢⱼ (summed per tile, then the tiles
  /// in order: the same bits on any thread count). `Float` takes its exponentials in `Float`
  /// (as TensorFlow does for float32), `Double` in `Double`.
  ///
  /// - Parameters:
  ///   - points: `n × d` rows (unit rows for cosine).
  ///   - centers: `k × d` centers (unit rows for cosine).
  ///   - squaredEuclidean: dᵢⱼ = ‖x‖² − 2x·c + ‖c‖²; false: dᵢⱼ = 1 − x·c (cosine).
  ///   - inverseTemperature: 1/τ.
  ///   - threadCount: workers; each takes whole tiles, so the result does not depend on it.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func run<Scalar: KMeansScalar>(
    points: [Scalar], centers: [Scalar], rowCount n: Int, centerCount k: Int, dimension d: Int,
    squaredEuclidean: Bool, inverseTemperature: Double, threadCount: Int
  ) -> (responsibilities: [Scalar], logSumExp: [Double], columnSums: [Double]) {
    precondition(points.count == n * d && centers.count == k * d, "soft assignment shapes")
    var responsibilities = [Scalar](repeating: 0, count: n * k)
    var logSumExp = [Double](repeating: 0, count: n)
    guard n > 0, k > 0 else {
      return (responsibilities, logSumExp, [Double](repeating: 0, count: k))
    }
    let centerNorms: [Double] = (0..<k).map { center in
      var sum = 0.0
      for column in 0..<d {
        let value = Double(centers[center * d + column])
        sum += value * value
      }
      return sum
    }
    let tiles = (n + tileRows - 1) / tileRows
    var tileSums = [Double](repeating: 0, count: tiles * k)
    points.withUnsafeBufferPointer { points in
      centers.withUnsafeBufferPointer { centers in
        responsibilities.withUnsafeMutableBufferPointer { output in
          logSumExp.withUnsafeMutableBufferPointer { lse in
            tileSums.withUnsafeMutableBufferPointer { tileSums in
              let shared = UnsafeSendable((points, centers, output, lse, tileSums))
              parallelFor(chunkCount: tiles, threadCount: threadCount) { tile, _ in
                let (points, centers, output, lse, tileSums) = shared.value
                let sums = tileSums.baseAddress! + tile * k
                let first = tile * tileRows
                let rows = min(tileRows, n - first)
                let tileOutput = output.baseAddress! + first * k
                Scalar._kernels.multiplyTransposed(
                  rows, k, d, points.baseAddress! + first * d, d, centers.baseAddress!, d,
                  tileOutput, k)
                var logits = [Double](repeating: 0, count: k)
                for row in 0..<rows {
                  let line = tileOutput + row * k
                  var rowNorm = 0.0
                  if squaredEuclidean {
                    let x = points.baseAddress! + (first + row) * d
                    for column in 0..<d { rowNorm += Double(x[column]) * Double(x[column]) }
                  }
                  lse[first + row] = softmaxRow(
                    line, count: k, rowNorm: rowNorm, centerNorms: centerNorms,
                    squaredEuclidean: squaredEuclidean, inverseTemperature: inverseTemperature,
                    logits: &logits, columnSums: sums)
                }
              }
            }
          }
        }
      }
    }
    var columnSums = [Double](repeating: 0, count: k)
    for tile in 0..<tiles {
      for center in 0..<k { columnSums[center] += tileSums[tile * k + center] }
    }
    return (responsibilities, logSumExp, columnSums)
  }

  /// One row of `run`: turns the row's products with the centers (`line`, in place) into its
  /// responsibilities, adds them to `columnSums`, and returns the row's log Σ exp(logit).
  @inline(__always)
  static func softmaxRow<Scalar: KMeansScalar>(
    _ line: UnsafeMutablePointer<Scalar>, count k: Int, rowNorm: Double, centerNorms: [Double],
    squaredEuclidean: Bool, inverseTemperature: Double, logits: inout [Double],
    columnSums sums: UnsafeMutablePointer<Double>
  ) -> Double {
    let singlePrecision = Scalar.self == Float.self
    var maximum = -Double.infinity
    for center in 0..<k {
      let product = Double(line[center])
      let distance =
        squaredEuclidean ? rowNorm - 2 * product + centerNorms[center] : 1 - product
      let logit = -distance * inverseTemperature
      logits[center] = logit
      maximum = max(maximum, logit)
    }
    var total = 0.0
    for center in 0..<k {
      // Below e^-700 a term is nothing next to the maximum's 1, and libm's exp takes a slow
      // path for results that underflow.
      let shifted = logits[center] - maximum
      let term: Double
      if singlePrecision {
        term = shifted < -100 ? 0 : Double(Foundation.exp(Float(shifted)))
      } else {
        term = shifted < -700 ? 0 : Foundation.exp(shifted)
      }
      logits[center] = term
      total += term
    }
    let scale = 1 / total
    for center in 0..<k {
      let responsibility = logits[center] * scale
      line[center] = Scalar(responsibility)
      sums[center] += responsibility
    }
    return maximum + Foundation.log(total)
  }

  /// Rows per chunk of ``backwardProducts(responsibilities:points:centers:rowCount:centerCount:dimension:threadCount:)``:
  /// fixed, so its partial sums, and the result, do not depend on the thread count.
  static let backwardChunkRows = 4096

  /// The two products of the reverse pass, R·C (`n × d`) and Rᵀ·X (`k × d`), in fixed chunks
  /// of rows on `threadCount` workers: each chunk's R·C rows are its own, its Rᵀ·X is a partial
  /// sum added to the others in chunk order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func backwardProducts<Scalar: KMeansScalar>(
    responsibilities: [Scalar], points: [Scalar], centers: [Scalar], rowCount n: Int,
    centerCount k: Int, dimension d: Int, threadCount: Int
  ) -> (responsibilitiesTimesCenters: [Scalar], transposeTimesPoints: [Scalar]) {
    precondition(
      responsibilities.count == n * k && points.count == n * d && centers.count == k * d,
      "soft assignment shapes")
    var towardRows = [Scalar](repeating: 0, count: n * d)
    let chunks = (n + backwardChunkRows - 1) / backwardChunkRows
    var partials = [Scalar](repeating: 0, count: chunks * k * d)
    responsibilities.withUnsafeBufferPointer { r in
      points.withUnsafeBufferPointer { x in
        centers.withUnsafeBufferPointer { c in
          towardRows.withUnsafeMutableBufferPointer { rows in
            partials.withUnsafeMutableBufferPointer { partials in
              let shared = UnsafeSendable((r, x, c, rows, partials))
              parallelFor(chunkCount: chunks, threadCount: threadCount) { chunk, _ in
                let (r, x, c, rows, partials) = shared.value
                let first = chunk * backwardChunkRows
                let count = min(backwardChunkRows, n - first)
                MatrixProduct.multiply(
                  r.baseAddress! + first * k, lda: k, transposeA: false, c.baseAddress!, ldb: d,
                  transposeB: false, into: rows.baseAddress! + first * d, ldc: d, m: count, n: d,
                  inner: k)
                MatrixProduct.multiply(
                  r.baseAddress! + first * k, lda: k, transposeA: true,
                  x.baseAddress! + first * d, ldb: d, transposeB: false,
                  into: partials.baseAddress! + chunk * k * d, ldc: d, m: k, n: d, inner: count)
              }
            }
          }
        }
      }
    }
    var towardCenters = [Scalar](repeating: 0, count: k * d)
    for chunk in 0..<chunks {
      for index in 0..<(k * d) { towardCenters[index] += partials[chunk * k * d + index] }
    }
    return (towardRows, towardCenters)
  }
}
