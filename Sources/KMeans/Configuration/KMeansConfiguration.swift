import Foundation

/// How distances between points and centers are measured.
public enum DistanceMetric: String, Codable, Sendable, CaseIterable {
  /// ‖x − c‖². Centers are means; inertia is the sum of squared distances.
  case squaredEuclidean
  /// 1 − x·c / (‖x‖‖c‖): spherical k-means. Rows and centers are L2-normalised; a center is
  /// the mean of its rows, renormalised (Dhillon & Modha, 2001).
  case cosine
}

/// How the first centers are chosen.
public enum Initialization: Sendable, Equatable {
  /// `k` distinct rows, chosen uniformly without replacement.
  case random
  /// Greedy k-means++ (Arthur & Vassilvitskii, 2007): each new center is the best, by
  /// potential Σ min-distance, of several candidates drawn with probability ∝ D(x)².
  ///
  /// `retries` has TensorFlow's meaning (`kmeans_plus_plus_num_retries`): each step draws
  /// `1 + retries` candidates. A negative value uses scikit-learn's heuristic of
  /// `2 + ⌊ln k⌋` candidates, the default.
  case kMeansPlusPlus(retries: Int = -1)
  /// These exact centers (`k × dimension`, stored in `Double`; `Float` centers convert exactly).
  case centers(Matrix<Double>)

  /// Given centers, from a matrix of either precision.
  public static func centers<Scalar: KMeansScalar>(_ centers: Matrix<Scalar>) -> Initialization {
    .centers(centers.converted(to: Double.self))
  }

  /// The number of candidates greedy k-means++ draws per center, for `clusterCount` clusters.
  public static func kMeansPlusPlusCandidates(retries: Int, clusterCount: Int) -> Int {
    retries >= 0 ? 1 + retries : 2 + Int(log(Double(max(1, clusterCount))))
  }
}

/// Everything that steers one clustering run. Every field has a documented default;
/// ``validate()`` runs before any work.
///
/// ```swift
/// var configuration = KMeansConfiguration(clusterCount: 10)
/// configuration.seed = 42
/// configuration.metric = .cosine
/// ```
public struct KMeansConfiguration: Sendable, Equatable {
  /// The number of clusters `k`. Ignored in favour of the row count of given centers.
  public var clusterCount: Int
  /// How the first centers are chosen. Default: greedy k-means++.
  public var initialization: Initialization = .kMeansPlusPlus()
  /// The distance. Default: squared Euclidean.
  public var metric: DistanceMetric = .squaredEuclidean
  /// The most Lloyd iterations per run. Default: 300 (scikit-learn's).
  public var maxIterations: Int = 300
  /// Stop when Σⱼ ‖cⱼ − cⱼ′‖² ≤ `tolerance` × the mean per-feature variance of the data
  /// (scikit-learn's `tol`). `0` disables it. Default: 1e-4.
  public var tolerance: Double = 1e-4
  /// Stop when the loss L (Σ distances before an update) changes little:
  /// |L − L₋₁| / (1 + |L₋₁|) < `relativeTolerance` (TensorFlow's `relative_tolerance`).
  /// Default: nil (off).
  public var relativeTolerance: Double? = nil
  /// Independent runs from different seeds; the lowest inertia wins. Default: 1. Given
  /// centers always run once.
  public var restarts: Int = 1
  /// The seed of every random choice (see ``RandomSource``). Default: 0.
  public var seed: UInt64 = 0
  /// Worker threads. Default: nil, one per active core. Results do not depend on it.
  public var threadCount: Int? = nil

  /// A configuration for `clusterCount` clusters with every other field at its default.
  public init(clusterCount: Int) {
    self.clusterCount = clusterCount
  }

  /// The number of clusters this configuration produces (the rows of given centers, if any).
  public var effectiveClusterCount: Int {
    if case .centers(let centers) = initialization { return centers.rowCount }
    return clusterCount
  }

  /// Checks every field that does not depend on the data.
  /// - Throws: ``KMeansError/invalidConfiguration(_:)`` naming the field and its value.
  public func validate() throws {
    func fail(_ message: String) throws -> Never { throw KMeansError.invalidConfiguration(message) }
    if effectiveClusterCount <= 0 {
      try fail("clusterCount=\(effectiveClusterCount) must be at least 1")
    }
    if maxIterations <= 0 { try fail("maxIterations=\(maxIterations) must be at least 1") }
    if !(tolerance >= 0) || !tolerance.isFinite {
      try fail("tolerance=\(tolerance) must be finite and >= 0")
    }
    if let relativeTolerance, !(relativeTolerance >= 0) || !relativeTolerance.isFinite {
      try fail("relativeTolerance=\(relativeTolerance) must be finite and >= 0")
    }
    if restarts <= 0 { try fail("restarts=\(restarts) must be at least 1") }
    if let threadCount, threadCount <= 0 {
      try fail("threadCount=\(threadCount) must be at least 1")
    }
    if case .centers(let centers) = initialization {
      for row in 0..<centers.rowCount {
        for column in 0..<centers.columnCount where !centers[row, column].isFinite {
          try fail("initial center \(row) has a non-finite value in column \(column)")
        }
      }
    }
  }
}
