/// Safe whole-row operations on dense and sparse rows: validation, normalisation, per-column
/// moments, single distances.
package enum RowChecks {
  /// The first (row, column) of `rows` holding NaN or an infinity, or nil.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func firstNonFinite<Scalar: KMeansScalar>(_ rows: DenseRows<Scalar>) -> (
    row: Int, column: Int
  )? {
    rows.withPointer { Scalar._kernels.firstNonFinite($0, rows.rowCount, rows.columnCount) }
  }

  /// Each row scaled to unit length, and the first row of zero length (left as zeros), if any.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func normalizedRows<Scalar: KMeansScalar>(_ rows: DenseRows<Scalar>) -> (
    values: [Scalar], zeroRow: Int?
  ) {
    var output = [Scalar](repeating: 0, count: rows.rowCount * rows.columnCount)
    guard !output.isEmpty else { return ([], nil) }
    let zeroRow = rows.withPointer { input in
      output.withUnsafeMutableBufferPointer { target in
        Scalar._kernels.normalizeRows(input, rows.rowCount, rows.columnCount, target.baseAddress!)
      }
    }
    return (output, zeroRow)
  }

  /// ``firstNonFinite(_:)`` and, with `normalize`, ``normalizedRows(_:)`` in one parallel
  /// pass over blocks of about 256 KiB (each block checked, then scaled into the new array
  /// while it is in cache): the same values and the same first bad row and column.
  /// - Returns: the unit rows (nil without `normalize`, or when a value is not finite), the
  ///   first (row, column) holding NaN or ±∞, and under `normalize` the first zero row.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func prepared<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, normalize: Bool, threadCount: Int
  ) -> (values: [Scalar]?, nonFinite: (row: Int, column: Int)?, zeroRow: Int?) {
    let n = rows.rowCount
    let d = rows.columnCount
    let blocks = RowBlocks(rowCount: n, bytesPerRow: d * MemoryLayout<Scalar>.stride)
    let nonFinite = FirstByBlock<(row: Int, column: Int)>()
    let zeroRows = FirstByBlock<Int>()
    let values = rows.withPointer { base -> [Scalar]? in
      let input = UnsafeSendable(base)
      // Each block checked, then (given a target) scaled into it while in cache.
      func pass(into target: UnsafeSendable<UnsafeMutablePointer<Scalar>>?) {
        blocks.forEach(threadCount: threadCount) { block, range in
          let source = input.value + range.lowerBound * d
          if let bad = Scalar._kernels.firstNonFinite(source, range.count, d) {
            nonFinite.report((range.lowerBound + bad.row, bad.column), block: block)
            return
          }
          if let target,
            let zero = Scalar._kernels.normalizeRows(
              source, range.count, d, target.value + range.lowerBound * d)
          {
            zeroRows.report(range.lowerBound + zero, block: block)
          }
        }
      }
      guard normalize, n * d > 0 else {
        pass(into: nil)
        return nil
      }
      return [Scalar](unsafeUninitializedCapacity: n * d) { output, initialized in
        LargePages.advise(UnsafeMutableRawBufferPointer(output))
        pass(into: UnsafeSendable(output.baseAddress!))
        initialized = n * d
      }
    }
    if let bad = nonFinite.first { return (nil, bad, nil) }
    return (values, nil, zeroRows.first)
  }

  /// The distance between rows `first` and `second` of `rows`: ‖x − y‖², or 1 − x·y for unit
  /// rows, clamped at 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func distance<Scalar: KMeansScalar>(
    _ rows: DenseRows<Scalar>, _ first: Int, _ second: Int, _ kind: DistanceKind
  ) -> Scalar {
    let d = rows.columnCount
    return rows.withPointer {
      Scalar._kernels.pairDistance($0 + first * d, $0 + second * d, d, kind)
    }
  }

  /// The distance between two vectors of equal length (see ``distance(_:_:_:_:)``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func distance<Scalar: KMeansScalar>(
    _ x: [Scalar], _ y: [Scalar], _ kind: DistanceKind
  ) -> Scalar {
    precondition(x.count == y.count)
    return x.withUnsafeBufferPointer { a in
      y.withUnsafeBufferPointer { b in
        guard let a = a.baseAddress, let b = b.baseAddress else { return 0 }
        return Scalar._kernels.pairDistance(a, b, x.count, kind)
      }
    }
  }

  /// The given rows, copied in the given order (row-major values).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func gather<Scalar: KMeansScalar>(_ rows: DenseRows<Scalar>, _ indices: [Int])
    -> [Scalar]
  {
    let d = rows.columnCount
    var output = [Scalar](repeating: 0, count: indices.count * d)
    guard !output.isEmpty else { return output }
    rows.withPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        for (index, row) in indices.enumerated() {
          precondition(row >= 0 && row < rows.rowCount, "row \(row) is out of range")
          (target.baseAddress! + index * d).update(from: source + row * d, count: d)
        }
      }
    }
    return output
  }

  /// ‖x‖² of each row.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package static func squaredNorms<Scalar: KMeansScalar>(_ rows: DenseRows<Scalar>) -> [Scalar] {
    var output = [Scalar](repeating: 0, count: rows.rowCount)
    rows.withPointer { input in
      output.withUnsafeMutableBufferPointer { target in
        guard let target = target.baseAddress else { return }
        Scalar._kernels.squaredNorms(input, rows.rowCount, rows.columnCount, target)
      }
    }
    return output
  }
}
