import Foundation
import KMeans
import KMeansIO

/// What swift-kmeans records beside TensorFlow's files in a model directory
/// (`kmeans-estimator.json`): what TensorFlow keeps in its Python code, needed to predict
/// from the directory alone. TensorFlow ignores the file.
public struct EstimatorMetadata: Codable, Sendable, Equatable {
  /// `swift-kmeans-estimator/1`.
  public var format = "swift-kmeans-estimator/1"
  /// `float32` or `float64`: the precision training ran in.
  public var dtype: String
  /// The distance.
  public var metric: DistanceMetric
  /// The number of clusters.
  public var clusterCount: Int
  /// The number of features.
  public var dimension: Int
  /// 0 for full batch, else the mini-batch steps per iteration.
  public var stepsPerIteration: Int
  /// The feature columns' names, in the model's column order, when the input had names.
  public var featureNames: [String]?

  static let fileName = "kmeans-estimator.json"

  /// Metadata for a model directory.
  public init(
    dtype: String, metric: DistanceMetric, clusterCount: Int, dimension: Int,
    stepsPerIteration: Int, featureNames: [String]?
  ) {
    self.dtype = dtype
    self.metric = metric
    self.clusterCount = clusterCount
    self.dimension = dimension
    self.stepsPerIteration = stepsPerIteration
    self.featureNames = featureNames
  }
}

/// The variables of one checkpoint, as the trainer needs them.
package struct CheckpointVariables<Scalar: KMeansScalar> {
  package var clusters: Matrix<Scalar>
  package var initialized: Bool
  package var globalStep: Int64
  package var counts: [Int64]?
  package var clustersUpdated: Matrix<Scalar>?
  package var updateInSteps: Int64?
  /// The exact running weight per center (mini-batch with sample weights; `counts` rounds).
  package var weightTotals: [Double]?
  /// What the stopping rules remember (swift-kmeans only; TensorFlow ignores it).
  package var loopState: LoopState?

  package init(
    clusters: Matrix<Scalar>, initialized: Bool, globalStep: Int64, counts: [Int64]? = nil,
    clustersUpdated: Matrix<Scalar>? = nil, updateInSteps: Int64? = nil,
    weightTotals: [Double]? = nil, loopState: LoopState? = nil
  ) {
    self.clusters = clusters
    self.initialized = initialized
    self.globalStep = globalStep
    self.counts = counts
    self.clustersUpdated = clustersUpdated
    self.updateInSteps = updateInSteps
    self.weightTotals = weightTotals
    self.loopState = loopState
  }

  /// A checkpoint of a trainer and the loop's state.
  package init(trainer: KMeansTrainer<Scalar>, loopState: LoopState?) {
    let miniBatch = trainer.mode != .fullBatch
    var stepsPerIteration = 0
    if case .miniBatch(let steps) = trainer.mode { stepsPerIteration = steps }
    self.init(
      clusters: trainer.clusters, initialized: trainer.initialized,
      globalStep: trainer.globalStep, counts: miniBatch ? trainer.counts : nil,
      clustersUpdated: stepsPerIteration > 1 ? trainer.clustersUpdated : nil,
      updateInSteps: stepsPerIteration > 1 ? trainer.updateInSteps : nil,
      weightTotals: miniBatch ? trainer.weightTotals : nil, loopState: loopState)
  }

  /// A trainer in this checkpoint's state (and the loop's), or nil when not initialized.
  package func restoring(
    configuration: KMeansConfiguration, mode: TrainingMode
  ) throws -> (trainer: KMeansTrainer<Scalar>, state: LoopState)? {
    guard initialized else { return nil }
    var trainer = try KMeansTrainer<Scalar>(configuration: configuration, mode: mode)
    try trainer.restore(
      clusters: clusters, counts: counts, clustersUpdated: clustersUpdated,
      updateInSteps: updateInSteps, globalStep: globalStep, weightTotals: weightTotals)
    return (trainer, loopState ?? LoopState())
  }
}

/// The loop's state as two checkpoint tensors (`swift_kmeans/loop_doubles`, `…/loop_integers`).
enum LoopStateTensors {
  static let doublesName = "swift_kmeans/loop_doubles"
  static let integersName = "swift_kmeans/loop_integers"
  static let weightsName = "swift_kmeans/weight_totals"
  static let reasons: [StopReason] = [
    .labelsUnchanged, .centerShiftTolerance, .relativeLossTolerance, .maxIterations,
    .noImprovement, .cancelled,
  ]

  static func tensors(_ state: LoopState) -> [BundleTensor] {
    [
      BundleTensor(
        name: doublesName, shape: [3],
        doubles: [
          state.previousLoss ?? .nan, state.smoothedLoss ?? .nan, state.bestSmoothedLoss ?? .nan,
        ]),
      BundleTensor(
        name: integersName, shape: [6],
        int64s: [
          Int64(bitPattern: state.labelFingerprint ?? 0), state.labelFingerprint == nil ? 0 : 1,
          Int64(state.stepsWithoutImprovement), Int64(state.rowsSinceReassignment),
          Int64(state.reassignedCenters),
          Int64(state.stopReason.flatMap { reasons.firstIndex(of: $0) } ?? -1),
        ]),
    ]
  }

  static func state(doubles: [Double], integers: [Int64]) -> LoopState? {
    guard doubles.count == 3, integers.count == 6 else { return nil }
    var state = LoopState()
    func value(_ x: Double) -> Double? { x.isNaN ? nil : x }
    state.previousLoss = value(doubles[0])
    state.smoothedLoss = value(doubles[1])
    state.bestSmoothedLoss = value(doubles[2])
    state.labelFingerprint = integers[1] == 1 ? UInt64(bitPattern: integers[0]) : nil
    state.stepsWithoutImprovement = Int(integers[2])
    state.rowsSinceReassignment = Int(integers[3])
    state.reassignedCenters = Int(integers[4])
    let reason = Int(integers[5])
    state.stopReason = reasons.indices.contains(reason) ? reasons[reason] : nil
    return state
  }
}

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
