/// Training over data sharded across workers: each worker runs the engine's one loop on its
/// own rows (``TrainingRun``), and the step's reduction sums the per-center sums, the loss and
/// the counts over the workers (O(k·d) per step, independent of n). Seeding reads a weighted
/// sample (or k-means‖ reads every row) on every worker alike, empty clusters take the
/// globally farthest points, and every stopping rule sees global figures, so a run behaves as
/// one process would: the same labels, and centers equal to about 1e-15 relative (the sums
/// are added in another order).
package enum DistributedKMeans {
  /// Trains on this worker's `shard` (rows `rowOffset ..< rowOffset + shard.rowCount` of the
  /// whole data, dense or sparse) with its sample weights; returns the model and this shard's
  /// labels.
  package static func fit<Shard: KMeansTrainable>(
    shard: Shard, weights: [Double]? = nil, rowOffset: Int, configuration: KMeansConfiguration,
    collectives: any Collectives
  ) throws -> KMeansFitResult<Shard.Scalar> {
    var run = TrainingRun<Shard.Scalar>(configuration: configuration)
    run.collectives = collectives
    run.rowOffset = rowOffset
    let outcome = try run.run(.init(shard.trainingRows, weights: weights))
    return KMeansFitResult(
      model: outcome.model, labels: outcome.labels, distances: outcome.distances)
  }
}
