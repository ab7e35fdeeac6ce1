/// The collective operations distributed training needs (MPI's allreduce and allgather).
/// Not public API: the MPI backend implements it; ``SingleProcessCollectives`` is the trivial
/// one-rank case.
package protocol Collectives: Sendable {
  /// This worker's index, `0..<size`.
  var rank: Int { get }
  /// The number of workers.
  var size: Int { get }
  /// Replaces `values` with their element-wise sum over all workers.
  func sum(_ values: inout [Double]) throws
  /// Every worker's `values`, in rank order (lengths may differ).
  func gather(_ values: [Double]) throws -> [[Double]]
}

/// One worker: sums and gathers are identities.
package struct SingleProcessCollectives: Collectives {
  package init() {}
  package var rank: Int { 0 }
  package var size: Int { 1 }
  package func sum(_ values: inout [Double]) throws {}
  package func gather(_ values: [Double]) throws -> [[Double]] { [values] }
}

/// How distributed training chooses its first centers.
package enum DistributedInitialization: Sendable, Equatable {
  /// The same centers on every worker.
  case centers(Matrix<Double>)
  /// Greedy k-means++ on a sample gathered from every worker (`sampleSize` rows in all).
  case kMeansPlusPlusOnSample(sampleSize: Int)
  /// k-means‖ (Bahmani et al., VLDB 2012): `rounds` of oversampling with factor
  /// `oversampling`, then weighted k-means++ on the candidates.
  case kMeansParallel(rounds: Int, oversampling: Double)
}
