/// Rows split into blocks of about 256 KiB, for passes that run several steps over each block
/// while it is in a worker's cache (widen, check, normalise). The blocks depend only on the
/// row count and width, never on the thread count.
package struct RowBlocks: Sendable {
  package let rowCount: Int
  package let rowsPerBlock: Int

  /// Blocks of `rowCount` rows of `bytesPerRow` bytes each.
  package init(rowCount: Int, bytesPerRow: Int) {
    self.rowCount = rowCount
    self.rowsPerBlock = max(1, (1 << 18) / max(1, bytesPerRow))
  }

  /// The number of blocks.
  package var count: Int { (rowCount + rowsPerBlock - 1) / rowsPerBlock }

  /// The rows of block `block`.
  package func rows(ofBlock block: Int) -> Range<Int> {
    let first = block * rowsPerBlock
    return first..<min(rowCount, first + rowsPerBlock)
  }

  /// Runs `body(block, rows)` for every block, on up to `threadCount` workers.
  package func forEach(
    threadCount: Int, _ body: @Sendable (_ block: Int, _ rows: Range<Int>) -> Void
  ) {
    let blocks = count
    parallelFor(chunkCount: blocks, threadCount: blocks > 1 ? threadCount : 1) { block, _ in
      body(block, rows(ofBlock: block))
    }
  }
}

/// What blocks worked in parallel report (a first bad value, a first zero row), kept so that
/// the report of the lowest block wins: the one a serial pass in row order would find.
package final class FirstByBlock<Value>: @unchecked Sendable {
  private let reports = LockedValue([Int: Value]())

  package init() {}

  /// Records `value` for `block`.
  package func report(_ value: Value, block: Int) {
    reports.withLock { $0[block] = value }
  }

  /// The report of the lowest block, if any.
  package var first: Value? {
    reports.withLock { $0.min { $0.key < $1.key }?.value }
  }
}
