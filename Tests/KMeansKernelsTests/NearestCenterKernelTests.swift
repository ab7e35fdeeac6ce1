import KMeansKernels
import Testing

/// The fused GEMM + argmin kernel against a plain reference loop.
@Suite("Nearest-center kernel")
struct NearestCenterKernelTests {
  /// A tiny deterministic generator for test data (SplitMix64).
  struct Numbers {
    var state: UInt64
    mutating func next() -> Double {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Double((z ^ (z >> 31)) >> 11) * 0x1.0p-53 * 2 - 1
    }
  }

  func run<Scalar: KMeansScalar>(
    rows n: Int, dimension d: Int, centers k: Int, cosine: Bool, as _: Scalar.Type
  ) -> (labels: [Int32], distances: [Scalar], points: [Scalar], centers: [Scalar]) {
    var numbers = Numbers(state: UInt64(n * 1000 + k))
    func normalised(_ values: [Scalar], width: Int) -> [Scalar] {
      guard cosine else { return values }
      var result = values
      for row in 0..<(values.count / width) {
        let slice = values[(row * width)..<((row + 1) * width)]
        let norm = slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for column in 0..<width { result[row * width + column] /= norm }
      }
      return result
    }
    let points = normalised((0..<(n * d)).map { _ in Scalar(numbers.next()) }, width: d)
    let centers = normalised((0..<(k * d)).map { _ in Scalar(numbers.next()) }, width: d)
    var norms = [Scalar](repeating: 0, count: k)
    var labels = [Int32](repeating: -1, count: n)
    var distances = [Scalar](repeating: -1, count: n)
    var scratch = AssignmentScratch<Scalar>()
    points.withUnsafeBufferPointer { p in
      centers.withUnsafeBufferPointer { c in
        norms.withUnsafeMutableBufferPointer { norms in
          Scalar._kernels.squaredNorms(c.baseAddress!, k, d, norms.baseAddress!)
          let block = DistanceBlock(
            points: p.baseAddress!, rowCount: n, dimension: d, centers: c.baseAddress!,
            centerCount: k, centerSquaredNorms: UnsafePointer(norms.baseAddress!),
            distance: cosine ? .cosine : .squaredEuclidean)
          labels.withUnsafeMutableBufferPointer { l in
            distances.withUnsafeMutableBufferPointer { s in
              Scalar._kernels.assignNearest(block, l.baseAddress!, s.baseAddress!, &scratch)
            }
          }
        }
      }
    }
    return (labels, distances, points, centers)
  }

  @Test(
    "matches a reference loop (Float)",
    arguments: [(1, 1, 1), (300, 3, 7), (513, 17, 255), (260, 9, 600), (1000, 64, 256)])
  func float(shape: (Int, Int, Int)) {
    check(shape, Float.self)
  }

  @Test("matches a reference loop (Double)", arguments: [(300, 5, 130), (100, 33, 3)])
  func double(shape: (Int, Int, Int)) {
    check(shape, Double.self)
  }

  func check<Scalar: KMeansScalar>(_ shape: (Int, Int, Int), _ type: Scalar.Type) {
    let (n, d, k) = shape
    for cosine in [false, true] {
      let result = run(rows: n, dimension: d, centers: k, cosine: cosine, as: Scalar.self)
      var mismatches = 0
      for row in 0..<n {
        var reference: [Double] = []
        for center in 0..<k {
          var sum = 0.0
          for column in 0..<d {
            let x = Double(result.points[row * d + column])
            let c = Double(result.centers[center * d + column])
            sum += cosine ? x * c : (x - c) * (x - c)
          }
          reference.append(cosine ? 1 - sum : sum)
        }
        let best = reference.min()!
        let label = Int(result.labels[row])
        // The kernel may choose another center only when it is as near within rounding.
        if reference[label] > best + 1e-4 * max(1, best) { mismatches += 1 }
        #expect(abs(Double(result.distances[row]) - reference[label]) <= 1e-4 * max(1, best))
      }
      #expect(mismatches == 0, "\(mismatches) rows assigned to a farther center")
    }
  }

  @Test("ties go to the first center, across center tiles")
  func ties() {
    // Every center is the same point: all rows must pick center 0.
    let k = 700
    let d = 3
    let points: [Float] = [1, 2, 3, -1, 0, 4]
    let centers = [Float](repeating: 0.5, count: k * d)
    var norms = [Float](repeating: 0, count: k)
    var labels = [Int32](repeating: -1, count: 2)
    var distances = [Float](repeating: -1, count: 2)
    var scratch = AssignmentScratch<Float>()
    points.withUnsafeBufferPointer { p in
      centers.withUnsafeBufferPointer { c in
        norms.withUnsafeMutableBufferPointer { norms in
          Float._kernels.squaredNorms(c.baseAddress!, k, d, norms.baseAddress!)
          let block = DistanceBlock(
            points: p.baseAddress!, rowCount: 2, dimension: d, centers: c.baseAddress!,
            centerCount: k, centerSquaredNorms: UnsafePointer(norms.baseAddress!),
            distance: .squaredEuclidean)
          labels.withUnsafeMutableBufferPointer { l in
            distances.withUnsafeMutableBufferPointer { s in
              Float._kernels.assignNearest(block, l.baseAddress!, s.baseAddress!, &scratch)
            }
          }
        }
      }
    }
    #expect(labels == [0, 0])
    #expect(distances == [0.25 + 2.25 + 6.25, 2.25 + 0.25 + 12.25])
  }

  @Test("parallelFor runs every chunk exactly once", arguments: [1, 2, 7])
  func parallelForCoversEveryChunk(threads: Int) {
    // Each chunk owns its slot, as kernel callers do.
    var visits = [Int](repeating: 0, count: 1000)
    var workers = [Int](repeating: -1, count: 1000)
    visits.withUnsafeMutableBufferPointer { visitBuffer in
      workers.withUnsafeMutableBufferPointer { workerBuffer in
        let shared = UnsafeSendable((visitBuffer, workerBuffer))
        parallelFor(chunkCount: 1000, threadCount: threads) { chunk, worker in
          shared.value.0[chunk] += 1
          shared.value.1[chunk] = worker
        }
      }
    }
    #expect(visits.allSatisfy { $0 == 1 })
    #expect(workers.allSatisfy { $0 >= 0 && $0 < threads })
  }

  @Test("the BLAS library describes itself")
  func blasDescription() {
    // OpenBLAS names its build and the kernel it chose for this CPU (e.g. "Haswell").
    let description = BLASLibrary.description
    #if canImport(Accelerate)
      #expect(description == "Accelerate (vecLib)")
    #else
      #expect(description.hasPrefix("OpenBLAS "), "\(description)")
      let kernel = description.components(separatedBy: "(kernel: ").last?.dropLast() ?? ""
      #expect(description.contains("(kernel: ") && kernel.count >= 3, "\(description)")
    #endif
  }
}
