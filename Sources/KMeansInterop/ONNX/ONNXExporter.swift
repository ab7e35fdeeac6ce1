import Foundation
import KMeans
import KMeansBytes
import KMeansIO

/// Writes a `KMeansModel` as an ONNX model (opset 13, IR version 7) with the
/// interface of scikit-learn's ONNX converter for `KMeans` (skl2onnx), so serving code written
/// for a converted scikit-learn model runs it unchanged:
///
/// | | name | type |
/// | --- | --- | --- |
/// | input | `X` | `[N, d]`, `float` (`double` for a `Double` model) |
/// | output | `label` | `int64 [N]`, the nearest center |
/// | output | `scores` | `[N, k]`: the distance to every center, ‖x − c‖ (scikit-learn's `transform`) for squared Euclidean, 1 − cos(x, c) for cosine |
///
/// The graph: `ReduceSumSquare` of the rows, one `Gemm` for −2·x·cᵀ + ‖c‖², the sum clamped
/// at 0, `ArgMin` and `Sqrt`, as the converter builds it; under cosine the rows are
/// normalised (ε = 1e-12, so a zero row is at distance 1 from every center) and one `Gemm`
/// gives x̂·ĉᵀ. The model's metric, `k`, `d` and element type are in the metadata properties.
///
/// ```python
/// session = onnxruntime.InferenceSession("digits.onnx")
/// label, scores = session.run(None, {"X": rows})
/// ```
public enum ONNXExporter {
  /// The operator set the graph needs (`ReduceSumSquare` with an `axes` attribute: 13–17).
  public static let opsetVersion = 13
  /// The ONNX IR version of the file (ONNX 1.7, the first with opset 13 as scikit-learn's
  /// converter writes it).
  public static let irVersion = 7

  /// Writes `model` to `path` (atomically: a temporary file renamed into place).
  /// - Throws: `KMeansError` when the file cannot be written.
  public static func export<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, to path: String)
    throws
  {
    try AtomicFile.write(try serializedModel(model), to: path)
  }

  /// The bytes of the ONNX file for `model`.
  public static func serializedModel<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws
    -> Data
  {
    do {
      return try modelProto(model).serializedData()
    } catch {
      throw KMeansError.invalidConfiguration("cannot encode the ONNX model: \(error)")
    }
  }

  static func modelProto<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) -> Onnx_ModelProto {
    let elementType: Onnx_TensorProto.DataType = Scalar.self == Double.self ? .double : .float
    let k = model.clusterCount
    let d = model.dimension
    var graph = Onnx_GraphProto()
    graph.name = "swift_kmeans"
    graph.docString =
      ("k-means (\(model.metric.rawValue), k=\(k), d=\(d)) exported by swift-kmeans")

    func tensor(_ name: String, _ values: [Scalar], dimensions: [Int]) -> Onnx_TensorProto {
      var tensor = Onnx_TensorProto()
      tensor.name = name
      tensor.dims = dimensions.map(Int64.init)
      tensor.dataType = Int32(elementType.rawValue)
      if elementType == .double {
        tensor.doubleData = values.map(Double.init)
      } else {
        tensor.floatData = values.map(Float.init)
      }
      return tensor
    }
    func node(
      _ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = []
    ) {
      var node = Onnx_NodeProto()
      node.opType = op
      node.name = output
      node.input = inputs
      node.output = [output]
      node.attribute = attributes
      graph.node.append(node)
    }
    graph.initializer.append(tensor("centers", model.centers.values, dimensions: [k, d]))
    node("ReduceSumSquare", ["X"], "row_squared_norms", [.ints("axes", [1]), .int("keepdims", 1)])
    let distances: String
    switch model.metric {
    case .squaredEuclidean:
      graph.initializer.append(
        tensor("center_squared_norms", CenterNorms.squared(model.centers), dimensions: [k]))
      graph.initializer.append(tensor("zero", [0], dimensions: []))
      node(
        "Gemm", ["X", "centers", "center_squared_norms"], "products_and_norms",
        [.float("alpha", -2), .int("transB", 1)])
      node("Add", ["row_squared_norms", "products_and_norms"], "expanded")
      node("Max", ["expanded", "zero"], "squared_distances")
      node("Sqrt", ["squared_distances"], "scores")
      distances = "squared_distances"
    case .cosine:
      graph.initializer.append(tensor("epsilon", [Scalar(1e-12)], dimensions: []))
      graph.initializer.append(tensor("one", [1], dimensions: []))
      node("Max", ["row_squared_norms", "epsilon"], "clamped_norms")
      node("Sqrt", ["clamped_norms"], "row_norms")
      node("Div", ["X", "row_norms"], "unit_rows")
      node("Gemm", ["unit_rows", "centers"], "cosines", [.int("transB", 1)])
      node("Sub", ["one", "cosines"], "scores")
      distances = "scores"
    }
    node("ArgMin", [distances], "label", [.int("axis", 1), .int("keepdims", 0)])

    graph.input = [.tensor("X", elementType, [nil, d])]
    graph.output = [.tensor("label", .int64, [nil]), .tensor("scores", elementType, [nil, k])]

    var proto = modelEnvelope(
      metadata: [
        ("metric", model.metric.rawValue), ("clusters", "\(k)"), ("dimension", "\(d)"),
        ("dtype", Scalar.dtypeName),
      ])
    proto.graph = graph
    return proto
  }

  /// The model around a graph: IR version, opset, producer and `metadata` (key, value) pairs.
  static func modelEnvelope(metadata: [(String, String)]) -> Onnx_ModelProto {
    var proto = Onnx_ModelProto()
    proto.irVersion = Int64(irVersion)
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Int64(opsetVersion)
    proto.opsetImport = [opset]
    proto.producerName = "swift-kmeans"
    proto.producerVersion = "\(KMeansLibrary.version)"
    proto.domain = "swift-kmeans"
    proto.metadataProps = metadata.map { key, value in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = value
      return entry
    }
    return proto
  }
}

extension Onnx_AttributeProto {
  fileprivate static func int(_ name: String, _ value: Int) -> Self {
    var attribute = Self()
    attribute.name = name
    attribute.type = .int
    attribute.i = Int64(value)
    return attribute
  }

  fileprivate static func ints(_ name: String, _ values: [Int]) -> Self {
    var attribute = Self()
    attribute.name = name
    attribute.type = .ints
    attribute.ints = values.map(Int64.init)
    return attribute
  }

  fileprivate static func float(_ name: String, _ value: Float) -> Self {
    var attribute = Self()
    attribute.name = name
    attribute.type = .float
    attribute.f = value
    return attribute
  }
}

extension Onnx_ValueInfoProto {
  /// A typed tensor; a nil size is the batch dimension, named `N`.
  fileprivate static func tensor(
    _ name: String, _ type: Onnx_TensorProto.DataType, _ dimensions: [Int?]
  ) -> Self {
    var info = Self()
    info.name = name
    info.type.tensorType.elemType = Int32(type.rawValue)
    info.type.tensorType.shape.dim = dimensions.map { size in
      var dimension = Onnx_TensorShapeProto.Dimension()
      if let size { dimension.dimValue = Int64(size) } else { dimension.dimParam = "N" }
      return dimension
    }
    return info
  }
}
