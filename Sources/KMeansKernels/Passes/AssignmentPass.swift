/// What assignment passes read and write for one worker's rows: each row's label, its
/// distance to that center, and (with Hamerly's bounds) a lower bound on its distance to every
/// other center. Passes over pieces of the rows (stream batches) write at the piece's offset,
/// so one set of buffers spans the worker's rows.
package struct AssignmentBuffers<Scalar: KMeansScalar>: Sendable {
  package var labels: [Int32]
  package var distances: [Scalar]
  /// Empty unless the bounded passes are used: `boundsPerRow` values per row.
  package var lowerBounds: [Scalar]
  /// Bounds kept per row: 1 for Hamerly's, the group count for Yinyang's, 0 without bounds.
  package let boundsPerRow: Int

  /// Buffers for `rowCount` rows (labels 0), with room for bounds when `bounded`.
  package init(rowCount: Int, bounded: Bool = false) {
    self.init(rowCount: rowCount, boundsPerRow: bounded ? 1 : 0)
  }

  /// Buffers for `rowCount` rows (labels 0) with `boundsPerRow` bounds each.
  package init(rowCount: Int, boundsPerRow: Int) {
    labels = [Int32](repeating: 0, count: rowCount)
    distances = [Scalar](repeating: 0, count: rowCount)
    lowerBounds = [Scalar](repeating: 0, count: rowCount * boundsPerRow)
    self.boundsPerRow = boundsPerRow
  }

  package var rowCount: Int { labels.count }
}

/// What a pass found, per fixed chunk of rows and in chunk order, so that adding the chunks in
/// order gives the same bits on any thread count and for any split of the rows into pieces
/// that starts each piece on a chunk boundary.
package struct PassTotals: Sendable {
  /// Σ wᵢ·distanceᵢ of each chunk (wᵢ = 1 without weights).
  package var chunkLosses: [Double]
  /// Rows whose label differs from the one the buffers held before the pass.
  package var changedLabels: Int
  /// Rows whose every distance was computed (bounded passes; all rows otherwise).
  package var reassignedRows: Int

  /// Adds the chunk losses, in order, to `total`.
  package func addLoss(to total: inout Double) {
    for loss in chunkLosses { total += loss }
  }
}

/// Hamerly's per-center geometry for one pass: half the distance from each center to its
/// nearest neighbour, and how far the bounds of its rows must drop (the largest shift of any
/// other center since the bounds were made).
package struct BoundGeometry<Scalar: KMeansScalar>: Sendable {
  package let halfGaps: [Scalar]
  package let otherShift: [Scalar]

  /// The geometry of `centers`, whose rows' bounds were made against `previous`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package init(centers: KernelCenters<Scalar>, previous: KernelCenters<Scalar>) {
    precondition(centers.count == previous.count && centers.dimension == previous.dimension)
    (halfGaps, otherShift) = centers.values.withUnsafeBufferPointer { current in
      previous.values.withUnsafeBufferPointer { old in
        BoundedKernel<Scalar>.geometry(
          centers: current.baseAddress!, previous: old.baseAddress!, count: centers.count,
          dimension: centers.dimension)
      }
    }
  }
}

/// Assignment passes over a worker's rows, each a safe call: the rows are cut into fixed
/// chunks (4,096 dense rows, 2,048 sparse), worked on `threadCount` workers, and every figure
/// is kept per chunk, so results never depend on the thread count.
package enum AssignmentPass {
  /// Rows per chunk of a dense pass.
  package static let denseChunkRows = 4096
  /// Rows per chunk of a sparse pass.
  package static let sparseChunkRows = 2048

  /// Labels and distances of the rows of `rows` to their nearest center among `centers`,
  /// written at `offset` in `buffers`: every distance, the fused kernel (or GEMM tiles).
  /// - Parameters:
  ///   - weights: one weight per row of `rows`, or nil.
  ///   - countChanges: compare against the labels the buffers held (else every row counts).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func nearest<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, to centers: KernelCenters<Scalar>, distance: DistanceKind,
    weights: [Double]?, threadCount: Int, into buffers: inout AssignmentBuffers<Scalar>,
    at offset: Int, countChanges: Bool, sums: FusedSums? = nil
  ) -> PassTotals {
    let d = rows.columnCount
    return centers.withPackedBlock(rows, distance: distance) { block in
      let shared = UnsafeSendable(block)
      return frame(
        rowCount: rows.rowCount, chunkRows: denseChunkRows, threadCount: threadCount,
        buffers: &buffers, at: offset, weights: weights, countChanges: countChanges, sums: sums
      ) { range, labels, distances, _, scratch in
        var part = shared.value
        part.points += range.lowerBound * d
        part.rowCount = range.count
        Scalar._kernels.assignNearest(part, labels, distances, &scratch)
        return range.count
      }
    }
  }

  /// ``nearest(_:to:distance:weights:threadCount:into:at:countChanges:)`` for sparse rows:
  /// sparse–dense dot products (O(nnz·k)), the centers transposed once by the caller.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func nearest<Scalar: KMeansScalar>(
    _ rows: CSRRows<Scalar>, to centers: TransposedCenterValues<Scalar>, distance: DistanceKind,
    weights: [Double]?, threadCount: Int, into buffers: inout AssignmentBuffers<Scalar>,
    at offset: Int, countChanges: Bool
  ) -> PassTotals {
    let k = centers.count
    let first = rows.firstRow
    return rows.withRows { sparseRows in
      centers.withCenters(distance: distance) { centerView in
        let shared = UnsafeSendable((sparseRows, centerView))
        return frame(
          rowCount: rows.rowCount, chunkRows: sparseChunkRows, threadCount: threadCount,
          buffers: &buffers, at: offset, weights: weights, countChanges: countChanges
        ) { range, labels, distances, _, scratch in
          let (sparseRows, centerView) = shared.value
          scratch.withValues(count: k) { dots in
            Scalar._kernels.sparseAssign(
              sparseRows, (first + range.lowerBound)..<(first + range.upperBound), centerView,
              labels, distances, dots)
          }
          return range.count
        }
      }
    }
  }

  /// Hamerly's pass over dense rows: with `geometry` nil, the first pass (every distance, and
  /// the bounds); otherwise the bounded pass from the labels and bounds in `buffers`. Labels
  /// and distances are exactly those of ``nearest(_:to:distance:weights:threadCount:into:at:countChanges:sums:)``.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func bounded<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, to centers: KernelCenters<Scalar>, distance: DistanceKind,
    geometry: BoundGeometry<Scalar>?, weights: [Double]?, threadCount: Int,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    sums: FusedSums? = nil
  ) -> PassTotals {
    precondition(buffers.boundsPerRow == 1, "buffers without Hamerly's bounds")
    let d = rows.columnCount
    // An empty array may still lend a pointer: the first pass is told by `firstPass`.
    let firstPass = geometry == nil
    let gaps = geometry?.halfGaps ?? [0]
    let shifts = geometry?.otherShift ?? [0]
    return centers.withPackedBlock(rows, distance: distance) { block in
      gaps.withUnsafeBufferPointer { gapBuffer in
        shifts.withUnsafeBufferPointer { shiftBuffer in
          let shared = UnsafeSendable((block, gapBuffer.baseAddress, shiftBuffer.baseAddress))
          return frame(
            rowCount: rows.rowCount, chunkRows: denseChunkRows, threadCount: threadCount,
            buffers: &buffers, at: offset, weights: weights, countChanges: countChanges, sums: sums
          ) { range, labels, distances, lowerBounds, scratch in
            let (block, gaps, shifts) = shared.value
            var part = block
            part.points += range.lowerBound * d
            part.rowCount = range.count
            guard let lowerBounds, let gaps, let shifts else { return 0 }
            if firstPass {
              Scalar._kernels.nearestTwo(part, labels, distances, lowerBounds, &scratch)
              return range.count
            }
            return Scalar._kernels.boundedUpdate(
              part, labels, distances, lowerBounds, gaps, shifts, &scratch)
          }
        }
      }
    }
  }

  /// Yinyang's pass over dense rows (``GroupedBoundKernel``): with `geometry` nil, the first
  /// pass (every distance, and `groupCount` bounds per row); otherwise the filtered pass from
  /// the labels and bounds in `buffers`. Labels and distances are exactly those of
  /// ``nearest(_:to:distance:weights:threadCount:into:at:countChanges:sums:)``.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func grouped<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, to centers: KernelCenters<Scalar>, distance: DistanceKind,
    geometry: GroupedBoundGeometry<Scalar>?, weights: [Double]?, threadCount: Int,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool,
    sums: FusedSums? = nil
  ) -> PassTotals {
    let groupCount = buffers.boundsPerRow
    precondition(groupCount > 0 && geometry.map { $0.groupCount == groupCount } ?? true)
    let d = rows.columnCount
    return centers.withPackedBlock(rows, distance: distance) { block in
      let shared = UnsafeSendable((block, geometry))
      return frame(
        rowCount: rows.rowCount, chunkRows: denseChunkRows, threadCount: threadCount,
        buffers: &buffers, at: offset, weights: weights, countChanges: countChanges, sums: sums
      ) { range, labels, distances, bounds, scratch in
        let (block, geometry) = shared.value
        var part = block
        part.points += range.lowerBound * d
        part.rowCount = range.count
        guard let bounds else { return 0 }
        guard let geometry else {
          Scalar._kernels.groupedFirstPass(part, labels, distances, bounds, groupCount, &scratch)
          return range.count
        }
        return Scalar._kernels.groupedUpdate(part, labels, distances, bounds, geometry, &scratch)
      }
    }
  }

  /// ``bounded(_:to:distance:geometry:weights:threadCount:into:at:countChanges:sums:)`` for sparse
  /// rows; `transposed` is `centers` in the sparse kernels' layout.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func bounded<Scalar: KMeansScalar>(
    _ rows: CSRRows<Scalar>, to centers: KernelCenters<Scalar>,
    transposed: TransposedCenterValues<Scalar>, distance: DistanceKind,
    geometry: BoundGeometry<Scalar>?, weights: [Double]?, threadCount: Int,
    into buffers: inout AssignmentBuffers<Scalar>, at offset: Int, countChanges: Bool
  ) -> PassTotals {
    precondition(buffers.boundsPerRow == 1, "buffers without Hamerly's bounds")
    let k = centers.count
    let d = centers.dimension
    let first = rows.firstRow
    let firstPass = geometry == nil
    let gaps = geometry?.halfGaps ?? [0]
    let shifts = geometry?.otherShift ?? [0]
    return rows.withRows { sparseRows in
      transposed.withCenters(distance: distance) { centerView in
        centers.values.withUnsafeBufferPointer { rowMajor in
          gaps.withUnsafeBufferPointer { gapBuffer in
            shifts.withUnsafeBufferPointer { shiftBuffer in
              let shared = UnsafeSendable(
                (
                  sparseRows, centerView, rowMajor.baseAddress, gapBuffer.baseAddress,
                  shiftBuffer.baseAddress
                ))
              return frame(
                rowCount: rows.rowCount, chunkRows: sparseChunkRows, threadCount: threadCount,
                buffers: &buffers, at: offset, weights: weights, countChanges: countChanges
              ) { range, labels, distances, lowerBounds, scratch in
                let (sparseRows, centerView, rowMajor, gaps, shifts) = shared.value
                guard let lowerBounds, let rowMajor, let gaps, let shifts else { return 0 }
                let global = (first + range.lowerBound)..<(first + range.upperBound)
                return scratch.withValues(count: k) { dots in
                  if firstPass {
                    BoundedKernel<Scalar>.sparseNearestTwo(
                      sparseRows, range: global, centers: centerView, dimension: d,
                      labels: labels, distances: distances, lowerBounds: lowerBounds,
                      scratch: dots)
                    return range.count
                  }
                  return BoundedKernel<Scalar>.sparseUpdate(
                    sparseRows, range: global, centers: centerView, rowMajorCenters: rowMajor,
                    dimension: d, labels: labels, distances: distances, lowerBounds: lowerBounds,
                    halfGaps: gaps, otherShift: shifts, scratch: dots)
                }
              }
            }
          }
        }
      }
    }
  }
}

extension KernelCenters {
  /// ``withBlock(_:distance:_:)`` with the centers packed for the fused kernels once for the
  /// whole pass (every chunk, and every tile of gathered rows, reads the same panels).
  func withPackedBlock<Result>(
    _ rows: DenseRows<Scalar>, distance: DistanceKind, _ body: (DistanceBlock<Scalar>) -> Result
  ) -> Result {
    withBlock(rows, distance: distance) { FusedKernel.withPackedCenters($0, body) }
  }
}

extension AssignmentScratch {
  /// Copies `count` labels, to compare with after the kernel wrote new ones.
  mutating func keepLabels(_ labels: UnsafePointer<Int32>, count: Int) {
    if previousLabels.count < count { previousLabels = Array(repeating: 0, count: count) }
    previousLabels.withUnsafeMutableBufferPointer {
      $0.baseAddress!.update(from: labels, count: count)
    }
  }

  /// How many of `count` labels differ from those kept by ``keepLabels(_:count:)``.
  func changedLabels(_ labels: UnsafePointer<Int32>, count: Int) -> Int {
    var changed = 0
    for index in 0..<count where previousLabels[index] != labels[index] { changed += 1 }
    return changed
  }
}

extension Optional where Wrapped == [Double] {
  /// Calls `body` with a pointer to the array's elements, or nil.
  func withOptionalPointer<Result>(_ body: (UnsafePointer<Double>?) -> Result) -> Result {
    guard let self else { return body(nil) }
    return self.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
