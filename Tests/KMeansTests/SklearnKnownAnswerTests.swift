import Foundation
import KMeans
import KMeansTestSupport
import Testing

/// Lloyd from the same initial centers as scikit-learn must give its labels, inertia and
/// iteration count (Scripts/generate-sklearn-fixtures.py wrote the answers).
@Suite("Known answers from scikit-learn")
struct SklearnKnownAnswerTests {
  static let caseNames = SklearnFixture.shared.cases.map { "\($0.name) \($0.dtype)" }

  @Test("labels, inertia and iterations match", arguments: caseNames)
  func matchesScikitLearn(caseName: String) throws {
    let fixture = SklearnFixture.shared
    let known = try #require(fixture.cases.first { "\($0.name) \($0.dtype)" == caseName })
    if known.dtype == "float32" {
      try check(known, fixture: fixture, as: Float.self)
    } else {
      try check(known, fixture: fixture, as: Double.self)
    }
  }

  func check<Scalar: KMeansScalar>(
    _ known: SklearnFixture.Case, fixture: SklearnFixture, as _: Scalar.Type
  ) throws {
    let data: Matrix<Scalar> =
      known.name == "digits"
      ? try TestData.digits(Scalar.self).0
      : try Matrix(rows: fixture.blobs).converted(to: Scalar.self)
    var configuration = KMeansConfiguration(clusterCount: known.initialCenters.count)
    configuration.initialization = .centers(try Matrix<Double>(rows: known.initialCenters))
    let result = try KMeansModel.fit(data, configuration: configuration)
    #expect(result.labels == known.labels)
    #expect(result.model.iterationCount == known.iterations)
    let relativeError = abs(result.model.inertia - known.inertia) / known.inertia
    #expect(
      relativeError < 1e-5, "inertia \(result.model.inertia) vs scikit-learn \(known.inertia)")
    for (row, center) in known.centers.enumerated() {
      for (column, value) in center.enumerated() {
        let ours = Double(result.model.centers[row, column])
        #expect(abs(ours - value) <= 1e-4 * max(1, abs(value)), "center \(row), column \(column)")
      }
    }
  }

  @Test("the empty-cluster case relocates in the first iteration")
  func emptyClusterIsRelocated() throws {
    let fixture = SklearnFixture.shared
    let known = try #require(fixture.cases.first { $0.name == "blobs-empty-cluster" })
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.initialization = .centers(try Matrix<Double>(rows: known.initialCenters))
    let result = try KMeansModel.fit(
      try Matrix<Double>(rows: fixture.blobs), configuration: configuration)
    #expect(result.model.iterationStatistics[0].relocatedClusters == 1)
    #expect(result.model.iterationStatistics.dropFirst().allSatisfy { $0.relocatedClusters == 0 })
  }

  @Test("the adjusted Rand index on digits matches scikit-learn's")
  func adjustedRandIndex() throws {
    let fixture = SklearnFixture.shared
    let (_, truth) = try TestData.digits(Double.self)
    let ari = try ClusteringAgreement.adjustedRandIndex(truth, fixture.cases[0].labels)
    #expect(abs(ari - fixture.digitsAdjustedRandIndex) < 1e-12)
  }
}
