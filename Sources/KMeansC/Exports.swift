import CKMeansABI
import KMeans

// The functions of swift_kmeans.h. Each one reads its arguments into the engine's types,
// calls the library, and writes the results: no algorithm lives here.

private let ok = Int32(SKM_OK.rawValue)
private let cancelled = Int32(SKM_CANCELLED.rawValue)

/// The library's version (`skm_version`).
@_cdecl("skm_version")
public func version() -> UnsafePointer<CChar> {
  // A literal: its bytes live as long as the library.
  UnsafeRawPointer(KMeansLibrary.version.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Trains and writes the winning run (`skm_fit`).
@_cdecl("skm_fit")
public func fit(
  _ data: UnsafePointer<skm_data>?, _ config: UnsafePointer<skm_config>?,
  _ observer: UnsafePointer<skm_observer>?, _ result: UnsafeMutablePointer<skm_fit_result>?,
  _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64
) -> Int32 {
  guarded(error, capacity, data: data, config: config) { request, settings in
    guard let result else { throw ABIError("no result (NULL skm_fit_result)") }
    let watcher = Observer(observer)
    return request.isFloat
      ? try fit(request, settings, watcher, result, Float.self)
      : try fit(request, settings, watcher, result, Double.self)
  }
}

private func fit<Scalar: KMeansScalar>(
  _ request: DataRequest, _ settings: KMeansConfiguration, _ observer: Observer,
  _ result: UnsafeMutablePointer<skm_fit_result>, _: Scalar.Type
) throws -> Int32 {
  let k = settings.effectiveClusterCount
  guard request.rowCount >= k else {
    throw ABIError("n_samples=\(request.rowCount) should be >= n_clusters=\(k)")
  }
  let miniBatch = settings.miniBatch != nil
  let watch = TrainingObserver(
    progress: { record in
      // A mini-batch step does not count changed labels (-1: not known).
      observer.report(
        iteration: record.iteration, loss: record.loss, shift: record.centerShift,
        changed: miniBatch ? -1 : record.changedLabels, rows: record.rows ?? request.rowCount)
    }, isCancelled: { observer.isCancelled })
  let fitted = try KMeansModel.fit(
    request.rows(Scalar.self), weights: request.weights(), configuration: settings,
    observer: watch)
  if fitted.model.stopReason == .cancelled || observer.isCancelled { return cancelled }
  guard let centers = result.pointee.centers else { throw ABIError("no centers buffer (NULL)") }
  copy(fitted.model.centers.values, to: centers)
  copy(labels: fitted.labels, to: result.pointee.labels)
  result.pointee.inertia = fitted.model.inertia
  result.pointee.n_iter = Int64(fitted.model.iterationCount)
  result.pointee.stop_reason = code(fitted.model.stopReason)
  return ok
}

/// Nearest centers, distances and the score (`skm_assign`).
@_cdecl("skm_assign")
public func assign(
  _ data: UnsafePointer<skm_data>?, _ centers: UnsafeRawPointer?, _ k: Int64, _ metric: Int32,
  _ threads: Int64, _ labels: UnsafeMutablePointer<Int64>?, _ distances: UnsafeMutableRawPointer?,
  _ allDistances: UnsafeMutableRawPointer?, _ score: UnsafeMutablePointer<Double>?,
  _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64
) -> Int32 {
  guarded(error, capacity) {
    let request = try DataRequest(data)
    guard k >= 1 else { throw ABIError("k=\(k) must be at least 1") }
    guard threads >= 0 else { throw ABIError("n_threads=\(threads) must be >= 0") }
    let outputs = AssignOutputs(
      labels: labels, distances: distances, allDistances: allDistances, score: score)
    let model = try ModelRequest(
      centers: centers, k: k, columns: request.data.columns, metric: KMeansC.metric(metric),
      threads: threads == 0 ? nil : Int(threads))
    if request.isFloat {
      try model.assign(request, outputs, Float.self)
    } else {
      try model.assign(request, outputs, Double.self)
    }
    return ok
  }
}

/// Initial centers alone (`skm_seed`).
@_cdecl("skm_seed")
public func seed(
  _ data: UnsafePointer<skm_data>?, _ config: UnsafePointer<skm_config>?,
  _ centers: UnsafeMutableRawPointer?, _ indices: UnsafeMutablePointer<Int64>?,
  _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64
) -> Int32 {
  guarded(error, capacity, data: data, config: config) { request, settings in
    if request.isFloat {
      let seeded = try KMeansModel<Float>.initialCenters(
        request.dense(Float.self), weights: request.weights(), configuration: settings)
      copy(seeded.centers.values, to: centers)
      copy(labels: seeded.rows, to: indices)
    } else {
      let seeded = try KMeansModel<Double>.initialCenters(
        request.dense(Double.self), weights: request.weights(), configuration: settings)
      copy(seeded.centers.values, to: centers)
      copy(labels: seeded.rows, to: indices)
    }
    return ok
  }
}

/// One online mini-batch step (`skm_partial_fit`).
@_cdecl("skm_partial_fit")
public func partialFit(
  _ data: UnsafePointer<skm_data>?, _ config: UnsafePointer<skm_config>?,
  _ state: UnsafeMutablePointer<skm_online_state>?, _ labels: UnsafeMutablePointer<Int64>?,
  _ loss: UnsafeMutablePointer<Double>?, _ error: UnsafeMutablePointer<CChar>?,
  _ capacity: Int64
) -> Int32 {
  guarded(error, capacity, data: data, config: config) { request, given in
    var settings = given
    let miniBatch = settings.miniBatch ?? MiniBatchConfiguration()
    settings.miniBatch = nil
    guard let state else { throw ABIError("no state (NULL skm_online_state)") }
    let online = OnlineRequest(state: state, settings: settings, miniBatch: miniBatch)
    if request.isFloat {
      try online.step(request, labels: labels, loss: loss, Float.self)
    } else {
      try online.step(request, labels: labels, loss: loss, Double.self)
    }
    return ok
  }
}

/// Bisecting k-means (`skm_bisect`).
@_cdecl("skm_bisect")
public func bisect(
  _ data: UnsafePointer<skm_data>?, _ config: UnsafePointer<skm_config>?, _ strategy: Int32,
  _ nodeCenters: UnsafeMutableRawPointer?, _ children: UnsafeMutablePointer<Int64>?,
  _ leafLabels: UnsafeMutablePointer<Int64>?, _ nodeInertia: UnsafeMutablePointer<Double>?,
  _ nodeCount: UnsafeMutablePointer<Int64>?, _ centers: UnsafeMutableRawPointer?,
  _ labels: UnsafeMutablePointer<Int64>?, _ inertia: UnsafeMutablePointer<Double>?,
  _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64
) -> Int32 {
  guarded(error, capacity, data: data, config: config) { request, settings in
    guard
      let order =
        BisectingKMeansModel<Float>.Strategy.allCases.indices.contains(
          Int(strategy)) ? Int(strategy) : nil
    else { throw ABIError("strategy \(strategy) is neither 0 (biggest inertia) nor 1 (largest)") }
    let tree = TreeOutputs(
      nodeCenters: nodeCenters, children: children, leafLabels: leafLabels,
      nodeInertia: nodeInertia, nodeCount: nodeCount, centers: centers, labels: labels,
      inertia: inertia)
    if request.isFloat {
      try tree.fit(request, settings, strategy: order, Float.self)
    } else {
      try tree.fit(request, settings, strategy: order, Double.self)
    }
    return ok
  }
}

/// The leaf of each row in a bisecting tree (`skm_bisect_predict`).
@_cdecl("skm_bisect_predict")
public func bisectPredict(
  _ data: UnsafePointer<skm_data>?, _ metric: Int32, _ nodeCenters: UnsafeRawPointer?,
  _ children: UnsafePointer<Int64>?, _ leafLabels: UnsafePointer<Int64>?, _ nodeCount: Int64,
  _ labels: UnsafeMutablePointer<Int64>?, _ error: UnsafeMutablePointer<CChar>?,
  _ capacity: Int64
) -> Int32 {
  guarded(error, capacity) {
    let request = try DataRequest(data)
    let tree = TreeInput(
      nodeCenters: nodeCenters, children: children, leafLabels: leafLabels, nodeCount: nodeCount,
      metric: try KMeansC.metric(metric))
    let result =
      request.isFloat
      ? try tree.model(columns: request.columnCount, Float.self).predict(request.dense(Float.self))
      : try tree.model(columns: request.columnCount, Double.self).predict(
        request.dense(Double.self))
    copy(labels: result, to: labels)
    return ok
  }
}
