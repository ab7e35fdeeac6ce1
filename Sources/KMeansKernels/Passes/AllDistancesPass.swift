extension AssignmentPass {
  /// Every distance from every row to every center, `rowCount × k` row-major (the only
  /// `n × k` buffer swift-kmeans makes, on request).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func allDistances<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, to centers: KernelCenters<Scalar>, distance: DistanceKind,
    threadCount: Int
  ) -> [Scalar] {
    let n = rows.rowCount
    let k = centers.count
    let d = rows.columnCount
    var output = [Scalar](repeating: 0, count: n * k)
    let tile = NearestCenterKernel<Scalar>.tileRows
    centers.withBlock(rows, distance: distance) { block in
      output.withUnsafeMutableBufferPointer { buffer in
        let shared = UnsafeSendable((block, buffer.baseAddress))
        parallelFor(chunkCount: (n + tile - 1) / tile, threadCount: threadCount) { chunk, _ in
          let (block, target) = shared.value
          guard let target else { return }
          let start = chunk * tile
          var part = block
          part.points += start * d
          part.rowCount = min(tile, n - start)
          Scalar._kernels.allDistances(part, target + start * k)
        }
      }
    }
    return output
  }

  /// ``allDistances(_:to:distance:threadCount:)`` for sparse rows.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func allDistances<Scalar: KMeansScalar>(
    _ rows: CSRRows<Scalar>, to centers: TransposedCenterValues<Scalar>, distance: DistanceKind,
    threadCount: Int
  ) -> [Scalar] {
    let n = rows.rowCount
    let k = centers.count
    let first = rows.firstRow
    var output = [Scalar](repeating: 0, count: n * k)
    let chunks = (n + sparseChunkRows - 1) / sparseChunkRows
    rows.withRows { sparseRows in
      centers.withCenters(distance: distance) { centerView in
        output.withUnsafeMutableBufferPointer { buffer in
          let shared = UnsafeSendable((sparseRows, centerView, buffer.baseAddress))
          parallelFor(chunkCount: chunks, threadCount: threadCount) { chunk, _ in
            let (sparseRows, centerView, target) = shared.value
            guard let target else { return }
            let start = chunk * sparseChunkRows
            let end = min(n, start + sparseChunkRows)
            Scalar._kernels.sparseAllDistances(
              sparseRows, (first + start)..<(first + end), centerView, target + start * k)
          }
        }
      }
    }
    return output
  }
}
