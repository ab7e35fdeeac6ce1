import CKMeansSIMD
import KMeansKernels
import Testing

/// The winners' distances summed in C beside the assignment, and the cluster sums taken inside
/// the assignment pass: both must give the bits of the separate Swift loops they replace.
@Suite("Winners' distances and cluster sums inside the assignment pass")
struct FusedSumsTests {
  /// Seeded values in [-1, 1).
  static func values(_ count: Int, seed: UInt64) -> [Float] {
    var numbers = NearestCenterKernelTests.Numbers(state: seed)
    return (0..<count).map { _ in Float(numbers.next()) }
  }

  /// The engine's distance of a row to its center (`VectorKernels`): the reference.
  static func reference(_ x: [Float], _ c: [Float], cosine: Bool) -> Float {
    x.withUnsafeBufferPointer { xs in
      c.withUnsafeBufferPointer { cs in
        cosine
          ? max(0, 1 - VectorKernels.dot(xs.baseAddress!, cs.baseAddress!, x.count))
          : VectorKernels.squaredDistance(xs.baseAddress!, cs.baseAddress!, x.count)
      }
    }
  }

  @Test(
    "the C winners' distances are the engine's sums, bit for bit, at every level",
    arguments: [1, 7, 8, 9, 15, 16, 17, 33, 384, 385])
  func labelDistances(dimension d: Int) {
    let rows = 13  // three groups of four rows and one left over
    let k = 5
    let points = Self.values(rows * d, seed: UInt64(d))
    let centers = Self.values(k * d, seed: UInt64(d + 1000))
    let labels = (0..<rows).map { Int32(($0 * 3) % k) }
    for cosine in [false, true] {
      let expected = (0..<rows).map { row in
        Self.reference(
          Array(points[(row * d)..<((row + 1) * d)]),
          Array(centers[(Int(labels[row]) * d)..<((Int(labels[row]) + 1) * d)]), cosine: cosine)
      }
      for level in [0] + FusedKernelTests.vectorLevels {
        var distances = [Float](repeating: -1, count: rows)
        kmeans_simd_label_distances_f32(
          level, points, rows, Int32(d), centers, labels, cosine ? 1 : 0, &distances)
        #expect(
          distances.map(\.bitPattern) == expected.map(\.bitPattern),
          "d = \(d), level \(level), cosine \(cosine)")
      }
    }
  }

  @Test("labels and distances together equal the two calls, across the 24-row groups")
  func assignWithDistances() {
    let (rows, d, k) = (101, 37, 21)
    let points = Self.values(rows * d, seed: 5)
    let centers = Self.values(k * d, seed: 6)
    for level in FusedKernelTests.vectorLevels {
      let width = Int(kmeans_simd_panel_width(level))
      let panels = (k + width - 1) / width
      var norms = [Float](repeating: 0, count: k)
      for center in 0..<k {
        norms[center] = centers[(center * d)..<((center + 1) * d)].reduce(0) { $0 + $1 * $1 }
      }
      var packed = [Float](repeating: 0, count: panels * d * width)
      var packedNorms = [Float](repeating: 0, count: panels * width)
      kmeans_simd_pack_f32(centers, norms, Int32(k), Int32(d), Int32(width), &packed, &packedNorms)
      var labels = [Int32](repeating: -1, count: rows)
      var second = [Float](repeating: -1, count: rows)
      kmeans_simd_assign_f32(
        level, points, rows, Int32(d), packed, packedNorms, Int32(k), &labels, &second)
      var distances = [Float](repeating: -1, count: rows)
      kmeans_simd_label_distances_f32(level, points, rows, Int32(d), centers, labels, 0, &distances)
      var fusedLabels = [Int32](repeating: -1, count: rows)
      var fusedSecond = [Float](repeating: -1, count: rows)
      var fusedDistances = [Float](repeating: -1, count: rows)
      kmeans_simd_assign_distances_f32(
        level, points, rows, Int32(d), packed, packedNorms, Int32(k), centers, 0, &fusedLabels,
        &fusedDistances, &fusedSecond)
      #expect(fusedLabels == labels, "level \(level)")
      #expect(fusedSecond.map(\.bitPattern) == second.map(\.bitPattern), "level \(level)")
      #expect(fusedDistances.map(\.bitPattern) == distances.map(\.bitPattern), "level \(level)")
    }
  }

  struct Pass: Sendable, CustomStringConvertible {
    var rows: Int
    var threads: Int
    var weighted: Bool
    var bounded: Bool
    var description: String {
      "\(rows) rows, \(threads) threads\(weighted ? ", weighted" : "")\(bounded ? ", Hamerly" : "")"
    }
  }

  /// Sizes where the sums' blocks change: 16 blocks of 4,096 rows (65,536), blocks of
  /// 4,376 rows that do not line up with the pass's 1,024-row pieces (70,001), and more
  /// (100,003 rows: 6,251 a block).
  static let passes = [
    Pass(rows: 65_536, threads: 2, weighted: false, bounded: false),
    Pass(rows: 70_001, threads: 2, weighted: true, bounded: false),
    Pass(rows: 70_001, threads: 3, weighted: false, bounded: true),
    Pass(rows: 100_003, threads: 1, weighted: true, bounded: true),
    Pass(rows: 100_003, threads: 4, weighted: false, bounded: false),
  ]

  @Test("sums taken inside the pass equal sums after it, bit for bit", arguments: passes)
  func sumsInsideThePass(pass: Pass) {
    let (d, k) = (6, 9)
    // Values over 40 binary orders of magnitude: their sums in Double round, so adding the
    // rows in another order would show in the bits.
    let points = Self.values(pass.rows * d, seed: UInt64(pass.rows)).enumerated().map {
      $1 * Float(sign: .plus, exponent: ($0 * 7919) % 41 - 20, significand: 1)
    }
    let rows = DenseRows(storage: points, rowCount: pass.rows, columnCount: d)
    let centers = KernelCenters(values: Self.values(k * d, seed: 77), count: k, dimension: d)
    let weights = pass.weighted ? (0..<pass.rows).map { 0.5 + Double($0 % 7) } : nil
    func run(fused: Bool) -> (ClusterSums, [Int32], [Float], PassTotals, Bool) {
      var buffers = AssignmentBuffers<Float>(
        rowCount: pass.rows, boundsPerRow: pass.bounded ? 1 : 0)
      var sums = ClusterSumsAccumulator<Float>(clusterCount: k, dimension: d, rowCount: pass.rows)
      var tookSums = false
      let totals: PassTotals
      if fused {
        totals = sums.withFusedSums(rows, weights: weights, at: 0, threadCount: pass.threads) {
          fusedSums in
          tookSums = fusedSums != nil
          return pass.bounded
            ? AssignmentPass.bounded(
              rows, to: centers, distance: .squaredEuclidean, geometry: nil, weights: weights,
              threadCount: pass.threads, into: &buffers, at: 0, countChanges: false,
              sums: fusedSums)
            : AssignmentPass.nearest(
              rows, to: centers, distance: .squaredEuclidean, weights: weights,
              threadCount: pass.threads, into: &buffers, at: 0, countChanges: false,
              sums: fusedSums)
        }
      } else {
        totals =
          pass.bounded
          ? AssignmentPass.bounded(
            rows, to: centers, distance: .squaredEuclidean, geometry: nil, weights: weights,
            threadCount: pass.threads, into: &buffers, at: 0, countChanges: false)
          : AssignmentPass.nearest(
            rows, to: centers, distance: .squaredEuclidean, weights: weights,
            threadCount: pass.threads, into: &buffers, at: 0, countChanges: false)
      }
      if !tookSums {
        sums.add(
          rows, labels: buffers.labels, labelOffset: 0, weights: weights, at: 0,
          threadCount: pass.threads)
      }
      return (sums.total(), buffers.labels, buffers.distances, totals, tookSums)
    }
    let separate = run(fused: false)
    let inside = run(fused: true)
    #expect(inside.4, "the pass takes the sums itself at \(pass)")
    #expect(inside.0 == separate.0)
    #expect(inside.1 == separate.1)
    #expect(inside.2.map(\.bitPattern) == separate.2.map(\.bitPattern))
    #expect(inside.3.chunkLosses == separate.3.chunkLosses)
    #expect(inside.3.reassignedRows == separate.3.reassignedRows)
    // And the separate sums are the definition: each cluster's rows added in row order
    // within each block, the blocks in order (checked on the counts and weight totals).
    var counts = [Int](repeating: 0, count: k)
    for label in separate.1 { counts[Int(label)] += 1 }
    #expect(separate.0.counts == counts)
  }

  @Test("too few blocks for the workers: the pass leaves the sums to a pass of their own")
  func fewBlocksStaySeparate() {
    let (n, d) = (20_000, 4)
    let rows = DenseRows(storage: Self.values(n * d, seed: 3), rowCount: n, columnCount: d)
    // k = 1,000: a block for every 8·k rows at most, so 2 blocks of 10,000 rows: fewer than
    // 4 for each of 2 workers.
    var sums = ClusterSumsAccumulator<Float>(clusterCount: 1_000, dimension: d, rowCount: n)
    #expect(sums.blockParts(offset: 0, count: n).count == 2)
    #expect(sums.withFusedSums(rows, weights: nil, at: 0, threadCount: 2) { $0 == nil })
    #expect(sums.withFusedSums(rows, weights: nil, at: 0, threadCount: 1) { $0 != nil })
    // A piece of the rows is cut where blocks end, relative to its first row.
    #expect(sums.blockParts(offset: 8_000, count: 5_000) == [0..<2_000, 2_000..<5_000])
    // k = 3: 16 blocks of 1,250 rows, enough for the workers.
    var small = ClusterSumsAccumulator<Float>(clusterCount: 3, dimension: d, rowCount: n)
    #expect(small.blockParts(offset: 0, count: n).count == 16)
    #expect(small.withFusedSums(rows, weights: nil, at: 0, threadCount: 2) { $0 != nil })
  }

}
