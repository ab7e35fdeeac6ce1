import Foundation
import KMeansKernels

/// Bisecting k-means (Steinbach, Karypis & Kumar, 2000; scikit-learn's `BisectingKMeans`,
/// Spark's): start from one cluster and split a leaf in two with 2-means until there are k
/// leaves. The hierarchy is kept, and prediction walks it from the root, taking the nearer
/// child at each split.
public struct BisectingKMeansModel<Scalar: KMeansScalar>: Sendable, Codable, Equatable {
  /// Which leaf is split next.
  public enum Strategy: String, Codable, Sendable, CaseIterable {
    /// The leaf with the largest sum of squared distances to its center.
    case biggestInertia
    /// The leaf with the most points.
    case largestCluster
  }

  /// One cluster of the hierarchy.
  public struct Node: Codable, Sendable, Equatable {
    /// Its center (the mean of its points).
    public var center: [Scalar]
    /// Its points' Σ squared distance to the center.
    public var inertia: Double
    /// Its number of points.
    public var size: Int
    /// The two halves it was split into (indices into ``nodes``), or nil for a leaf.
    public var children: [Int]?
    /// The cluster index of a leaf (0..<k in left-to-right order), nil for inner nodes.
    public var label: Int?

    /// A node with every field given (e.g. a tree kept by a binding between calls).
    package init(center: [Scalar], inertia: Double, size: Int, children: [Int]?, label: Int?) {
      self.center = center
      self.inertia = inertia
      self.size = size
      self.children = children
      self.label = label
    }
  }

  /// Every node; `nodes[0]` is the root (all the data).
  public private(set) var nodes: [Node]
  /// The strategy used.
  public let strategy: Strategy
  /// The distance every split and every prediction uses.
  public let metric: DistanceMetric

  package init(nodes: [Node], strategy: Strategy, metric: DistanceMetric) {
    self.nodes = nodes
    self.strategy = strategy
    self.metric = metric
  }

  private enum CodingKeys: String, CodingKey { case nodes, strategy, metric }

  /// Decodes a tree (trees saved before metrics were recorded are squared Euclidean).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    nodes = try container.decode([Node].self, forKey: .nodes)
    strategy = try container.decode(Strategy.self, forKey: .strategy)
    metric =
      try container.decodeIfPresent(DistanceMetric.self, forKey: .metric) ?? .squaredEuclidean
  }

  /// Encodes the nodes, the strategy and the metric.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(nodes, forKey: .nodes)
    try container.encode(strategy, forKey: .strategy)
    try container.encode(metric, forKey: .metric)
  }

  /// The number of clusters (leaves).
  public var clusterCount: Int { nodes.filter { $0.children == nil }.count }

  /// The leaves' centers, in label order.
  public var centers: Matrix<Scalar> {
    let leaves = nodes.filter { $0.label != nil }.sorted { ($0.label ?? 0) < ($1.label ?? 0) }
    // swift-format-ignore: NeverUseForceTry
    return try! Matrix(rows: leaves.map(\.center))
  }

  /// Σ over leaves of their inertia.
  public var inertia: Double { nodes.filter { $0.children == nil }.reduce(0) { $0 + $1.inertia } }

  /// Trains: splits leaves with 2-means (the configuration's metric, initialization,
  /// restarts, algorithm and stopping rules, seed + split number) until
  /// `configuration.clusterCount` leaves exist. With `weights`, centers are weighted means and
  /// inertias weighted sums (a row of weight w counts w times), as scikit-learn's
  /// `BisectingKMeans(sample_weight=)`. Under cosine, rows and centers are unit length and
  /// inertia is Σ w·(1 − cos).
  /// - Throws: ``KMeansError`` for invalid configuration, data or weights, or when no leaf with
  ///   at least two distinct points is left to split.
  public static func fit(
    _ data: Matrix<Scalar>, weights: [Double]? = nil, configuration: KMeansConfiguration,
    strategy: Strategy = .biggestInertia
  ) throws -> (model: BisectingKMeansModel, labels: [Int]) {
    try configuration.validate()
    if configuration.miniBatch != nil {
      throw KMeansError.invalidConfiguration(
        "bisecting k-means splits with full-batch 2-means (no mini-batch)")
    }
    let k = configuration.clusterCount
    let metric = configuration.metric
    // Validated (and normalised under cosine) once; each split gathers its rows from it.
    let prepared = try PreparedData(
      data, metric: metric, threadCount: configuration.resolvedThreadCount, weights: weights)
    let points = prepared.points
    var members: [[Int]] = [Array(0..<data.rowCount)]
    var nodes = [Self.node(points, rows: members[0], weights: weights, metric: metric)]
    var leaves = [0]
    var split = 0
    while leaves.count < k {
      let candidates = leaves.filter { nodes[$0].size >= 2 && nodes[$0].inertia > 0 }
      let chosen: Int?
      switch strategy {
      case .biggestInertia: chosen = candidates.max { nodes[$0].inertia < nodes[$1].inertia }
      case .largestCluster: chosen = candidates.max { nodes[$0].size < nodes[$1].size }
      }
      guard let leaf = chosen else {
        throw KMeansError.tooFewDistinctPoints(distinct: leaves.count, clusterCount: k)
      }
      let rows = members[leaf]
      let subset = prepared.rowsMatrix(rows)
      var settings = configuration
      settings.clusterCount = 2
      if case .centers = settings.initialization { settings.initialization = .kMeansPlusPlus() }
      settings.seed = configuration.seed &+ UInt64(split)
      settings.frozenCenterCount = 0
      let halves = try KMeansModel.fit(
        subset, weights: weights.map { w in rows.map { w[$0] } }, configuration: settings
      ).labels
      split += 1
      var parts: [[Int]] = [[], []]
      for (index, row) in rows.enumerated() { parts[halves[index]].append(row) }
      let left = nodes.count
      nodes.append(Self.node(points, rows: parts[0], weights: weights, metric: metric))
      nodes.append(Self.node(points, rows: parts[1], weights: weights, metric: metric))
      members.append(parts[0])
      members.append(parts[1])
      members[leaf] = []
      nodes[leaf].children = [left, left + 1]
      leaves.removeAll { $0 == leaf }
      leaves += [left, left + 1]
    }
    // Label the leaves left to right.
    var model = BisectingKMeansModel(nodes: nodes, strategy: strategy, metric: metric)
    var next = 0
    func label(_ index: Int) {
      if let children = model.nodes[index].children {
        children.forEach(label)
      } else {
        model.nodes[index].label = next
        next += 1
      }
    }
    label(0)
    var labels = [Int](repeating: 0, count: data.rowCount)
    for (index, rows) in members.enumerated() where model.nodes[index].children == nil {
      for row in rows { labels[row] = model.nodes[index].label ?? 0 }
    }
    return (model, labels)
  }

  /// A node of `rows`: its (weighted) mean, unit length under cosine, and Σ w·distance.
  static func node(
    _ data: Matrix<Scalar>, rows: [Int], weights: [Double]?, metric: DistanceMetric
  ) -> Node {
    let d = data.columnCount
    var mean = [Double](repeating: 0, count: d)
    var total = 0.0
    for row in rows {
      let weight = weights?[row] ?? 1
      total += weight
      for column in 0..<d { mean[column] += weight * Double(data[row, column]) }
    }
    mean = mean.map { $0 / (total > 0 ? total : 1) }
    if metric == .cosine {
      let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 0 { mean = mean.map { $0 / norm } }
    }
    let center = mean.map { Scalar($0) }
    var inertia = 0.0
    for row in rows {
      inertia += (weights?[row] ?? 1) * Double(Self.distance(data.row(row), center, metric))
    }
    return Node(center: center, inertia: inertia, size: rows.count, children: nil, label: nil)
  }

  static func distance(_ x: [Scalar], _ center: [Scalar], _ metric: DistanceMetric) -> Scalar {
    RowChecks.distance(x, center, metric == .cosine ? .cosine : .squaredEuclidean)
  }

  /// The leaf each row reaches by walking down from the root, taking the nearer child.
  public func predict(_ data: Matrix<Scalar>) throws -> [Int] {
    guard data.columnCount == nodes[0].center.count else {
      throw KMeansError.dimensionMismatch(
        expected: nodes[0].center.count, actual: data.columnCount, context: "the model")
    }
    let points = metric == .cosine ? data.l2NormalizedRows() : data
    return (0..<points.rowCount).map { row in
      let point = points.row(row)
      var index = 0
      while let children = nodes[index].children {
        let distances = children.map { Self.distance(point, nodes[$0].center, metric) }
        index = distances[1] < distances[0] ? children[1] : children[0]
      }
      return nodes[index].label ?? 0
    }
  }
}
