import Foundation
import KMeansKernels

/// A fitted k-means model: the centers, the distance, and how training went.
///
/// ```swift
/// let result = try KMeansModel.fit(points, configuration: KMeansConfiguration(clusterCount: 10))
/// let labels = try result.model.predict(newPoints)
/// ```
public struct KMeansModel<Scalar: KMeansScalar>: Sendable, Equatable {
  /// The centers, `clusterCount × dimension` (unit length under cosine).
  public var centers: Matrix<Scalar>
  /// The distance the model was trained with and predicts with.
  public var metric: DistanceMetric
  /// Σ distance from each training point to its assigned center, for the final centers.
  public var inertia: Double
  /// Lloyd iterations run by the winning restart.
  public var iterationCount: Int
  /// Why the winning restart stopped.
  public var stopReason: StopReason
  /// One record per iteration of the winning restart.
  public var iterationStatistics: [IterationStatistics]
  /// The names of the feature columns, in the centers' column order, when the training data
  /// had names (e.g. a CSV header). Prediction from a CSV file selects these columns by name.
  public var featureNames: [String]? = nil

  /// The number of clusters.
  public var clusterCount: Int { centers.rowCount }
  /// The number of features.
  public var dimension: Int { centers.columnCount }

  /// Creates a model from centers, e.g. to predict with centers trained elsewhere. Under
  /// cosine the centers are scaled to unit length.
  public init(
    centers: Matrix<Scalar>, metric: DistanceMetric, inertia: Double = .nan,
    iterationCount: Int = 0, stopReason: StopReason = .maxIterations,
    iterationStatistics: [IterationStatistics] = []
  ) {
    self.centers = metric == .cosine ? centers.unitRowsIfNeeded() : centers
    self.metric = metric
    self.inertia = inertia
    self.iterationCount = iterationCount
    self.stopReason = stopReason
    self.iterationStatistics = iterationStatistics
  }
}

extension KMeansModel: Codable {
  private enum CodingKeys: String, CodingKey {
    case format, dtype, metric, centers, inertia, iterationCount, stopReason, iterationStatistics
    case featureNames
  }

  /// The `format` tag written into every model file.
  public static var formatTag: String { "swift-kmeans-model/1" }

  /// Decodes a model, checking that it was saved in this precision.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let dtype = try container.decode(String.self, forKey: .dtype)
    guard dtype == Scalar.dtypeName else {
      throw DecodingError.dataCorruptedError(
        forKey: .dtype, in: container,
        debugDescription: "the model holds \(dtype) centers, not \(Scalar.dtypeName)")
    }
    centers = try container.decode(Matrix<Scalar>.self, forKey: .centers)
    metric = try container.decode(DistanceMetric.self, forKey: .metric)
    inertia = try container.decodeIfPresent(Double.self, forKey: .inertia) ?? .nan
    iterationCount = try container.decode(Int.self, forKey: .iterationCount)
    stopReason = try container.decode(StopReason.self, forKey: .stopReason)
    iterationStatistics = try container.decode(
      [IterationStatistics].self, forKey: .iterationStatistics)
    featureNames = try container.decodeIfPresent([String].self, forKey: .featureNames)
    if let featureNames, featureNames.count != centers.columnCount {
      throw DecodingError.dataCorruptedError(
        forKey: .featureNames, in: container,
        debugDescription: "\(featureNames.count) feature names for \(centers.columnCount) columns")
    }
  }

  /// Encodes the model with a format tag and its precision (`dtype`).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(Self.formatTag, forKey: .format)
    try container.encode(Scalar.dtypeName, forKey: .dtype)
    try container.encode(metric, forKey: .metric)
    try container.encode(centers, forKey: .centers)
    if inertia.isFinite { try container.encode(inertia, forKey: .inertia) }
    try container.encode(iterationCount, forKey: .iterationCount)
    try container.encode(stopReason, forKey: .stopReason)
    try container.encode(iterationStatistics, forKey: .iterationStatistics)
    try container.encodeIfPresent(featureNames, forKey: .featureNames)
  }
}

/// A model together with the labels of the data it was fitted on.
public struct KMeansFitResult<Scalar: KMeansScalar>: Sendable {
  /// The fitted model.
  public var model: KMeansModel<Scalar>
  /// The cluster of each training row, for the final centers.
  public var labels: [Int]
  /// The distance of each training row to its center.
  public var distances: [Scalar]

  package init(model: KMeansModel<Scalar>, labels: [Int], distances: [Scalar]) {
    self.model = model
    self.labels = labels
    self.distances = distances
  }
}
