import CKMeansSIMD
import KMeansKernels
import Testing

/// Every assignment kernel — fused AVX-512, fused AVX2 (where the CPU has them), the C
/// portable loop and the BLAS tiles, in Float and Double — against a plain Double reference.
@Suite("Fused distance + argmin kernels")
struct FusedKernelTests {
  struct Case: Sendable, CustomStringConvertible {
    var rows: Int
    var dimension: Int
    var centers: Int
    var cosine: Bool
    var description: String { "\(rows)×\(dimension) k=\(centers)\(cosine ? " cosine" : "")" }
  }

  static let cases = [
    Case(rows: 1000, dimension: 64, centers: 256, cosine: false),
    Case(rows: 333, dimension: 7, centers: 13, cosine: false),  // nothing a multiple of a lane
    Case(rows: 9, dimension: 1, centers: 1, cosine: false),
    Case(rows: 517, dimension: 33, centers: 40, cosine: true),
    // Centers over 256 KiB: rows in blocks (248 Float rows, 120 Double rows at AVX-512), each
    // pair of panels over a whole block; a partial block and an unpaired last panel.
    Case(rows: 300, dimension: 260, centers: 260, cosine: true),
    // Wide rows: blocks of 13 groups of 8 rows at AVX-512, 60 rows only part of one.
    Case(rows: 60, dimension: 600, centers: 130, cosine: false),
  ]

  /// The vector levels this machine runs: NEON (3) on AArch64; AVX2 (1), and AVX-512 (2)
  /// where the CPU has it, on x86-64.
  static var vectorLevels: [Int32] {
    switch kmeans_simd_level() {
    case 3: [3]
    case 2: [1, 2]
    case 1: [1]
    default: []
    }
  }

  /// The levels this machine runs, plus the portable C loop (level −1 stands for BLAS).
  static var levels: [Int32] { [-1, 0] + vectorLevels }

  func data<Scalar: KMeansScalar>(_ c: Case, as _: Scalar.Type = Float.self) -> (
    points: [Scalar], centers: [Scalar]
  ) {
    var numbers = NearestCenterKernelTests.Numbers(state: UInt64(c.rows * 31 + c.centers))
    func rows(_ count: Int) -> [Scalar] {
      var values = (0..<(count * c.dimension)).map { _ in Scalar(numbers.next()) }
      if c.cosine {
        for row in 0..<count {
          let slice = values[(row * c.dimension)..<((row + 1) * c.dimension)]
          let norm = slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
          for column in 0..<c.dimension { values[row * c.dimension + column] /= norm }
        }
      }
      return values
    }
    return (rows(c.rows), rows(c.centers))
  }

  func assign<Scalar: KMeansScalar>(
    _ c: Case, points: [Scalar], centers: [Scalar], level: Int32, from start: Int = 0
  ) -> (labels: [Int32], distances: [Scalar]) {
    let n = c.rows - start
    var norms = [Scalar](repeating: 0, count: c.centers)
    var labels = [Int32](repeating: -1, count: n)
    var distances = [Scalar](repeating: -1, count: n)
    var scratch = AssignmentScratch<Scalar>()
    points.withUnsafeBufferPointer { p in
      centers.withUnsafeBufferPointer { centerBuffer in
        norms.withUnsafeMutableBufferPointer { normBuffer in
          Scalar._kernels.squaredNorms(
            centerBuffer.baseAddress!, c.centers, c.dimension, normBuffer.baseAddress!)
          let block = DistanceBlock(
            points: p.baseAddress! + start * c.dimension, rowCount: n, dimension: c.dimension,
            centers: centerBuffer.baseAddress!, centerCount: c.centers,
            centerSquaredNorms: UnsafePointer(normBuffer.baseAddress!),
            distance: c.cosine ? .cosine : .squaredEuclidean)
          labels.withUnsafeMutableBufferPointer { l in
            distances.withUnsafeMutableBufferPointer { s in
              if level < 0 {
                NearestCenterKernel<Scalar>.assignWithGEMM(
                  block, labels: l.baseAddress!, distances: s.baseAddress!, scratch: &scratch,
                  gemm: Scalar._kernels.multiplyTransposed)
              } else {
                FusedKernel.assign(
                  block, labels: l.baseAddress!, distances: s.baseAddress!, scratch: &scratch,
                  level: level)
              }
            }
          }
        }
      }
    }
    return (labels, distances)
  }

  @Test("every kernel picks a nearest center and its exact distance", arguments: cases)
  func againstReference(c: Case) throws {
    try check(c, as: Float.self)
    try check(c, as: Double.self)
  }

  func check<Scalar: KMeansScalar>(_ c: Case, as _: Scalar.Type) throws {
    let (points, centers) = data(c, as: Scalar.self)
    let tolerance = Scalar.self == Float.self ? 1e-5 : 1e-12
    for level in Self.levels {
      let (labels, distances) = assign(c, points: points, centers: centers, level: level)
      for row in 0..<c.rows {
        // The reference: every distance in Double.
        var all: [Double] = []
        for center in 0..<c.centers {
          var sum = 0.0
          for column in 0..<c.dimension {
            let x = Double(points[row * c.dimension + column])
            let y = Double(centers[center * c.dimension + column])
            sum += c.cosine ? x * y : (x - y) * (x - y)
          }
          all.append(c.cosine ? 1 - sum : sum)
        }
        let best = all.min() ?? 0
        let chosen = all[Int(labels[row])]
        // A different label only on a near-tie within Float rounding.
        #expect(
          chosen - best <= tolerance * max(1, abs(best)),
          "\(Scalar.self) level \(level), row \(row)")
        #expect(abs(Double(distances[row]) - max(0, chosen)) <= tolerance * max(1, chosen))
      }
    }
  }

  @Test(
    "the fused kernels give the same bits wherever a row falls in its group or block",
    arguments: [
      Case(rows: 203, dimension: 19, centers: 37, cosine: false),
      Case(rows: 400, dimension: 260, centers: 270, cosine: false),
    ])
  func independentOfGrouping(c: Case) throws {
    let (points, centers) = data(c, as: Float.self)
    let (doublePoints, doubleCenters) = data(c, as: Double.self)
    for level in Self.levels where level > 0 {
      let whole = assign(c, points: points, centers: centers, level: level)
      let shifted = assign(c, points: points, centers: centers, level: level, from: 5)
      #expect(Array(whole.labels[5...]) == shifted.labels, "level \(level)")
      #expect(Array(whole.distances[5...]) == shifted.distances, "level \(level)")
      let wholeDouble = assign(c, points: doublePoints, centers: doubleCenters, level: level)
      let shiftedDouble = assign(
        c, points: doublePoints, centers: doubleCenters, level: level, from: 5)
      #expect(Array(wholeDouble.labels[5...]) == shiftedDouble.labels, "Double level \(level)")
    }
  }

  @Test(
    "the runner-up (Hamerly's bound) is the second-smallest value, and tracking it changes no label",
    arguments: [1, 2, 3])
  func runnerUp(level: Int32) throws {
    guard Self.vectorLevels.contains(level) else { return }
    try runnerUp(level: level, as: Double.self)
    try runnerUp(level: level, as: Float.self)
  }

  func runnerUp<Scalar: KMeansScalar>(level: Int32, as _: Scalar.Type) throws {
    let c = Case(rows: 301, dimension: 21, centers: 45, cosine: false)
    let (points, centers) = data(c, as: Scalar.self)
    var norms = [Scalar](repeating: 0, count: c.centers)
    var labels = [Int32](repeating: -1, count: c.rows)
    var plainLabels = [Int32](repeating: -1, count: c.rows)
    var distances = [Scalar](repeating: -1, count: c.rows)
    var second = [Scalar](repeating: -1, count: c.rows)
    var scratch = AssignmentScratch<Scalar>()
    points.withUnsafeBufferPointer { p in
      centers.withUnsafeBufferPointer { centerBuffer in
        norms.withUnsafeMutableBufferPointer { normBuffer in
          Scalar._kernels.squaredNorms(
            centerBuffer.baseAddress!, c.centers, c.dimension, normBuffer.baseAddress!)
          let block = DistanceBlock(
            points: p.baseAddress!, rowCount: c.rows, dimension: c.dimension,
            centers: centerBuffer.baseAddress!, centerCount: c.centers,
            centerSquaredNorms: UnsafePointer(normBuffer.baseAddress!), distance: .squaredEuclidean)
          FusedKernel.assign(
            block, labels: &labels, distances: &distances, scratch: &scratch, level: level,
            second: &second)
          FusedKernel.assign(
            block, labels: &plainLabels, distances: &distances, scratch: &scratch, level: level)
        }
      }
    }
    #expect(labels == plainLabels, "level \(level)")
    let tolerance = Scalar.self == Float.self ? 1e-4 : 1e-12
    for row in 0..<c.rows {
      var values: [Double] = []
      for center in 0..<c.centers {
        var dot = 0.0
        for column in 0..<c.dimension {
          dot +=
            Double(points[row * c.dimension + column])
            * Double(centers[center * c.dimension + column])
        }
        values.append(Double(norms[center]) - 2 * dot)
      }
      let sorted = values.sorted()
      #expect(
        abs(Double(second[row]) - sorted[1]) <= tolerance * max(1, abs(sorted[1])),
        "level \(level) row \(row)")
      #expect(
        abs(values[Int(labels[row])] - sorted[0]) <= tolerance * max(1, abs(sorted[0])))
    }
  }

  @Test("exact ties go to the first center, in any lane and any panel")
  func tiesKeepTheFirstCenter() throws {
    try ties(as: Float.self)
    try ties(as: Double.self)
  }

  func ties<Scalar: KMeansScalar>(as _: Scalar.Type) throws {
    // 11 distinct centers, each repeated at 5 places (k = 55): same lane of other panels,
    // other lanes of the same panel. Every row's nearest value is held by several centers.
    let distinct = 11
    let copies = 5
    let c = Case(rows: 97, dimension: 6, centers: distinct * copies, cosine: false)
    let (points, base) = data(
      Case(rows: 97, dimension: 6, centers: distinct, cosine: false), as: Scalar.self)
    var centers: [Scalar] = []
    for copy in 0..<copies {
      for center in 0..<distinct {
        let source = (center * 7 + copy * 3) % distinct  // a different order in each copy
        centers += base[(source * c.dimension)..<((source + 1) * c.dimension)]
      }
    }
    for level in Self.levels where level >= 0 {
      let (labels, _) = assign(c, points: points, centers: centers, level: level)
      for row in 0..<c.rows {
        let label = Int(labels[row])
        let winner = Array(centers[(label * c.dimension)..<((label + 1) * c.dimension)])
        let first = (0..<c.centers).first {
          Array(centers[($0 * c.dimension)..<(($0 + 1) * c.dimension)]) == winner
        }
        #expect(first == label, "\(Scalar.self) level \(level) row \(row)")
      }
    }
  }

  @Test("centers packed once for a pass give the bits of centers packed per call")
  func packedOnce() throws {
    guard FusedKernel.level > 0 else { return }
    let c = Case(rows: 211, dimension: 23, centers: 41, cosine: false)
    let (points, centers) = data(c, as: Float.self)
    let perCall = assign(c, points: points, centers: centers, level: FusedKernel.level)
    var norms = [Float](repeating: 0, count: c.centers)
    var labels = [Int32](repeating: -1, count: c.rows)
    var distances = [Float](repeating: -1, count: c.rows)
    var scratch = AssignmentScratch<Float>()
    points.withUnsafeBufferPointer { p in
      centers.withUnsafeBufferPointer { centerBuffer in
        norms.withUnsafeMutableBufferPointer { normBuffer in
          Float._kernels.squaredNorms(
            centerBuffer.baseAddress!, c.centers, c.dimension, normBuffer.baseAddress!)
          let block = DistanceBlock(
            points: p.baseAddress!, rowCount: c.rows, dimension: c.dimension,
            centers: centerBuffer.baseAddress!, centerCount: c.centers,
            centerSquaredNorms: UnsafePointer(normBuffer.baseAddress!), distance: .squaredEuclidean)
          FusedKernel.withPackedCenters(block) { packed in
            #expect(packed.packedCenters != nil)
            // Two pieces, as two chunks of a pass read the same panels.
            FusedKernel.assign(
              packed.rows(from: 0, count: 100), labels: &labels, distances: &distances,
              scratch: &scratch, level: FusedKernel.level)
            labels.withUnsafeMutableBufferPointer { l in
              distances.withUnsafeMutableBufferPointer { s in
                FusedKernel.assign(
                  packed.rows(from: 100, count: c.rows - 100), labels: l.baseAddress! + 100,
                  distances: s.baseAddress! + 100, scratch: &scratch, level: FusedKernel.level)
              }
            }
          }
        }
      }
    }
    #expect(labels == perCall.labels)
    #expect(distances == perCall.distances)
  }

  @Test(
    "k-means++ candidate distances from the SIMD dot kernel match a Double reference",
    arguments: [1, 7, 8, 19, 64])
  func candidateDistances(dimension: Int) throws {
    try candidateDistances(dimension: dimension, as: Float.self)
    try candidateDistances(dimension: dimension, as: Double.self)
  }

  func candidateDistances<Scalar: KMeansScalar>(dimension: Int, as _: Scalar.Type) throws {
    for m in [1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13] {
      for cosine in [false, true] {
        let c = Case(rows: 37, dimension: dimension, centers: m, cosine: cosine)
        let (points, centers) = data(c, as: Scalar.self)
        var norms = [Scalar](repeating: 0, count: m)
        var output = [Scalar](repeating: -1, count: c.rows * m)
        points.withUnsafeBufferPointer { p in
          centers.withUnsafeBufferPointer { centerBuffer in
            norms.withUnsafeMutableBufferPointer { normBuffer in
              Scalar._kernels.squaredNorms(
                centerBuffer.baseAddress!, m, dimension, normBuffer.baseAddress!)
              let block = DistanceBlock(
                points: p.baseAddress!, rowCount: c.rows, dimension: dimension,
                centers: centerBuffer.baseAddress!, centerCount: m,
                centerSquaredNorms: UnsafePointer(normBuffer.baseAddress!),
                distance: cosine ? .cosine : .squaredEuclidean)
              output.withUnsafeMutableBufferPointer {
                FusedKernel.candidateDistances(block, output: $0.baseAddress!)
              }
            }
          }
        }
        let tolerance = Scalar.self == Float.self ? 1e-4 : 1e-11
        for row in 0..<c.rows {
          for center in 0..<m {
            var sum = 0.0
            for column in 0..<dimension {
              let x = Double(points[row * dimension + column])
              let y = Double(centers[center * dimension + column])
              sum += cosine ? x * y : (x - y) * (x - y)
            }
            let expected = max(0, cosine ? 1 - sum : sum)
            #expect(
              abs(Double(output[row * m + center]) - expected) <= tolerance * max(1, expected),
              "\(Scalar.self) d=\(dimension) m=\(m) cosine=\(cosine) row \(row) center \(center)")
          }
        }
      }
    }
  }
}
