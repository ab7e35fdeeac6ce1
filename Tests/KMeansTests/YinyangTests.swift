import Foundation
import KMeans
import KMeansTestSupport
import Testing

/// Yinyang's group bounds must change the work, never the result: every test compares with
/// plain Lloyd from the same seed, bit for bit.
@Suite("Yinyang's exact group-bounded Lloyd")
struct YinyangTests {
  /// Lloyd and Yinyang from the same settings: the same labels, centers, losses, changed counts
  /// and iterations, and (when `savesWork`) fewer rows fully assigned after the first pass.
  func expectSameAsLloyd<Scalar: KMeansScalar>(
    _ fit: (KMeansConfiguration) throws -> KMeansFitResult<Scalar>, k: Int,
    metric: DistanceMetric = .squaredEuclidean, rows: Int, threads: [Int] = [2],
    maxIterations: Int = 50, weights: Bool = false, savesWork: Bool = true
  ) throws {
    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.metric = metric
    configuration.maxIterations = maxIterations
    configuration.tolerance = 0
    configuration.seed = 29
    configuration.threadCount = 2
    configuration.algorithm = .lloyd
    let lloyd = try fit(configuration)
    #expect(lloyd.model.iterationCount >= 3)
    for threadCount in threads {
      configuration.threadCount = threadCount
      configuration.algorithm = .yinyang
      let yinyang = try fit(configuration)
      #expect(lloyd.labels == yinyang.labels, "\(threadCount) threads")
      #expect(lloyd.model.centers == yinyang.model.centers, "\(threadCount) threads")
      #expect(lloyd.model.inertia == yinyang.model.inertia)
      #expect(lloyd.model.iterationCount == yinyang.model.iterationCount)
      #expect(
        lloyd.model.iterationStatistics.map(\.loss)
          == yinyang.model.iterationStatistics.map(\.loss))
      #expect(
        lloyd.model.iterationStatistics.map(\.changedLabels)
          == yinyang.model.iterationStatistics.map(\.changedLabels))
      let work = yinyang.model.iterationStatistics.compactMap(\.fullyAssignedPoints)
      #expect(work.count == yinyang.model.iterationCount)
      #expect(work.first == rows)
      // (The BLAS path re-assigns a failing row against every center: less saved there.)
      if savesWork {
        #expect(work.dropFirst().reduce(0, +) < work.dropFirst().count * rows * 3 / 4)
      }
    }
  }

  @Test(
    "Double blobs: the same as Lloyd for k from 16 to 300, on 1, 2 and 3 threads",
    arguments: [16, 64, 300])
  func sameAsLloyd(k: Int) throws {
    let data = try TestData.blobs(rows: 9000, dimension: 12, clusters: 40, seed: 9, as: Double.self)
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: k, rows: 9000,
      threads: k == 64 ? [1, 2, 3] : [2])
  }

  @Test("Float, both metrics: the same as Lloyd", arguments: DistanceMetric.allCases)
  func float(metric: DistanceMetric) throws {
    let data = try TestData.blobs(rows: 8000, dimension: 24, clusters: 60, seed: 3, as: Float.self)
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 150, metric: metric, rows: 8000)
  }

  @Test("with weights and an emptied cluster")
  func weighted() throws {
    let data = try TestData.blobs(rows: 6000, dimension: 6, clusters: 30, seed: 4, as: Double.self)
    let weights = (0..<data.rowCount).map { Double($0 % 4) }
    var initial = data.rows(0..<40)
    for column in 0..<6 { initial[39, column] = 500 }  // empty after the first assignment
    var configuration = KMeansConfiguration(clusterCount: 40)
    configuration.initialization = .centers(initial)
    configuration.tolerance = 0
    configuration.algorithm = .lloyd
    let lloyd = try KMeansModel.fit(data, weights: weights, configuration: configuration)
    #expect(lloyd.model.iterationStatistics[0].relocatedClusters >= 1)
    configuration.algorithm = .yinyang
    let yinyang = try KMeansModel.fit(data, weights: weights, configuration: configuration)
    #expect(lloyd.labels == yinyang.labels)
    #expect(lloyd.model.centers == yinyang.model.centers)
    #expect(lloyd.model.inertia == yinyang.model.inertia)
  }

  /// Where ‖c‖² − 2x·c cancels: the group bounds' margin must keep every label Lloyd's.
  @Test("far from the origin (norms about 1e4, Float)")
  func farFromOrigin() throws {
    let blobs = try TestData.blobs(rows: 3000, dimension: 16, clusters: 50, seed: 4, as: Float.self)
    let data = try Matrix(
      rowCount: 3000, columnCount: 16, values: blobs.values.map { $0 + 2500 })
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 60, rows: 3000, maxIterations: 30,
      savesWork: false)
  }

  @Test("sparse rows asked for Yinyang keep Hamerly's bounds: the same as Lloyd")
  func sparse() throws {
    let dense = try TestData.blobs(rows: 3000, dimension: 20, clusters: 30, seed: 6, as: Float.self)
    var random = RandomSource(seed: 8)
    var values = dense.values
    for index in values.indices where random.nextUnit() < 0.6 { values[index] = 0 }
    let data = SparseMatrix(try Matrix(rowCount: 3000, columnCount: 20, values: values))
    try expectSameAsLloyd(
      { try KMeansModel.fit(data, configuration: $0) }, k: 40, rows: 3000, savesWork: false)
  }

  @Test("automatic takes Yinyang from 512 clusters, and Yinyang is refused with mini-batch")
  func automatic() throws {
    let data = try TestData.blobs(rows: 4000, dimension: 8, clusters: 40, seed: 5, as: Float.self)
    var configuration = KMeansConfiguration(
      clusterCount: LloydAlgorithm.automaticYinyangClusterCount)
    configuration.seed = 3
    configuration.maxIterations = 5
    let automatic = try KMeansModel.fit(data, configuration: configuration)
    configuration.algorithm = .yinyang
    let yinyang = try KMeansModel.fit(data, configuration: configuration)
    #expect(automatic.model.centers == yinyang.model.centers)
    #expect(
      automatic.model.iterationStatistics.map(\.fullyAssignedPoints)
        == yinyang.model.iterationStatistics.map(\.fullyAssignedPoints))
    configuration.miniBatch = MiniBatchConfiguration()
    #expect(throws: KMeansError.self) { try configuration.validate() }
  }
}

/// FAISS's `max_points_per_centroid`: train on a sample, report every row.
@Suite("Training on at most N rows per center")
struct MaxPointsPerCenterTests {
  @Test("trains on k × N sampled rows, then labels every row; the same on any thread count")
  func sampled() throws {
    let data = try TestData.blobs(rows: 20000, dimension: 8, clusters: 25, seed: 7, as: Float.self)
    var configuration = KMeansConfiguration(clusterCount: 25)
    configuration.seed = 4
    let full = try KMeansModel.fit(data, configuration: configuration)
    configuration.maxPointsPerCenter = 64
    configuration.threadCount = 1
    let sampled = try KMeansModel.fit(data, configuration: configuration)
    configuration.threadCount = 2
    let twoThreads = try KMeansModel.fit(data, configuration: configuration)
    #expect(sampled.model.centers == twoThreads.model.centers)
    #expect(sampled.labels == twoThreads.labels)
    // The sample was used: other centers, still about as good on all rows.
    #expect(sampled.model.centers != full.model.centers)
    #expect(sampled.labels.count == 20000)
    #expect(sampled.model.inertia < 1.05 * full.model.inertia)
    // Labels, distances and inertia are those of every row against the trained centers.
    let (labels, distances) = try sampled.model.predictWithDistances(data)
    #expect(labels == sampled.labels)
    #expect(distances == sampled.distances)
    let score = try sampled.model.score(data)
    #expect(abs(score - sampled.model.inertia) <= 1e-9 * sampled.model.inertia)
  }

  @Test("no sampling when the rows fit; invalid settings refused")
  func limits() throws {
    let data = try TestData.blobs(rows: 3000, dimension: 4, clusters: 10, seed: 2, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 10)
    configuration.seed = 1
    let full = try KMeansModel.fit(data, configuration: configuration)
    configuration.maxPointsPerCenter = 300
    let same = try KMeansModel.fit(data, configuration: configuration)
    #expect(same.model.centers == full.model.centers)
    configuration.maxPointsPerCenter = 0
    #expect(throws: KMeansError.self) { try configuration.validate() }
    configuration.maxPointsPerCenter = 10
    configuration.miniBatch = MiniBatchConfiguration()
    #expect(throws: KMeansError.self) { try configuration.validate() }
  }
}
