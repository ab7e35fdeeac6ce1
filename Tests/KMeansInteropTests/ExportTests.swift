import Foundation
import KMeans
import KMeansTestSupport
import Testing

@testable import KMeansInterop

/// A fitted model on seeded blobs, and held-out rows of the same blobs.
private func fittedModel<Scalar: KMeansScalar>(
  _: Scalar.Type, metric: DistanceMetric, k: Int = 6, dimension: Int = 5
) throws -> (KMeansModel<Scalar>, Matrix<Scalar>) {
  let rows = try TestData.blobs(
    rows: 400, dimension: dimension, clusters: k, seed: 11, as: Scalar.self)
  var configuration = KMeansConfiguration(clusterCount: k)
  configuration.metric = metric
  configuration.seed = 5
  let model = try KMeansModel.fit(rows, configuration: configuration).model
  let heldOut = try TestData.blobs(
    rows: 90, dimension: dimension, clusters: k, seed: 12, as: Scalar.self)
  return (model, heldOut)
}

private func tensor<Scalar: KMeansScalar>(_ matrix: Matrix<Scalar>) -> Tensor {
  Tensor(shape: [matrix.rowCount, matrix.columnCount], values: matrix.values.map(Double.init))
}

/// max |a − b| / max(|a|, 1e-3 · max|a|): relative error that tolerates exact zeros.
private func relativeError(_ expected: [Double], _ actual: [Double]) -> Double {
  let scale = max(expected.map(abs).max() ?? 1, 1e-12)
  return zip(expected, actual).map { abs($0 - $1) / max(abs($0), 1e-3 * scale) }.max() ?? 0
}

@Suite("SavedModel export: the graph TensorFlow will run")
struct SavedModelExportTests {
  static let cases: [(DistanceMetric, Bool)] = [
    (.squaredEuclidean, false), (.cosine, false), (.squaredEuclidean, true), (.cosine, true),
  ]

  @Test("every signature computes what the model predicts", arguments: cases)
  func signatures(metric: DistanceMetric, double: Bool) throws {
    if double {
      try check(Double.self, metric: metric, expectedType: .dtDouble, tolerance: 1e-12)
    } else {
      try check(Float.self, metric: metric, expectedType: .dtFloat, tolerance: 2e-5)
    }
  }

  func check<Scalar: KMeansScalar>(
    _: Scalar.Type, metric: DistanceMetric, expectedType: Tensorflow_DataType, tolerance: Double
  ) throws {
    let (model, heldOut) = try fittedModel(Scalar.self, metric: metric)
    let directory = try temporaryPath("saved")
    try SavedModelExporter.export(model, to: directory)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/saved_model.pb"))
    let saved = try Tensorflow_SavedModel(serializedBytes: bytes)
    var isDirectory: ObjCBool = false
    #expect(
      FileManager.default.fileExists(atPath: directory + "/variables", isDirectory: &isDirectory)
        && isDirectory.boolValue)
    #expect(saved.savedModelSchemaVersion == 1)
    try #require(saved.metaGraphs.count == 1)
    let metaGraph = saved.metaGraphs[0]
    #expect(metaGraph.metaInfoDef.tags == ["serve"])
    #expect(Set(metaGraph.signatureDef.keys) == Set(SavedModelExporter.signatureKeys))
    for (key, signature) in metaGraph.signatureDef {
      #expect(signature.methodName == "tensorflow/serving/predict", "\(key)")
      let input = try #require(signature.inputs["input"])
      #expect(input.dtype == expectedType)
      #expect(input.tensorShape.dim.map(\.size) == [-1, Int64(model.dimension)])
    }
    let interpreter = TensorFlowInterpreter(metaGraph.graphDef)
    let rows = tensor(heldOut)
    func output(_ signature: String, _ key: String = "output") throws -> Tensor {
      let info = try #require(metaGraph.signatureDef[signature]?.outputs[key])
      return try interpreter.run(info.name, feeding: rows)
    }
    let labels = try model.predict(heldOut).map(Double.init)
    #expect(try output("serving_default").values == labels)
    #expect(try output("cluster_index").values == labels)
    #expect(metaGraph.signatureDef["cluster_index"]?.outputs["output"]?.dtype == .dtInt64)
    let distances = try model.allDistances(heldOut).values.map(Double.init)
    let allDistances = try output("all_distances")
    #expect(allDistances.shape == [heldOut.rowCount, model.clusterCount])
    #expect(relativeError(distances, allDistances.values) <= tolerance)
    let transformed = try output("transform").values
    let expectedTransform = try model.transform(heldOut).values.map(Double.init)
    #expect(relativeError(expectedTransform, transformed) <= tolerance)
    let score = try output("score", "score")
    #expect(score.shape == [])
    #expect(relativeError([try model.score(heldOut)], score.values) <= tolerance)
    let nearest = try output("score", "nearest_distance").values
    let expectedNearest = try model.predictWithDistances(heldOut).distances.map(Double.init)
    #expect(relativeError(expectedNearest, nearest) <= tolerance)
  }

  @Test("under cosine a zero row is at distance 1 from every center (l2_normalize's ε)")
  func zeroRowUnderCosine() throws {
    let (model, _) = try fittedModel(Float.self, metric: .cosine)
    let graph = SavedModelExporter.savedModel(model).metaGraphs[0]
    let zero = Tensor(
      shape: [1, model.dimension], values: .init(repeating: 0, count: model.dimension))
    let distances = try TensorFlowInterpreter(graph.graphDef).run(
      "kmeans/all_distances", feeding: zero)
    #expect(distances.values == .init(repeating: 1, count: model.clusterCount))
  }

  @Test("an existing export is refused, replaced with overwrite, and kept when a write fails")
  func replacingAnExport() throws {
    let (model, _) = try fittedModel(Float.self, metric: .squaredEuclidean)
    let directory = try temporaryPath("saved")
    try SavedModelExporter.export(model, to: directory)
    let first = try Data(contentsOf: URL(fileURLWithPath: directory + "/saved_model.pb"))
    #expect {
      try SavedModelExporter.export(model, to: directory)
    } throws: { error in
      "\(error)".contains("not empty") && "\(error)".contains(directory)
    }
    var other = model
    other.centers[0, 0] += 1
    struct Interrupted: Error {}
    #expect(throws: KMeansError.self) {
      try DirectoryReplacement.write(directory, overwrite: true) { staging in
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: staging + "/saved_model.pb"))
        throw KMeansError.fileUnreadable(path: staging, reason: "disk full (simulated)")
      }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/saved_model.pb")) == first)
    let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["saved"])
    try SavedModelExporter.export(other, to: directory, overwrite: true)
    #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/saved_model.pb")) != first)
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["saved"])
  }
}

@Suite("ONNX export: the graph ONNX Runtime will run")
struct ONNXExportTests {
  @Test(
    "label and scores are the model's labels and distances",
    arguments: SavedModelExportTests.cases)
  func outputs(metric: DistanceMetric, double: Bool) throws {
    if double {
      try check(Double.self, metric: metric, elementType: .double, tolerance: 1e-12)
    } else {
      try check(Float.self, metric: metric, elementType: .float, tolerance: 2e-5)
    }
  }

  func check<Scalar: KMeansScalar>(
    _: Scalar.Type, metric: DistanceMetric, elementType: Onnx_TensorProto.DataType,
    tolerance: Double
  ) throws {
    let (model, heldOut) = try fittedModel(Scalar.self, metric: metric)
    let path = try temporaryPath("model.onnx")
    try ONNXExporter.export(model, to: path)
    let proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(proto.irVersion == 7)
    #expect(proto.opsetImport.map(\.version) == [13])
    #expect(proto.graph.input.map(\.name) == ["X"])
    #expect(proto.graph.output.map(\.name) == ["label", "scores"])
    let input = proto.graph.input[0].type.tensorType
    #expect(input.elemType == Int32(elementType.rawValue))
    #expect(input.shape.dim.map(\.dimParam) == ["N", ""])
    #expect(input.shape.dim.map(\.dimValue) == [0, Int64(model.dimension)])
    #expect(
      proto.graph.output[0].type.tensorType.elemType
        == Int32(Onnx_TensorProto.DataType.int64.rawValue))
    let metadata = Dictionary(uniqueKeysWithValues: proto.metadataProps.map { ($0.key, $0.value) })
    #expect(metadata["metric"] == metric.rawValue)
    #expect(metadata["dtype"] == Scalar.dtypeName)

    let outputs = try ONNXInterpreter(graph: proto.graph).run(feeding: tensor(heldOut))
    #expect(outputs["label"]?.values == (try model.predict(heldOut).map(Double.init)))
    let expected = try model.transform(heldOut).values.map(Double.init)
    let scores = try #require(outputs["scores"])
    #expect(scores.shape == [heldOut.rowCount, model.clusterCount])
    #expect(relativeError(expected, scores.values) <= tolerance)
  }
}
