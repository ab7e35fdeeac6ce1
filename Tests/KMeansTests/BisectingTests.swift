import Foundation
import KMeans
import KMeansTestSupport
import Testing

@Suite("Bisecting k-means")
struct BisectingTests {
  struct Fixture: Decodable {
    var digitsK10Inertia: [String: [Double]]
  }

  @Test(
    "inertia on digits within a few percent of scikit-learn's; the tree predicts the labels",
    arguments: BisectingKMeansModel<Double>.Strategy.allCases)
  func digits(strategy: BisectingKMeansModel<Double>.Strategy) throws {
    let fixture = try JSONDecoder().decode(
      Fixture.self,
      from: Data(
        contentsOf: TestData.root.appendingPathComponent(
          "Tests/KMeansTests/Fixtures/sklearn-bisecting.json")))
    let key = strategy == .biggestInertia ? "biggest_inertia" : "largest_cluster"
    let theirs = try #require(fixture.digitsK10Inertia[key])
    let (data, _) = try TestData.digits(Double.self)
    var ours: [Double] = []
    for seed in 0..<5 as Range<UInt64> {
      var configuration = KMeansConfiguration(clusterCount: 10)
      configuration.seed = seed
      let (model, labels) = try BisectingKMeansModel.fit(
        data, configuration: configuration, strategy: strategy)
      #expect(model.clusterCount == 10)
      #expect(Set(labels) == Set(0..<10))
      #expect(model.nodes.count == 19)
      let predicted = try model.predict(data)
      let agreeing = zip(predicted, labels).filter { $0 == $1 }.count
      #expect(
        Double(agreeing) >= 0.99 * Double(labels.count), "tree predict agrees on \(agreeing) rows")
      ours.append(model.inertia)
    }
    let mean = ours.reduce(0, +) / 5
    let reference = theirs.reduce(0, +) / 5
    #expect(
      abs(mean - reference) / reference < 0.05, "mean inertia \(mean) vs scikit-learn \(reference)")
  }

  @Test("leaves split in order: the root holds everything, children partition their parent")
  func tree() throws {
    let data = try TestData.blobs(rows: 900, dimension: 2, clusters: 3, seed: 4, as: Double.self)
    let (model, labels) = try BisectingKMeansModel.fit(
      data, configuration: KMeansConfiguration(clusterCount: 3), strategy: .largestCluster)
    #expect(model.nodes[0].size == 900)
    for node in model.nodes {
      if let children = node.children {
        #expect(model.nodes[children[0]].size + model.nodes[children[1]].size == node.size)
        #expect(node.label == nil)
      } else {
        #expect(node.label != nil)
      }
    }
    #expect(model.centers.rowCount == 3)
    #expect(labels.count == 900)
  }
}
