import Foundation
import KMeansKernels

/// Internal measures of a clustering (no true labels needed), as scikit-learn computes them.
///
/// Distances are Euclidean (not squared) for the squared-Euclidean metric, and 1 − cos for
/// cosine, as `sklearn.metrics` uses them with `metric="euclidean"` or `"cosine"`.
public enum ClusteringMetrics {
  /// The mean silhouette coefficient (Rousseeuw, 1987): for each point, a = mean distance to
  /// the other points of its cluster, b = the smallest mean distance to another cluster, and
  /// s = (b − a) / max(a, b) (0 for a point alone in its cluster). In [−1, 1]; higher is better.
  ///
  /// Exact: O(n²·d) time with distances from GEMM in chunks of rows, O(n·chunk) memory. With
  /// `sampleSize`, the silhouette of a seeded sample of that many rows (scikit-learn's
  /// `sample_size`), for large data.
  /// - Throws: ``KMeansError`` for mismatched lengths, fewer than 2 or more than n − 1
  ///   clusters, or invalid data.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func silhouette<Scalar: KMeansScalar>(
    _ data: Matrix<Scalar>, labels: [Int], metric: DistanceMetric = .squaredEuclidean,
    sampleSize: Int? = nil, seed: UInt64 = 0, threadCount: Int? = nil
  ) throws -> Double {
    try checkLabels(labels, rows: data.rowCount)
    let threads = threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    var prepared = try PreparedData(data, metric: metric, threadCount: threads)
    var sampleLabels = labels
    if let sampleSize, sampleSize < data.rowCount {
      guard sampleSize >= 2 else {
        throw KMeansError.invalidConfiguration("sampleSize=\(sampleSize) must be at least 2")
      }
      var random = RandomSource(seed: seed)
      let rows = prepared.randomDistinctRows(count: sampleSize, random: &random)
      prepared = prepared.gathered(rows)
      sampleLabels = rows.map { labels[$0] }
    }
    let n = prepared.points.rowCount
    let clusterCount = (sampleLabels.max() ?? 0) + 1
    let sizes = sampleLabels.reduce(into: [Int](repeating: 0, count: clusterCount)) { $0[$1] += 1 }
    let nonEmpty = sizes.filter { $0 > 0 }.count
    guard nonEmpty >= 2, nonEmpty <= n - 1 else {
      throw KMeansError.invalidConfiguration(
        "the silhouette needs 2 to n − 1 clusters; the labels have \(nonEmpty) for \(n) rows"
      )
    }
    let everyone = PreparedCenters(prepared.points)
    let chunk = max(1, min(256, (1 << 22) / max(1, n)))
    var total = 0.0
    var start = 0
    while start < n {
      let rows = start..<min(n, start + chunk)
      let block = prepared.rows(rows).allDistances(to: everyone)
      for (offset, row) in rows.enumerated() {
        var sums = [Double](repeating: 0, count: clusterCount)
        for other in 0..<n where other != row {
          let value = Double(block[offset * n + other])
          sums[sampleLabels[other]] += metric == .cosine ? value : value.squareRoot()
        }
        let own = sampleLabels[row]
        guard sizes[own] > 1 else { continue }  // A singleton's silhouette is 0.
        let a = sums[own] / Double(sizes[own] - 1)
        var b = Double.infinity
        for cluster in 0..<clusterCount where cluster != own && sizes[cluster] > 0 {
          b = min(b, sums[cluster] / Double(sizes[cluster]))
        }
        let denominator = max(a, b)
        total += denominator > 0 ? (b - a) / denominator : 0
      }
      start = rows.upperBound
    }
    return total / Double(n)
  }

  /// The Calinski–Harabasz index (variance ratio): [B / (k − 1)] / [W / (n − k)], B the
  /// between-cluster and W the within-cluster sum of squares around the clusters' means.
  /// Higher is better.
  public static func calinskiHarabasz<Scalar: KMeansScalar>(
    _ data: Matrix<Scalar>, labels: [Int]
  ) throws -> Double {
    let (means, sizes, overall) = try clusterMeans(data, labels: labels)
    let k = sizes.filter { $0 > 0 }.count
    let n = data.rowCount
    guard k >= 2, k < n else {
      throw KMeansError.invalidConfiguration(
        "Calinski–Harabasz needs 2 to n − 1 clusters, got \(k)")
    }
    var between = 0.0
    for (cluster, mean) in means.enumerated() where sizes[cluster] > 0 {
      between +=
        Double(sizes[cluster]) * zip(mean, overall).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    var within = 0.0
    for row in 0..<n {
      let mean = means[labels[row]]
      for column in 0..<data.columnCount {
        let difference = Double(data[row, column]) - mean[column]
        within += difference * difference
      }
    }
    return within == 0 ? 1 : between * Double(n - k) / (within * Double(k - 1))
  }

  /// The Davies–Bouldin index: the mean over clusters i of maxⱼ≠ᵢ (sᵢ + sⱼ) / ‖cᵢ − cⱼ‖, sᵢ the
  /// mean Euclidean distance of i's points to its mean cᵢ. Lower is better; 0 is the minimum.
  public static func daviesBouldin<Scalar: KMeansScalar>(_ data: Matrix<Scalar>, labels: [Int])
    throws -> Double
  {
    let (means, sizes, _) = try clusterMeans(data, labels: labels)
    let present = (0..<means.count).filter { sizes[$0] > 0 }
    guard present.count >= 2, present.count < data.rowCount else {
      throw KMeansError.invalidConfiguration(
        "Davies–Bouldin needs 2 to n − 1 clusters, got \(present.count)")
    }
    var scatter = [Double](repeating: 0, count: means.count)
    for row in 0..<data.rowCount {
      let mean = means[labels[row]]
      var squared = 0.0
      for column in 0..<data.columnCount {
        let difference = Double(data[row, column]) - mean[column]
        squared += difference * difference
      }
      scatter[labels[row]] += squared.squareRoot()
    }
    for cluster in present { scatter[cluster] /= Double(sizes[cluster]) }
    var total = 0.0
    for i in present {
      var worst = 0.0
      for j in present where j != i {
        let separation = zip(means[i], means[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
          .squareRoot()
        let ratio = separation > 0 ? (scatter[i] + scatter[j]) / separation : .infinity
        worst = max(worst, ratio)
      }
      total += worst
    }
    return total / Double(present.count)
  }

  static func checkLabels(_ labels: [Int], rows: Int) throws {
    guard labels.count == rows else {
      throw KMeansError.shapeMismatch("\(labels.count) labels for \(rows) rows")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 }) {
      throw KMeansError.invalidConfiguration("label \(labels[bad]) at row \(bad) is negative")
    }
  }

  /// Each cluster's mean (in Double), its size, and the mean of all rows.
  static func clusterMeans<Scalar: KMeansScalar>(_ data: Matrix<Scalar>, labels: [Int]) throws -> (
    [[Double]], [Int], [Double]
  ) {
    try checkLabels(labels, rows: data.rowCount)
    let k = (labels.max() ?? 0) + 1
    let d = data.columnCount
    var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
    var sizes = [Int](repeating: 0, count: k)
    var overall = [Double](repeating: 0, count: d)
    for row in 0..<data.rowCount {
      let label = labels[row]
      sizes[label] += 1
      for column in 0..<d {
        let value = Double(data[row, column])
        sums[label][column] += value
        overall[column] += value
      }
    }
    let means = (0..<k).map { cluster in
      sizes[cluster] > 0 ? sums[cluster].map { $0 / Double(sizes[cluster]) } : sums[cluster]
    }
    return (means, sizes, overall.map { $0 / Double(max(1, data.rowCount)) })
  }
}
