import KMeans

// The model directory's training entry points before `train(_:weights:steps:maxSteps:observer:)`
// took every kind of input and one observer. They compile for one release, with a deprecation
// warning, and run the same training.
extension KMeansEstimator {
  /// Trains on `input`, reporting the global step and loss after every step.
  @available(
    *, deprecated, renamed: "train(input:weights:steps:maxSteps:observer:)",
    message: "pass TrainingObserver(progress:isCancelled:); its record's iteration is the step"
  )
  @discardableResult
  public func train(
    input: EstimatorInput<Scalar>, weights: [Double]? = nil, steps: Int? = nil,
    maxSteps: Int? = nil, progress: ((Int64, Double) -> Void)?,
    isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport {
    try train(
      input: input, weights: weights, steps: steps, maxSteps: maxSteps,
      observer: Self.observer(progress, isCancelled))
  }

  /// Trains on `input` until `isCancelled`.
  @available(
    *, deprecated, renamed: "train(input:weights:steps:maxSteps:observer:)",
    message: "pass TrainingObserver(isCancelled:)"
  )
  @discardableResult
  public func train(
    input: EstimatorInput<Scalar>, weights: [Double]? = nil, steps: Int? = nil,
    maxSteps: Int? = nil, isCancelled: (() -> Bool)?
  ) throws -> TrainingReport {
    try train(
      input: input, weights: weights, steps: steps, maxSteps: maxSteps,
      observer: TrainingObserver(isCancelled: isCancelled))
  }

  /// Trains on a dense stream.
  @available(*, deprecated, renamed: "train(_:weights:steps:maxSteps:observer:)")
  @discardableResult
  public func train<Source: BatchSource>(
    stream source: Source, steps: Int? = nil, maxSteps: Int? = nil,
    progress: ((Int64, Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport where Source.Scalar == Scalar {
    try train(
      source, steps: steps, maxSteps: maxSteps, observer: Self.observer(progress, isCancelled))
  }

  /// Trains on a sparse stream.
  @available(*, deprecated, renamed: "train(_:weights:steps:maxSteps:observer:)")
  @discardableResult
  public func train<Source: SparseBatchSource>(
    sparseStream source: Source, steps: Int? = nil, maxSteps: Int? = nil,
    progress: ((Int64, Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> TrainingReport where Source.Scalar == Scalar {
    try train(
      source, steps: steps, maxSteps: maxSteps, observer: Self.observer(progress, isCancelled))
  }

  /// An observer that reports (global step, loss), as the old `progress` did.
  private static func observer(
    _ progress: ((Int64, Double) -> Void)?, _ isCancelled: (() -> Bool)?
  ) -> TrainingObserver {
    TrainingObserver(
      progress: progress.map { report in { report(Int64($0.iteration), $0.loss) } },
      isCancelled: isCancelled)
  }
}
