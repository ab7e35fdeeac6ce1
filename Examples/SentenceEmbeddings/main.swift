// Clustering sentence embeddings with the cosine distance (spherical k-means): 72 sentences on
// six topics, embedded with all-MiniLM-L6-v2 (see generate-embeddings.py), fall into six
// clusters that match the topics.
//
//   swift run -c release sentence-clusters [Examples/SentenceEmbeddings] [--k 6]

import Foundation
import KMeans
import KMeansIO

let arguments = CommandLine.arguments
let directory = arguments.dropFirst().first { !$0.hasPrefix("--") } ?? "Examples/SentenceEmbeddings"
let k = arguments.firstIndex(of: "--k").flatMap { Int(arguments[$0 + 1]) } ?? 6

do {
  let embeddings = try NumPyFile.read("\(directory)/embeddings.npy", as: Float.self)
  let table = try String(contentsOfFile: "\(directory)/sentences.tsv", encoding: .utf8)
  let rows = table.split(separator: "\n").dropFirst().map {
    $0.split(separator: "\t", maxSplits: 1)
  }
  let topics = rows.map { String($0[0]) }
  let sentences = rows.map { String($0[1]) }
  guard sentences.count == embeddings.rowCount else {
    throw KMeansError.shapeMismatch(
      "\(sentences.count) sentences for \(embeddings.rowCount) embeddings")
  }

  var configuration = KMeansConfiguration(clusterCount: k)
  configuration.metric = .cosine
  configuration.restarts = 10
  configuration.seed = 1
  let result = try KMeansModel.fit(embeddings, configuration: configuration)

  print(
    "\(sentences.count) sentences, \(embeddings.columnCount)-dimensional embeddings, k = \(k), cosine distance"
  )
  for cluster in 0..<k {
    let members = result.labels.indices.filter { result.labels[$0] == cluster }
    let counts = Dictionary(grouping: members, by: { topics[$0] }).mapValues(\.count)
    let summary = counts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(
      separator: ", ")
    print("\ncluster \(cluster) (\(members.count) sentences: \(summary))")
    // The sentences nearest the center first.
    for index in members.sorted(by: { result.distances[$0] < result.distances[$1] }).prefix(3) {
      print("  \(String(format: "%.3f", result.distances[index]))  \(sentences[index])")
    }
  }
  let silhouette = try ClusteringMetrics.silhouette(
    embeddings, labels: result.labels, metric: .cosine)
  print(
    String(
      format:
        "\nadjusted Rand index %.4f, normalized mutual information %.4f against the topics; cosine silhouette %.4f",
      try ClusteringAgreement.adjustedRandIndex(topics, result.labels),
      try ClusteringAgreement.normalizedMutualInformation(topics, result.labels), silhouette))
} catch {
  print("error: \(error)")
  exit(1)
}
