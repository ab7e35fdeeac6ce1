import KMeansKernels

extension DistributedKMeans {
  /// The first centers, the same on every worker.
  static func initialCenters<Scalar: KMeansScalar>(
    _ data: PreparedData<Scalar>, k: Int, initialization: DistributedInitialization,
    rowOffset: Int, totalRows: Int, seed: UInt64, collectives: Collectives
  ) throws -> Matrix<Scalar> {
    let d = data.points.columnCount
    switch initialization {
    case .centers(let given):
      let centers = given.converted(to: Scalar.self)
      return data.metric == .cosine ? centers.l2NormalizedRows() : centers
    case .kMeansPlusPlusOnSample(let sampleSize):
      // Each worker contributes its share of a seeded sample; every worker then runs the same
      // greedy k-means++ on the same gathered rows.
      let share = Int(
        (Double(sampleSize) * Double(data.points.rowCount) / Double(totalRows)).rounded(.up))
      var random = RandomSource(seed: seed, stream: 5_000 + collectives.rank)
      let rows = data.randomDistinctRows(count: min(share, data.points.rowCount), random: &random)
      let sample = try gatherRows(data.rowsMatrix(rows), collectives: collectives)
      guard sample.rowCount >= k else {
        throw KMeansError.tooFewDistinctPoints(distinct: sample.rowCount, clusterCount: k)
      }
      var seeding = RandomSource(seed: seed)
      let gathered = data.replacingPoints(sample)
      return gathered.greedyKMeansPlusPlus(
        count: k, candidates: Initialization.kMeansPlusPlusCandidates(retries: -1, clusterCount: k),
        random: &seeding)
    case .kMeansParallel(let rounds, let oversampling):
      return try kMeansParallel(
        data, k: k, rounds: rounds, oversampling: oversampling, rowOffset: rowOffset,
        totalRows: totalRows, seed: seed, collectives: collectives, dimension: d)
    }
  }

  /// Every worker's rows, in rank order, as one matrix on every worker.
  static func gatherRows<Scalar: KMeansScalar>(_ rows: Matrix<Scalar>, collectives: Collectives)
    throws -> Matrix<Scalar>
  {
    let parts = try collectives.gather(rows.values.map(Double.init))
    let values = parts.flatMap { $0 }.map { Scalar($0) }
    return try Matrix(
      rowCount: values.count / max(1, rows.columnCount), columnCount: rows.columnCount,
      values: values)
  }

  /// k-means‖ (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii, "Scalable k-means++",
  /// VLDB 2012): a uniform first center; then `rounds` rounds in which every worker keeps each
  /// of its rows independently with probability min(1, ℓ·D(x)²/φ), φ = Σ D(x)² over all
  /// workers; the kept rows join the candidates on every worker. Each candidate is weighted by
  /// the rows nearest to it, and weighted greedy k-means++ plus a few weighted Lloyd steps
  /// reduce the candidates to k centers, identically on every worker.
  static func kMeansParallel<Scalar: KMeansScalar>(
    _ data: PreparedData<Scalar>, k: Int, rounds: Int, oversampling: Double, rowOffset: Int,
    totalRows: Int, seed: UInt64, collectives: Collectives, dimension d: Int
  ) throws -> Matrix<Scalar> {
    let n = data.points.rowCount
    // The first center: a global row chosen by the shared seed; its owner sends it.
    var shared = RandomSource(seed: seed)
    let first = shared.nextIndex(below: totalRows)
    let owned = first >= rowOffset && first < rowOffset + n
    var candidates = try gatherRows(
      owned
        ? data.rowsMatrix([first - rowOffset])
        : Matrix<Scalar>(zerosWithRowCount: 0, columnCount: d),
      collectives: collectives)
    var closest = data.nearestDistances(to: candidates)
    var local = RandomSource(seed: seed, stream: 9_000 + collectives.rank)
    var round = 0
    while round < rounds || candidates.rowCount < k {
      guard round < rounds + 20 else { break }
      var potential = [closest.reduce(0.0) { $0 + Double($1) }]
      try collectives.sum(&potential)
      guard potential[0] > 0 else { break }
      var picked: [Int] = []
      for row in 0..<n where local.nextUnit() < oversampling * Double(closest[row]) / potential[0] {
        picked.append(row)
      }
      let new = try gatherRows(data.rowsMatrix(picked), collectives: collectives)
      if new.rowCount > 0 {
        candidates = candidates.appendingRows(new)
        let distances = data.nearestDistances(to: new)
        for row in 0..<n { closest[row] = min(closest[row], distances[row]) }
      }
      round += 1
    }
    // Weights: the rows nearest to each candidate, over all workers.
    let nearest = data.assign(
      to: PreparedCenters(data.metric == .cosine ? candidates.l2NormalizedRows() : candidates))
    var weights = [Double](repeating: 0, count: candidates.rowCount)
    for label in nearest.labels { weights[Int(label)] += 1 }
    try collectives.sum(&weights)
    return weightedReduction(
      candidates, weights: weights, k: k, metric: data.metric, seed: seed)
  }

  /// Weighted greedy k-means++ on a small candidate set, then 10 weighted Lloyd steps
  /// (plain loops: the set has O(rounds·ℓ) rows).
  static func weightedReduction<Scalar: KMeansScalar>(
    _ candidates: Matrix<Scalar>, weights: [Double], k: Int, metric: DistanceMetric, seed: UInt64
  ) -> Matrix<Scalar> {
    let m = candidates.rowCount
    let d = candidates.columnCount
    let points = (0..<m).map { candidates.row($0).map(Double.init) }
    func distance(_ a: [Double], _ b: [Double]) -> Double {
      if metric == .cosine {
        return max(0, 1 - zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
      }
      return zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    var random = RandomSource(seed: seed, stream: 11_000)
    guard m > k else { return candidates }
    var chosen: [Int] = []
    // The first center: weighted uniform.
    var cumulative = weights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
    chosen.append(weightedIndex(cumulative: cumulative, random: &random))
    var closest = points.map { distance($0, points[chosen[0]]) }
    let trials = Initialization.kMeansPlusPlusCandidates(retries: -1, clusterCount: k)
    while chosen.count < k {
      cumulative = []
      var running = 0.0
      for index in 0..<m {
        running += weights[index] * closest[index]
        cumulative.append(running)
      }
      var best = -1
      var bestPotential = Double.infinity
      for _ in 0..<trials {
        let candidate =
          running > 0
          ? weightedIndex(cumulative: cumulative, random: &random) : random.nextIndex(below: m)
        var potential = 0.0
        for index in 0..<m {
          potential +=
            weights[index] * min(closest[index], distance(points[index], points[candidate]))
        }
        if potential < bestPotential {
          bestPotential = potential
          best = candidate
        }
      }
      chosen.append(best)
      for index in 0..<m {
        closest[index] = min(closest[index], distance(points[index], points[best]))
      }
    }
    var centers = chosen.map { points[$0] }
    for _ in 0..<10 {
      var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
      var mass = [Double](repeating: 0, count: k)
      for index in 0..<m {
        var label = 0
        var nearest = Double.infinity
        for (center, values) in centers.enumerated() {
          let value = distance(points[index], values)
          if value < nearest {
            nearest = value
            label = center
          }
        }
        mass[label] += weights[index]
        for column in 0..<d { sums[label][column] += weights[index] * points[index][column] }
      }
      for center in 0..<k where mass[center] > 0 {
        var mean = sums[center].map { $0 / mass[center] }
        if metric == .cosine {
          let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
          if norm > 0 { mean = mean.map { $0 / norm } }
        }
        centers[center] = mean
      }
    }
    var result = Matrix<Scalar>(zerosWithRowCount: k, columnCount: d)
    for (row, values) in centers.enumerated() {
      for column in 0..<d { result[row, column] = Scalar(values[column]) }
    }
    return result
  }

}
