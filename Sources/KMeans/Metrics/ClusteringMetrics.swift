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
  ///
  /// `data` is dense or sparse rows in memory (sparse distances come from sparse–dense
  /// products against blocks of densified rows: O(n²·nnz per row) time).
  public static func silhouette<Data: KMeansTrainable>(
    _ data: Data, labels: [Int], metric: DistanceMetric = .squaredEuclidean,
    sampleSize: Int? = nil, seed: UInt64 = 0, threadCount: Int? = nil
  ) throws -> Double {
    let threads = threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    switch data.trainingRows {
    case .dense(let matrix):
      try checkLabels(labels, rows: matrix.rowCount)
      return try silhouette(
        PreparedData(matrix, metric: metric, threadCount: threads), labels: labels,
        sampleSize: sampleSize, seed: seed)
    case .sparse(let matrix):
      try checkLabels(labels, rows: matrix.rowCount)
      return try silhouette(
        SparseData(matrix, metric: metric, threadCount: threads), labels: labels,
        sampleSize: sampleSize, seed: seed)
    case .compact(let matrix):
      try checkLabels(labels, rows: matrix.rowCount)
      return try silhouette(
        PreparedData(
          matrix.widened(rows: 0..<matrix.rowCount, threadCount: threads), metric: metric,
          threadCount: threads), labels: labels, sampleSize: sampleSize, seed: seed)
    case .stream, .sparseStream:
      throw KMeansError.invalidConfiguration("the silhouette needs the rows in memory")
    }
  }

  /// The silhouette of prepared rows: distances to blocks of 256 rows at a time, summed per
  /// cluster in row order.
  static func silhouette<Data: ClusterableData>(
    _ data: Data, labels: [Int], sampleSize: Int?, seed: UInt64
  ) throws -> Double {
    var prepared = data
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
    let n = prepared.rowCount
    let clusterCount = (sampleLabels.max() ?? 0) + 1
    let sizes = sampleLabels.reduce(into: [Int](repeating: 0, count: clusterCount)) { $0[$1] += 1 }
    let nonEmpty = sizes.filter { $0 > 0 }.count
    guard nonEmpty >= 2, nonEmpty <= n - 1 else {
      throw KMeansError.invalidConfiguration(
        "the silhouette needs 2 to n − 1 clusters; the labels have \(nonEmpty) for \(n) rows"
      )
    }
    let euclidean = data.metric == .squaredEuclidean
    var sums = [Double](repeating: 0, count: n * clusterCount)
    let block = 256
    var start = 0
    while start < n {
      let others = start..<min(n, start + block)
      let distances = prepared.allDistances(
        to: prepared.prepareCenters(prepared.rowsMatrix(Array(others))))
      let width = others.count
      for row in 0..<n {
        for (offset, other) in others.enumerated() where other != row {
          let value = Double(distances[row * width + offset])
          sums[row * clusterCount + sampleLabels[other]] += euclidean ? value.squareRoot() : value
        }
      }
      start = others.upperBound
    }
    var total = 0.0
    for row in 0..<n {
      let own = sampleLabels[row]
      guard sizes[own] > 1 else { continue }  // A singleton's silhouette is 0.
      let a = sums[row * clusterCount + own] / Double(sizes[own] - 1)
      var b = Double.infinity
      for cluster in 0..<clusterCount where cluster != own && sizes[cluster] > 0 {
        b = min(b, sums[row * clusterCount + cluster] / Double(sizes[cluster]))
      }
      let denominator = max(a, b)
      total += denominator > 0 ? (b - a) / denominator : 0
    }
    return total / Double(n)
  }

  /// The Calinski–Harabasz index (variance ratio): [B / (k − 1)] / [W / (n − k)], B the
  /// between-cluster and W the within-cluster sum of squares around the clusters' means.
  /// Higher is better.
  public static func calinskiHarabasz<Data: KMeansTrainable>(_ data: Data, labels: [Int])
    throws -> Double
  {
    try calinskiHarabasz(geometry(data.trainingRows, labels: labels))
  }

  static func calinskiHarabasz(_ geometry: ClusterGeometry) throws -> Double {
    let sizes = geometry.sizes
    let k = sizes.filter { $0 > 0 }.count
    let n = geometry.squaredDistances.count
    guard k >= 2, k < n else {
      throw KMeansError.invalidConfiguration(
        "Calinski–Harabasz needs 2 to n − 1 clusters, got \(k)")
    }
    var between = 0.0
    for (cluster, mean) in geometry.means.enumerated() where sizes[cluster] > 0 {
      between +=
        Double(sizes[cluster])
        * zip(mean, geometry.overall).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    let within = geometry.squaredDistances.reduce(0, +)
    return within == 0 ? 1 : between * Double(n - k) / (within * Double(k - 1))
  }

  /// The Davies–Bouldin index: the mean over clusters i of maxⱼ≠ᵢ (sᵢ + sⱼ) / ‖cᵢ − cⱼ‖, sᵢ the
  /// mean Euclidean distance of i's points to its mean cᵢ. Lower is better; 0 is the minimum.
  public static func daviesBouldin<Data: KMeansTrainable>(_ data: Data, labels: [Int])
    throws -> Double
  {
    try daviesBouldin(geometry(data.trainingRows, labels: labels), labels: labels)
  }

  /// The per-cluster geometry of rows in memory.
  static func geometry<Scalar>(_ rows: TrainingRows<Scalar>, labels: [Int]) throws
    -> ClusterGeometry
  {
    switch rows {
    case .dense(let matrix): return try ClusterGeometry(matrix, labels: labels)
    case .sparse(let matrix): return try ClusterGeometry(matrix, labels: labels)
    case .compact(let matrix): return try ClusterGeometry(matrix.widened(), labels: labels)
    case .stream, .sparseStream:
      throw KMeansError.invalidConfiguration("the cluster indices need the rows in memory")
    }
  }

  static func daviesBouldin(_ geometry: ClusterGeometry, labels: [Int]) throws -> Double {
    let means = geometry.means
    let sizes = geometry.sizes
    let present = (0..<means.count).filter { sizes[$0] > 0 }
    guard present.count >= 2, present.count < labels.count else {
      throw KMeansError.invalidConfiguration(
        "Davies–Bouldin needs 2 to n − 1 clusters, got \(present.count)")
    }
    var scatter = [Double](repeating: 0, count: means.count)
    for (row, squared) in geometry.squaredDistances.enumerated() {
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
}

/// Rows read one at a time as (column, value) pairs, dense or sparse.
protocol RowsAccess {
  var rowCount: Int { get }
  var columnCount: Int { get }
  /// Whether every column of every row is stored (dense rows).
  var storesEveryColumn: Bool { get }
  /// Calls `body` with each stored (column, value) of `row`, in column order.
  func forEachValue(ofRow row: Int, _ body: (Int, Double) -> Void)
}

extension Matrix: RowsAccess {
  var storesEveryColumn: Bool { true }
  func forEachValue(ofRow row: Int, _ body: (Int, Double) -> Void) {
    for column in 0..<columnCount { body(column, Double(self[row, column])) }
  }
}

extension SparseMatrix: RowsAccess {
  var storesEveryColumn: Bool { false }
  func forEachValue(ofRow row: Int, _ body: (Int, Double) -> Void) {
    for position in rowOffsets[row]..<rowOffsets[row + 1] {
      body(Int(indexStorage[position]), Double(valueStorage[position]))
    }
  }
}

/// Each cluster's mean (in Double) and size, the mean of all rows, and each row's squared
/// Euclidean distance to its cluster's mean (from the differences; for sparse rows Σ over the
/// stored values of (x − m)² − m², plus ‖m‖²).
struct ClusterGeometry {
  var means: [[Double]]
  var sizes: [Int]
  var overall: [Double]
  var squaredDistances: [Double]

  init(_ rows: some RowsAccess, labels: [Int]) throws {
    try ClusteringMetrics.checkLabels(labels, rows: rows.rowCount)
    let k = (labels.max() ?? 0) + 1
    let d = rows.columnCount
    var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
    var sizes = [Int](repeating: 0, count: k)
    var overall = [Double](repeating: 0, count: d)
    for row in 0..<rows.rowCount {
      let label = labels[row]
      sizes[label] += 1
      rows.forEachValue(ofRow: row) { column, value in
        sums[label][column] += value
        overall[column] += value
      }
    }
    let means = (0..<k).map { cluster in
      sizes[cluster] > 0 ? sums[cluster].map { $0 / Double(sizes[cluster]) } : sums[cluster]
    }
    let squaredNorms = means.map { $0.reduce(0) { $0 + $1 * $1 } }
    var distances = [Double](repeating: 0, count: rows.rowCount)
    for row in 0..<rows.rowCount {
      let mean = means[labels[row]]
      // Dense rows: Σ (x − m)² itself; sparse rows: the columns not stored add m².
      let dense = rows.storesEveryColumn
      var squared = dense ? 0 : squaredNorms[labels[row]]
      rows.forEachValue(ofRow: row) { column, value in
        let difference = value - mean[column]
        squared += difference * difference - (dense ? 0 : mean[column] * mean[column])
      }
      distances[row] = max(0, squared)
    }
    self.means = means
    self.sizes = sizes
    self.overall = overall.map { $0 / Double(max(1, rows.rowCount)) }
    self.squaredDistances = distances
  }
}
