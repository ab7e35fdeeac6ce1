import CKMeansABI
import KMeansC

/// libFuzzer's entry point: the C ABI as a foreign caller drives it — `skm_fit` (full batch and
/// mini-batch), `skm_assign`, `skm_seed`, `skm_partial_fit`, `skm_bisect` and
/// `skm_bisect_predict` — with shapes, settings, CSR structure, weights and values taken from
/// the input, in buffers of the documented sizes. Every call must return a status (with a
/// message on `SKM_ERROR`) and never trap; AddressSanitizer checks every read and write.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  var input = Input(bytes: Array(UnsafeRawBufferPointer(start: start, count: count)))
  input.run()
  return 0
}

struct Input {
  var bytes: [UInt8]
  var at = 0

  mutating func byte() -> UInt8 {
    defer { at += 1 }
    return at < bytes.count ? bytes[at] : 0
  }

  /// Any double (NaN, ±∞, subnormal, huge) from eight bytes.
  mutating func anyDouble() -> Double {
    var bits: UInt64 = 0
    for shift in stride(from: 0, to: 64, by: 8) { bits |= UInt64(byte()) << UInt64(shift) }
    return Double(bitPattern: bits)
  }

  /// A tame value in [−16, 16), or with the `wild` flag any double.
  mutating func value(wild: Bool) -> Double {
    wild && byte() & 7 == 0 ? anyDouble() : Double(Int8(bitPattern: byte())) / 8
  }

  mutating func configuration(k: Int64, miniBatch: Bool) -> skm_config {
    var config = skm_config()
    config.n_clusters = k
    config.init_method = Int32(byte() % 9) - 1  // −1 and 7 are not seedings
    config.metric = Int32(byte() % 3)  // 2 is not a metric
    config.algorithm = Int32(byte() % 5)
    config.tf_compat = Int32(byte() & 1)
    config.max_iter = Int64(byte() % 12)
    config.tol = byte() & 1 == 0 ? -1 : anyDouble()
    config.relative_tol = -1
    config.n_init = Int64(byte() % 3)
    config.seed = UInt64(byte())
    config.n_threads = Int64(byte() % 4)
    config.n_local_trials = Int64(byte() % 4)
    config.chain_length = Int64(byte() % 8)
    config.n_frozen = Int64(byte() % 3)
    config.max_points_per_center = Int64(byte() % 4)
    config.mini_batch = miniBatch ? 1 : 0
    config.batch_size = Int64(byte() % 20)
    config.steps_per_iteration = Int64(byte() % 3)
    config.max_no_improvement = Int64(byte() % 4) - 1
    config.reassignment_ratio = Double(byte()) / 256
    return config
  }

  mutating func run() {
    let flags = byte()
    let float32 = flags & 1 != 0
    let sparse = flags & 2 != 0
    let wild = flags & 4 != 0
    let rows = Int64(byte() % 40)
    let columns = Int64(byte() % 9)
    let k = Int64(byte() % 10)
    var config = configuration(k: k, miniBatch: flags & 8 != 0)
    let count = Int(rows * columns)
    var doubles = (0..<count).map { _ in value(wild: wild) }
    // CSR: each row keeps the columns whose bit is set, then one offset or index may be
    // damaged (the ABI must refuse it).
    var offsets: [Int64] = [0]
    var indices: [Int32] = []
    if sparse {
      var kept: [Double] = []
      for row in 0..<Int(rows) {
        let mask = byte()
        for column in 0..<Int(columns) where mask & (1 << UInt8(column % 8)) != 0 {
          indices.append(Int32(column))
          kept.append(doubles[row * Int(columns) + column])
        }
        offsets.append(Int64(indices.count))
      }
      doubles = kept
      switch byte() % 8 {
      case 0 where offsets.count > 1: offsets[Int(byte()) % offsets.count] = Int64(byte()) - 4
      case 1 where !indices.isEmpty: indices[Int(byte()) % indices.count] = Int32(byte()) - 4
      default: break
      }
    }
    let weights: [Double]? = flags & 16 != 0 ? (0..<Int(rows)).map { _ in value(wild: wild) } : nil
    var given = (0..<Int(k * columns)).map { _ in value(wild: wild) }
    let floats = doubles.map { Float($0) }
    given.withUnsafeMutableBufferPointer { given in
      if config.init_method == Int32(SKM_INIT_CENTERS) {
        config.init_centers = UnsafePointer(given.baseAddress)
      }
      weights.withOptionalPointer { weights in
        offsets.withUnsafeBufferPointer { offsets in
          indices.withUnsafeBufferPointer { indices in
            let call = { (values: UnsafeRawPointer?) in
              var data = skm_data(
                dtype: Int32(float32 ? SKM_FLOAT32 : SKM_FLOAT64), rows: rows, columns: columns,
                values: values, indptr: sparse ? offsets.baseAddress : nil,
                indices: sparse ? indices.baseAddress : nil,
                nnz: sparse ? Int64(indices.count) : 0, weights: weights)
              Input.calls(&data, config: config, float32: float32)
            }
            if float32 {
              floats.withUnsafeBytes { call($0.baseAddress) }
            } else {
              doubles.withUnsafeBytes { call($0.baseAddress) }
            }
          }
        }
      }
    }
  }

  static func calls(_ data: inout skm_data, config: skm_config, float32: Bool) {
    var config = config
    let k = Int(max(config.n_clusters, 0))
    let rows = Int(data.rows)
    let columns = Int(data.columns)
    let size = float32 ? 4 : 8
    var centers = [UInt8](repeating: 0, count: k * columns * size)
    var labels = [Int64](repeating: 0, count: rows)
    var distances = [UInt8](repeating: 0, count: rows * size)
    var all = [UInt8](repeating: 0, count: rows * k * size)
    var origins = [Int64](repeating: 0, count: k)
    var error = [CChar](repeating: 0, count: 200)
    var score = 0.0
    func expectStatus(_ status: Int32, _ name: String) {
      precondition(
        status != Int32(SKM_ERROR.rawValue) || error[0] != 0, "\(name): SKM_ERROR without a message"
      )
      error[0] = 0
    }
    centers.withUnsafeMutableBytes { centers in
      labels.withUnsafeMutableBufferPointer { labels in
        var result = skm_fit_result(
          centers: centers.baseAddress, labels: labels.baseAddress, inertia: 0, n_iter: 0,
          stop_reason: 0)
        expectStatus(KMeansC.fit(&data, &config, nil, &result, &error, 200), "skm_fit")
        distances.withUnsafeMutableBytes { distances in
          all.withUnsafeMutableBytes { all in
            expectStatus(
              KMeansC.assign(
                &data, centers.baseAddress, Int64(k), config.metric, config.n_threads,
                labels.baseAddress, distances.baseAddress, all.baseAddress, &score, &error, 200),
              "skm_assign")
          }
        }
        origins.withUnsafeMutableBufferPointer { origins in
          expectStatus(
            KMeansC.seed(&data, &config, centers.baseAddress, origins.baseAddress, &error, 200),
            "skm_seed")
        }
        var totals = [Double](repeating: 0, count: k)
        totals.withUnsafeMutableBufferPointer { totals in
          var state = skm_online_state(
            centers: centers.baseAddress, weight_totals: totals.baseAddress, steps: 0,
            rows_since_reassignment: 0, reassigned_centers: 0)
          var loss = 0.0
          expectStatus(
            KMeansC.partialFit(&data, &config, &state, labels.baseAddress, &loss, &error, 200),
            "skm_partial_fit")
        }
        let nodes = max(2 * k - 1, 0)
        var nodeCenters = [UInt8](repeating: 0, count: nodes * columns * size)
        var children = [Int64](repeating: -1, count: 2 * nodes)
        var leaves = [Int64](repeating: -1, count: nodes)
        var nodeInertia = [Double](repeating: 0, count: nodes)
        var nodeCount: Int64 = 0
        var inertia = 0.0
        let bisected = KMeansC.bisect(
          &data, &config, Int32(config.seed % 3), &nodeCenters, &children, &leaves, &nodeInertia,
          &nodeCount, centers.baseAddress, labels.baseAddress, &inertia, &error, 200)
        expectStatus(bisected, "skm_bisect")
        if bisected == Int32(SKM_OK.rawValue) {
          expectStatus(
            KMeansC.bisectPredict(
              &data, config.metric, &nodeCenters, &children, &leaves, nodeCount,
              labels.baseAddress, &error, 200),
            "skm_bisect_predict")
        }
      }
    }
  }
}

extension Optional where Wrapped == [Double] {
  func withOptionalPointer<Result>(_ body: (UnsafePointer<Double>?) -> Result) -> Result {
    switch self {
    case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
    case .none: body(nil)
    }
  }
}
