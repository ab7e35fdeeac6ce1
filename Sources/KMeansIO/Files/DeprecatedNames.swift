import KMeans

// The file-format verbs before every format read with `read` and wrote with `write`. They
// compile for one release, with a deprecation warning naming the new spelling.

extension ModelFile {
  /// Writes a model (see ``write(_:hierarchy:to:)``).
  @available(*, deprecated, renamed: "write(_:hierarchy:to:)")
  public static func save<Scalar: KMeansScalar>(
    _ model: KMeansModel<Scalar>, hierarchy: BisectingKMeansModel<Scalar>? = nil, to path: String
  ) throws {
    try write(model, hierarchy: hierarchy, to: path)
  }

  /// Reads a JSON model (see ``read(_:)``).
  @available(*, deprecated, renamed: "read(_:)")
  public static func load(_ path: String) throws -> AnyKMeansModel { try readJSON(path) }

  /// Reads a JSON model or `.npy` centers (see ``read(_:)``).
  @available(*, deprecated, renamed: "read(_:)")
  public static func loadAny(_ path: String) throws -> AnyKMeansModel { try read(path) }

  /// Reads `.npy` centers (see ``readCenters(_:metric:)``).
  @available(*, deprecated, renamed: "readCenters(_:metric:)")
  public static func loadCenters(_ path: String, metric: DistanceMetric = .squaredEuclidean)
    throws -> AnyKMeansModel
  {
    try readCenters(path, metric: metric)
  }

  /// Reads a stored bisecting tree (see ``readHierarchy(_:as:)``).
  @available(*, deprecated, renamed: "readHierarchy(_:as:)")
  public static func loadHierarchy<Scalar: KMeansScalar>(_ path: String, as type: Scalar.Type)
    throws -> BisectingKMeansModel<Scalar>?
  {
    try readHierarchy(path, as: type)
  }
}

extension NumPyFile {
  /// Reads a 1-D or 2-D array (see ``read(_:as:)``).
  @available(*, deprecated, renamed: "read(_:as:)")
  public static func readMatrix<Scalar: KMeansScalar>(
    _ path: String, as type: Scalar.Type = Scalar.self
  ) throws -> Matrix<Scalar> {
    try read(path, as: type)
  }
}

extension VecsFile {
  /// Writes `.fvecs` (see `write(_:to:)`).
  @available(*, deprecated, renamed: "write(_:to:)")
  public static func writeFvecs<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>, to path: String)
    throws
  {
    try write(matrix, to: path)
  }

  /// Writes `.ivecs`.
  @available(*, deprecated, renamed: "write(_:to:)")
  public static func writeIvecs(_ values: [Int], to path: String) throws {
    try write(values, to: path)
  }
}
