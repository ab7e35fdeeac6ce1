import CKMeansABI
import KMeansC
import Testing

/// The C ABI called as a foreign caller would, with well-formed and malformed arguments:
/// every call returns a status and a message, never traps (run under AddressSanitizer too).
@Suite("The C ABI")
struct ABITests {
  /// Calls `skm_fit` on dense `Double` rows; returns the status and the message.
  func fitDense(
    _ values: [Double], rows: Int64, columns: Int64, k: Int64,
    configure: (inout skm_config) -> Void = { _ in }
  ) -> (status: Int32, message: String, labels: [Int64]) {
    var config = skm_config()
    config.n_clusters = k
    config.tol = -1
    config.relative_tol = -1
    config.n_threads = 2
    configure(&config)
    var labels = [Int64](repeating: -1, count: max(Int(rows), 0))
    var centers = [Double](repeating: 0, count: max(Int(k * max(columns, 0)), 0))
    var error = [CChar](repeating: 0, count: 256)
    let status = values.withUnsafeBufferPointer { buffer in
      labels.withUnsafeMutableBufferPointer { labelBuffer in
        centers.withUnsafeMutableBytes { centerBytes in
          var data = skm_data(
            dtype: Int32(SKM_FLOAT64), rows: rows, columns: columns,
            values: UnsafeRawPointer(buffer.baseAddress), indptr: nil, indices: nil, nnz: 0,
            weights: nil)
          var result = skm_fit_result(
            centers: centerBytes.baseAddress, labels: labelBuffer.baseAddress, inertia: 0,
            n_iter: 0, stop_reason: 0)
          return KMeansC.fit(&data, &config, nil, &result, &error, Int64(error.count))
        }
      }
    }
    return (status, text(error), labels)
  }

  @Test("a well-formed fit writes labels and returns SKM_OK")
  func wellFormed() {
    let values: [Double] = [0, 0, 0, 1, 1, 0, 9, 9, 9, 8, 8, 9]
    let (status, message, labels) = fitDense(values, rows: 6, columns: 2, k: 2)
    #expect(status == Int32(SKM_OK.rawValue), "\(message)")
    #expect(Set(labels[0..<3]).count == 1 && Set(labels[3..<6]).count == 1)
    #expect(labels[0] != labels[3])
  }

  @Test("malformed shapes, settings and values are refused with a message")
  func malformed() {
    let values = (0..<40).map { Double($0 % 7) + Double($0) / 100 }
    let cases: [(String, Int64, Int64, Int64, (inout skm_config) -> Void)] = [
      ("negative rows", -1, 4, 2, { _ in }),
      ("k above the rows", 10, 4, 11, { _ in }),
      ("k zero", 10, 4, 0, { _ in }),
      ("bad metric", 10, 4, 2, { $0.metric = 9 }),
      ("bad seeding", 10, 4, 2, { $0.init_method = -3 }),
      ("bad algorithm", 10, 4, 2, { $0.algorithm = 77 }),
      ("NaN tolerance", 10, 4, 2, { $0.tol = .nan }),
      ("too many threads", 10, 4, 2, { $0.n_threads = 1 << 40 }),
      ("given centers missing", 10, 4, 2, { $0.init_method = Int32(SKM_INIT_CENTERS) }),
      ("frozen all", 10, 4, 2, { $0.n_frozen = 2 }),
    ]
    for (name, rows, columns, k, configure) in cases {
      let (status, message, _) = fitDense(
        values, rows: rows, columns: columns, k: k, configure: configure)
      #expect(status == Int32(SKM_ERROR.rawValue), "\(name)")
      #expect(!message.isEmpty, "\(name)")
    }
    var withNaN = values
    withNaN[13] = .nan
    let (status, message, _) = fitDense(withNaN, rows: 10, columns: 4, k: 2)
    #expect(status == Int32(SKM_ERROR.rawValue))
    #expect(message.contains("row 3") && message.contains("column 1"), "\(message)")
  }

  @Test("random corruptions of CSR offsets and indices are refused", arguments: 0..<50)
  func corruptCSR(seed: Int) {
    var generator = SplitMix(seed: UInt64(seed))
    let rows = 5
    let columns: Int64 = 6
    var offsets: [Int64] = [0, 2, 3, 5, 7, 9]
    var indices: [Int32] = [0, 3, 1, 2, 5, 0, 4, 1, 3]
    var values: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    switch generator.next() % 3 {
    case 0: offsets[Int(1 + generator.next() % 4)] = Int64(values.count + 2)
    case 1: indices[Int(generator.next() % 9)] = [-1, 6, Int32.max][Int(generator.next() % 3)]
    default: offsets[5] = 4
    }
    var config = skm_config()
    config.n_clusters = 2
    config.tol = -1
    config.relative_tol = -1
    var error = [CChar](repeating: 0, count: 256)
    var centers = [Double](repeating: 0, count: 12)
    let status = offsets.withUnsafeBufferPointer { offsetBuffer in
      indices.withUnsafeBufferPointer { indexBuffer in
        values.withUnsafeMutableBufferPointer { valueBuffer in
          centers.withUnsafeMutableBytes { centerBytes in
            var data = skm_data(
              dtype: Int32(SKM_FLOAT64), rows: Int64(rows), columns: columns,
              values: UnsafeRawPointer(valueBuffer.baseAddress), indptr: offsetBuffer.baseAddress,
              indices: indexBuffer.baseAddress, nnz: Int64(valueBuffer.count), weights: nil)
            var result = skm_fit_result(
              centers: centerBytes.baseAddress, labels: nil, inertia: 0, n_iter: 0,
              stop_reason: 0)
            return KMeansC.fit(&data, &config, nil, &result, &error, Int64(error.count))
          }
        }
      }
    }
    #expect(status == Int32(SKM_ERROR.rawValue))
    #expect(!text(error).isEmpty)
  }

  @Test("NULL arguments and a zero-length message buffer are safe")
  func nulls() {
    #expect(KMeansC.fit(nil, nil, nil, nil, nil, 0) == Int32(SKM_ERROR.rawValue))
    var error = [CChar](repeating: 0, count: 8)
    #expect(KMeansC.fit(nil, nil, nil, nil, &error, 8) == Int32(SKM_ERROR.rawValue))
    #expect(text(error).count == 7)  // truncated to the buffer, NUL-terminated
    #expect(
      KMeansC.estimatorModel(nil, nil, nil, nil, nil, nil, nil, 0, nil, 0)
        == Int32(SKM_ERROR.rawValue))
    #expect(String(cString: KMeansC.version()) == "1.0.0")
  }
}

/// The NUL-terminated message in a caller's buffer.
func text(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// SplitMix64: a small seeded generator for the corruptions.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
