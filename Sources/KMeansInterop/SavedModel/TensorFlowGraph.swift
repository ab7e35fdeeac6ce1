import KMeans
import KMeansBytes

/// Builds a TensorFlow `GraphDef` node by node: each call adds one node with every attribute
/// its op requires spelled out (a SavedModel importer checks them against TensorFlow's op
/// registry) and returns the node's name for use as an input.
struct TensorFlowGraph {
  private(set) var nodes: [Tensorflow_NodeDef] = []

  /// The element type of the model's tensors.
  let dtype: Tensorflow_DataType

  init(dtype: Tensorflow_DataType) { self.dtype = dtype }

  /// The graph, stamped with the `GraphDef` version of TensorFlow 2.15 (1645), whose op
  /// semantics the nodes follow.
  var graphDef: Tensorflow_GraphDef {
    var graph = Tensorflow_GraphDef()
    graph.node = nodes
    graph.versions.producer = 1645
    return graph
  }

  @discardableResult
  mutating func add(
    _ name: String, op: String, inputs: [String] = [], attributes: [String: Tensorflow_AttrValue]
  ) -> String {
    var node = Tensorflow_NodeDef()
    node.name = name
    node.op = op
    node.input = inputs
    node.attr = attributes
    nodes.append(node)
    return name
  }

  /// `T` = the model's element type: the attribute every arithmetic op carries.
  var elementType: [String: Tensorflow_AttrValue] { ["T": .type(dtype)] }

  mutating func placeholder(_ name: String, columns: Int) -> String {
    add(
      name, op: "Placeholder",
      attributes: ["dtype": .type(dtype), "shape": .shape(.init(dimensions: [-1, columns]))])
  }

  /// A constant of the model's type with `values` in row-major order.
  mutating func constant<Scalar: KMeansScalar>(
    _ name: String, _ values: [Scalar], shape: [Int]
  ) -> String {
    var tensor = Tensorflow_TensorProto()
    tensor.dtype = dtype
    tensor.tensorShape = .init(dimensions: shape)
    if dtype == .dtDouble {
      tensor.doubleVal = values.map(Double.init)
    } else {
      tensor.floatVal = values.map(Float.init)
    }
    return add(
      name, op: "Const", attributes: ["dtype": .type(dtype), "value": .tensor(tensor)])
  }

  /// An `int32` constant: reduction axes.
  mutating func axes(_ name: String, _ values: [Int32], shape: [Int]) -> String {
    var tensor = Tensorflow_TensorProto()
    tensor.dtype = .dtInt32
    tensor.tensorShape = .init(dimensions: shape)
    tensor.intVal = values
    return add(name, op: "Const", attributes: ["dtype": .type(.dtInt32), "value": .tensor(tensor)])
  }

  mutating func unary(_ name: String, op: String, _ input: String) -> String {
    add(name, op: op, inputs: [input], attributes: elementType)
  }

  mutating func binary(_ name: String, op: String, _ left: String, _ right: String) -> String {
    add(name, op: op, inputs: [left, right], attributes: elementType)
  }

  /// `Sum` or `Min` over `axes`.
  mutating func reduce(
    _ name: String, op: String, _ input: String, axes: String, keepDimensions: Bool
  ) -> String {
    add(
      name, op: op, inputs: [input, axes],
      attributes: ["T": .type(dtype), "Tidx": .type(.dtInt32), "keep_dims": .bool(keepDimensions)])
  }

  /// `left · rightᵀ`.
  mutating func matrixProductTransposingRight(_ name: String, _ left: String, _ right: String)
    -> String
  {
    add(
      name, op: "MatMul", inputs: [left, right],
      attributes: [
        "T": .type(dtype), "transpose_a": .bool(false), "transpose_b": .bool(true),
      ])
  }

  /// The `int64` index of the smallest entry along `axis`.
  mutating func argMin(_ name: String, _ input: String, axis: String) -> String {
    add(
      name, op: "ArgMin", inputs: [input, axis],
      attributes: [
        "T": .type(dtype), "Tidx": .type(.dtInt32), "output_type": .type(.dtInt64),
      ])
  }
}

extension Tensorflow_AttrValue {
  static func type(_ type: Tensorflow_DataType) -> Self { .with { $0.type = type } }
  static func shape(_ shape: Tensorflow_TensorShapeProto) -> Self { .with { $0.shape = shape } }
  static func tensor(_ tensor: Tensorflow_TensorProto) -> Self { .with { $0.tensor = tensor } }
  static func bool(_ flag: Bool) -> Self { .with { $0.b = flag } }
}

extension Tensorflow_TensorShapeProto {
  /// A shape from its sizes, -1 for a size known only when the graph runs.
  init(dimensions: [Int]) {
    self.init()
    dim = dimensions.map { size in
      var dimension = Tensorflow_TensorShapeProto.Dim()
      dimension.size = Int64(size)
      return dimension
    }
  }
}
