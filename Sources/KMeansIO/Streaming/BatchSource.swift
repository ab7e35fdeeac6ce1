import KMeans

/// A source of row batches: a file read a piece at a time, so that training and prediction
/// run on data larger than memory.
///
/// Memory stays bounded by the batch: a reader holds at most one batch of rows (plus, for
/// CSV, one read buffer), whatever the file's size.
public protocol BatchSource<Scalar> {
  /// The precision batches are delivered in.
  associatedtype Scalar: KMeansScalar
  /// The number of feature columns.
  var columnCount: Int { get }
  /// The number of rows, when known before reading them all (`.npy`), else nil (CSV).
  var rowCount: Int? { get }
  /// The next batch of at most `maxRows` rows, or nil at the end.
  mutating func nextBatch(maxRows: Int) throws -> Matrix<Scalar>?
  /// Starts again from the first row.
  mutating func rewind() throws
}

/// Opens a file as a batch source: `.npy`, `.fvecs`, `.bvecs` and `.ivecs` memory-mapped,
/// anything else as CSV.
public func openBatchSource<Scalar: KMeansScalar>(
  _ path: String, csvOptions: CSVReadOptions = CSVReadOptions(), as _: Scalar.Type = Scalar.self
) throws -> any BatchSource<Scalar> {
  if path.lowercased().hasSuffix(".npy") {
    return try NumPyBatchReader<Scalar>(path)
  }
  if VecsFormat(path: path) != nil {
    return try VecsReader<Scalar>(path)
  }
  return try CSVBatchReader<Scalar>(path, options: csvOptions)
}
