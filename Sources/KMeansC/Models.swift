import CKMeansABI
import KMeans

/// Centers handed in by the caller, as a model.
struct ModelRequest {
  let centers: UnsafeRawPointer
  let k: Int
  let columns: Int
  let metric: DistanceMetric
  let threads: Int?

  init(
    centers: UnsafeRawPointer?, k: Int64, columns: Int64, metric: DistanceMetric, threads: Int?
  ) throws {
    guard let centers else { throw ABIError("no centers (NULL)") }
    _ = try checkedProduct(k, columns, "the centers")
    self.centers = centers
    self.k = Int(k)
    self.columns = Int(columns)
    self.metric = metric
    self.threads = threads
  }

  func model<Scalar: KMeansScalar>(_: Scalar.Type) throws -> KMeansModel<Scalar> {
    let values = Array(
      UnsafeBufferPointer(
        start: centers.assumingMemoryBound(to: Scalar.self), count: k * columns))
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw ABIError(
        "center \(bad / max(columns, 1)) has a non-finite value in column \(bad % max(columns, 1))")
    }
    let matrix = try Matrix(rowCount: k, columnCount: columns, values: values)
    if metric == .cosine, let zero = (0..<k).first(where: { matrix.row($0).allSatisfy { $0 == 0 } })
    {
      throw KMeansError.zeroRowUnderCosine(row: zero)
    }
    return KMeansModel(centers: matrix, metric: metric)
  }

  func assign<Scalar: KMeansScalar>(
    _ request: DataRequest, _ outputs: AssignOutputs, _: Scalar.Type
  ) throws {
    let model = try model(Scalar.self)
    let weights = request.weights()
    let data = try request.rows(Scalar.self)
    try outputs.write(
      nearest: { try model.predictWithDistances(data, threadCount: threads) },
      all: { try model.allDistances(data, threadCount: threads) },
      total: { try model.score(data, weights: weights, threadCount: threads) })
  }
}

/// Where `skm_assign` writes.
struct AssignOutputs {
  let labels: UnsafeMutablePointer<Int64>?
  let distances: UnsafeMutableRawPointer?
  let allDistances: UnsafeMutableRawPointer?
  let score: UnsafeMutablePointer<Double>?

  /// Computes and writes only the outputs the caller asked for.
  func write<Scalar: KMeansScalar>(
    nearest: () throws -> (labels: [Int], distances: [Scalar]),
    all: () throws -> Matrix<Scalar>, total: () throws -> Double
  ) throws {
    if labels != nil || distances != nil {
      let result = try nearest()
      copy(labels: result.labels, to: labels)
      copy(result.distances, to: distances)
    }
    if let allDistances { copy(try all().values, to: allDistances) }
    if let score { score.pointee = try total() }
  }
}

/// Online mini-batch training from a caller-kept state.
struct OnlineRequest {
  let state: UnsafeMutablePointer<skm_online_state>
  let settings: KMeansConfiguration
  let miniBatch: MiniBatchConfiguration

  func step<Scalar: KMeansScalar>(
    _ request: DataRequest, labels: UnsafeMutablePointer<Int64>?,
    loss: UnsafeMutablePointer<Double>?, _: Scalar.Type
  ) throws {
    let batch = try request.dense(Scalar.self)
    let k = settings.effectiveClusterCount
    let raw = state.pointee
    guard let centerBuffer = raw.centers, let totals = raw.weight_totals else {
      throw ABIError("the online state has no centers or weights (NULL)")
    }
    let count = try checkedProduct(Int64(k), request.data.columns, "the centers")
    let centers = try Matrix(
      rowCount: k, columnCount: request.columnCount,
      values: Array(
        UnsafeBufferPointer(start: centerBuffer.assumingMemoryBound(to: Scalar.self), count: count)
      ))
    guard let since = Int(exactly: raw.rows_since_reassignment),
      let reassigned = Int(exactly: raw.reassigned_centers)
    else { throw ABIError("the online state's counters are out of range") }
    var online = try MiniBatchKMeans<Scalar>(
      configuration: settings, miniBatch: miniBatch, centers: centers,
      state: .init(
        weightTotals: Array(UnsafeBufferPointer(start: totals, count: k)), steps: raw.steps,
        rowsSinceReassignment: since, reassignedCenters: reassigned))
    let output = try online.partialFit(batch, weights: request.weights())
    copy(online.model.centers.values, to: centerBuffer)
    let next = online.onlineState
    for (index, total) in next.weightTotals.enumerated() { totals[index] = total }
    state.pointee.steps = next.steps
    state.pointee.rows_since_reassignment = Int64(next.rowsSinceReassignment)
    state.pointee.reassigned_centers = Int64(next.reassignedCenters)
    if let output {
      copy(labels: output.shards.flatMap(\.clusterIndices), to: labels)
      loss?.pointee = output.loss
    }
  }
}

/// Where `skm_bisect` writes the tree.
struct TreeOutputs {
  let nodeCenters: UnsafeMutableRawPointer?
  let children: UnsafeMutablePointer<Int64>?
  let leafLabels: UnsafeMutablePointer<Int64>?
  let nodeInertia: UnsafeMutablePointer<Double>?
  let nodeCount: UnsafeMutablePointer<Int64>?
  let centers: UnsafeMutableRawPointer?
  let labels: UnsafeMutablePointer<Int64>?
  let inertia: UnsafeMutablePointer<Double>?

  func fit<Scalar: KMeansScalar>(
    _ request: DataRequest, _ settings: KMeansConfiguration, strategy: Int, _: Scalar.Type
  ) throws {
    let k = settings.clusterCount
    guard request.rowCount >= k else {
      throw ABIError("n_samples=\(request.rowCount) should be >= n_clusters=\(k)")
    }
    let (model, assigned) = try BisectingKMeansModel<Scalar>.fit(
      request.dense(Scalar.self), weights: request.weights(), configuration: settings,
      strategy: BisectingKMeansModel<Scalar>.Strategy.allCases[strategy])
    let nodes = model.nodes
    guard nodes.count <= 2 * k - 1 else { throw ABIError("the tree outgrew 2k - 1 nodes") }
    copy(nodes.flatMap(\.center), to: nodeCenters)
    for (index, node) in nodes.enumerated() {
      children?[2 * index] = Int64(node.children?[0] ?? -1)
      children?[2 * index + 1] = Int64(node.children?[1] ?? -1)
      leafLabels?[index] = Int64(node.label ?? -1)
      nodeInertia?[index] = node.inertia
    }
    nodeCount?.pointee = Int64(nodes.count)
    copy(model.centers.values, to: centers)
    copy(labels: assigned, to: labels)
    inertia?.pointee = model.inertia
  }
}

/// A bisecting tree handed back by the caller, checked before it is walked.
struct TreeInput {
  let nodeCenters: UnsafeRawPointer?
  let children: UnsafePointer<Int64>?
  let leafLabels: UnsafePointer<Int64>?
  let nodeCount: Int64
  let metric: DistanceMetric

  func model<Scalar: KMeansScalar>(columns: Int, _: Scalar.Type) throws
    -> BisectingKMeansModel<Scalar>
  {
    guard nodeCount >= 1, let nodeCenters, let children, let leafLabels else {
      throw ABIError("a bisecting tree needs at least one node and its arrays (not NULL)")
    }
    let n = Int(nodeCount)
    let count = try checkedProduct(nodeCount, Int64(columns), "the tree's centers")
    let values = Array(
      UnsafeBufferPointer(start: nodeCenters.assumingMemoryBound(to: Scalar.self), count: count))
    var nodes: [BisectingKMeansModel<Scalar>.Node] = []
    for index in 0..<n {
      let left = children[2 * index]
      let right = children[2 * index + 1]
      let pair: [Int]?
      if left < 0 && right < 0 {
        pair = nil
        guard leafLabels[index] >= 0 else { throw ABIError("leaf \(index) has no label") }
      } else {
        // Children come after their parent, so every walk ends.
        guard left > index, right > index, left < n, right < n else {
          throw ABIError("node \(index) has children \(left), \(right) outside \(index + 1)..<\(n)")
        }
        pair = [Int(left), Int(right)]
      }
      nodes.append(
        .init(
          center: Array(values[(index * columns)..<((index + 1) * columns)]), inertia: 0, size: 0,
          children: pair, label: pair == nil ? Int(leafLabels[index]) : nil))
    }
    return BisectingKMeansModel(nodes: nodes, strategy: .biggestInertia, metric: metric)
  }
}
