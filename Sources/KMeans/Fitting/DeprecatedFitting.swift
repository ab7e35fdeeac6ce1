// The training entry points before `KMeansModel.fit(_:weights:configuration:observer:)` took
// every kind of input. They compile for one release, with a deprecation warning naming the
// new spelling, and run the same engine.

extension KMeansModel {
  /// Clusters dense or sparse rows, reporting progress (see
  /// ``fit(_:weights:configuration:observer:)``).
  @available(
    *, deprecated, renamed: "fit(_:weights:configuration:observer:)",
    message: "pass TrainingObserver(progress:isCancelled:)"
  )
  public static func fit<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)?, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> where Data.Scalar == Scalar {
    try fit(
      data, weights: weights, configuration: configuration,
      observer: TrainingObserver(progress: progress, isCancelled: isCancelled))
  }

  /// Clusters dense or sparse rows until `isCancelled` (see
  /// ``fit(_:weights:configuration:observer:)``).
  @available(
    *, deprecated, renamed: "fit(_:weights:configuration:observer:)",
    message: "pass TrainingObserver(isCancelled:)"
  )
  public static func fit<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, configuration: KMeansConfiguration,
    isCancelled: (() -> Bool)?
  ) throws -> KMeansFitResult<Scalar> where Data.Scalar == Scalar {
    try fit(
      data, weights: weights, configuration: configuration,
      observer: TrainingObserver(isCancelled: isCancelled))
  }
}

extension MiniBatchKMeans {
  /// Mini-batch training on dense or sparse rows in memory, reporting each step's output.
  @available(
    *, deprecated,
    message:
      "set configuration.miniBatch and call KMeansModel.fit(_:weights:configuration:observer:)"
  )
  public static func fit<Data: KMeansTrainable>(
    _ data: Data, weights: [Double]? = nil, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration = .init(),
    progress: ((Int, StepOutput<Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansFitResult<Scalar> where Data.Scalar == Scalar {
    var settings = configuration
    settings.miniBatch = miniBatch
    try settings.validate()
    let threads = settings.resolvedThreadCount
    switch data.trainingRows {
    case .dense(let matrix):
      return try KMeansModel.fitInMemory(
        PreparedData(matrix, metric: settings.metric, threadCount: threads, weights: weights),
        configuration: settings, stepProgress: progress, isCancelled: isCancelled)
    case .sparse(let matrix):
      return try KMeansModel.fitInMemory(
        SparseData(matrix, metric: settings.metric, threadCount: threads, weights: weights),
        configuration: settings, stepProgress: progress, isCancelled: isCancelled)
    case .compact(let matrix):
      return try KMeansModel.fitInMemory(
        PreparedData(
          matrix.widened(), metric: settings.metric, threadCount: threads, weights: weights),
        configuration: settings, stepProgress: progress, isCancelled: isCancelled)
    case .stream, .sparseStream:
      throw KMeansError.invalidConfiguration(
        "MiniBatchKMeans.fit takes rows in memory; pass a source to KMeansModel.fit")
    }
  }
}

extension StreamingKMeans {
  /// Trains on a dense source; returns the model alone.
  @available(
    *, deprecated,
    message: "call KMeansModel.fit(_:weights:configuration:observer:) with the source"
  )
  public static func fit<Source: BatchSource>(
    _ source: inout Source, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansModel<Source.Scalar> {
    try KMeansModel.fit(
      source, configuration: configuration,
      observer: TrainingObserver(progress: progress, isCancelled: isCancelled)
    ).model
  }

  /// Trains on a sparse source; returns the model alone.
  @available(
    *, deprecated,
    message: "call KMeansModel.fit(_:weights:configuration:observer:) with the source"
  )
  public static func fit<Source: SparseBatchSource>(
    sparse source: inout Source, configuration: KMeansConfiguration,
    progress: ((IterationStatistics) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansModel<Source.Scalar> {
    try KMeansModel.fit(
      source, configuration: configuration,
      observer: TrainingObserver(progress: progress, isCancelled: isCancelled)
    ).model
  }

  /// Mini-batch training on a dense source, reporting each step's output.
  @available(
    *, deprecated,
    message:
      "set configuration.miniBatch and call KMeansModel.fit(_:weights:configuration:observer:)"
  )
  public static func fit<Source: BatchSource>(
    _ source: inout Source, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration,
    progress: ((Int, StepOutput<Source.Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansModel<Source.Scalar> {
    var settings = configuration
    settings.miniBatch = miniBatch
    try settings.validate()
    var rows = StreamRows(
      source, metric: settings.metric, threadCount: settings.resolvedThreadCount)
    var loop = TrainingLoop<Source.Scalar>(configuration: settings)
    loop.stepProgress = progress
    loop.isCancelled = isCancelled
    return try loop.train(&rows).model
  }
}

extension StreamingKMeans {
  /// Assigns every row of a sparse source, one batch at a time (see
  /// ``predict(_:model:batchRows:threadCount:_:)``).
  @available(*, deprecated, renamed: "predict(_:model:batchRows:threadCount:_:)")
  public static func predict<Source: SparseBatchSource>(
    sparse source: inout Source, model: KMeansModel<Source.Scalar>, batchRows: Int = 65_536,
    threadCount: Int? = nil,
    _ body: ([Int], [Source.Scalar]) throws -> Void = { _, _ in }
  ) throws -> Summary {
    try predict(&source, model: model, batchRows: batchRows, threadCount: threadCount, body)
  }
}
