import Foundation
import KMeansKernels

/// Choosing, restoring and replacing the trainer's centers.
extension KMeansTrainer {
  // MARK: Initialization

  /// Chooses centers from one batch; returns whether all `k` now exist.
  ///
  /// Given centers are taken at once. Random initialization takes every row of a batch that
  /// has no more rows than centers still needed. k-means++, k-MC² and AFK-MC² need a batch
  /// with at least as many rows as centers still needed (TensorFlow asserts the same). A
  /// custom initializer may return fewer centers than needed; the next call asks again.
  @discardableResult
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public mutating func initialize(with batch: Matrix<Scalar>) throws -> Bool {
    try initialize(prepared: PreparedData(batch, metric: metric, threadCount: threadCount))
  }

  mutating func initialize<Data: SeedableData<Scalar>>(prepared batch: Data) throws -> Bool {
    if initialized { return true }
    let d = batch.columnCount
    if clusters.rowCount > 0 && clusters.columnCount != d {
      throw KMeansError.dimensionMismatch(
        expected: clusters.columnCount, actual: d, context: "the centers chosen so far")
    }
    let remaining = clusterCount - clusters.rowCount
    let existing = clusters.rowCount > 0 ? clusters : nil
    var initialization = configuration.initialization
    if configuration.tfCompat, initialization == .random { initialization = .randomWithReplacement }
    let new = try batch.initialCenters(
      initialization, count: remaining, existing: existing, random: &random)
    guard new.rowCount <= remaining else {
      throw KMeansError.invalidConfiguration(
        "the initializer returned \(new.rowCount) centers; at most \(remaining) were needed")
    }
    if new.rowCount > 0 {
      guard new.columnCount == d else {
        throw KMeansError.dimensionMismatch(
          expected: d, actual: new.columnCount, context: "the data")
      }
      let added = metric == .cosine ? new.l2NormalizedRows() : new
      clusters = clusters.appendingRows(added)
    }
    initialized = clusters.rowCount == clusterCount
    if initialized { updatedCopy = clusters }
    return initialized
  }

  /// Sets the full state, e.g. from a checkpoint. `clustersUpdated` defaults to `clusters`.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the shapes disagree with `k`.
  public mutating func restore(
    clusters: Matrix<Scalar>, counts: [Int64]? = nil, clustersUpdated: Matrix<Scalar>? = nil,
    updateInSteps: Int64? = nil, globalStep: Int64 = 0
  ) throws {
    try restore(
      clusters: clusters, counts: counts, clustersUpdated: clustersUpdated,
      updateInSteps: updateInSteps, globalStep: globalStep, weightTotals: nil)
  }

  /// ``restore(clusters:counts:clustersUpdated:updateInSteps:globalStep:)`` with the exact
  /// running weights (sample weights make `counts` a rounding of them).
  package mutating func restore(
    clusters: Matrix<Scalar>, counts: [Int64]?, clustersUpdated: Matrix<Scalar>?,
    updateInSteps: Int64?, globalStep: Int64, weightTotals: [Double]?
  ) throws {
    if let weightTotals, weightTotals.count != clusterCount {
      throw KMeansError.shapeMismatch(
        "\(weightTotals.count) running weights restored for \(clusterCount) clusters")
    }
    guard clusters.rowCount == clusterCount else {
      throw KMeansError.shapeMismatch(
        "\(clusters.rowCount) centers restored for \(clusterCount) clusters")
    }
    if let counts, counts.count != clusterCount {
      throw KMeansError.shapeMismatch(
        "\(counts.count) counts restored for \(clusterCount) clusters")
    }
    if let clustersUpdated,
      clustersUpdated.rowCount != clusterCount
        || clustersUpdated.columnCount != clusters.columnCount
    {
      throw KMeansError.shapeMismatch("clusters_updated does not have the shape of clusters")
    }
    self.clusters = clusters
    self.updatedCopy = clustersUpdated ?? clusters
    if let counts { self.weightTotals = counts.map(Double.init) }
    if let weightTotals { self.weightTotals = weightTotals }
    if let updateInSteps { self.updateInSteps = updateInSteps }
    self.globalStep = globalStep
    self.initialized = true
  }

  /// Moves the given centers to new positions and sets their counts (mini-batch reassignment).
  mutating func replaceCenters(_ indices: [Int], with rows: Matrix<Scalar>, count: Double) {
    let replacement = metric == .cosine ? rows.l2NormalizedRows() : rows
    for (position, cluster) in indices.enumerated() {
      for column in 0..<clusters.columnCount {
        clusters[cluster, column] = replacement[position, column]
        updatedCopy[cluster, column] = replacement[position, column]
      }
      weightTotals[cluster] = count
    }
  }

  /// Takes the given centers (already checked), normalised under cosine.
  mutating func initialize(givenCenters centers: Matrix<Scalar>) throws {
    try centers.checkInitialCenters(count: clusterCount, dimension: nil, metric: metric)
    clusters = metric == .cosine ? centers.l2NormalizedRows() : centers
    updatedCopy = clusters
    initialized = true
  }
}
