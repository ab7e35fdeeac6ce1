/// How a training step moves the centers after assigning points to them.
public enum TrainingMode: Sendable, Equatable, Codable {
  /// Every step sees all the data; each center becomes the mean of its points (Lloyd).
  case fullBatch
  /// Every step sees one batch; TensorFlow's rule moves each center toward its batch points:
  /// c ← c + (S − k·c)/(n + k), n ← n + k, for a center with running count n receiving k
  /// points that sum to S (Sculley, 2010).
  ///
  /// With `stepsPerIteration == 1` the counts start at one and are never reset. With more,
  /// the update goes to a second copy of the centers, and every `stepsPerIteration` steps the
  /// assigning copy takes it and the counts restart from zero.
  case miniBatch(stepsPerIteration: Int)
}

/// What one training step produced for one shard of its input.
public struct ShardStepOutput<Scalar: KMeansScalar>: Sendable {
  /// The nearest center of each row (TensorFlow's `cluster_idx`).
  public var clusterIndices: [Int]
  /// The distance of each row to that center (TensorFlow's `scores`).
  public var scores: [Scalar]
  /// All distances, `rows × k`, only when the step was asked for them (`all_scores`).
  public var allScores: Matrix<Scalar>?
}

/// What one training step produced.
public struct StepOutput<Scalar: KMeansScalar>: Sendable {
  /// One entry per input shard, in order.
  public var shards: [ShardStepOutput<Scalar>]
  /// Σ scores over every shard, before this step's update (TensorFlow's `loss`).
  public var loss: Double
  /// Σⱼ ‖cⱼ − cⱼ′‖² of the centers this step updated.
  public var centerShift: Double
  /// Empty clusters moved to far points (full batch without `tfCompat`).
  public var relocatedClusters: Int
  /// Whether the two-copy sync ran at the start of this step (mini-batch, more than one step
  /// per iteration).
  public var syncRanAtStart: Bool
}
