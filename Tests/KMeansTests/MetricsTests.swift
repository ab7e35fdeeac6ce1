import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// Metrics against scikit-learn 1.9.1 on the same labels (Scripts/generate-sklearn-fixtures.py).
@Suite("Metrics")
struct MetricsTests {
  struct Fixture: Decodable {
    struct Case: Decodable {
      var name: String
      var labels: [Int]
      var truth: [String]
      var silhouette: Double
      var silhouetteCosine: Double
      var calinskiHarabasz: Double
      var daviesBouldin: Double
      var adjustedRandIndex: Double
      var normalizedMutualInformation: Double
    }
    var cases: [Case]
  }

  static let fixture: Fixture = {
    let url = TestData.root.appendingPathComponent(
      "Tests/KMeansTests/Fixtures/sklearn-metrics.json")
    do {
      return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()

  func data(_ name: String) throws -> Matrix<Double> {
    var options = CSVReadOptions()
    options.labelColumn = .name(name == "digits" ? "digit" : "species")
    return try CSVReader.read(TestData.path("Data/\(name).csv"), options: options, as: Double.self)
      .matrix
  }

  func close(_ ours: Double, _ theirs: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(ours - theirs) <= tolerance * max(1, abs(theirs))
  }

  @Test(
    "silhouette, Calinski–Harabasz, Davies–Bouldin, ARI and NMI equal scikit-learn's",
    arguments: ["digits", "iris"])
  func knownAnswers(name: String) throws {
    let known = try #require(Self.fixture.cases.first { $0.name == name })
    let points = try data(name)
    let silhouette = try ClusteringMetrics.silhouette(points, labels: known.labels)
    #expect(
      close(silhouette, known.silhouette, 1e-7), "silhouette \(silhouette) vs \(known.silhouette)")
    let cosine = try ClusteringMetrics.silhouette(points, labels: known.labels, metric: .cosine)
    #expect(
      close(cosine, known.silhouetteCosine, 1e-7),
      "cosine silhouette \(cosine) vs \(known.silhouetteCosine)")
    let ch = try ClusteringMetrics.calinskiHarabasz(points, labels: known.labels)
    #expect(close(ch, known.calinskiHarabasz), "CH \(ch) vs \(known.calinskiHarabasz)")
    let db = try ClusteringMetrics.daviesBouldin(points, labels: known.labels)
    #expect(close(db, known.daviesBouldin), "DB \(db) vs \(known.daviesBouldin)")
    #expect(
      close(
        try ClusteringAgreement.adjustedRandIndex(known.truth, known.labels),
        known.adjustedRandIndex))
    let nmi = try ClusteringAgreement.normalizedMutualInformation(known.truth, known.labels)
    #expect(
      close(nmi, known.normalizedMutualInformation),
      "NMI \(nmi) vs \(known.normalizedMutualInformation)")
  }

  @Test("a sampled silhouette is seeded and close to the exact one")
  func sampledSilhouette() throws {
    let known = try #require(Self.fixture.cases.first { $0.name == "digits" })
    let points = try data("digits")
    let a = try ClusteringMetrics.silhouette(points, labels: known.labels, sampleSize: 800, seed: 1)
    let b = try ClusteringMetrics.silhouette(points, labels: known.labels, sampleSize: 800, seed: 1)
    #expect(a == b)
    #expect(abs(a - known.silhouette) < 0.03)
  }

  @Test("perfect and degenerate cases; bad input")
  func edges() throws {
    let labels = [0, 0, 1, 1]
    #expect(try ClusteringAgreement.normalizedMutualInformation(labels, ["a", "a", "b", "b"]) == 1)
    #expect(try ClusteringAgreement.normalizedMutualInformation([0, 0, 0], [1, 1, 1]) == 1)
    let points = try Matrix<Double>(rows: [[0, 0], [0, 1], [10, 0], [10, 1]])
    #expect(try ClusteringMetrics.silhouette(points, labels: labels) > 0.8)
    #expect(try ClusteringMetrics.daviesBouldin(points, labels: labels) < 0.2)
    #expect(throws: KMeansError.self) {
      try ClusteringMetrics.silhouette(points, labels: [0, 0, 0, 0])
    }
    #expect(throws: KMeansError.self) { try ClusteringMetrics.silhouette(points, labels: [0, 1]) }
    #expect(throws: KMeansError.self) {
      try ClusteringMetrics.calinskiHarabasz(points, labels: [0, 1, 2, 3])
    }
  }
}

@Suite("Agreement of labelings")
struct AgreementArgumentTests {
  @Test("labelings of different lengths are a typed error, not a crash")
  func differentLengths() {
    #expect(
      throws: KMeansError.shapeMismatch(
        "labelings of 3 and 2 points; they must label the same points")
    ) {
      _ = try ClusteringAgreement.adjustedRandIndex([0, 1, 1], [0, 1])
    }
    #expect(throws: KMeansError.self) {
      _ = try ClusteringAgreement.normalizedMutualInformation(["a"], [0, 1])
    }
  }
}
