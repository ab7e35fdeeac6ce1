import KMeansKernels

extension SeedableData {
  /// k-MC² as TensorFlow runs it (`_kmc2_multiple_centers`): it chooses
  /// max(min(count, ⌊n / chainLength⌋), 1) centers from this batch. Without existing centers
  /// the first is row 0 (the batch is assumed shuffled). Chain i walks rows
  /// `i·chainLength ..< (i+1)·chainLength` from its first row, moving to row j when
  /// D(j)² > U·D(current)², i.e. with probability min(1, D(j)²/D(current)²), where D is the
  /// distance to the nearest center chosen so far; its last state becomes the center.
  func kmc2(
    count: Int, chainLength: Int, existing: Matrix<Scalar>?, random: inout RandomSource,
    tfCompatSeed: UInt64?
  ) -> Matrix<Scalar> {
    let n = rowCount
    let toSample = max(min(count, n / chainLength), 1)
    let earlier = existing ?? Matrix(zerosWithRowCount: 0, columnCount: columnCount)
    var newRows: [Int] = []
    for chain in 0..<toSample {
      if earlier.rowCount == 0 && newRows.isEmpty {
        newRows.append(0)
        continue
      }
      let start = chain * chainLength
      guard start < n else { break }
      let subset = start..<min(n, start + chainLength)
      let distances = weightedNearestDistances(
        ofRows: subset, to: earlier.appendingRows(rowsMatrix(newRows)))
      // TensorFlow restarts every chain from the same seed.
      var chainRandom = tfCompatSeed.map { RandomSource(seed: $0) } ?? random
      var selected = 0
      var selectedDistance = Double(distances[0])
      for candidate in 1..<distances.count {
        let distance = Double(distances[candidate])
        if distance > chainRandom.nextUnit() * selectedDistance {
          selected = candidate
          selectedDistance = distance
        }
      }
      if tfCompatSeed == nil { random = chainRandom }
      newRows.append(subset.lowerBound + selected)
    }
    return rowsMatrix(newRows)
  }

  /// w(x)·D(x)² for every row in `range` (D(x)² without weights): k-MC²'s target density.
  func weightedNearestDistances(ofRows range: Range<Int>, to centers: Matrix<Scalar>) -> [Double] {
    let distances = nearestDistances(ofRows: range, to: centers)
    return distances.indices.map {
      weight(ofRow: range.lowerBound + $0) * Double(distances[$0])
    }
  }

  /// AFK-MC² (Bachem, Lucic, Hassani & Krause, "Fast and Provably Good Seedings for k-Means",
  /// NeurIPS 2016). The proposal q(x) = ½·d(x, C₀)/Σₓ d(x, C₀) + 1/(2n), where C₀ is the
  /// first center (uniform) or the existing centers, is built in one pass; each new center is
  /// the last state of a Metropolis chain of `chainLength` draws from q that moves from x to y
  /// with probability min(1, D(y)·q(x) / (D(x)·q(y))), D being the distance to the nearest
  /// chosen center. With sample weights w the target is ∝ w·D and the proposal
  /// q(x) = ½·w(x)d(x, C₀)/Σ w·d + ½·w(x)/Σ w.
  func afkmc2(
    count: Int, chainLength: Int, existing: Matrix<Scalar>?, random: inout RandomSource
  ) -> Matrix<Scalar> {
    let n = rowCount
    var (chosen, base) = seedingStart(existing: existing, random: &random)
    let totalWeight = self.totalWeight
    var total = 0.0
    for row in 0..<n { total += weight(ofRow: row) * Double(base[row]) }
    let proposal: [Double] = (0..<n).map { row in
      let weight = weight(ofRow: row)
      return total > 0
        ? 0.5 * weight * Double(base[row]) / total + 0.5 * weight / totalWeight
        : weight / totalWeight
    }
    var cumulative = [Double](repeating: 0, count: n)
    var running = 0.0
    for row in 0..<n {
      running += proposal[row]
      cumulative[row] = running
    }
    func draw() -> Int { weightedIndex(cumulative: cumulative, random: &random) }
    let existingCenters = existing
    // The chain's target density, up to a constant: w(x)·D(x).
    func distance(_ row: Int) -> Double {
      var best = Double(nearestDistance(from: row, toRows: chosen))
      if let existingCenters, existingCenters.rowCount > 0 { best = min(best, Double(base[row])) }
      return weight(ofRow: row) * best
    }
    while chosen.count < count {
      var current = draw()
      var currentDistance = distance(current)
      for _ in 1..<max(2, chainLength) {
        let candidate = draw()
        let candidateDistance = distance(candidate)
        // Accept with probability min(1, D(y)q(x) / (D(x)q(y))).
        let numerator = candidateDistance * proposal[current]
        let denominator = currentDistance * proposal[candidate]
        if denominator == 0 ? numerator > 0 : numerator / denominator > random.nextUnit() {
          current = candidate
          currentDistance = candidateDistance
        }
      }
      chosen.append(current)
    }
    return rowsMatrix(chosen)
  }
}
