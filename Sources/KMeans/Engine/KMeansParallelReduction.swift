/// The last stage of k-means‖: weighted greedy k-means++ on the candidates, then weighted
/// Lloyd steps, identically on every worker.
enum KMeansParallelReduction {
  /// Weighted greedy k-means++ on a small candidate set, then 10 weighted Lloyd steps
  /// (plain loops: the set has O(rounds·ℓ) rows).
  static func reduce<Scalar: KMeansScalar>(
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
