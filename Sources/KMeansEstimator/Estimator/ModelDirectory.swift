import Foundation
import KMeans
import KMeansIO

/// Reading and writing the checkpoints of a model directory, TensorFlow's way:
/// `model.ckpt-<step>.{index,data-00000-of-00001}` and the `checkpoint` file.
///
/// Variables, as TensorFlow's k-means estimator names them: `clusters` (float32 `[k, d]`),
/// `initialized` (bool), `global_step` (int64), and for mini-batch the counts `Variable`
/// (int64 `[k]`), plus `clusters_updated` (float32 `[k, d]`) and `update_in_steps` (int64)
/// with more than one step per iteration. A `Double` model also stores `clusters_float64`
/// (and `clusters_updated_float64`) as float64, which swift-kmeans reads back exactly while
/// TensorFlow reads the float32 copies and ignores the rest.
public enum ModelDirectory {
  /// The prefix of the checkpoint at `step`.
  public static func prefix(directory: String, step: Int64) -> String {
    (directory as NSString).appendingPathComponent("model.ckpt-\(step)")
  }

  /// The latest checkpoint's prefix: from the `checkpoint` file, or (when it is missing) the
  /// highest-numbered `model.ckpt-N.index`; nil when the directory has none.
  public static func latestCheckpoint(directory: String) throws -> String? {
    if let state = try CheckpointState.read(directory: directory) {
      let path =
        state.latest.hasPrefix("/")
        ? state.latest : (directory as NSString).appendingPathComponent(state.latest)
      return path
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let steps = names.compactMap { name -> Int64? in
      guard name.hasPrefix("model.ckpt-"), name.hasSuffix(".index") else { return nil }
      return Int64(name.dropFirst("model.ckpt-".count).dropLast(".index".count))
    }
    return steps.max().map { prefix(directory: directory, step: $0) }
  }

  static func tensors<Scalar: KMeansScalar>(_ variables: CheckpointVariables<Scalar>)
    -> [BundleTensor]
  {
    let k = variables.clusters.rowCount
    let d = variables.clusters.columnCount
    var tensors = [
      BundleTensor(
        name: "clusters", shape: [k, d], floats: variables.clusters.values.map { Float($0) }),
      BundleTensor(name: "initialized", bool: variables.initialized),
      BundleTensor(name: "global_step", shape: [], int64s: [variables.globalStep]),
    ]
    if Scalar.self == Double.self {
      tensors.append(
        BundleTensor(
          name: "clusters_float64", shape: [k, d],
          doubles: variables.clusters.values.map { Double($0) }))
    }
    if let counts = variables.counts {
      tensors.append(BundleTensor(name: "Variable", shape: [counts.count], int64s: counts))
    }
    if let weightTotals = variables.weightTotals {
      tensors.append(
        BundleTensor(
          name: LoopStateTensors.weightsName, shape: [weightTotals.count], doubles: weightTotals))
    }
    if let state = variables.loopState { tensors += LoopStateTensors.tensors(state) }
    if let updated = variables.clustersUpdated, let updateInSteps = variables.updateInSteps {
      tensors.append(
        BundleTensor(
          name: "clusters_updated", shape: [k, d], floats: updated.values.map { Float($0) }))
      tensors.append(BundleTensor(name: "update_in_steps", shape: [], int64s: [updateInSteps]))
      if Scalar.self == Double.self {
        tensors.append(
          BundleTensor(
            name: "clusters_updated_float64", shape: [k, d],
            doubles: updated.values.map { Double($0) }))
      }
    }
    return tensors
  }

  /// Writes a checkpoint at the variables' global step: data, then index, then the
  /// `checkpoint` file, each atomically; then deletes checkpoints beyond the `keep` newest.
  package static func save<Scalar: KMeansScalar>(
    _ variables: CheckpointVariables<Scalar>, directory: String, keep: Int
  ) throws {
    let name = "model.ckpt-\(variables.globalStep)"
    let newPrefix = prefix(directory: directory, step: variables.globalStep)
    do {
      try TensorBundleWriter.write(tensors(variables), prefix: newPrefix)
    } catch {
      // A full disk or a lost directory: the `checkpoint` file still names the previous
      // checkpoint, which stays intact; drop what this one left half written.
      removeCheckpointFiles(prefix: newPrefix)
      throw error
    }
    var all = (try? CheckpointState.read(directory: directory))?.all ?? []
    all.removeAll { $0 == name }
    all.append(name)
    let removed = all.count > keep ? Array(all.prefix(all.count - keep)) : []
    all = Array(all.suffix(keep))
    try CheckpointState(latest: name, all: all).write(directory: directory)
    for old in removed where !old.hasPrefix("/") {
      removeCheckpointFiles(prefix: (directory as NSString).appendingPathComponent(old))
    }
  }

  /// Deletes a checkpoint's files (best effort).
  static func removeCheckpointFiles(prefix: String) {
    for suffix in [".index", ".data-00000-of-00001", ".meta"] {
      try? FileManager.default.removeItem(atPath: prefix + suffix)
    }
  }

  /// Every checkpoint the directory's `checkpoint` file lists (oldest first), as prefixes.
  public static func checkpoints(directory: String) throws -> [String] {
    guard let state = try CheckpointState.read(directory: directory) else {
      return try latestCheckpoint(directory: directory).map { [$0] } ?? []
    }
    return state.all.map {
      $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0)
    }
  }

  /// Reads every tensor of the checkpoint at `prefix`, checking every CRC; nil when it is
  /// sound, else the error, which names the file and the byte offset of the damage.
  public static func damage(prefix: String) -> KMeansError? {
    do {
      let reader = try TensorBundleReader(prefix: prefix)
      for name in reader.names { _ = try reader.tensor(name) }
      return nil
    } catch let error as KMeansError {
      return error
    } catch {
      return .fileUnreadable(path: prefix + ".index", reason: "\(error)")
    }
  }

  /// Makes `checkpoint` the latest, holding the directory's training lock: see
  /// ``KMeansEstimator/rollBack(to:)``.
  package static func rollBack<Scalar: KMeansScalar>(
    directory: String, to checkpoint: String, as _: Scalar.Type
  ) throws {
    let lock = try DirectoryLock(directory: directory, purpose: "training")
    defer { lock.release() }
    let listed = try checkpoints(directory: directory)
    let wanted =
      Int64(checkpoint).map { prefix(directory: directory, step: $0) }
      ?? (checkpoint.contains("/")
        ? checkpoint : (directory as NSString).appendingPathComponent(checkpoint))
    guard let position = listed.firstIndex(of: wanted) else {
      throw KMeansError.fileUnreadable(
        path: wanted,
        reason:
          "not a checkpoint of \(directory) (it keeps: \(listed.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))"
      )
    }
    if let damage = damage(prefix: wanted) { throw damage }
    _ = try load(prefix: wanted, as: Scalar.self)
    let names = listed.prefix(through: position).map { ($0 as NSString).lastPathComponent }
    try CheckpointState(latest: names[names.count - 1], all: names).write(directory: directory)
    for later in listed.suffix(from: position + 1) { removeCheckpointFiles(prefix: later) }
  }

  /// Reads a checkpoint's variables, checking names, dtypes and shapes.
  package static func load<Scalar: KMeansScalar>(prefix: String, as _: Scalar.Type = Scalar.self)
    throws
    -> CheckpointVariables<Scalar>
  {
    let reader = try TensorBundleReader(prefix: prefix)
    let index = prefix + ".index"
    func tensor(_ name: String, _ types: [TensorDataType]) throws -> BundleTensor? {
      guard reader.entries[name] != nil else { return nil }
      let value = try reader.tensor(name)
      guard types.contains(value.dataType) else {
        throw KMeansError.corruptFile(
          path: index,
          reason:
            "variable '\(name)' is \(value.dataType), expected \(types.map(\.description).joined(separator: " or "))"
        )
      }
      return value
    }
    guard let clusters = try tensor("clusters", [.float, .double]) else {
      throw KMeansError.corruptFile(
        path: index, reason: "no 'clusters' variable: not a k-means checkpoint")
    }
    func matrix(_ tensor: BundleTensor, precise: BundleTensor?) throws -> Matrix<Scalar> {
      let source = precise ?? tensor
      guard source.shape.count == 2 else {
        return Matrix(zerosWithRowCount: 0, columnCount: 0)  // TensorFlow's empty placeholder.
      }
      return try Matrix(
        rowCount: source.shape[0], columnCount: source.shape[1],
        values: source.doubles.map { Scalar($0) })
    }
    let centers = try matrix(
      clusters, precise: Scalar.self == Double.self ? tensor("clusters_float64", [.double]) : nil)
    let initialized =
      try tensor("initialized", [.bool]).map { $0.integers.first == 1 } ?? (centers.rowCount > 0)
    let step = try tensor("global_step", [.int64, .int32])?.integers.first ?? 0
    let counts = try tensor("Variable", [.int64])?.integers
    var updated: Matrix<Scalar>? = nil
    if let tensor = try tensor("clusters_updated", [.float, .double]) {
      updated = try matrix(
        tensor,
        precise: Scalar.self == Double.self ? self.tensor(reader, "clusters_updated_float64") : nil)
    }
    let updateInSteps = try tensor("update_in_steps", [.int64])?.integers.first
    if let counts, centers.rowCount > 0, counts.count != centers.rowCount {
      throw KMeansError.corruptFile(
        path: index,
        reason: "'Variable' has \(counts.count) counts for \(centers.rowCount) clusters")
    }
    let weightTotals = try tensor(LoopStateTensors.weightsName, [.double])?.doubles
    if let weightTotals, centers.rowCount > 0, weightTotals.count != centers.rowCount {
      throw KMeansError.corruptFile(
        path: index,
        reason:
          "'\(LoopStateTensors.weightsName)' has \(weightTotals.count) values for \(centers.rowCount) clusters"
      )
    }
    var loopState: LoopState? = nil
    if let doubles = try tensor(LoopStateTensors.doublesName, [.double])?.doubles,
      let integers = try tensor(LoopStateTensors.integersName, [.int64])?.integers
    {
      loopState = LoopStateTensors.state(doubles: doubles, integers: integers)
    }
    return CheckpointVariables(
      clusters: centers, initialized: initialized && centers.rowCount > 0, globalStep: step,
      counts: counts, clustersUpdated: updated, updateInSteps: updateInSteps,
      weightTotals: weightTotals, loopState: loopState)
  }

  private static func tensor(_ reader: TensorBundleReader, _ name: String) throws -> BundleTensor? {
    reader.entries[name] == nil ? nil : try reader.tensor(name)
  }

  /// Deletes temporary files that an interrupted atomic write left behind (`.NAME.tmp-PID`).
  static func removeStaleTemporaries(directory: String) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
      try? FileManager.default.removeItem(
        atPath: (directory as NSString).appendingPathComponent(name))
    }
  }

  /// Reads `kmeans-estimator.json`; nil when absent (e.g. a directory TensorFlow wrote).
  public static func metadata(directory: String) throws -> EstimatorMetadata? {
    let path = (directory as NSString).appendingPathComponent(EstimatorMetadata.fileName)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do {
      return try JSONDecoder().decode(EstimatorMetadata.self, from: AtomicFile.read(path))
    } catch let error as KMeansError {
      throw error
    } catch {
      throw KMeansError.corruptFile(path: path, reason: "\(error)")
    }
  }

  package static func writeMetadata(_ metadata: EstimatorMetadata, directory: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(
      encoder.encode(metadata),
      to: (directory as NSString).appendingPathComponent(EstimatorMetadata.fileName))
  }

  /// The latest model in a directory, in the precision it was trained in (float32 for
  /// directories TensorFlow wrote), with the metric from the metadata (squared Euclidean
  /// when there is none).
  public static func loadModel(directory: String) throws -> AnyKMeansModel {
    guard let prefix = try latestCheckpoint(directory: directory) else {
      throw KMeansError.fileUnreadable(
        path: directory, reason: "no checkpoint in the model directory")
    }
    let metadata = try metadata(directory: directory)
    let metric = metadata?.metric ?? .squaredEuclidean
    func model<Scalar: KMeansScalar>(_: Scalar.Type) throws -> KMeansModel<Scalar> {
      let variables = try load(prefix: prefix, as: Scalar.self)
      guard variables.initialized else {
        throw KMeansError.corruptFile(
          path: prefix + ".index", reason: "the checkpoint holds no centers yet (not initialized)")
      }
      var model = KMeansModel(
        centers: variables.clusters, metric: metric, iterationCount: Int(variables.globalStep))
      if metadata?.featureNames?.count == variables.clusters.columnCount {
        model.featureNames = metadata?.featureNames
      }
      return model
    }
    if metadata?.dtype == Double.dtypeName { return .double(try model(Double.self)) }
    return .float(try model(Float.self))
  }
}
