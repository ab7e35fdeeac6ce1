import CKMeansABI
import KMeans
import KMeansEstimator
import KMeansInterop

/// Trains in a model directory (`skm_estimator_train`): the estimator's own training, as
/// `kmeans train --model-dir` runs it.
@_cdecl("skm_estimator_train")
public func estimatorTrain(
  _ estimator: UnsafePointer<skm_estimator>?, _ data: UnsafePointer<skm_data>?,
  _ config: UnsafePointer<skm_config>?, _ steps: Int64, _ maxSteps: Int64,
  _ observer: UnsafePointer<skm_observer>?, _ globalStep: UnsafeMutablePointer<Int64>?,
  _ stopReason: UnsafeMutablePointer<Int32>?, _ error: UnsafeMutablePointer<CChar>?,
  _ capacity: Int64
) -> Int32 {
  guarded(error, capacity, data: data, config: config) { request, settings in
    let directory = try DirectoryRequest(estimator, settings: settings)
    guard steps > 0 || maxSteps > 0 else { throw ABIError("give steps or max_steps (> 0)") }
    let watcher = Observer(observer)
    let report =
      request.isFloat
      ? try directory.train(request, steps: steps, maxSteps: maxSteps, watcher, Float.self)
      : try directory.train(request, steps: steps, maxSteps: maxSteps, watcher, Double.self)
    globalStep?.pointee = report.step
    stopReason?.pointee = report.reason.map(code) ?? -1
    return report.reason == .cancelled ? Int32(SKM_CANCELLED.rawValue) : Int32(SKM_OK.rawValue)
  }
}

/// The latest model of a directory (`skm_estimator_model`).
@_cdecl("skm_estimator_model")
public func estimatorModel(
  _ directory: UnsafePointer<CChar>?, _ dtype: UnsafeMutablePointer<Int32>?,
  _ k: UnsafeMutablePointer<Int64>?, _ dimension: UnsafeMutablePointer<Int64>?,
  _ globalStep: UnsafeMutablePointer<Int64>?, _ metric: UnsafeMutablePointer<Int32>?,
  _ centers: UnsafeMutableRawPointer?, _ capacityValues: Int64,
  _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64
) -> Int32 {
  guarded(error, capacity) {
    guard let directory else { throw ABIError("no model directory (NULL)") }
    let path = String(cString: directory)
    let loaded = try ModelDirectory.loadModel(directory: path)
    func write<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, code: Int32) throws {
      dtype?.pointee = code
      k?.pointee = Int64(model.clusterCount)
      dimension?.pointee = Int64(model.dimension)
      globalStep?.pointee = Int64(model.iterationCount)
      metric?.pointee = model.metric == .cosine ? 1 : 0
      guard let centers else { return }
      let values = model.centers.values
      guard Int64(values.count) <= capacityValues else {
        throw ABIError("\(values.count) center values do not fit in \(capacityValues)")
      }
      copy(values, to: centers)
    }
    switch loaded {
    case .float(let model): try write(model, code: Int32(SKM_FLOAT32))
    case .double(let model): try write(model, code: Int32(SKM_FLOAT64))
    }
    return Int32(SKM_OK.rawValue)
  }
}

/// An `skm_estimator`, read.
struct DirectoryRequest {
  let path: String
  let settings: EstimatorConfiguration

  init(_ pointer: UnsafePointer<skm_estimator>?, settings clustering: KMeansConfiguration) throws {
    guard let raw = pointer?.pointee, let directory = raw.model_dir else {
      throw ABIError("no model directory (NULL)")
    }
    path = String(cString: directory)
    var settings = EstimatorConfiguration(clustering: clustering)
    if raw.checkpoint_every_steps < 0 {
      settings.checkpointEverySteps = nil
    } else if raw.checkpoint_every_steps > 0 {
      settings.checkpointEverySteps = Int(raw.checkpoint_every_steps)
    }
    if raw.keep_checkpoints != 0 {
      guard raw.keep_checkpoints > 0, raw.keep_checkpoints < 1 << 20 else {
        throw ABIError("keep_checkpoints=\(raw.keep_checkpoints) must be in 1..<\(1 << 20)")
      }
      settings.keepCheckpoints = Int(raw.keep_checkpoints)
    }
    if let names = raw.feature_names, raw.feature_count > 0 {
      guard raw.feature_count < 1 << 24 else { throw ABIError("too many feature names") }
      settings.featureColumns = try (0..<Int(raw.feature_count)).map { index in
        guard let name = names[index] else { throw ABIError("feature name \(index) is NULL") }
        return String(cString: name)
      }
    }
    self.settings = settings
  }

  func train<Scalar: KMeansScalar>(
    _ request: DataRequest, steps: Int64, maxSteps: Int64, _ observer: Observer, _: Scalar.Type
  ) throws -> (step: Int64, reason: StopReason?) {
    let estimator = try KMeansEstimator<Scalar>(modelDirectory: path, configuration: settings)
    let report = try estimator.train(
      request.rows(Scalar.self), weights: request.weights(), steps: steps > 0 ? Int(steps) : nil,
      maxSteps: maxSteps > 0 ? Int(maxSteps) : nil,
      observer: TrainingObserver(
        progress: { record in
          // The record's iteration is the global step.
          observer.report(
            iteration: record.iteration, loss: record.loss, shift: .nan, changed: -1, rows: -1)
        }, isCancelled: { observer.isCancelled }))
    return (report.finalStep, report.stopReason)
  }
}

/// Exports a directory's latest model (`skm_export`): a TensorFlow SavedModel directory and/or
/// an ONNX file, as `kmeans export --model-dir` writes them.
@_cdecl("skm_export")
public func export(
  _ directory: UnsafePointer<CChar>?, _ savedModel: UnsafePointer<CChar>?,
  _ onnx: UnsafePointer<CChar>?, _ overwrite: Int32, _ error: UnsafeMutablePointer<CChar>?,
  _ capacity: Int64
) -> Int32 {
  guarded(error, capacity) {
    guard let directory else { throw ABIError("no model directory (NULL)") }
    guard savedModel != nil || onnx != nil else { throw ABIError("no export path (both NULL)") }
    func write<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws {
      if let savedModel {
        try SavedModelExporter.export(
          model, to: String(cString: savedModel), overwrite: overwrite != 0)
      }
      if let onnx { try ONNXExporter.export(model, to: String(cString: onnx)) }
    }
    switch try ModelDirectory.loadModel(directory: String(cString: directory)) {
    case .float(let model): try write(model)
    case .double(let model): try write(model)
    }
    return Int32(SKM_OK.rawValue)
  }
}
