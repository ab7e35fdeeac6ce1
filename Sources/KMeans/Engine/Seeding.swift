import Foundation
import KMeansKernels

extension Initialization {
  /// Whether the initializer chooses from the rows (all but given centers and k-means‖,
  /// which reads every row itself).
  var readsRows: Bool {
    switch self {
    case .centers, .kMeansParallel: false
    default: true
    }
  }
}

extension TrainingLoop {
  /// Seeds `trainer`, the same way for every driver, so that the same data, weights and seed
  /// give the same centers in memory, streamed, in a model directory and on any number of
  /// workers: given centers are taken as they are; k-means‖ reads every row; the other
  /// initializers read `given` rows, or a weighted sample of `sampleSize` rows
  /// (``seedingRows(_:sampleSize:stream:totalRows:)``), or all rows.
  func seed<Rows: RowSource>(
    _ trainer: inout KMeansTrainer<Scalar>, rows: inout Rows, restart: Int, totalRows: Int,
    sampleSize: Int?, given: Rows.Data? = nil
  ) throws where Rows.Data.Scalar == Scalar {
    let d = rows.columnCount
    let k = configuration.effectiveClusterCount
    switch configuration.initialization {
    case .centers(let centers):
      guard centers.columnCount == d else {
        throw KMeansError.dimensionMismatch(
          expected: d, actual: centers.columnCount, context: "the initial centers")
      }
      try trainer.initialize(givenCenters: centers.converted(to: Scalar.self))
    case .kMeansParallel(let rounds, let oversampling):
      let centers = try kMeansParallel(
        &rows, count: k, rounds: rounds, oversampling: oversampling ?? Double(2 * k),
        restart: restart)
      try trainer.initialize(givenCenters: centers)
    default:
      let set =
        try given
        ?? seedingRows(&rows, sampleSize: sampleSize, stream: -3 - restart, totalRows: totalRows)
      var seeding = set
      if set.distinctRowCount(upTo: k) < k {
        // A sample can miss rare rows: seed on all rows then, when they are in memory.
        guard collectives.size == 1, let all = rows.allRows, all.rowCount > set.rowCount else {
          throw KMeansError.tooFewDistinctPoints(
            distinct: set.distinctRowCount(upTo: k), clusterCount: k)
        }
        seeding = all
      }
      try trainer.initializeFully(from: seeding)
    }
  }

  /// The rows initializers choose from, identical on every worker: a priority sample of
  /// `sampleSize` rows (nil: all rows), in row order.
  ///
  /// Priority sampling (Duffield, Lund & Thorup, 2007): row i gets the priority wᵢ/uᵢ, uᵢ a
  /// uniform number fixed by (seed, stream, i); the rows of the `sampleSize` highest
  /// priorities are kept, each with the weight max(wᵢ, τ), τ the next priority — an unbiased
  /// stand-in for the whole weighted data, where a heavy row is never left out. Without
  /// weights the sample is uniform and unweighted. A row's key does not depend on the row
  /// count, the worker or the pieces.
  func seedingRows<Rows: RowSource>(
    _ rows: inout Rows, sampleSize: Int?, stream: Int, totalRows: Int
  ) throws -> Rows.Data where Rows.Data.Scalar == Scalar {
    guard let size = sampleSize, size < totalRows else {
      if collectives.size == 1, let all = rows.allRows { return all }
      guard let local = try rows.loadAll() else { throw KMeansError.emptyInput("no rows") }
      return try gatherAll(local, rows: Array(0..<local.rowCount))
    }
    // This worker's best `size + 1` keys (τ is the next one after the sample).
    var heap = PriorityHeap(capacity: size + 1)
    var weighted = false
    var template: Rows.Data? = nil
    let offset = rowOffset
    let seed = configuration.seed
    try rows.forEachPiece { piece, start in
      template = template ?? piece
      weighted = weighted || piece.weights != nil
      for row in 0..<piece.rowCount {
        let weight = piece.weight(ofRow: row)
        guard weight > 0 else { continue }
        let global = offset + start + row
        heap.insert(
          priority: weight / unitHash(seed: seed, stream: stream, row: global), row: global,
          weight: weight)
      }
    }
    guard let template else { throw KMeansError.emptyInput("no rows") }
    var entries = heap.entries
    if collectives.size > 1 {
      // Every worker's best keys, as (priority, row, weight) triples.
      var message: [Double] = []
      message.reserveCapacity(3 * entries.count)
      for entry in entries { message += [entry.priority, Double(entry.row), entry.weight] }
      let all = try collectives.gatherJoined(message)
      entries = stride(from: 0, to: all.count, by: 3).map {
        .init(priority: all[$0], row: Int(all[$0 + 1]), weight: all[$0 + 2])
      }
    }
    // The best `size` entries, and τ: the priority of the next best (0 if there is none).
    var threshold = 0.0
    if entries.count > size {
      PriorityHeap.selectBest(&entries, count: size)
      threshold = entries[size...].min(by: PriorityHeap.Entry.isBetter)?.priority ?? 0
      entries.removeLast(entries.count - size)
    }
    let chosen = entries.sorted { $0.row < $1.row }
    let localRows = chosen.map { $0.row - offset }.filter { $0 >= 0 && $0 < (rows.rowCount ?? 0) }
    let local = try rows.fetchRows(localRows)
    if collectives.size == 1, !weighted, let local { return local }
    let message = try collectives.gatherJoined(local?.serialized(Array(0..<localRows.count)) ?? [])
    let anyWeighted = try collectives.sum(weighted ? 1 : 0) > 0
    let weights = anyWeighted ? chosen.map { max($0.weight, threshold) } : nil
    return template.deserialized(message, weights: weights)
  }

  /// Every worker's `rows` of `data`, joined in rank order, on every worker.
  func gatherAll<Data: ClusterableData>(_ data: Data, rows: [Int]) throws -> Data {
    guard collectives.size > 1 else { return data.gathered(rows) }
    let message = try collectives.gatherJoined(data.serialized(rows))
    let weighted = try collectives.sum(data.weights == nil ? 0 : 1) > 0
    let weights = try collectives.gatherJoined(rows.map { data.weight(ofRow: $0) })
    return data.deserialized(message, weights: weighted ? weights : nil)
  }

  /// k-means‖ (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii, "Scalable k-means++",
  /// VLDB 2012) over every worker's rows, in passes (a stream is read once per round): a first
  /// center drawn ∝ w; then `rounds` rounds in which each row is kept independently with
  /// probability min(1, ℓ·w·D(x)²/φ), φ = Σ w·D², the kept rows joining the candidates;
  /// each candidate is weighted by the weight of the rows nearest to it, and weighted greedy
  /// k-means++ plus 10 weighted Lloyd steps reduce the candidates to `count` centers. Every
  /// draw depends only on (seed, round, row), so any number of workers chooses alike.
  func kMeansParallel<Rows: RowSource>(
    _ rows: inout Rows, count k: Int, rounds: Int, oversampling: Double, restart: Int
  ) throws -> Matrix<Scalar> where Rows.Data.Scalar == Scalar {
    let seed = configuration.seed
    let offset = rowOffset
    let base = 7_000 + 100 * restart
    // The first center: the smallest −ln(u)/w over all rows (drawn ∝ w).
    var best = (key: Double.infinity, row: -1)
    var template: Rows.Data? = nil
    try rows.forEachPiece { piece, start in
      template = template ?? piece
      for row in 0..<piece.rowCount {
        let weight = piece.weight(ofRow: row)
        guard weight > 0 else { continue }
        let global = offset + start + row
        let key = -Foundation.log(unitHash(seed: seed, stream: base, row: global)) / weight
        if key < best.key { best = (key, global) }
      }
    }
    guard let template, let n = rows.rowCount else { throw KMeansError.emptyInput("no rows") }
    let keys = try collectives.gatherJoined([best.key, Double(best.row)])
    var first = (key: Double.infinity, row: -1)
    for start in stride(from: 0, to: keys.count, by: 2)
    where keys[start] < first.key || (keys[start] == first.key && Int(keys[start + 1]) < first.row)
    {
      first = (keys[start], Int(keys[start + 1]))
    }
    var candidates = try gatheredRows(
      [first.row - offset].filter { $0 >= 0 && $0 < n }, rows: &rows, template: template)
    var closest = [Scalar](repeating: .infinity, count: n)
    try lower(&closest, to: candidates, rows: &rows)
    var round = 0
    while round < rounds || candidates.rowCount < k {
      guard round < rounds + 20 else { break }
      var potential = 0.0
      try rows.forEachPiece { piece, start in
        for row in 0..<piece.rowCount {
          potential += piece.weight(ofRow: row) * Double(closest[start + row])
        }
      }
      potential = try collectives.sum(potential)
      guard potential > 0 else { break }
      var picked: [Int] = []
      try rows.forEachPiece { piece, start in
        for row in 0..<piece.rowCount {
          let chance =
            oversampling * piece.weight(ofRow: row) * Double(closest[start + row]) / potential
          let draw = unitHash(seed: seed, stream: base + 1 + round, row: offset + start + row)
          if draw <= chance { picked.append(start + row) }
        }
      }
      let new = try gatheredRows(picked, rows: &rows, template: template)
      if new.rowCount > 0 {
        candidates = candidates.appendingRows(new)
        try lower(&closest, to: new, rows: &rows)
      }
      round += 1
    }
    // Each candidate's weight: the weight of the rows nearest to it, over all workers.
    var weights = [Double](repeating: 0, count: candidates.rowCount)
    try rows.forEachPiece { piece, _ in
      let labels = piece.assign(toCenters: candidates).labels
      for (row, label) in labels.enumerated() { weights[Int(label)] += piece.weight(ofRow: row) }
    }
    if collectives.size > 1 { try collectives.sum(&weights) }
    return KMeansParallelReduction.reduce(
      candidates, weights: weights, k: k, metric: configuration.metric, seed: seed)
  }

  /// The given rows (sorted indices among this worker's) of every worker, joined in rank
  /// order, as centers.
  private func gatheredRows<Rows: RowSource>(
    _ indices: [Int], rows: inout Rows, template: Rows.Data
  ) throws -> Matrix<Scalar> where Rows.Data.Scalar == Scalar {
    let local = try rows.fetchRows(indices)
    let message = try collectives.gatherJoined(
      local?.serialized(Array(0..<indices.count)) ?? [])
    let joined = template.deserialized(message, weights: nil)
    return joined.rowsMatrix(Array(0..<joined.rowCount))
  }

  /// Lowers each row's D² to its distance to the nearest of `centers`.
  private func lower<Rows: RowSource>(
    _ closest: inout [Scalar], to centers: Matrix<Scalar>, rows: inout Rows
  ) throws where Rows.Data.Scalar == Scalar {
    guard centers.rowCount > 0 else { return }
    var lowered = closest
    try rows.forEachPiece { piece, start in
      let distances = piece.nearestDistances(to: centers)
      for row in 0..<piece.rowCount {
        lowered[start + row] = min(lowered[start + row], distances[row])
      }
    }
    closest = lowered
  }
}

/// The rows of the highest priorities seen, at most `capacity` of them: ties go to the lower
/// row. Entries better than the worst kept so far gather in a buffer of twice the capacity,
/// which a selection (quickselect, Hoare's partition) cuts back to the best `capacity`
/// whenever it fills: O(1) for most rows, where a heap sifted every kept row.
struct PriorityHeap {
  struct Entry {
    var priority: Double
    var row: Int
    var weight: Double

    /// Higher priority first; equal priorities by lower row.
    static func isBetter(_ a: Entry, _ b: Entry) -> Bool {
      a.priority != b.priority ? a.priority > b.priority : a.row < b.row
    }
  }

  let capacity: Int
  private var buffer: [Entry] = []
  /// The worst entry kept at the last cut (nil before the first): only better ones can stay.
  private var floor: Entry?

  init(capacity: Int) { self.capacity = capacity }

  /// The best `capacity` entries seen (or all of them, if fewer), in no particular order.
  var entries: [Entry] {
    var best = buffer
    if best.count > capacity {
      Self.selectBest(&best, count: capacity)
      best.removeLast(best.count - capacity)
    }
    return best
  }

  mutating func insert(priority: Double, row: Int, weight: Double) {
    let entry = Entry(priority: priority, row: row, weight: weight)
    guard capacity > 0 else { return }
    if let floor, !Entry.isBetter(entry, floor) { return }
    buffer.append(entry)
    if buffer.count >= 2 * capacity {
      Self.selectBest(&buffer, count: capacity)
      buffer.removeLast(buffer.count - capacity)
      floor = buffer[capacity - 1]
    }
  }

  /// Rearranges `entries` so that its first `count` (≥ 1) are its best, the worst of them at
  /// `count − 1`.
  static func selectBest(_ entries: inout [Entry], count: Int) {
    let target = count - 1
    var low = 0
    var high = entries.count - 1
    while low < high {
      let pivot = median(entries[low], entries[low + (high - low) / 2], entries[high])
      var i = low
      var j = high
      while i <= j {
        while Entry.isBetter(entries[i], pivot) { i += 1 }
        while Entry.isBetter(pivot, entries[j]) { j -= 1 }
        if i <= j {
          entries.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      // entries[low...j] are at least as good as the pivot, entries[i...high] at most.
      if target <= j {
        high = j
      } else if target >= i {
        low = i
      } else {
        return
      }
    }
  }

  /// The middle of three entries by ``Entry/isBetter(_:_:)``.
  private static func median(_ a: Entry, _ b: Entry, _ c: Entry) -> Entry {
    if Entry.isBetter(a, b) {
      return Entry.isBetter(b, c) ? b : Entry.isBetter(a, c) ? c : a
    }
    return Entry.isBetter(a, c) ? a : Entry.isBetter(b, c) ? c : b
  }
}
