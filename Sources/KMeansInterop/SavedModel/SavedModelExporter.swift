import Foundation
import KMeans
import KMeansBytes
import KMeansIO

/// Writes a `KMeansModel` as a TensorFlow SavedModel (the format
/// `tf.saved_model.load`, TensorFlow Serving and `saved_model_cli` read), with the signatures of
/// TensorFlow's k-means estimator (`export_saved_model`) and two more.
///
/// Every signature takes one input, `input`: `[None, d]` rows of the model's element type
/// (`float32`, or `float64` for a `Double` model), and has the method
/// `tensorflow/serving/predict`:
///
/// | signature | outputs |
/// | --- | --- |
/// | `serving_default`, `cluster_index` | `output`: `int64 [None]`, the nearest center |
/// | `all_distances` | `output`: `[None, k]`, ‖x − c‖² (squared Euclidean) or 1 − cos(x, c) |
/// | `transform` | `output`: `[None, k]`, ‖x − c‖ (squared Euclidean) or 1 − cos(x, c), as the estimator's `transform` |
/// | `score` | `score`: scalar Σ distance to the nearest center (the estimator's `score`); `nearest_distance`: `[None]` |
///
/// The graph computes ‖x‖² − 2·x·cᵀ + ‖c‖² with one matrix product, clamped at 0 (rounding
/// can take it below), as TensorFlow's estimator does; under cosine it normalises the rows as
/// `tf.math.l2_normalize` does (ε = 1e-12, so a zero row is at distance 1 from every center)
/// and takes 1 − x̂·ĉᵀ. The centers are constants of the graph, so the SavedModel has no
/// variables (TensorFlow's own export left them out altogether: tensorflow/tensorflow#17002).
///
/// ```swift
/// try SavedModelExporter.export(model, to: "exported/digits")
/// ```
/// ```python
/// loaded = tf.saved_model.load("exported/digits")
/// labels = loaded.signatures["serving_default"](input=tf.constant(rows))["output"]
/// ```
public enum SavedModelExporter {
  /// The tag of the one meta graph (`tf.saved_model.SERVING`).
  public static let tag = "serve"

  /// The signatures every exported model has, by key.
  public static let signatureKeys = [
    "serving_default", "cluster_index", "all_distances", "transform", "score",
  ]

  /// Writes `model` as a SavedModel directory at `directory` (`saved_model.pb` and an empty
  /// `variables/`), atomically: it is written beside the target and renamed into place, so a
  /// reader never sees half a model.
  /// - Parameters:
  ///   - model: the model to serve.
  ///   - directory: the SavedModel directory to create.
  ///   - overwrite: replace an existing non-empty directory (otherwise refused, as
  ///     TensorFlow's `SavedModelBuilder` refuses).
  /// - Throws: `KMeansError` when the directory exists and `overwrite` is false, or a
  ///   write fails (naming the path).
  public static func export<Scalar: KMeansScalar>(
    _ model: KMeansModel<Scalar>, to directory: String, overwrite: Bool = false
  ) throws {
    let bytes = try serializedSavedModel(model)
    try DirectoryReplacement.write(directory, overwrite: overwrite) { staging in
      try AtomicFile.write(bytes, to: staging + "/saved_model.pb")
      try FileManager.default.createDirectory(
        atPath: staging + "/variables", withIntermediateDirectories: false)
    }
  }

  /// The `saved_model.pb` bytes of `model`.
  static func serializedSavedModel<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws
    -> Data
  {
    do {
      return try savedModel(model).serializedData()
    } catch {
      throw KMeansError.invalidConfiguration("cannot encode the SavedModel: \(error)")
    }
  }

  /// The SavedModel message: one meta graph tagged `serve` with the graph and the signatures.
  static func savedModel<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>)
    -> Tensorflow_SavedModel
  {
    let dtype: Tensorflow_DataType = Scalar.self == Double.self ? .dtDouble : .dtFloat
    var graph = TensorFlowGraph(dtype: dtype)
    let k = model.clusterCount
    let d = model.dimension
    let input = graph.placeholder("input", columns: d)
    let centers = graph.constant("kmeans/centers", model.centers.values, shape: [k, d])
    let rowAxis = graph.axes("kmeans/row_axis", [1], shape: [1])
    let squared = graph.unary("kmeans/input_squared", op: "Square", input)
    let squaredNorms = graph.reduce(
      "kmeans/input_squared_norms", op: "Sum", squared, axes: rowAxis, keepDimensions: true)
    let distances: String
    switch model.metric {
    case .squaredEuclidean:
      let centerNorms = graph.constant(
        "kmeans/center_squared_norms", CenterNorms.squared(model.centers), shape: [1, k])
      let products = graph.matrixProductTransposingRight("kmeans/products", input, centers)
      let two = graph.constant("kmeans/two", [Scalar(2)], shape: [])
      let twice = graph.binary("kmeans/twice_products", op: "Mul", two, products)
      let difference = graph.binary("kmeans/difference", op: "Sub", squaredNorms, twice)
      let expanded = graph.binary("kmeans/expanded", op: "AddV2", difference, centerNorms)
      let zero = graph.constant("kmeans/zero", [Scalar(0)], shape: [])
      distances = graph.binary("kmeans/all_distances", op: "Maximum", expanded, zero)
    case .cosine:
      let epsilon = graph.constant("kmeans/epsilon", [Scalar(1e-12)], shape: [])
      let clamped = graph.binary("kmeans/clamped_norms", op: "Maximum", squaredNorms, epsilon)
      let inverse = graph.unary("kmeans/inverse_norms", op: "Rsqrt", clamped)
      let unit = graph.binary("kmeans/unit_input", op: "Mul", input, inverse)
      let cosines = graph.matrixProductTransposingRight("kmeans/cosines", unit, centers)
      let one = graph.constant("kmeans/one", [Scalar(1)], shape: [])
      distances = graph.binary("kmeans/all_distances", op: "Sub", one, cosines)
    }
    let clusterAxis = graph.axes("kmeans/cluster_axis", [1], shape: [])
    let index = graph.argMin("kmeans/cluster_index", distances, axis: clusterAxis)
    let transform =
      model.metric == .squaredEuclidean
      ? graph.unary("kmeans/transform", op: "Sqrt", distances)
      : graph.unary("kmeans/transform", op: "Identity", distances)
    let nearest = graph.reduce(
      "kmeans/nearest_distance", op: "Min", distances, axes: rowAxis, keepDimensions: false)
    let batchAxis = graph.axes("kmeans/batch_axis", [0], shape: [1])
    let score = graph.reduce(
      "kmeans/score", op: "Sum", nearest, axes: batchAxis, keepDimensions: false)

    func info(_ node: String, _ type: Tensorflow_DataType, _ shape: [Int]) -> Tensorflow_TensorInfo
    {
      var info = Tensorflow_TensorInfo()
      info.name = node + ":0"
      info.dtype = type
      info.tensorShape = .init(dimensions: shape)
      return info
    }
    let indexOutput = ["output": info(index, .dtInt64, [-1])]
    let metaGraph = Self.metaGraph(
      graph.graphDef, input: info(input, dtype, [-1, d]),
      signatures: [
        "serving_default": indexOutput,
        "cluster_index": indexOutput,
        "all_distances": ["output": info(distances, dtype, [-1, k])],
        "transform": ["output": info(transform, dtype, [-1, k])],
        "score": [
          "score": info(score, dtype, []), "nearest_distance": info(nearest, dtype, [-1]),
        ],
      ])
    var savedModel = Tensorflow_SavedModel()
    savedModel.savedModelSchemaVersion = 1
    savedModel.metaGraphs = [metaGraph]
    return savedModel
  }

  /// The meta graph tagged `serve`: `graph` with one prediction signature per entry of
  /// `signatures` (its outputs), each fed `input`.
  static func metaGraph(
    _ graph: Tensorflow_GraphDef, input: Tensorflow_TensorInfo,
    signatures: [String: [String: Tensorflow_TensorInfo]]
  ) -> Tensorflow_MetaGraphDef {
    var metaGraph = Tensorflow_MetaGraphDef()
    metaGraph.metaInfoDef.metaGraphVersion = "v2.15.1"
    metaGraph.metaInfoDef.tags = [tag]
    metaGraph.metaInfoDef.tensorflowVersion = "2.15.1"
    metaGraph.metaInfoDef.tensorflowGitVersion = "swift-kmeans"
    metaGraph.graphDef = graph
    metaGraph.signatureDef = signatures.mapValues { outputs in
      var signature = Tensorflow_SignatureDef()
      signature.inputs = ["input": input]
      signature.outputs = outputs
      signature.methodName = "tensorflow/serving/predict"
      return signature
    }
    return metaGraph
  }
}

/// ‖c‖² of every center, summed in `Double`.
enum CenterNorms {
  static func squared<Scalar: KMeansScalar>(_ centers: Matrix<Scalar>) -> [Scalar] {
    (0..<centers.rowCount).map { row in
      var sum = 0.0
      for column in 0..<centers.columnCount {
        let value = Double(centers[row, column])
        sum += value * value
      }
      return Scalar(sum)
    }
  }
}
