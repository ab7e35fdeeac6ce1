import CKMeansABI
import KMeans
import KMeansKernels

/// A failure the ABI reports with `SKM_ERROR`: its message goes to the caller's buffer.
struct ABIError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// `a × b`, or an error naming `what` when it overflows or a factor is negative.
func checkedProduct(_ a: Int64, _ b: Int64, _ what: String) throws -> Int {
  guard a >= 0, b >= 0 else { throw ABIError("\(what): negative size \(a) × \(b)") }
  let (product, overflow) = a.multipliedReportingOverflow(by: b)
  guard !overflow, let result = Int(exactly: product) else {
    throw ABIError("\(what): \(a) × \(b) elements overflow")
  }
  return result
}

/// The `skm_data` of a call, checked and read into the engine's types.
struct DataRequest {
  let data: skm_data

  init(_ pointer: UnsafePointer<skm_data>?) throws {
    guard let pointer else { throw ABIError("no data (NULL skm_data)") }
    data = pointer.pointee
    guard data.dtype == Int32(SKM_FLOAT32) || data.dtype == Int32(SKM_FLOAT64) else {
      throw ABIError("dtype \(data.dtype) is neither SKM_FLOAT32 (0) nor SKM_FLOAT64 (1)")
    }
    guard data.rows >= 0, data.columns >= 0 else {
      throw ABIError("a \(data.rows) × \(data.columns) matrix has a negative size")
    }
  }

  var isFloat: Bool { data.dtype == Int32(SKM_FLOAT32) }
  var isSparse: Bool { data.indptr != nil }
  var rowCount: Int { Int(data.rows) }
  var columnCount: Int { Int(data.columns) }

  /// One weight per row, or nil.
  func weights() -> [Double]? {
    guard let weights = data.weights else { return nil }
    return Array(UnsafeBufferPointer(start: weights, count: rowCount))
  }

  /// The rows, dense or sparse, read in place.
  func rows<Scalar: KMeansScalar>(_: Scalar.Type) throws -> TrainingRows<Scalar> {
    isSparse ? .sparse(try sparse(Scalar.self)) : .dense(try dense(Scalar.self))
  }

  /// The dense rows, read in place (no copy).
  func dense<Scalar: KMeansScalar>(_: Scalar.Type) throws -> Matrix<Scalar> {
    guard !isSparse else { throw ABIError("this call takes dense rows, not CSR") }
    let count = try checkedProduct(data.rows, data.columns, "the data")
    guard let values = data.values else {
      if count == 0 { return try Matrix(rowCount: rowCount, columnCount: columnCount, values: []) }
      throw ABIError("no values (NULL) for a \(data.rows) × \(data.columns) matrix")
    }
    // Read in place: the caller keeps the array alive and unchanged until the call returns.
    return Matrix(
      borrowing: BorrowedValues(base: values.assumingMemoryBound(to: Scalar.self), count: count),
      rowCount: rowCount, columnCount: columnCount)
  }

  /// The CSR rows: the indices and values read in place, the offsets copied (one per row),
  /// all checked by `SparseMatrix`.
  func sparse<Scalar: KMeansScalar>(_: Scalar.Type) throws -> SparseMatrix<Scalar> {
    guard let indptr = data.indptr else { throw ABIError("this call takes CSR rows") }
    guard data.nnz >= 0, data.rows < Int64.max else {
      throw ABIError("nnz=\(data.nnz) must be >= 0")
    }
    let nnz = Int(data.nnz)
    let offsets = UnsafeBufferPointer(start: indptr, count: rowCount + 1).map { Int($0) }
    guard nnz > 0 else {
      return try SparseMatrix(
        rowCount: rowCount, columnCount: columnCount, rowOffsets: offsets,
        columnIndices: [Int32](), values: [])
    }
    guard let indices = data.indices, let values = data.values else {
      throw ABIError("no values or indices (NULL) for \(nnz) stored entries")
    }
    return try SparseMatrix(
      rowCount: rowCount, columnCount: columnCount, rowOffsets: offsets,
      borrowingIndices: BorrowedValues(base: indices, count: nnz),
      values: BorrowedValues(base: values.assumingMemoryBound(to: Scalar.self), count: nnz))
  }
}

/// Reads an `skm_config` into the engine's configuration.
func configuration(_ pointer: UnsafePointer<skm_config>?, columns: Int) throws
  -> KMeansConfiguration
{
  guard let pointer else { throw ABIError("no configuration (NULL skm_config)") }
  let raw = pointer.pointee
  guard raw.n_clusters >= 1, raw.n_clusters <= Int64(Int32.max) else {
    throw ABIError("n_clusters=\(raw.n_clusters) must be in 1...\(Int32.max)")
  }
  var settings = KMeansConfiguration(clusterCount: Int(raw.n_clusters))
  settings.metric = try metric(raw.metric)
  settings.initialization = try initialization(raw, columns: columns)
  switch Int(raw.algorithm) {
  case Int(SKM_ALGORITHM_LLOYD): settings.algorithm = .lloyd
  case Int(SKM_ALGORITHM_HAMERLY): settings.algorithm = .hamerly
  case Int(SKM_ALGORITHM_YINYANG): settings.algorithm = .yinyang
  case Int(SKM_ALGORITHM_AUTOMATIC): settings.algorithm = .automatic
  default: throw ABIError("algorithm \(raw.algorithm) is not one of SKM_ALGORITHM_*")
  }
  settings.tfCompat = raw.tf_compat != 0
  if raw.max_iter != 0 { settings.maxIterations = try int(raw.max_iter, "max_iter") }
  if raw.tol >= 0 || raw.tol.isNaN { settings.tolerance = raw.tol }
  if raw.relative_tol >= 0 || raw.relative_tol.isNaN {
    settings.relativeTolerance = raw.relative_tol
  }
  if raw.n_init != 0 { settings.restarts = try int(raw.n_init, "n_init") }
  settings.seed = raw.seed
  if raw.n_threads != 0 { settings.threadCount = try int(raw.n_threads, "n_threads") }
  settings.frozenCenterCount = try int(raw.n_frozen, "n_frozen")
  if raw.max_points_per_center != 0 {
    settings.maxPointsPerCenter = try int(raw.max_points_per_center, "max_points_per_center")
  }
  switch raw.seeding_sample {
  case 0: break
  case -1: settings.seedingSampleSize = Int.max
  default: settings.seedingSampleSize = try int(raw.seeding_sample, "seeding_sample")
  }
  if raw.mini_batch != 0 {
    var miniBatch = MiniBatchConfiguration()
    if raw.batch_size != 0 { miniBatch.batchSize = try int(raw.batch_size, "batch_size") }
    if raw.steps_per_iteration != 0 {
      miniBatch.stepsPerIteration = try int(raw.steps_per_iteration, "steps_per_iteration")
    }
    if raw.max_iter != 0 { miniBatch.epochs = try int(raw.max_iter, "max_iter") }
    miniBatch.maxNoImprovement =
      raw.max_no_improvement < 0
      ? nil
      : try int(raw.max_no_improvement == 0 ? 10 : raw.max_no_improvement, "max_no_improvement")
    if raw.init_size != 0 { miniBatch.initializationSize = try int(raw.init_size, "init_size") }
    miniBatch.reassignmentRatio = raw.reassignment_ratio
    settings.miniBatch = miniBatch
  }
  try settings.validate()
  try checkLimits(raw)
  return settings
}

/// Refuses counts no run could finish: the ABI's callers pass numbers straight from users.
private func checkLimits(_ raw: skm_config) throws {
  let limits: [(String, Int64, Int64)] = [
    ("n_threads", raw.n_threads, 4_096),
    ("n_init", raw.n_init, 1_000_000),
    ("chain_length", raw.chain_length, 1 << 24),
    ("parallel_rounds", raw.parallel_rounds, 10_000),
    ("n_local_trials", raw.n_local_trials, 1 << 16),
  ]
  for (name, value, limit) in limits where value > limit {
    throw ABIError("\(name)=\(value) is above the limit of \(limit)")
  }
}

/// A non-negative 64-bit field as `Int`.
private func int(_ value: Int64, _ name: String) throws -> Int {
  guard let result = Int(exactly: value) else { throw ABIError("\(name)=\(value) is too large") }
  return result
}

func metric(_ raw: Int32) throws -> DistanceMetric {
  switch Int(raw) {
  case Int(SKM_METRIC_SQUARED_EUCLIDEAN): return .squaredEuclidean
  case Int(SKM_METRIC_COSINE): return .cosine
  default: throw ABIError("metric \(raw) is not one of SKM_METRIC_*")
  }
}

private func initialization(_ raw: skm_config, columns: Int) throws -> Initialization {
  let chain = raw.chain_length == 0 ? 200 : try int(raw.chain_length, "chain_length")
  switch Int(raw.init_method) {
  case Int(SKM_INIT_KMEANS_PLUS_PLUS):
    return .kMeansPlusPlus(retries: raw.n_local_trials <= 0 ? -1 : Int(raw.n_local_trials) - 1)
  case Int(SKM_INIT_RANDOM): return .random
  case Int(SKM_INIT_RANDOM_WITH_REPLACEMENT): return .randomWithReplacement
  case Int(SKM_INIT_KMC2): return .kmc2(chainLength: chain)
  case Int(SKM_INIT_AFKMC2): return .afkmc2(chainLength: chain)
  case Int(SKM_INIT_KMEANS_PARALLEL):
    return .kMeansParallel(
      rounds: raw.parallel_rounds == 0 ? 5 : try int(raw.parallel_rounds, "parallel_rounds"),
      oversampling: raw.parallel_oversampling > 0 ? raw.parallel_oversampling : nil)
  case Int(SKM_INIT_CENTERS):
    guard let given = raw.init_centers else {
      throw ABIError("init_method is SKM_INIT_CENTERS but init_centers is NULL")
    }
    let count = try checkedProduct(raw.n_clusters, Int64(columns), "the initial centers")
    let centers = try Matrix<Double>(
      rowCount: Int(raw.n_clusters), columnCount: columns,
      values: Array(UnsafeBufferPointer(start: given, count: count)))
    return Initialization.centers(centers)
  default: throw ABIError("init_method \(raw.init_method) is not one of SKM_INIT_*")
  }
}
