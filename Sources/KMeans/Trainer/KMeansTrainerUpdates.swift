import Foundation
import KMeansKernels

/// Seeding from all rows, the centers a step's sums give, TensorFlow's mini-batch rule, and the
/// center shift.
extension KMeansTrainer {
  /// Validates `data` (and `weights`), then initializes from it until all centers exist (see
  /// ``initializeFully(from:)``).
  package mutating func initializeFully(with data: Matrix<Scalar>, weights: [Double]? = nil)
    throws
  {
    try initializeFully(
      from: PreparedData(data, metric: metric, threadCount: threadCount, weights: weights))
  }

  /// Initializes from the same data until all centers exist (k-MC² may take fewer than `k`
  /// per call); fails when a call adds nothing.
  mutating func initializeFully<Data: SeedableData<Scalar>>(from data: Data) throws {
    while true {
      let before = clusters.rowCount
      if try initialize(prepared: data) { return }
      if clusters.rowCount == before {
        throw KMeansError.invalidConfiguration(
          "the \(configuration.initialization.name) initializer chose \(before) of \(clusterCount) centers and then no more"
        )
      }
    }
  }

  /// Lloyd's update from per-cluster sums: each center becomes its mean.
  ///
  /// By default an empty cluster (in index order) takes the next of `candidates` (the points
  /// farthest from their centers, farthest first), which leaves its old cluster; a cosine mean
  /// of zero length keeps the old center. With `tfCompat`, centers are sums / (count + 1e-6), so
  /// an empty cluster becomes the zero vector.
  package static func centersFromSums(
    _ totals: ClusterSums, old: Matrix<Scalar>, relocating candidates: [RelocationCandidate],
    metric: DistanceMetric, tfCompat: Bool, frozen: Int = 0
  ) -> (centers: Matrix<Scalar>, centerShift: Double, relocatedClusters: Int) {
    var sums = totals
    let d = old.columnCount
    let k = old.rowCount
    var relocated = 0
    var relocatedTo: [Int: [Double]] = [:]
    if !tfCompat {
      // Frozen clusters are never re-seeded; a cluster is empty when its weight is zero.
      let empty = (frozen..<k).filter { sums.weights[$0] == 0 }
      for (cluster, point) in zip(empty, candidates) {
        for column in 0..<d {
          sums.sums[point.label * d + column] -= point.weight * point.values[column]
          sums.sums[cluster * d + column] = point.weight * point.values[column]
        }
        sums.counts[point.label] -= 1
        sums.weights[point.label] -= point.weight
        sums.counts[cluster] = 1
        sums.weights[cluster] = point.weight
        relocatedTo[cluster] = point.values
        relocated += 1
      }
    }
    var centers = Matrix<Scalar>(zerosWithRowCount: k, columnCount: d)
    for cluster in 0..<k {
      var row: [Double]
      if cluster < frozen {
        for column in 0..<d { centers[cluster, column] = old[cluster, column] }
        continue
      } else if tfCompat {
        let denominator = Double(Float(sums.weights[cluster]) + 1e-6)
        row = (0..<d).map { sums.sums[cluster * d + $0] / denominator }
      } else if sums.weights[cluster] > 0 {
        row = sums.mean(of: cluster)
      } else if let point = relocatedTo[cluster] {
        // Re-seeded with a point of weight zero: the point itself.
        row = point
      } else {
        // Emptied by a relocation: keep the old center.
        row = old.row(cluster).map(Double.init)
      }
      if metric == .cosine {
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 {
          row = row.map { $0 / norm }
        } else if !tfCompat {
          row = old.row(cluster).map(Double.init)
        }
      }
      for column in 0..<d { centers[cluster, column] = Scalar(row[column]) }
    }
    return (centers, squaredShift(from: old, to: centers), relocated)
  }

  /// TensorFlow's mini-batch rule on the updated copy: c ← c + (S − k·c)/(n + k), n ← n + k,
  /// for each center that received k > 0 points summing to S (with sample weights, k is the
  /// weight received and S the weighted sum, as scikit-learn's `MiniBatchKMeans`).
  mutating func miniBatchUpdate(_ batch: ClusterSums) -> Double {
    let d = clusters.columnCount
    var target = stepsPerIteration > 1 ? updatedCopy : clusters
    let before = target
    let renormalise = metric == .cosine && stepsPerIteration == 1 && !configuration.tfCompat
    for cluster in configuration.frozenCenterCount..<clusterCount where batch.weights[cluster] > 0 {
      let received = batch.weights[cluster]
      let denominator = weightTotals[cluster] + received
      var row = (0..<d).map { column -> Double in
        let current = Double(target[cluster, column])
        return current + (batch.sums[cluster * d + column] - received * current) / denominator
      }
      if renormalise {
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { row = row.map { $0 / norm } }
      }
      for column in 0..<d { target[cluster, column] = Scalar(row[column]) }
      weightTotals[cluster] += received
    }
    if stepsPerIteration > 1 { updatedCopy = target } else { clusters = target }
    return Self.squaredShift(from: before, to: target)
  }

  package static func squaredShift(from old: Matrix<Scalar>, to new: Matrix<Scalar>) -> Double {
    var shift = 0.0
    for row in 0..<old.rowCount {
      for column in 0..<old.columnCount {
        let moved = Double(new[row, column]) - Double(old[row, column])
        shift += moved * moved
      }
    }
    return shift
  }
}
