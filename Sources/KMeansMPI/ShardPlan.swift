import KMeans
import KMeansIO

/// Which rows each rank reads: contiguous, as even as possible, the first `n mod p` ranks one
/// row more.
public struct ShardPlan: Sendable, Equatable {
  /// All rows.
  public let totalRows: Int
  /// The number of ranks.
  public let rankCount: Int

  /// A plan for `totalRows` rows over `rankCount` ranks.
  public init(totalRows: Int, rankCount: Int) {
    self.totalRows = totalRows
    self.rankCount = max(1, rankCount)
  }

  /// The rows of `rank`.
  public func rows(of rank: Int) -> Range<Int> {
    (rank * totalRows / rankCount)..<((rank + 1) * totalRows / rankCount)
  }

  /// Reads only `rank`'s rows of a `.npy` file (memory-mapped, never the whole file).
  public func readShard<Scalar: KMeansScalar>(
    _ path: String, rank: Int, as _: Scalar.Type = Scalar.self
  ) throws -> Matrix<Scalar> {
    let reader = try NumPyBatchReader<Scalar>(path)
    guard reader.totalRows == totalRows else {
      throw KMeansError.shapeMismatch(
        "\(path) has \(reader.totalRows) rows, the plan \(totalRows)")
    }
    return try reader.rows(rows(of: rank))
  }
}
