/// What one Lloyd iteration did, recorded on the model (FAISS keeps the same log).
public struct IterationStatistics: Codable, Sendable, Equatable {
  /// 1-based iteration number.
  public var iteration: Int
  /// Σ distance from each point to its nearest center, before this iteration's update
  /// (TensorFlow's `loss`).
  public var loss: Double
  /// Σⱼ ‖cⱼ − cⱼ′‖², how far the centers moved in this update.
  public var centerShift: Double
  /// The number of empty clusters moved to far points in this update.
  public var relocatedClusters: Int
  /// The number of points whose label changed in this iteration's assignment.
  public var changedLabels: Int
  /// Wall-clock seconds the iteration took.
  public var seconds: Double
  /// With Hamerly's bounds (``LloydAlgorithm/hamerly``): the points whose distances to every
  /// center were computed in this iteration (the others were proven to stay). nil otherwise.
  /// A count of work: where most bounds of a piece of rows fail, the whole piece is assigned
  /// afresh, so it can move with the thread count (the labels and centers never do).
  public var fullyAssignedPoints: Int? = nil
  /// The rows the step visited, on every rank together: all of them for a full-batch step,
  /// the batch for a mini-batch step. nil in records written before it was kept.
  public var rows: Int? = nil

  /// Creates a record of one iteration.
  public init(
    iteration: Int, loss: Double, centerShift: Double, relocatedClusters: Int,
    changedLabels: Int, seconds: Double
  ) {
    self.iteration = iteration
    self.loss = loss
    self.centerShift = centerShift
    self.relocatedClusters = relocatedClusters
    self.changedLabels = changedLabels
    self.seconds = seconds
  }
}

/// Why a run stopped.
public enum StopReason: String, Codable, Sendable {
  /// No label changed between two assignments (strict convergence).
  case labelsUnchanged
  /// The center shift fell to the tolerance (scikit-learn's rule).
  case centerShiftTolerance
  /// The relative loss change fell below the relative tolerance (TensorFlow's rule).
  case relativeLossTolerance
  /// `maxIterations` (or the mini-batch epochs) ran out first.
  case maxIterations
  /// The smoothed mini-batch loss did not improve for `maxNoImprovement` steps.
  case noImprovement
  /// The caller asked to stop (e.g. Ctrl-C); the model is the one reached so far.
  case cancelled
}
