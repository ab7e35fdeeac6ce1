import Foundation

@testable import KMeansInterop

/// A tensor of the interpreters: a shape and row-major values, in `Double` (the exported
/// graphs' float32 arithmetic is checked against the model within float32's precision).
struct Tensor: Equatable {
  var shape: [Int]
  var values: [Double]

  init(shape: [Int], values: [Double]) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) for \(values.count) values")
    self.shape = shape
    self.values = values
  }

  static func scalar(_ value: Double) -> Tensor { Tensor(shape: [], values: [value]) }

  /// Elementwise `combine` with NumPy broadcasting (the rule TensorFlow and ONNX share).
  static func broadcast(_ a: Tensor, _ b: Tensor, _ combine: (Double, Double) -> Double) -> Tensor {
    let rank = max(a.shape.count, b.shape.count)
    let left = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
    let right = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
    let shape = zip(left, right).map { x, y in
      precondition(x == y || x == 1 || y == 1, "cannot broadcast \(a.shape) with \(b.shape)")
      return max(x, y)
    }
    func index(_ flat: Int, in sizes: [Int]) -> Int {
      var rest = flat
      var result = 0
      var size = 1
      for axis in (0..<rank).reversed() {
        let coordinate = rest % shape[axis]
        rest /= shape[axis]
        if sizes[axis] != 1 { result += coordinate * size }
        size *= sizes[axis]
      }
      return result
    }
    let count = shape.reduce(1, *)
    return Tensor(
      shape: shape,
      values: (0..<count).map {
        combine(a.values[index($0, in: left)], b.values[index($0, in: right)])
      })
  }

  func map(_ transform: (Double) -> Double) -> Tensor {
    Tensor(shape: shape, values: values.map(transform))
  }

  /// Reduces a matrix along `axis` (0 or 1; for a vector, 0).
  func reduce(axis: Int, keepDimensions: Bool, _ combine: ([Double]) -> Double) -> Tensor {
    if shape.count == 1 {
      return keepDimensions
        ? Tensor(shape: [1], values: [combine(values)]) : .scalar(combine(values))
    }
    let rows = shape[0]
    let columns = shape[1]
    if axis == 1 {
      let result = (0..<rows).map { row in
        combine(Array(values[row * columns..<(row + 1) * columns]))
      }
      return Tensor(shape: keepDimensions ? [rows, 1] : [rows], values: result)
    }
    let result = (0..<columns).map { column in
      combine((0..<rows).map { values[$0 * columns + column] })
    }
    return Tensor(shape: keepDimensions ? [1, columns] : [columns], values: result)
  }

  /// `self · otherᵀ`.
  func productTransposingRight(_ other: Tensor) -> Tensor {
    let (n, d) = (shape[0], shape[1])
    let k = other.shape[0]
    precondition(other.shape[1] == d)
    var result = [Double](repeating: 0, count: n * k)
    for row in 0..<n {
      for center in 0..<k {
        var sum = 0.0
        for column in 0..<d { sum += values[row * d + column] * other.values[center * d + column] }
        result[row * k + center] = sum
      }
    }
    return Tensor(shape: [n, k], values: result)
  }

  /// The index of the smallest value of each row (the first on ties, as both runtimes do).
  func argMinOfRows() -> Tensor {
    reduce(axis: 1, keepDimensions: false) { row in
      Double(row.indices.min { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) } ?? 0)
    }
  }
}

/// Runs a TensorFlow `GraphDef` as exported, node by node, for the ops the exporter emits; an
/// op it does not know fails the test (so a new op needs a reviewed meaning here).
struct TensorFlowInterpreter {
  let nodes: [String: Tensorflow_NodeDef]

  init(_ graph: Tensorflow_GraphDef) {
    nodes = Dictionary(uniqueKeysWithValues: graph.node.map { ($0.name, $0) })
  }

  func run(_ output: String, feeding input: Tensor) throws -> Tensor {
    var cache: [String: Tensor] = [:]
    return try evaluate(String(output.split(separator: ":")[0]), input, &cache)
  }

  struct UnknownOp: Error { var description: String }

  private func evaluate(_ name: String, _ input: Tensor, _ cache: inout [String: Tensor]) throws
    -> Tensor
  {
    if let known = cache[name] { return known }
    guard let node = nodes[name] else { throw UnknownOp(description: "no node \(name)") }
    let inputs = try node.input.map { try evaluate($0, input, &cache) }
    let result: Tensor
    switch node.op {
    case "Placeholder": result = input
    case "Const":
      let tensor = node.attr["value"]!.tensor
      let shape = tensor.tensorShape.dim.map { Int($0.size) }
      let values: [Double] =
        tensor.dtype == .dtInt32
        ? tensor.intVal.map(Double.init)
        : tensor.dtype == .dtDouble ? tensor.doubleVal : tensor.floatVal.map(Double.init)
      result = Tensor(shape: shape, values: values)
    case "Square": result = inputs[0].map { $0 * $0 }
    case "Sqrt": result = inputs[0].map { $0.squareRoot() }
    case "Rsqrt": result = inputs[0].map { 1 / $0.squareRoot() }
    case "Identity": result = inputs[0]
    case "Mul": result = .broadcast(inputs[0], inputs[1], *)
    case "Sub": result = .broadcast(inputs[0], inputs[1], -)
    case "AddV2": result = .broadcast(inputs[0], inputs[1], +)
    case "Maximum": result = .broadcast(inputs[0], inputs[1], max)
    case "Sum", "Min":
      let axis = Int(inputs[1].values[0])
      let keep = node.attr["keep_dims"]!.b
      result = inputs[0].reduce(axis: axis, keepDimensions: keep) { row in
        node.op == "Sum" ? row.reduce(0, +) : row.min() ?? .infinity
      }
    case "MatMul":
      precondition(node.attr["transpose_b"]!.b && !node.attr["transpose_a"]!.b)
      result = inputs[0].productTransposingRight(inputs[1])
    case "ArgMin":
      precondition(inputs[1].values == [1] && node.attr["output_type"]!.type == .dtInt64)
      result = inputs[0].argMinOfRows()
    default: throw UnknownOp(description: "op \(node.op) of \(name)")
    }
    cache[name] = result
    return result
  }
}

/// Runs an ONNX graph as exported, for the ops the exporter emits.
struct ONNXInterpreter {
  let graph: Onnx_GraphProto

  func run(feeding input: Tensor) throws -> [String: Tensor] {
    var values: [String: Tensor] = [graph.input[0].name: input]
    for initializer in graph.initializer {
      values[initializer.name] = Tensor(
        shape: initializer.dims.map(Int.init),
        values: initializer.dataType == Int32(Onnx_TensorProto.DataType.double.rawValue)
          ? initializer.doubleData : initializer.floatData.map(Double.init))
    }
    for node in graph.node {
      let inputs = node.input.map { values[$0]! }
      func attribute(_ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
      }
      let result: Tensor
      switch node.opType {
      case "ReduceSumSquare":
        precondition(attribute("axes")!.ints == [1])
        result = inputs[0].reduce(axis: 1, keepDimensions: attribute("keepdims")!.i == 1) {
          $0.reduce(0) { $0 + $1 * $1 }
        }
      case "Gemm":
        precondition(attribute("transB")?.i == 1 && attribute("transA") == nil)
        let alpha = Double(attribute("alpha")?.f ?? 1)
        let product = inputs[0].productTransposingRight(inputs[1]).map { alpha * $0 }
        result = inputs.count > 2 ? .broadcast(product, inputs[2], +) : product
      case "Add": result = .broadcast(inputs[0], inputs[1], +)
      case "Sub": result = .broadcast(inputs[0], inputs[1], -)
      case "Div": result = .broadcast(inputs[0], inputs[1], /)
      case "Max": result = .broadcast(inputs[0], inputs[1], max)
      case "Sqrt": result = inputs[0].map { $0.squareRoot() }
      case "ArgMin":
        precondition(attribute("axis")!.i == 1 && attribute("keepdims")!.i == 0)
        result = inputs[0].argMinOfRows()
      default: throw TensorFlowInterpreter.UnknownOp(description: "ONNX op \(node.opType)")
      }
      values[node.output[0]] = result
    }
    return values
  }
}
