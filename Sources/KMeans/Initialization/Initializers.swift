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
      guard given.columnCount == d else {
        throw KMeansError.dimensionMismatch(
          expected: d, actual: given.columnCount, context: "the initial centers")
      }
      guard given.rowCount == count else {
        throw KMeansError.shapeMismatch(
          "\(given.rowCount) initial centers given, \(count) needed")
      }
      if metric == .cosine {
        for row in 0..<given.rowCount where given.row(row).allSatisfy({ $0 == 0 }) {
          throw KMeansError.zeroRowUnderCosine(row: row)
        }
      }
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
  func greedyKMeansPlusPlus(
    count: Int, candidates: Int, existing: Matrix<Scalar>? = nil, random: inout RandomSource
  ) -> Matrix<Scalar> {
    let n = rowCount
    var chosen: [Int] = []
    var closest: [Scalar]
    if let existing, existing.rowCount > 0 {
      closest = nearestDistances(to: existing)
    } else {
      let first = randomRowByWeight(random: &random)
      chosen.append(first)
      closest = distances(toRows: [first])
    }
    var cumulative = [Double](repeating: 0, count: n)
    while chosen.count < count {
      var running = 0.0
      for row in 0..<n {
        running += weight(ofRow: row) * Double(closest[row])
        cumulative[row] = running
      }
      let potential = running
      var candidateRows: [Int] = []
      for _ in 0..<candidates {
        guard potential > 0 else {
          candidateRows.append(random.nextIndex(below: n))
          continue
        }
        candidateRows.append(weightedIndex(cumulative: cumulative, random: &random))
      }
      let m = candidateRows.count
      let candidateDistances = distances(toRows: candidateRows)
      let potentials = candidatePotentials(closest: closest, candidates: candidateDistances, m)
      var best = 0
      for candidate in 1..<m where potentials[candidate] < potentials[best] { best = candidate }
      chosen.append(candidateRows[best])
      for row in 0..<n { closest[row] = min(closest[row], candidateDistances[row * m + best]) }
    }
    return rowsMatrix(chosen)
  }

  /// Σᵣₒᵥᵥ w(row)·min(closest[row], candidates[row, c]) for each candidate column c, summed
  /// per chunk and then in chunk order, so the bits do not depend on the thread count.
  func candidatePotentials(closest: [Scalar], candidates: [Scalar], _ m: Int) -> [Double] {
    var partials = [Double](repeating: 0, count: chunkCount * m)
    closest.withUnsafeBufferPointer { closestBuffer in
      candidates.withUnsafeBufferPointer { candidateBuffer in
        partials.withUnsafeMutableBufferPointer { partialBuffer in
          let shared = UnsafeSendable(
            (closestBuffer.baseAddress!, candidateBuffer.baseAddress!, partialBuffer.baseAddress!))
          parallelFor(chunkCount: chunkCount, threadCount: threadCount) { chunk, _ in
            let (closest, candidates, partials) = shared.value
            for row in rows(ofChunk: chunk) {
              let weight = weight(ofRow: row)
              for column in 0..<m {
                partials[chunk * m + column] +=
                  weight * Double(min(closest[row], candidates[row * m + column]))
              }
            }
          }
        }
      }
    }
    var totals = [Double](repeating: 0, count: m)
    for chunk in 0..<chunkCount {
      for column in 0..<m { totals[column] += partials[chunk * m + column] }
    }
    return totals
  }

  /// `count` distinct row indices drawn uniformly (a sparse Fisher–Yates shuffle).
  func randomDistinctRows(count: Int, random: inout RandomSource) -> [Int] {
    var shuffle = SparseShuffle(count: rowCount)
    return (0..<min(count, rowCount)).compactMap { _ in shuffle.next(&random) }
  }

  /// One row drawn with probability ∝ its weight (uniformly without weights).
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

extension PreparedData {
  /// The rows as `Double` for a custom initializer.
  func denseRowsForCustomInitializer() -> Matrix<Double> { points.converted(to: Double.self) }

  /// Row `row`'s values, with -0 made +0 (so equal points have equal keys).
  func rowKey(_ row: Int) -> [Scalar] { points.row(row).map { $0 == 0 ? 0 : $0 } }

  /// The distance from every row in `range` to its nearest center among `centers`.
  func nearestDistances(ofRows range: Range<Int>, to centers: Matrix<Scalar>) -> [Scalar] {
    rows(range).nearestDistances(to: centers)
  }

  /// The distance from every row to its nearest center among `centers`.
  func nearestDistances(to centers: Matrix<Scalar>) -> [Scalar] {
    assign(to: PreparedCenters(metric == .cosine ? centers.l2NormalizedRows() : centers))
      .distances
  }

  /// The distance from row `row` to the nearest of `centers` (rows of the data).
  func nearestDistance(from row: Int, toRows centers: [Int]) -> Scalar {
    let d = points.columnCount
    return points.withUnsafeElements { base in
      var best = Scalar.infinity
      for center in centers {
        let distance = Scalar._kernels.pairDistance(
          base + row * d, base + center * d, d, kernelDistance)
        best = min(best, distance)
      }
      return best
    }
  }

  /// A copy of the given rows (and their weights), already validated.
  func gathered(_ rowIndices: [Int]) -> PreparedData {
    replacingPoints(rowsMatrix(rowIndices), weights: weights.map { w in rowIndices.map { w[$0] } })
  }

  /// The given rows of the data as a matrix.
  func rowsMatrix(_ rowIndices: [Int]) -> Matrix<Scalar> {
    let d = points.columnCount
    var result = Matrix<Scalar>(zerosWithRowCount: rowIndices.count, columnCount: d)
    points.withUnsafeElements { source in
      result.withUnsafeMutableElements { target in
        for (index, row) in rowIndices.enumerated() {
          precondition(row >= 0 && row < points.rowCount, "row \(row) is out of range")
          (target + index * d).update(from: source + row * d, count: d)
        }
      }
    }
    return result
  }

  /// Distances from every row to each of the given rows: `n × rows.count`, row-major.
  func distances(toRows rowIndices: [Int]) -> [Scalar] {
    allDistances(to: PreparedCenters(rowsMatrix(rowIndices)))
  }

  /// Every distance from every row to every center, `n × k` row-major, computed in tiles of
  /// 256 rows so each GEMM output stays in cache.
  func allDistances(to centers: PreparedCenters<Scalar>) -> [Scalar] {
    let n = points.rowCount
    let d = points.columnCount
    let k = centers.centers.rowCount
    var output = [Scalar](repeating: 0, count: n * k)
    let distance = kernelDistance
    points.withUnsafeElements { pointBase in
      centers.centers.withUnsafeElements { centerBase in
        centers.squaredNorms.withUnsafeBufferPointer { norms in
          output.withUnsafeMutableBufferPointer { outputBuffer in
            let block = DistanceBlock<Scalar>(
              points: pointBase, rowCount: n, dimension: d, centers: centerBase,
              centerCount: k, centerSquaredNorms: norms.baseAddress!, distance: distance)
            let target = UnsafeSendable(outputBuffer.baseAddress!)
            let tile = 256
            parallelFor(chunkCount: (n + tile - 1) / tile, threadCount: threadCount) { chunk, _ in
              let start = chunk * tile
              Scalar._kernels.allDistances(
                block.rows(from: start, count: min(tile, n - start)), target.value + start * k)
            }
          }
        }
      }
    }
    return output
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
