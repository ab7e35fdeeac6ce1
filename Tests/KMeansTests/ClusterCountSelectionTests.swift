import KMeans
import KMeansTestSupport
import Testing

@Suite("Choosing k")
struct ClusterCountSelectionTests {
  @Test("kneedle finds the elbow of a decreasing convex curve")
  func kneedle() {
    // y = 1/x has its knee where the curve bends most against the diagonal.
    let xs = (1...10).map(Double.init)
    #expect(ClusterCountSelection.kneedle(xs: xs, ys: xs.map { 1 / $0 }) == 2)
    // A sharp elbow at x = 4.
    let ys: [Double] = [100, 60, 30, 10, 9, 8, 7, 6]
    #expect(ClusterCountSelection.kneedle(xs: (1...8).map(Double.init), ys: ys) == 3)
    #expect(ClusterCountSelection.kneedle(xs: [1, 2], ys: [2, 1]) == nil)
    #expect(ClusterCountSelection.kneedle(xs: [1, 2, 3], ys: [5, 5, 5]) == nil)
  }

  @Test("a sweep over well-separated blobs suggests their number")
  func sweepFindsBlobs() throws {
    let data = try TestData.blobs(rows: 1200, dimension: 4, clusters: 5, seed: 12, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 2)
    configuration.restarts = 3
    let trials = try ClusterCountSelection.sweep(
      data, ks: Array(2...9), configuration: configuration)
    #expect(trials.map(\.k) == Array(2...9))
    #expect(ClusterCountSelection.bestSilhouette(trials) == 5)
    #expect(ClusterCountSelection.elbow(trials) == 5)
    #expect(trials.allSatisfy { $0.labels.count == 1200 })
    // The plot marks both suggestions, one point per trial on each curve, and escapes the title.
    let plot = SweepPlot.svg(trials, title: "blobs <5> & more", elbow: 5, bestSilhouette: 5)
    #expect(plot.hasPrefix("<svg") && plot.hasSuffix("</svg>\n"))
    #expect(plot.components(separatedBy: "<circle").count - 1 == trials.count + 1)
    #expect(plot.contains("elbow k=5") && plot.contains("best silhouette k=5"))
    #expect(plot.contains("blobs &lt;5&gt; &amp; more") && !plot.contains("<5>"))
    // Stopping early keeps what was done.
    let partial = try ClusterCountSelection.sweep(
      data, ks: Array(2...9), configuration: configuration
    ) { _, done in
      done < 3
    }
    #expect(partial.count == 3)
  }
}
