import ArgumentParser
import KMeans
import KMeansIO

/// One worker's rows of a data file: contiguous, as even as possible, the first `n mod p`
/// workers one row more.
package struct ShardRows<Scalar: KMeansScalar> {
  /// This worker's features and their sample weights.
  package var features: Features<Scalar>
  package var weights: [Double]?
  /// The index of the first row among all rows, and the row count of the whole file.
  package var rowOffset: Int
  package var totalRows: Int
}

/// Which rows each of `count` workers reads.
package func shardRange(rank: Int, count: Int, totalRows: Int) -> Range<Int> {
  (rank * totalRows / count)..<((rank + 1) * totalRows / count)
}

extension InputOptions {
  /// Worker `rank`'s rows (of `count`) of the data file and of its weights: `.npy` and
  /// `.fvecs`/`.bvecs`/`.ivecs` files are read only where this worker's rows are
  /// (memory-mapped); CSV, svmlight and `.npz` files are parsed whole, then sliced.
  package func loadShard<Scalar: KMeansScalar>(
    _: Scalar.Type, rank: Int, count: Int, weightOptions: WeightOptions?
  ) throws -> ShardRows<Scalar> {
    let lowered = data.lowercased()
    let directRead = lowered.hasSuffix(".npy") || VecsFormat(path: data) != nil
    if directRead && weightOptions?.weightColumn == nil {
      if columns != nil || labelColumn != nil {
        throw ValidationError("--columns and --label-column apply to CSV files only")
      }
      let total: Int
      let matrix: Matrix<Scalar>
      if lowered.hasSuffix(".npy") {
        let reader = try NumPyBatchReader<Scalar>(data)
        total = reader.totalRows
        matrix = try reader.rows(shardRange(rank: rank, count: count, totalRows: total))
      } else {
        let reader = try VecsReader<Scalar>(data)
        total = reader.totalRows
        matrix = try reader.rows(shardRange(rank: rank, count: count, totalRows: total))
      }
      let range = shardRange(rank: rank, count: count, totalRows: total)
      let weights = try weightOptions?.loadFile(rowCount: total).map { Array($0[range]) }
      return ShardRows(
        features: .dense(matrix), weights: weights, rowOffset: range.lowerBound,
        totalRows: total)
    }
    let (features, _, _, weights) = try loadFeatures(Scalar.self, weightOptions: weightOptions)
    let total = features.rowCount
    let range = shardRange(rank: rank, count: count, totalRows: total)
    let shard: Features<Scalar>
    switch features {
    case .dense(let matrix): shard = .dense(matrix.rows(range))
    case .compact(let matrix): shard = .compact(matrix.rows(range))
    case .sparse(let matrix): shard = .sparse(matrix.rows(Array(range)))
    }
    return ShardRows(
      features: shard, weights: weights.map { Array($0[range]) }, rowOffset: range.lowerBound,
      totalRows: total)
  }
}
