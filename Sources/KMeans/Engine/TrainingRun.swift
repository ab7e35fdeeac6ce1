import Foundation

/// The engine as drivers outside this module run it (the model directory, MPI ranks): rows in
/// memory (dense or sparse, with weights) or streamed, the reduction over workers, a run to
/// resume and a step budget, and a hook after every step for checkpoints. Everything else is
/// the one loop (``TrainingLoop``) that `fit` runs.
package struct TrainingRun<Scalar: KMeansScalar> {
  /// Where the worker's rows come from.
  package enum Input {
    case dense(Matrix<Scalar>, weights: [Double]?)
    case sparse(SparseMatrix<Scalar>, weights: [Double]?)
    /// Rows kept at their own width, widened a piece at a time.
    case compact(CompactMatrix<Scalar>, weights: [Double]?)
    case stream(any BatchSource<Scalar>)
    case sparseStream(any SparseBatchSource<Scalar>)
  }

  /// What a worker ends with.
  package struct Outcome {
    /// The model (global inertia, the statistics of the steps run now).
    package var model: KMeansModel<Scalar>
    /// This worker's labels and distances for the final centers.
    package var labels: [Int]
    package var distances: [Scalar]
    /// The final state of the trainer and of the loop, for a checkpoint.
    package var trainer: KMeansTrainer<Scalar>
    package var state: LoopState
  }

  package var configuration: KMeansConfiguration
  /// The reduction over workers.
  package var collectives: any Collectives = SingleProcessCollectives()
  /// The index of this worker's first row among all workers' rows.
  package var rowOffset = 0
  /// A checkpointed trainer and loop state to continue from.
  package var resume: (trainer: KMeansTrainer<Scalar>, state: LoopState)? = nil
  /// Stop (without a stop reason) once the global step reaches this.
  package var stepLimit: Int64? = nil
  package var progress: ((IterationStatistics) -> Void)? = nil
  package var isCancelled: (() -> Bool)? = nil
  /// Called after every step with the trainer and the loop's state.
  package var afterStep: ((KMeansTrainer<Scalar>, LoopState, IterationStatistics) throws -> Void)? =
    nil

  package init(configuration: KMeansConfiguration) {
    self.configuration = configuration
  }

  /// Validates this worker's rows (every worker stops when one has bad rows, naming it), then
  /// trains.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package func run(_ input: Input) throws -> Outcome {
    try configuration.validate()
    let threads = configuration.resolvedThreadCount
    switch input {
    case .dense(let matrix, let weights):
      return try trainInMemory(PreparedData.self, matrix, weights: weights)
    case .sparse(let matrix, let weights):
      return try trainInMemory(SparseData.self, matrix, weights: weights)
    case .compact(let matrix, let weights):
      var rows = try everyWorkerAgreeing {
        try CompactRows(
          matrix, weights: weights, metric: configuration.metric, threadCount: threads)
      }
      return try train(&rows)
    case .stream(let source):
      var rows = StreamRows(source, metric: configuration.metric, threadCount: threads)
      return try train(&rows)
    case .sparseStream(let source):
      var rows = StreamRows(sparse: source, metric: configuration.metric, threadCount: threads)
      return try train(&rows)
    }
  }

  /// Prepares this worker's rows in memory and trains on them; with several workers, every
  /// worker learns whether any had bad rows.
  private func trainInMemory<Data: ClusterableData<Scalar>>(
    _: Data.Type, _ input: Data.Input, weights: [Double]?
  ) throws -> Outcome {
    let data = try everyWorkerAgreeing {
      try Data(
        input, metric: configuration.metric, threadCount: configuration.resolvedThreadCount,
        weights: weights, firstRow: rowOffset, allowZeroWeight: collectives.size > 1)
    }
    var rows = MemoryRows(data)
    return try train(&rows)
  }

  /// The rows `make` prepares; with several workers, every worker learns whether any failed
  /// (``Collectives/agreeOnFailure(_:)``: a worker that failed throws its own error, the others
  /// one naming the first rank that failed).
  private func everyWorkerAgreeing<Rows>(_ make: () throws -> Rows) throws -> Rows {
    var rows: Rows? = nil
    var failure: KMeansError? = nil
    do {
      rows = try make()
    } catch let error as KMeansError {
      guard collectives.size > 1 else { throw error }
      failure = error
    }
    try collectives.agreeOnFailure(failure)
    guard let rows else { throw KMeansError.emptyInput("no rows") }
    return rows
  }

  private func train<Rows: RowSource>(_ rows: inout Rows) throws -> Outcome
  where Rows.Data.Scalar == Scalar {
    var loop = TrainingLoop<Scalar>(configuration: configuration)
    loop.collectives = collectives
    loop.rowOffset = rowOffset
    loop.progress = progress
    loop.isCancelled = isCancelled
    loop.afterStep = afterStep
    loop.tracksLabelFingerprint = afterStep != nil && configuration.miniBatch == nil
    let result = try loop.train(
      &rows, resume: resume.map { .init(trainer: $0.trainer, state: $0.state) },
      stepLimit: stepLimit)
    return Outcome(
      model: result.model, labels: result.labels.map(Int.init), distances: result.distances,
      trainer: result.trainer, state: result.state)
  }
}

extension TrainingRun.Input {
  /// `rows`, with `weights` for rows in memory (a source carries its own weights).
  package init(_ rows: TrainingRows<Scalar>, weights: [Double]?) {
    switch rows {
    case .dense(let matrix): self = .dense(matrix, weights: weights)
    case .sparse(let matrix): self = .sparse(matrix, weights: weights)
    case .compact(let matrix): self = .compact(matrix, weights: weights)
    case .stream(let source): self = .stream(source)
    case .sparseStream(let source): self = .sparseStream(source)
    }
  }
}
