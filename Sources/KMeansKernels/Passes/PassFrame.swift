extension AssignmentPass {
  /// The frame every pass shares: runs `kernel` on each chunk of `rowCount` rows on
  /// `threadCount` workers — it writes the chunk's labels, distances (and bounds), pointers at
  /// the chunk's first row in the buffers, and returns its count of reassigned rows — then
  /// takes each chunk's Σ wᵢ·distanceᵢ and changed labels. With fewer than 8 chunks a worker,
  /// the kernel runs on pieces of 1,024 rows (it must not depend on where a piece starts:
  /// every kernel works row by row); the chunk sums are the same either way. With `sums`, the
  /// work items are its parts instead (``workItems(rowCount:chunkRows:threadCount:sums:)``),
  /// and each piece's rows are added to the cluster sums right after their assignment.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func frame<Scalar: KMeansScalar>(
    rowCount: Int, chunkRows: Int, threadCount: Int,
    buffers: inout AssignmentBuffers<Scalar>, at offset: Int, weights: [Double]?,
    countChanges: Bool, sums: FusedSums? = nil,
    kernel:
      @Sendable (
        _ rows: Range<Int>, _ labels: UnsafeMutablePointer<Int32>,
        _ distances: UnsafeMutablePointer<Scalar>, _ lowerBounds: UnsafeMutablePointer<Scalar>?,
        _ scratch: inout AssignmentScratch<Scalar>
      ) -> Int
  ) -> PassTotals {
    precondition(offset >= 0 && offset + rowCount <= buffers.rowCount, "rows outside the buffers")
    precondition(weights == nil || weights?.count == rowCount, "one weight per row")
    let (items, itemsAreChunks) = workItems(
      rowCount: rowCount, chunkRows: chunkRows, threadCount: threadCount, sums: sums)
    var results = [(changed: Int, reassigned: Int)](repeating: (0, 0), count: items.count)
    let chunkCount = (rowCount + chunkRows - 1) / chunkRows
    var losses = [Double](repeating: 0, count: chunkCount)
    let workerCount = max(1, min(threadCount, items.count))
    let hasBounds = !buffers.lowerBounds.isEmpty
    let stride = buffers.boundsPerRow
    buffers.labels.withUnsafeMutableBufferPointer { labelBuffer in
      buffers.distances.withUnsafeMutableBufferPointer { distanceBuffer in
        buffers.lowerBounds.withUnsafeMutableBufferPointer { boundBuffer in
          results.withUnsafeMutableBufferPointer { resultBuffer in
            losses.withUnsafeMutableBufferPointer { lossBuffer in
              weights.withOptionalPointer { weightBase in
                let scratch = UnsafeMutableBufferPointer<AssignmentScratch<Scalar>>.allocate(
                  capacity: workerCount)
                scratch.initialize(repeating: AssignmentScratch())
                defer {
                  scratch.deinitialize()
                  scratch.deallocate()
                }
                let shared = UnsafeSendable(
                  (
                    labelBuffer.baseAddress! + offset, distanceBuffer.baseAddress! + offset,
                    hasBounds ? boundBuffer.baseAddress! + offset * stride : nil,
                    resultBuffer.baseAddress!, lossBuffer.baseAddress!, weightBase, scratch
                  ))
                @Sendable func chunkLoss(_ chunk: Int) -> Double {
                  let (_, distances, _, _, _, weights, _) = shared.value
                  return Self.loss(
                    of: (chunk * chunkRows)..<min(rowCount, (chunk + 1) * chunkRows),
                    distances: distances, weights: weights)
                }
                parallelFor(chunkCount: items.count, threadCount: workerCount) { item, worker in
                  let (labels, distances, bounds, results, losses, _, scratch) = shared.value
                  for range in items[item] {
                    let start = range.lowerBound
                    if countChanges {
                      scratch[worker].keepLabels(labels + start, count: range.count)
                    }
                    let reassigned = kernel(
                      range, labels + start, distances + start,
                      bounds.map { $0 + start * stride }, &scratch[worker])
                    let changed =
                      countChanges
                      ? scratch[worker].changedLabels(labels + start, count: range.count)
                      : range.count
                    sums?.add(range, labels + start)
                    results[item].changed += changed
                    results[item].reassigned += reassigned
                  }
                  if itemsAreChunks { losses[item] = chunkLoss(item) }
                }
                if !itemsAreChunks {
                  for chunk in 0..<chunkCount { shared.value.4[chunk] = chunkLoss(chunk) }
                }
              }
            }
          }
        }
      }
    }
    return PassTotals(
      chunkLosses: losses, changedLabels: results.reduce(0) { $0 + $1.changed },
      reassignedRows: results.reduce(0) { $0 + $1.reassigned })
  }

  /// The frame's work items, each a list of row ranges worked in order by one worker, and
  /// whether each is a whole chunk (its loss then taken as soon as it is assigned). Few chunks
  /// for the workers (20,000 rows are 5 chunks: 3 + 2 on 2 workers) leave workers idle: the
  /// items are then pieces of 1,024 rows. With `sums`, each part of its blocks is one item, in
  /// pieces of at most 1,024 rows (the rows a piece's sums re-read are still in cache). The
  /// losses stay sums over whole chunks in row order, so the bits do not depend on the items.
  static func workItems(
    rowCount: Int, chunkRows: Int, threadCount: Int, sums: FusedSums?
  ) -> (items: [[Range<Int>]], wholeChunks: Bool) {
    if let sums {
      let items = sums.parts.map { part in
        Swift.stride(from: part.lowerBound, to: part.upperBound, by: 1024).map {
          $0..<min(part.upperBound, $0 + 1024)
        }
      }
      return (items, false)
    }
    let chunkCount = (rowCount + chunkRows - 1) / chunkRows
    let piecesPerChunk =
      threadCount > 1 && chunkCount < 8 * threadCount ? max(1, chunkRows / 1024) : 1
    let pieceRows = (chunkRows + piecesPerChunk - 1) / piecesPerChunk
    let items = Swift.stride(from: 0, to: rowCount, by: pieceRows).map {
      [$0..<min(rowCount, $0 + pieceRows)]
    }
    return (items, piecesPerChunk == 1)
  }

  /// Σ wᵢ·distanceᵢ of `rows` (wᵢ = 1 without weights), in row order: one chunk's loss.
  @inline(__always)
  static func loss<Scalar: KMeansScalar>(
    of rows: Range<Int>, distances: UnsafePointer<Scalar>, weights: UnsafePointer<Double>?
  ) -> Double {
    var loss = 0.0
    if let weights {
      for row in rows { loss += weights[row] * Double(distances[row]) }
    } else {
      for row in rows { loss += Double(distances[row]) }
    }
    return loss
  }
}
