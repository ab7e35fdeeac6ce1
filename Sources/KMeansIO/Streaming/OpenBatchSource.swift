import KMeans

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
