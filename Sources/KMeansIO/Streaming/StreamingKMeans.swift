import Dispatch
import KMeans

/// Mini-batch training and prediction over a ``BatchSource``, in memory bounded by the batch
/// size, for files larger than memory.
public enum StreamingKMeans {
  /// What a streamed pass over a source found.
  public struct Summary: Sendable {
    /// Rows read.
    public var rowCount: Int
    /// Σ distance from each row to its nearest center.
    public var inertia: Double
    /// Rows per cluster.
    public var clusterSizes: [Int]
  }

  /// Trains mini-batch k-means on a source: the first
  /// ``MiniBatchConfiguration/initializationSize`` rows (default 3 × max(batch size, k))
  /// choose the centers, then each batch of the file, in file order, is one step; the source
  /// is rewound for each of `epochs` passes, and training stops early when the smoothed batch
  /// loss stops improving. Rows are not shuffled: shuffle the file beforehand if its order is
  /// not random.
  ///
  /// Memory: the initialization sample plus one batch, plus the source's own buffer.
  /// - Parameter progress: called after every step with its number and output.
  public static func fit<Source: BatchSource>(
    _ source: inout Source, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration = .init(),
    progress: ((Int, StepOutput<Source.Scalar>) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) throws -> KMeansModel<Source.Scalar> {
    var state = try MiniBatchKMeans<Source.Scalar>(
      configuration: configuration, miniBatch: miniBatch)
    let k = configuration.effectiveClusterCount
    let sampleRows = miniBatch.initializationSize ?? 3 * max(miniBatch.batchSize, k)
    try source.rewind()
    var log = MiniBatchLog(
      batchSize: miniBatch.batchSize, rowCount: source.rowCount, limit: miniBatch.maxNoImprovement)
    var rowsThisEpoch = 0
    training: for epoch in 0..<miniBatch.epochs {
      if epoch > 0 {
        try source.rewind()
        // A stream of unknown length: smooth by its size once one pass has measured it.
        if epoch == 1 && source.rowCount == nil { log.setRowCount(rowsThisEpoch) }
      }
      rowsThisEpoch = 0
      while !state.trainer.initialized {
        guard let sample = try source.nextBatch(maxRows: sampleRows) else {
          throw KMeansError.emptyInput(
            "the data ended before \(k) initial centers could be chosen")
        }
        try state.partialFit(sample)
        rowsThisEpoch += sample.rowCount
      }
      while let batch = try source.nextBatch(maxRows: miniBatch.batchSize) {
        rowsThisEpoch += batch.rowCount
        let started = DispatchTime.now().uptimeNanoseconds
        guard let output = try state.partialFit(batch) else { continue }
        let stop = log.record(output, rows: batch.rowCount, since: started)
        progress?(log.steps, output)
        if stop { break training }
        if isCancelled?() == true {
          log.cancel()
          break training
        }
      }
    }
    var model = state.model
    model.iterationCount = log.steps
    model.stopReason = log.stopReason
    model.iterationStatistics = log.statistics
    return model
  }

  /// Assigns every row of a source to its nearest center, one batch at a time, calling `body`
  /// with each batch's labels and distances; returns the totals.
  public static func predict<Source: BatchSource>(
    _ source: inout Source, model: KMeansModel<Source.Scalar>, batchRows: Int = 65_536,
    threadCount: Int? = nil,
    _ body: ([Int], [Source.Scalar]) throws -> Void = { _, _ in }
  ) throws -> Summary {
    guard source.columnCount == model.dimension else {
      throw KMeansError.dimensionMismatch(
        expected: model.dimension, actual: source.columnCount, context: "the model")
    }
    try source.rewind()
    var summary = Summary(
      rowCount: 0, inertia: 0, clusterSizes: [Int](repeating: 0, count: model.clusterCount))
    while let batch = try source.nextBatch(maxRows: batchRows) {
      let (labels, distances) = try model.predictWithDistances(batch, threadCount: threadCount)
      for label in labels { summary.clusterSizes[label] += 1 }
      summary.inertia += distances.reduce(0.0) { $0 + Double($1) }
      summary.rowCount += batch.rowCount
      try body(labels, distances)
    }
    return summary
  }
}
