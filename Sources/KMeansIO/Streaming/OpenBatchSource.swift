import KMeans

/// Opens a file as a batch source: `.npy`, `.fvecs`, `.bvecs` and `.ivecs` memory-mapped,
/// anything else as CSV. A `.npy` file's rows are converted on `decodingThreadCount` threads
/// (``NumPyBatchReader/decodingThreadCount``).
public func openBatchSource<Scalar: KMeansScalar>(
  _ path: String, csvOptions: CSVReadOptions = CSVReadOptions(), decodingThreadCount: Int = 1,
  as _: Scalar.Type = Scalar.self
) throws -> any BatchSource<Scalar> {
  if path.lowercased().hasSuffix(".npy") {
    let reader = try NumPyBatchReader<Scalar>(path)
    reader.decodingThreadCount = decodingThreadCount
    return reader
  }
  if VecsFormat(path: path) != nil {
    return try VecsReader<Scalar>(path)
  }
  return try CSVBatchReader<Scalar>(path, options: csvOptions)
}
