/// The reduction of the engine's step: how the workers of one training run combine their
/// sums (MPI's allreduce and allgather). One process, threads standing in for ranks in tests
/// (``ThreadGroup``), or MPI ranks (`KMeansMPI`) implement it; everything else in a run is the
/// same code.
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

extension Collectives {
  /// The sum of one value over all workers.
  package func sum(_ value: Double) throws -> Double {
    guard size > 1 else { return value }
    var values = [value]
    try sum(&values)
    return values[0]
  }

  /// Every worker's `values`, joined in rank order.
  func gatherJoined(_ values: [Double]) throws -> [Double] {
    guard size > 1 else { return values }
    return try gather(values).flatMap { $0 }
  }

  /// Stops every worker when any reports a failure: each says whether it failed; a worker that
  /// failed throws its own error, the others throw one naming the first rank that failed.
  package func agreeOnFailure(_ failure: KMeansError?) throws {
    guard size > 1 else {
      if let failure { throw failure }
      return
    }
    var flags = [Double](repeating: 0, count: size)
    if failure != nil { flags[rank] = 1 }
    try sum(&flags)
    if let failure { throw KMeansError.rankFailure(rank: rank, message: failure.description) }
    if let bad = flags.firstIndex(where: { $0 > 0 }) {
      throw KMeansError.rankFailure(
        rank: bad, message: "stopped because rank \(bad) reported bad input")
    }
  }
}
