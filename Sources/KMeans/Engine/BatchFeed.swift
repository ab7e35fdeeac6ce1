import Foundation

/// The batches of mini-batch steps: in memory, batch s is slice s mod (batches per epoch) of
/// a seeded shuffle of all rows for epoch s / (batches per epoch), each worker taking the rows
/// it holds; a stream gives consecutive pieces in file order, starting a new pass after each
/// epoch (and skipping ahead after a resume).
struct BatchFeed<Data: ClusterableData> {
  struct Batch {
    var data: Data
    /// The index of this worker's first row of the batch among the whole batch's rows.
    var rowOffset: Int
  }

  let totalRows: Int
  let batchSize: Int
  let seed: UInt64
  let inMemory: Data?
  /// Whether batches are drawn in a shuffled order (rows in memory), not read in file order.
  let shuffles: Bool
  let rowOffset: Int
  let collectives: any Collectives
  private var epoch = -1
  private var order: [Int] = []
  /// The step whose batch a stream read last.
  private var lastStreamStep: Int64 = -2

  init<Rows: RowSource, Scalar>(
    rows: Rows, totalRows: Int, batchSize: Int, loop: TrainingLoop<Scalar>
  ) throws where Rows.Data == Data {
    self.totalRows = totalRows
    self.batchSize = batchSize
    self.seed = loop.configuration.seed
    self.inMemory = rows.allRows
    self.shuffles = rows.isInMemory
    self.rowOffset = loop.rowOffset
    self.collectives = loop.collectives
    if !rows.isInMemory && loop.collectives.size > 1 {
      throw KMeansError.invalidConfiguration(
        "mini-batch training over several workers needs each worker's rows in memory")
    }
  }

  var batchesPerEpoch: Int { (totalRows + batchSize - 1) / batchSize }

  mutating func batch<Rows: RowSource>(forStep step: Int64, rows: inout Rows) throws -> Batch
  where Rows.Data == Data {
    let position = Int(step) % batchesPerEpoch
    if shuffles, let rowCount = rows.rowCount {
      let stepEpoch = Int(step) / batchesPerEpoch
      if stepEpoch != epoch {
        epoch = stepEpoch
        order = BatchFeed.shuffledRows(totalRows, seed: seed, epoch: stepEpoch)
      }
      let start = position * batchSize
      let global = order[start..<min(totalRows, start + batchSize)]
      // This worker's rows of the batch, in batch order, and where they start in it.
      var local: [Int] = []
      for row in global where row >= rowOffset && row < rowOffset + rowCount {
        local.append(row - rowOffset)
      }
      var offset = 0
      if collectives.size > 1 {
        let counts = try collectives.gather([Double(local.count)]).map { Int($0[0]) }
        offset = counts.prefix(collectives.rank).reduce(0, +)
      }
      if let data = inMemory { return Batch(data: data.gathered(local), rowOffset: offset) }
      // Rows kept compact: just the batch's rows, widened.
      guard let fetched = try rows.fetchRows(local.isEmpty ? [0] : local) else {
        throw KMeansError.emptyInput("no rows")
      }
      return Batch(data: local.isEmpty ? fetched.gathered([]) : fetched, rowOffset: offset)
    }
    // A stream: the next `batchSize` rows in file order.
    if position == 0 || step != lastStreamStep + 1 {
      try rows.startPass()
      for _ in 0..<position { _ = try rows.nextPiece(maxRows: batchSize) }
    }
    lastStreamStep = step
    guard let piece = try rows.nextPiece(maxRows: batchSize) else {
      throw KMeansError.shapeMismatch("the stream ended before its \(totalRows) rows")
    }
    return Batch(data: piece, rowOffset: 0)
  }

  /// A seeded Fisher–Yates shuffle of `0..<count` for one epoch.
  static func shuffledRows(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var random = RandomSource(seed: seed, stream: 1_000_000 + epoch)
    var order = Array(0..<count)
    for index in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(index, random.nextIndex(below: index + 1))
    }
    return order
  }
}

/// The record of mini-batch steps, with scikit-learn's early stopping: an exponentially
/// weighted average of the per-row batch loss, α = min(1, 2·batchSize/(n + 1)), and a count of
/// steps since it last improved.
struct MiniBatchLog {
  let alpha: Double
  let limit: Int?
  var smoothed: Double?
  var best: Double
  var withoutImprovement: Int
  /// One record per step.
  var statistics: [IterationStatistics] = []

  init(batchSize: Int, rowCount: Int, limit: Int?, state: LoopState) {
    alpha = min(1, 2 * Double(batchSize) / Double(rowCount + 1))
    self.limit = limit
    smoothed = state.smoothedLoss
    best = state.bestSmoothedLoss ?? .infinity
    withoutImprovement = state.stepsWithoutImprovement
  }

  /// Records one step's loss over `rows` rows; false once `limit` steps in a row brought no
  /// improvement.
  mutating func record(loss: Double, rows: Int) -> Bool {
    let perRow = loss / Double(max(1, rows))
    let average = smoothed.map { $0 * (1 - alpha) + perRow * alpha } ?? perRow
    smoothed = average
    if average < best {
      best = average
      withoutImprovement = 0
    } else {
      withoutImprovement += 1
    }
    guard let limit else { return true }
    return withoutImprovement < limit
  }

  func write(to state: inout LoopState) {
    state.smoothedLoss = smoothed
    state.bestSmoothedLoss = best.isFinite ? best : nil
    state.stepsWithoutImprovement = withoutImprovement
  }
}
