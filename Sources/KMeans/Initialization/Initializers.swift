import KMeansKernels

extension SeedableData {
  /// Up to `count` new centers from this batch, after the `existing` ones.
  ///
  /// - Parameter tfCompatSeed: with TensorFlow compatibility, the seed every k-MC² chain
  ///   restarts from (TensorFlow reuses one seed for all chains).
  func initialCenters(
    _ initialization: Initialization, count: Int, existing: Matrix<Scalar>?,
    random: inout RandomSource, tfCompatSeed: UInt64? = nil
  ) throws -> Matrix<Scalar> {
    let n = rowCount
    let d = columnCount
    func needsRows(_ name: String) throws {
      guard n >= count else {
        throw KMeansError.invalidConfiguration(
          "\(name) initialization needs a batch of at least \(count) rows, got \(n)")
      }
    }
    switch initialization {
    case .centers(let given):
      try given.checkInitialCenters(count: count, dimension: d, metric: metric)
      return given.converted(to: Scalar.self)
    case .random:
      if n <= count && weights == nil { return rowsMatrix(Array(0..<n)) }
      return randomDistinctCenters(count: count, random: &random)
    case .randomWithReplacement:
      if n <= count { return rowsMatrix(Array(0..<n)) }
      return rowsMatrix((0..<count).map { _ in random.nextIndex(below: n) })
    case .kMeansPlusPlus(let retries):
      try needsRows("k-means++")
      let candidates = Initialization.kMeansPlusPlusCandidates(
        retries: retries, clusterCount: count)
      return greedyKMeansPlusPlus(
        count: count, candidates: candidates, existing: existing, random: &random)
    case .kmc2(let chainLength):
      return kmc2(
        count: count, chainLength: chainLength, existing: existing, random: &random,
        tfCompatSeed: tfCompatSeed)
    case .afkmc2(let chainLength):
      try needsRows("AFK-MC²")
      return afkmc2(count: count, chainLength: chainLength, existing: existing, random: &random)
    case .kMeansParallel(let rounds, let oversampling):
      // The batch is all the rows there are: k-means‖ over it, on this worker.
      try needsRows("k-means||")
      var settings = KMeansConfiguration(clusterCount: count)
      settings.metric = metric
      settings.seed = random.next()
      settings.threadCount = threadCount
      var rows = MemoryRows(self)
      return try TrainingLoop<Scalar>(configuration: settings).kMeansParallel(
        &rows, count: count, rounds: rounds, oversampling: oversampling ?? Double(2 * count),
        restart: 0)
    case .custom(let initializer):
      let proposed = try initializer.propose(denseRowsForCustomInitializer(), count)
      guard proposed.rowCount == 0 || proposed.columnCount == d else {
        throw KMeansError.dimensionMismatch(
          expected: d, actual: proposed.columnCount, context: "the custom initializer's batch")
      }
      return proposed.rowCount == 0
        ? Matrix(zerosWithRowCount: 0, columnCount: d) : proposed.converted(to: Scalar.self)
    }
  }

  /// The number of distinct rows, counting no further than `limit`.
  func distinctRowCount(upTo limit: Int) -> Int {
    var seen = Set<RowKey>()
    for row in 0..<rowCount {
      seen.insert(rowKey(row))
      if seen.count >= limit { break }
    }
    return seen.count
  }

  /// `count` rows at distinct random indices whose values are also distinct (the caller has
  /// checked that enough distinct rows exist). A sparse Fisher–Yates shuffle draws the indices;
  /// with sample weights, rows are drawn without replacement with probability ∝ weight
  /// (scikit-learn's `choice(p=w/Σw, replace=False)`), rows of weight zero last.
  func randomDistinctCenters(count: Int, random: inout RandomSource) -> Matrix<Scalar> {
    let n = rowCount
    var chosenRows: [Int] = []
    var seen = Set<RowKey>()
    if let weights {
      var remaining = weights
      var cumulative = [Double](repeating: 0, count: n)
      while chosenRows.count < count {
        var running = 0.0
        for row in 0..<n {
          running += remaining[row]
          cumulative[row] = running
        }
        guard running > 0 else { break }
        let row = weightedIndex(cumulative: cumulative, random: &random)
        remaining[row] = 0
        if seen.insert(rowKey(row)).inserted { chosenRows.append(row) }
      }
    } else {
      var shuffle = SparseShuffle(count: n)
      while chosenRows.count < count, let row = shuffle.next(&random) {
        if seen.insert(rowKey(row)).inserted { chosenRows.append(row) }
      }
    }
    // Only reached with heavy duplication: fill with the remaining distinct rows in order.
    var row = 0
    while chosenRows.count < count && row < n {
      if seen.insert(rowKey(row)).inserted { chosenRows.append(row) }
      row += 1
    }
    return rowsMatrix(chosenRows)
  }

  /// Greedy k-means++: the first center is drawn ∝ w(x) (uniform without weights); each later
  /// one is the best of `candidates` rows drawn with probability ∝ w(x)·D(x)², judged by the
  /// potential Σₓ w(x)·min(D(x)², d(x, candidate)) (scikit-learn's `_kmeans_plusplus`).
  ///
  /// Each step is one parallel pass over fixed chunks: it lowers D² to the previous winner,
  /// computes the candidates' distances and, per chunk, their potentials (the winner's column
  /// is the next step's chunk sums of Σ w·D²); the draws walk the chunk sums, then one chunk.
  /// No pass depends on the thread count, and the distance buffer (n × candidates) is
  /// allocated once.
  func greedyKMeansPlusPlus(
    count: Int, candidates: Int, existing: Matrix<Scalar>? = nil, random: inout RandomSource
  ) -> Matrix<Scalar> {
    rowsMatrix(
      greedyKMeansPlusPlusRows(
        count: count, candidates: candidates, existing: existing, random: &random))
  }

  /// The rows ``greedyKMeansPlusPlus(count:candidates:existing:random:)`` chooses, in order.
  func greedyKMeansPlusPlusRows(
    count: Int, candidates: Int, existing: Matrix<Scalar>? = nil, random: inout RandomSource
  ) -> [Int] {
    let n = rowCount
    var (chosen, closest) = seedingStart(existing: existing, random: &random)
    let m = max(1, candidates)
    var buffer = [Scalar](repeating: 0, count: n * m)
    var rowNorms: [Scalar] = []
    // Σ w·D² per chunk, in row order.
    var totals = seedingChunkTotals(closest)
    // The winner of the previous step: its distances are still in the buffer, and `closest`
    // takes them at the start of the next pass (one pass per step).
    var previous: Int? = nil
    while chosen.count < count {
      var total = 0.0
      for chunk in totals { total += chunk }
      var candidateRows: [Int] = []
      for _ in 0..<m {
        guard total > 0 else {
          candidateRows.append(random.nextIndex(below: n))
          continue
        }
        candidateRows.append(
          drawRow(
            target: random.nextUnit() * total, chunkTotals: totals, closest: closest,
            pending: previous.map { (buffer, m, $0) }))
      }
      let partials = candidatePotentials(
        prepareCenters(rowsMatrix(candidateRows)), closest: &closest, candidateDistances: &buffer,
        rowNorms: &rowNorms, pending: previous)
      var best = 0
      var bestPotential = Double.infinity
      for column in 0..<m {
        var potential = 0.0
        for chunk in 0..<totals.count { potential += partials[chunk * m + column] }
        if potential < bestPotential {
          bestPotential = potential
          best = column
        }
      }
      chosen.append(candidateRows[best])
      // Each chunk's Σ w·D² once the winner joins: its column of the potentials.
      totals = (0..<totals.count).map { partials[$0 * m + best] }
      previous = best
    }
    return chosen
  }

  /// The first row whose running sum of w·D² (chunk sums first, then the rows of one chunk)
  /// exceeds `target`; never a row of weight or D² zero.
  ///
  /// - Parameter pending: distances (and their row stride) to a center chosen since `closest`
  ///   was last lowered, and its column: D² is the smaller of the two.
  func drawRow(
    target: Double, chunkTotals: [Double], closest: [Scalar],
    pending: (distances: [Scalar], stride: Int, column: Int)? = nil
  ) -> Int {
    func value(_ row: Int) -> Double {
      var squared = closest[row]
      if let pending {
        squared = min(squared, pending.distances[row * pending.stride + pending.column])
      }
      return weight(ofRow: row) * Double(squared)
    }
    var running = 0.0
    var chunk = 0
    while chunk < chunkCount - 1 && running + chunkTotals[chunk] <= target {
      running += chunkTotals[chunk]
      chunk += 1
    }
    var last = -1
    for row in rows(ofChunk: chunk) {
      let value = value(row)
      guard value > 0 else { continue }
      running += value
      last = row
      if running > target { return row }
    }
    if last >= 0 { return last }
    // Rounding left the target past every row of this chunk: the last row that can be drawn.
    for row in stride(from: rowCount - 1, through: 0, by: -1) where value(row) > 0 {
      return row
    }
    return 0
  }

  /// `count` distinct row indices drawn uniformly (a sparse Fisher–Yates shuffle).
  func randomDistinctRows(count: Int, random: inout RandomSource) -> [Int] {
    var shuffle = SparseShuffle(count: rowCount)
    return (0..<min(count, rowCount)).compactMap { _ in shuffle.next(&random) }
  }

  /// One row drawn with probability ∝ its weight (uniformly without weights).
  /// Where a seeding starts: every row's distance to the nearest `existing` center, or else a
  /// first center drawn by weight (returned as chosen) and every row's distance to it.
  func seedingStart(
    existing: Matrix<Scalar>?, random: inout RandomSource
  ) -> (chosen: [Int], closest: [Scalar]) {
    if let existing, existing.rowCount > 0 { return ([], nearestDistances(to: existing)) }
    let first = randomRowByWeight(random: &random)
    return ([first], distances(toRows: [first]))
  }

  func randomRowByWeight(random: inout RandomSource) -> Int {
    guard let weights else { return random.nextIndex(below: rowCount) }
    var running = 0.0
    let cumulative = weights.map { weight -> Double in
      running += weight
      return running
    }
    return weightedIndex(cumulative: cumulative, random: &random)
  }
}

/// An index drawn with probability proportional to its weight, given the running sums of the
/// weights: the first index whose running sum exceeds a uniform draw below the total, so that
/// weight-0 rows (for D² sampling: rows already chosen) are never drawn.
func weightedIndex(cumulative: [Double], random: inout RandomSource) -> Int {
  let target = random.nextUnit() * (cumulative.last ?? 0)
  var low = 0
  var high = cumulative.count - 1
  while low < high {
    let middle = (low + high) / 2
    if cumulative[middle] > target { high = middle } else { low = middle + 1 }
  }
  return low
}

/// A Fisher–Yates shuffle of `0..<count` drawn one element at a time, storing only the
/// swapped positions: O(drawn) memory, so a few draws from millions of rows stay cheap.
struct SparseShuffle {
  let count: Int
  private var position = 0
  private var swapped: [Int: Int] = [:]

  init(count: Int) { self.count = count }

  /// The next element of the shuffle, or nil once all `count` were drawn.
  mutating func next(_ random: inout RandomSource) -> Int? {
    guard position < count else { return nil }
    let pick = position + random.nextIndex(below: count - position)
    let element = swapped[pick] ?? pick
    swapped[pick] = swapped[position] ?? position
    position += 1
    return element
  }
}

extension Matrix {
  /// Checks centers given to start from: `count` rows of `dimension` columns (when given), and
  /// no all-zero row under cosine.
  func checkInitialCenters(count: Int, dimension: Int?, metric: DistanceMetric) throws {
    if let dimension, columnCount != dimension {
      throw KMeansError.dimensionMismatch(
        expected: dimension, actual: columnCount, context: "the initial centers")
    }
    guard rowCount == count else {
      throw KMeansError.shapeMismatch("\(rowCount) initial centers given, \(count) needed")
    }
    if metric == .cosine {
      for row in 0..<rowCount where self.row(row).allSatisfy({ $0 == 0 }) {
        throw KMeansError.zeroRowUnderCosine(row: row)
      }
    }
  }
}
