/// The parallel passes of greedy k-means++ seeding, as safe calls over fixed chunks (the same
/// chunks as the assignment passes), so the draws never depend on the thread count.
package enum SeedingPass {
  /// Σ wᵢ·closestᵢ of each chunk of `chunkRows` rows, in row order (wᵢ = 1 without weights).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func chunkTotals<Scalar: KMeansScalar>(
    _ closest: [Scalar], weights: [Double]?, chunkRows: Int, threadCount: Int
  ) -> [Double] {
    let n = closest.count
    let chunks = (n + chunkRows - 1) / chunkRows
    var totals = [Double](repeating: 0, count: chunks)
    closest.withUnsafeBufferPointer { closestBuffer in
      totals.withUnsafeMutableBufferPointer { totalBuffer in
        weights.withOptionalPointer { weightBase in
          let shared = UnsafeSendable(
            (closestBuffer.baseAddress, totalBuffer.baseAddress, weightBase))
          parallelFor(chunkCount: chunks, threadCount: threadCount) { chunk, _ in
            let (closest, totals, weights) = shared.value
            guard let closest, let totals else { return }
            var sum = 0.0
            for row in (chunk * chunkRows)..<min(n, (chunk + 1) * chunkRows) {
              sum += (weights?[row] ?? 1) * Double(closest[row])
            }
            totals[chunk] = sum
          }
        }
      }
    }
    return totals
  }

  /// One step of greedy k-means++ over dense rows: lowers `closest` by column `pending` of the
  /// previous step's `candidateDistances` (the winner's distances), writes every row's
  /// distances to the m candidates into `candidateDistances` (`n × m`), and returns per chunk
  /// Σ wᵢ·min(closestᵢ, dᵢⱼ) for each candidate j (`chunks × m`). `rowNorms` keeps the rows'
  /// ‖x‖² from the first step on (squared Euclidean with the SIMD kernels; else unused).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func candidatePotentials<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, candidates: KernelCenters<Scalar>, distance: DistanceKind,
    weights: [Double]?, chunkRows: Int, threadCount: Int, closest: inout [Scalar],
    candidateDistances: inout [Scalar], rowNorms: inout [Scalar], pending: Int?
  ) -> [Double] {
    let d = rows.columnCount
    let m = candidates.count
    let tile = NearestCenterKernel<Scalar>.tileRows
    // With the SIMD kernels, each tile of rows runs against the candidates in registers;
    // otherwise GEMM tiles.
    let simd = FusedKernel.level > 0
    // ‖x‖² once for every step (the same dot products the kernel would take each step).
    let needsNorms = simd && distance == .squaredEuclidean
    if needsNorms && rowNorms.count != rows.rowCount {
      rowNorms = rows.withPointer { points in
        (0..<rows.rowCount).map { row in
          VectorKernels.dot(points + row * d, points + row * d, d)
        }
      }
    }
    let norms = needsNorms ? rowNorms : []
    return candidates.withBlock(rows, distance: distance) { block in
      let shared = UnsafeSendable(block)
      return frame(
        rowCount: rows.rowCount, width: m, dimension: d, weights: weights, chunkRows: chunkRows,
        threadCount: threadCount, closest: &closest, candidateDistances: &candidateDistances,
        pending: pending
      ) { range, output in
        var start = range.lowerBound
        while start < range.upperBound {
          var part = shared.value
          part.points += start * d
          part.rowCount = min(tile, range.upperBound - start)
          let target = output + (start - range.lowerBound) * m
          if simd {
            norms.withUnsafeBufferPointer { norms in
              FusedKernel.candidateDistances(
                part, rowNorms: needsNorms ? norms.baseAddress.map { $0 + start } : nil,
                output: target)
            }
          } else {
            Scalar._kernels.allDistances(part, target)
          }
          start += part.rowCount
        }
      }
    }
  }

  /// ``candidatePotentials(_:candidates:distance:weights:chunkRows:threadCount:closest:candidateDistances:rowNorms:pending:)``
  /// for sparse rows, the candidates transposed.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func candidatePotentials<Scalar: KMeansScalar>(
    _ rows: CSRRows<Scalar>, candidates: TransposedCenterValues<Scalar>, distance: DistanceKind,
    weights: [Double]?, chunkRows: Int, threadCount: Int, closest: inout [Scalar],
    candidateDistances: inout [Scalar], pending: Int?
  ) -> [Double] {
    let first = rows.firstRow
    // The work per row is its nonzeros.
    let averageNonzeros = max(
      1, (rows.rowOffsets[first + rows.rowCount] - rows.rowOffsets[first]) / max(1, rows.rowCount))
    return rows.withRows { sparseRows in
      candidates.withCenters(distance: distance) { centerView in
        let shared = UnsafeSendable((sparseRows, centerView))
        return frame(
          rowCount: rows.rowCount, width: candidates.count,
          dimension: averageNonzeros, weights: weights,
          chunkRows: chunkRows, threadCount: threadCount, closest: &closest,
          candidateDistances: &candidateDistances, pending: pending
        ) { range, output in
          let (sparseRows, centerView) = shared.value
          Scalar._kernels.sparseAllDistances(
            sparseRows, (first + range.lowerBound)..<(first + range.upperBound), centerView,
            output)
        }
      }
    }
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func frame<Scalar: KMeansScalar>(
    rowCount n: Int, width m: Int, dimension: Int, weights: [Double]?, chunkRows: Int,
    threadCount: Int,
    closest: inout [Scalar], candidateDistances: inout [Scalar], pending: Int?,
    distances: @Sendable (_ rows: Range<Int>, _ output: UnsafeMutablePointer<Scalar>) -> Void
  ) -> [Double] {
    precondition(closest.count == n && candidateDistances.count >= n * m)
    let chunks = (n + chunkRows - 1) / chunkRows
    // A step of less than about 2²² multiply-adds (d = 384, m = 6: under 1,800 rows) runs on
    // one thread: waking the workers costs more than they save. Few chunks for the workers
    // (a 4,000-row seeding sample is one chunk): the distances are computed on pieces of 512
    // rows, then each chunk's sums, in row order as always.
    let threadCount = n * m * dimension >= 1 << 22 ? threadCount : 1
    let piecesPerChunk =
      threadCount > 1 && chunks < 8 * threadCount ? max(1, chunkRows / 512) : 1
    let pieceRows = (chunkRows + piecesPerChunk - 1) / piecesPerChunk
    let pieces = (n + pieceRows - 1) / pieceRows
    var partials = [Double](repeating: 0, count: chunks * m)
    let previousWidth = pending == nil ? 0 : m
    closest.withUnsafeMutableBufferPointer { closestBuffer in
      candidateDistances.withUnsafeMutableBufferPointer { distanceBuffer in
        partials.withUnsafeMutableBufferPointer { partialBuffer in
          weights.withOptionalPointer { weightBase in
            let shared = UnsafeSendable(
              (
                closestBuffer.baseAddress, distanceBuffer.baseAddress, partialBuffer.baseAddress,
                weightBase
              ))
            // Lowers `closest` by the previous winner and writes the candidates' distances.
            @Sendable func distancesOf(_ range: Range<Int>) {
              let (closest, candidates, _, _) = shared.value
              guard let closest, let candidates else { return }
              if let pending, previousWidth > 0 {
                for row in range {
                  closest[row] = min(closest[row], candidates[row * previousWidth + pending])
                }
              }
              distances(range, candidates + range.lowerBound * m)
            }
            // Σ wᵢ·min(closestᵢ, dᵢⱼ) of one chunk for each candidate j, in row order.
            @Sendable func sums(_ chunk: Int) {
              let (closest, candidates, partials, weights) = shared.value
              guard let closest, let candidates, let partials else { return }
              let range = (chunk * chunkRows)..<min(n, (chunk + 1) * chunkRows)
              for column in 0..<m { partials[chunk * m + column] = 0 }
              for row in range {
                let weight = weights?[row] ?? 1
                let line = candidates + row * m
                for column in 0..<m {
                  partials[chunk * m + column] += weight * Double(min(closest[row], line[column]))
                }
              }
            }
            if piecesPerChunk == 1 {
              parallelFor(chunkCount: chunks, threadCount: threadCount) { chunk, _ in
                distancesOf((chunk * chunkRows)..<min(n, (chunk + 1) * chunkRows))
                sums(chunk)
              }
            } else {
              parallelFor(chunkCount: pieces, threadCount: threadCount) { piece, _ in
                distancesOf((piece * pieceRows)..<min(n, (piece + 1) * pieceRows))
              }
              parallelFor(chunkCount: chunks, threadCount: threadCount) { chunk, _ in
                sums(chunk)
              }
            }
          }
        }
      }
    }
    return partials
  }
}
