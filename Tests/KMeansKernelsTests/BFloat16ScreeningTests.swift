import CKMeansSIMD
import KMeansKernels
import Testing

/// The bfloat16 screen (`kmeans_simd_assign_bf16_f32`) gives the float32 kernel's labels bit for
/// bit: over shapes with every remainder of the 16-center panels, the 8-row blocks and the
/// pairs of dimensions, both metrics, and near ties built to defeat it — through the
/// `vdpbf16ps` kernel where the CPU has AVX512_BF16 and through its portable emulation
/// everywhere, with each float32 kernel this machine runs confirming.
@Suite("bfloat16 screening, float32 labels")
struct BFloat16ScreeningTests {
  /// Row-major rows and centers.
  struct Problem {
    var rows: [Float]
    var centers: [Float]
    var dimension: Int
    var cosine = false
    var rowCount: Int { rows.count / dimension }
    var centerCount: Int { centers.count / dimension }
  }

  /// The vector levels of this machine, and the portable loop (0).
  static var levels: [Int32] { [0] + FusedKernelTests.vectorLevels }

  /// The float32 kernel's labels at `level`.
  static func reference(_ problem: Problem, level: Int32) -> [Int32] {
    let (packed, norms) = pack(problem, level: level)
    var labels = [Int32](repeating: -1, count: problem.rowCount)
    kmeans_simd_assign_f32(
      level, problem.rows, problem.rowCount, Int32(problem.dimension), packed, norms,
      Int32(problem.centerCount), &labels, nil)
    return labels
  }

  /// The screen's labels and distances, and the rows it confirmed in float32.
  static func screened(_ problem: Problem, level: Int32, emulate: Bool) -> (
    labels: [Int32], distances: [Float], confirmed: Int
  ) {
    let (packed, packedNorms) = pack(problem, level: level)
    let d = Int32(problem.dimension)
    let k = Int32(problem.centerCount)
    var labels = [Int32](repeating: -1, count: problem.rowCount)
    var distances = [Float](repeating: .nan, count: problem.rowCount)
    var scratch = [Float](repeating: .nan, count: kmeans_bf16_scratch_floats(d, k))
    let norms = problem.cosine ? nil : squaredNorms(problem)
    let confirmed = norms.withOptionalPointer { norms in
      kmeans_simd_assign_bf16_f32(
        level, emulate ? 1 : 0, problem.rows, problem.rowCount, d, problem.centers, norms, k,
        packed, packedNorms, &labels, &distances, &scratch)
    }
    return (labels, distances, confirmed)
  }

  /// Each row's distance to its labelled center as the Swift engine computes it.
  static func engineDistances(_ problem: Problem, labels: [Int32]) -> [Float] {
    let d = problem.dimension
    return problem.rows.withUnsafeBufferPointer { rows in
      problem.centers.withUnsafeBufferPointer { centers in
        labels.enumerated().map { row, label in
          let x = rows.baseAddress! + row * d
          let c = centers.baseAddress! + Int(label) * d
          return problem.cosine
            ? max(0, 1 - VectorKernels.dot(x, c, d)) : VectorKernels.squaredDistance(x, c, d)
        }
      }
    }
  }

  static func squaredNorms(_ problem: Problem) -> [Float] {
    let d = problem.dimension
    return (0..<problem.centerCount).map { c in
      problem.centers[(c * d)..<((c + 1) * d)].reduce(Float(0)) { $0 + $1 * $1 }
    }
  }

  static func pack(_ problem: Problem, level: Int32) -> (packed: [Float], norms: [Float]) {
    let width = Int(kmeans_simd_panel_width(level))
    let panels = (problem.centerCount + width - 1) / width
    var packed = [Float](repeating: 0, count: panels * problem.dimension * width)
    var packedNorms = [Float](repeating: 0, count: panels * width)
    let norms =
      problem.cosine ? [Float](repeating: 0, count: problem.centerCount) : squaredNorms(problem)
    kmeans_simd_pack_f32(
      problem.centers, norms, Int32(problem.centerCount), Int32(problem.dimension),
      Int32(width), &packed, &packedNorms)
    return (packed, packedNorms)
  }

  /// Every screen this machine runs (emulated; `vdpbf16ps` where present) against every
  /// float32 kernel it runs; returns the fewest rows any of them confirmed.
  @discardableResult
  static func expectExact(_ problem: Problem, _ comment: Comment) -> Int {
    var fewest = Int.max
    for level in levels {
      let expected = reference(problem, level: level)
      for emulate in kmeans_simd_has_bf16() != 0 ? [true, false] : [true] {
        let (labels, distances, confirmed) = screened(problem, level: level, emulate: emulate)
        let wrong = zip(labels, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(
          wrong == nil,
          "\(comment): level \(level), \(emulate ? "emulated" : "vdpbf16ps"): row \(wrong?.offset ?? -1) got \(wrong?.element.0 ?? -1), float32 \(wrong?.element.1 ?? -1)"
        )
        let engine = engineDistances(problem, labels: expected)
        let far = distances.indices.first {
          distances[$0].bitPattern != engine[$0].bitPattern
            && !(distances[$0].isNaN && engine[$0].isNaN)
        }
        #expect(
          far == nil,
          "\(comment): level \(level): row \(far ?? -1)'s distance \(far.map { distances[$0] } ?? 0), engine's \(far.map { engine[$0] } ?? 0)"
        )
        fewest = min(fewest, confirmed)
      }
    }
    return fewest
  }

  static func random(rows n: Int, centers k: Int, dimension d: Int, cosine: Bool, seed: Int)
    -> Problem
  {
    var numbers = NearestCenterKernelTests.Numbers(state: UInt64(seed))
    func matrix(_ count: Int) -> [Float] {
      var values = (0..<(count * d)).map { _ in Float(numbers.next()) }
      if cosine {
        for row in 0..<count {
          let norm = values[(row * d)..<((row + 1) * d)].reduce(0) { $0 + $1 * $1 }.squareRoot()
          for j in 0..<d where norm > 0 { values[row * d + j] /= norm }
        }
      }
      return values
    }
    return Problem(rows: matrix(n), centers: matrix(k), dimension: d, cosine: cosine)
  }

  @Test(
    "random rows: every remainder of blocks, panels and pairs, both metrics",
    arguments: [
      (1, 2), (2, 3), (3, 16), (15, 17), (16, 33), (17, 5), (31, 48), (33, 100), (384, 40),
    ]
  )
  func randomShapes(dimension: Int, centers: Int) {
    for cosine in [false, true] {
      for rows in [1, 7, 8, 9, 61] {
        let problem = Self.random(
          rows: rows, centers: centers, dimension: dimension, cosine: cosine,
          seed: rows * 1_000 + dimension * 10 + centers)
        Self.expectExact(problem, "\(rows)×\(dimension), k = \(centers), cosine: \(cosine)")
      }
    }
  }

  @Test("well-separated clusters are decided by the screen alone")
  func separatedClustersNeedNoConfirmation() {
    // 8 centers far apart on the axes, rows near them: every margin is far above the bound.
    let d = 24
    var centers = [Float](repeating: 0, count: 8 * d)
    for c in 0..<8 { centers[c * d + c] = 10 }
    var numbers = NearestCenterKernelTests.Numbers(state: 7)
    var rows: [Float] = []
    for row in 0..<200 {
      let center = row % 8
      rows += (0..<d).map { j in centers[center * d + j] + Float(numbers.next()) * 0.5 }
    }
    let problem = Problem(rows: rows, centers: centers, dimension: d)
    #expect(Self.expectExact(problem, "separated") == 0)
  }

  @Test("exact and near ties: duplicate centers, midpoints, one-ulp neighbours, rows on centers")
  func nearTies() {
    let d = 40
    var numbers = NearestCenterKernelTests.Numbers(state: 11)
    let base = (0..<(6 * d)).map { _ in Float(numbers.next()) }
    var centers = base
    // Center 6 duplicates center 2 (an exact tie: the first wins); center 7 is center 4 one
    // ulp away in one coordinate; center 8 is center 0 with one coordinate's bfloat16 rounding
    // direction flipped.
    centers += base[(2 * d)..<(3 * d)]
    var nudged = Array(base[(4 * d)..<(5 * d)])
    nudged[5] = nudged[5].nextUp
    centers += nudged
    var flipped = Array(base[0..<d])
    flipped[3] += 0x1p-9 * max(abs(flipped[3]), 0x1p-20)
    centers += flipped
    var rows: [Float] = []
    for c in 0..<9 { rows += centers[(c * d)..<((c + 1) * d)] }  // rows on centers
    for (a, b) in [(0, 1), (2, 3), (1, 5), (0, 8), (4, 7)] {
      // The midpoint of two centers, and points a hair to either side.
      for t: Float in [0.5, 0.5 - 0x1p-12, 0.5 + 0x1p-12, 0.5 - 0x1p-20] {
        rows += (0..<d).map { j in centers[a * d + j] * t + centers[b * d + j] * (1 - t) }
      }
    }
    rows += (0..<d).map { j in (centers[2 * d + j] + centers[6 * d + j]) / 2 }
    let problem = Problem(rows: rows, centers: centers, dimension: d)
    let confirmed = Self.expectExact(problem, "near ties")
    #expect(confirmed > 0, "near ties must reach the float32 confirmation")
    // Symmetric ties: rows (t, t, …) against centers e₀ and e₁ — equal values in any precision.
    var axes = [Float](repeating: 0, count: 3 * 8)
    axes[0] = 1
    axes[8 + 1] = 1
    axes[16 + 2] = 3
    let symmetric = (0..<16).flatMap { i in
      [Float(i) / 7, Float(i) / 7] + [Float](repeating: 0.25, count: 6)
    }
    Self.expectExact(Problem(rows: symmetric, centers: axes, dimension: 8), "symmetric ties")
    Self.expectExact(
      Problem(rows: symmetric, centers: axes, dimension: 8, cosine: true), "symmetric, cosine")
  }

  @Test("scales where bfloat16 loses everything: far from the origin, tiny, huge, zeros, NaN")
  func extremeScales() {
    for (name, scale, offset) in [
      ("far from the origin", Float(1), Float(1_000)), ("tiny (subnormal products)", 1e-30, 0),
      ("huge", 1e16, 0), ("subnormal", 0x1p-136, 0),
    ] as [(String, Float, Float)] {
      var problem = Self.random(rows: 50, centers: 20, dimension: 19, cosine: false, seed: 5)
      problem.rows = problem.rows.map { $0 * scale + offset }
      problem.centers = problem.centers.map { $0 * scale + offset }
      Self.expectExact(problem, "\(name)")
    }
    var problem = Self.random(rows: 20, centers: 9, dimension: 6, cosine: false, seed: 9)
    for j in 0..<6 { problem.rows[3 * 6 + j] = 0 }
    problem.rows[5 * 6 + 2] = .nan
    problem.rows[6 * 6 + 1] = .infinity
    problem.centers[4 * 6 + 3] = .greatestFiniteMagnitude
    Self.expectExact(problem, "zeros, NaN, ∞ and the largest float")
  }

  @Test("crowded centers (tight bunches): after 512 rows the rest of the call in float32")
  func crowdedRowsFallBack() {
    // 64 centers in 8 tight bunches: nearly every row is within the bound of several.
    var problem = Self.random(rows: 2_000, centers: 64, dimension: 16, cosine: false, seed: 21)
    for c in 8..<64 {
      for j in 0..<16 {
        problem.centers[c * 16 + j] =
          problem.centers[(c % 8) * 16 + j] + problem.centers[c * 16 + j] * 1e-4
      }
    }
    let confirmed = Self.expectExact(problem, "crowded")
    // More than a quarter of the first 512 rows need float32 here, so the other 1,488 rows
    // are labelled there too (and counted).
    #expect(confirmed >= 1_488 + 128)
  }

  /// Labels through `FusedKernel.assign` (the engine's entry: the screen where it applies)
  /// with `scratch`, which lives for a pass.
  static func engineLabels(_ problem: Problem, scratch: inout AssignmentScratch<Float>)
    -> [Int32]
  {
    let norms = squaredNorms(problem)
    var labels = [Int32](repeating: -1, count: problem.rowCount)
    var distances = [Float](repeating: .nan, count: problem.rowCount)
    problem.rows.withUnsafeBufferPointer { rows in
      problem.centers.withUnsafeBufferPointer { centers in
        norms.withUnsafeBufferPointer { norms in
          let block = DistanceBlock(
            points: rows.baseAddress!, rowCount: problem.rowCount, dimension: problem.dimension,
            centers: centers.baseAddress!, centerCount: problem.centerCount,
            centerSquaredNorms: norms.baseAddress!, distance: .squaredEuclidean)
          FusedKernel.assign(
            block, labels: &labels, distances: &distances, scratch: &scratch,
            level: FusedKernel.level)
        }
      }
    }
    return labels
  }

  @Test("a worker whose call found the rows crowded labels the rest of its pass in float32")
  func crowdedPassKeepsToFloat32() throws {
    // The screen runs here only with AVX512_BF16 (and no KMEANS_KERNEL).
    guard FusedKernel.screens(dimension: 64, centers: 256) else { return }
    // 256 centers in 8 tight bunches: nearly every row is within the bound of several.
    var crowded = Self.random(rows: 1_024, centers: 256, dimension: 64, cosine: false, seed: 5)
    for c in 8..<256 {
      for j in 0..<64 {
        crowded.centers[c * 64 + j] =
          crowded.centers[(c % 8) * 64 + j] + crowded.centers[c * 64 + j] * 1e-4
      }
    }
    // The same centers spread out (each its own direction), rows near them: all decided by
    // the screen.
    var separated = crowded
    for c in 0..<256 {
      for j in 0..<64 { separated.centers[c * 64 + j] = j == c % 64 ? Float(10 + c / 64) : 0 }
    }
    for row in 0..<1_024 {
      for j in 0..<64 {
        separated.rows[row * 64 + j] =
          separated.centers[(row % 256) * 64 + j] + crowded.rows[row * 64 + j] * 0.01
      }
    }
    var fresh = AssignmentScratch<Float>()
    #expect(Self.engineLabels(separated, scratch: &fresh) == Self.reference(separated, level: 2))
    #expect(!fresh.screenGaveUp)
    var pass = AssignmentScratch<Float>()
    #expect(Self.engineLabels(crowded, scratch: &pass) == Self.reference(crowded, level: 2))
    #expect(pass.screenGaveUp)
    // The rest of the pass: float32, the same labels.
    #expect(Self.engineLabels(separated, scratch: &pass) == Self.reference(separated, level: 2))
    #expect(pass.screenGaveUp)
  }

  @Test(
    "embedding-like rows (unit length, 384 columns, 256 centers): most rows decided by the screen")
  func embeddingWidth() {
    // Centers are means of a few rows each (as after a k-means step): margins of real size.
    let d = 384
    var problem = Self.random(rows: 600, centers: 256, dimension: d, cosine: true, seed: 3)
    for c in 0..<256 {
      for j in 0..<d {
        problem.centers[c * d + j] =
          (problem.rows[(c % 600) * d + j] * 3 + problem.rows[((c * 7 + 1) % 600) * d + j]) / 4
      }
    }
    let confirmed = Self.expectExact(problem, "embeddings")
    #expect(confirmed < problem.rowCount / 2)
  }
}

extension Optional where Wrapped == [Float] {
  /// The array's base address, or nil, for the length of `body`.
  fileprivate func withOptionalPointer<Result>(_ body: (UnsafePointer<Float>?) -> Result)
    -> Result
  {
    switch self {
    case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
    case .none: body(nil)
    }
  }
}
