import Foundation

/// Choosing k: train for each candidate k and measure, then read the elbow (kneedle) and the
/// best silhouette.
public enum ClusterCountSelection {
  /// The measures of one k.
  public struct Trial: Codable, Sendable, Equatable {
    /// The number of clusters.
    public var k: Int
    /// Σ distance to the nearest center.
    public var inertia: Double
    /// The mean silhouette (exact, or on a sample; see `ClusterCountSelection.sweep(_:weights:ks:configuration:silhouetteSampleSize:progress:)`).
    public var silhouette: Double
    /// The Calinski–Harabasz index (higher is better).
    public var calinskiHarabasz: Double
    /// The Davies–Bouldin index (lower is better).
    public var daviesBouldin: Double
    /// Seconds to train and measure.
    public var seconds: Double
    /// The cluster of each row (not encoded).
    public var labels: [Int] = []

    private enum CodingKeys: String, CodingKey {
      case k, inertia, silhouette, calinskiHarabasz, daviesBouldin, seconds
    }
  }

  /// Trains `configuration` (with its `clusterCount` replaced) for each k in `ks` and measures
  /// the result — every setting applies (seeding, metric, algorithm, mini-batch, restarts),
  /// and `weights` weigh the training and the inertia (the internal metrics are unweighted,
  /// as scikit-learn's). The silhouette is exact up to `silhouetteSampleSize` rows and taken
  /// on a seeded sample of that many rows above.
  /// - Parameters:
  ///   - data: dense or sparse rows in memory.
  ///   - weights: one sample weight per row, or nil for 1 each.
  ///   - ks: the cluster counts to try, in order.
  ///   - configuration: every other training setting.
  ///   - silhouetteSampleSize: rows above which the silhouette is taken on a seeded sample.
  ///   - progress: called after each k with the trial and the number done; return false
  ///     to stop early (e.g. on Ctrl-C), keeping the trials so far.
  public static func sweep<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, ks: [Int], configuration: KMeansConfiguration,
    silhouetteSampleSize: Int = 10_000, progress: ((Trial, Int) -> Bool)? = nil
  ) throws -> [Trial] {
    let metric = configuration.metric
    let threads = configuration.resolvedThreadCount
    let fit = { try KMeansModel.fit(data, weights: weights, configuration: $0) }
    switch data.trainingRows {
    case .dense(let matrix):
      return try sweep(
        ks: ks, configuration: configuration, silhouetteSampleSize: silhouetteSampleSize,
        progress: progress, rows: PreparedData(matrix, metric: metric, threadCount: threads),
        geometry: matrix, fit: fit)
    case .sparse(let matrix):
      return try sweep(
        ks: ks, configuration: configuration, silhouetteSampleSize: silhouetteSampleSize,
        progress: progress, rows: SparseData(matrix, metric: metric, threadCount: threads),
        geometry: matrix, fit: fit)
    case .compact(let matrix):
      // The silhouette and the indices read every row many times: widened once.
      let widened = matrix.widened(rows: 0..<matrix.rowCount, threadCount: threads)
      return try sweep(
        ks: ks, configuration: configuration, silhouetteSampleSize: silhouetteSampleSize,
        progress: progress, rows: PreparedData(widened, metric: metric, threadCount: threads),
        geometry: widened, fit: fit)
    case .stream, .sparseStream:
      throw KMeansError.invalidConfiguration("a sweep needs the rows in memory")
    }
  }

  /// The sweep over any rows: `rows` prepared for the silhouette (under the configuration's
  /// metric), `geometry` for the internal indices, `fit` to train one k.
  static func sweep<Data: ClusterableData>(
    ks: [Int], configuration: KMeansConfiguration, silhouetteSampleSize: Int,
    progress: ((Trial, Int) -> Bool)?, rows: Data, geometry: some RowsAccess,
    fit: (KMeansConfiguration) throws -> KMeansFitResult<Data.Scalar>
  ) throws -> [Trial] {
    var trials: [Trial] = []
    for k in ks {
      let started = Date()
      var settings = configuration
      settings.clusterCount = k
      let result = try fit(settings)
      let labels = result.labels
      let sample = rows.rowCount > silhouetteSampleSize ? silhouetteSampleSize : nil
      let silhouette = try ClusteringMetrics.silhouette(
        rows, labels: labels, sampleSize: sample, seed: configuration.seed)
      let clusters = try ClusterGeometry(geometry, labels: labels)
      let trial = Trial(
        k: k, inertia: result.model.inertia, silhouette: silhouette,
        calinskiHarabasz: try ClusteringMetrics.calinskiHarabasz(clusters),
        daviesBouldin: try ClusteringMetrics.daviesBouldin(clusters, labels: labels),
        seconds: Date().timeIntervalSince(started), labels: labels)
      trials.append(trial)
      if let progress, !progress(trial, trials.count) { break }
    }
    return trials
  }

  /// The elbow of a decreasing convex curve by the kneedle method (Satopää, Albrecht, Irwin &
  /// Raghavan, 2011): scale x and y to [0, 1], flip y so the curve rises, and take the x where
  /// the curve is farthest above the diagonal. nil for fewer than 3 points or a flat curve.
  public static func kneedle(xs: [Double], ys: [Double]) -> Int? {
    guard xs.count == ys.count, xs.count >= 3,
      let xMin = xs.min(), let xMax = xs.max(), let yMin = ys.min(), let yMax = ys.max(),
      xMax > xMin, yMax > yMin
    else { return nil }
    var best: Int? = nil
    var bestDifference = 0.0
    for index in xs.indices {
      let x = (xs[index] - xMin) / (xMax - xMin)
      let y = (yMax - ys[index]) / (yMax - yMin)
      let difference = y - x
      if difference > bestDifference {
        bestDifference = difference
        best = index
      }
    }
    return best
  }

  /// The elbow k of a sweep's inertia curve (kneedle).
  public static func elbow(_ trials: [Trial]) -> Int? {
    kneedle(xs: trials.map { Double($0.k) }, ys: trials.map(\.inertia)).map { trials[$0].k }
  }

  /// The k with the highest silhouette.
  public static func bestSilhouette(_ trials: [Trial]) -> Int? {
    trials.max { $0.silhouette < $1.silhouette }?.k
  }
}
