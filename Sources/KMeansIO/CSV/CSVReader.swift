import Foundation
import KMeans
import KMeansBytes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A column of a CSV file, by header name or by 0-based position.
public enum CSVColumn: Sendable, Hashable, CustomStringConvertible {
  /// The column whose header cell is this name.
  case name(String)
  /// The column at this 0-based position.
  case index(Int)

  /// Parses `"price"` as a name, or `"3"` as an index when no header cell is called `"3"`.
  public init(_ text: String) {
    if let index = Int(text), index >= 0 { self = .index(index) } else { self = .name(text) }
  }

  /// The name, or `#index`.
  public var description: String {
    switch self {
    case .name(let name): return name
    case .index(let index): return "#\(index)"
    }
  }
}

/// Options for reading a CSV file.
public struct CSVReadOptions: Sendable {
  /// Whether the first line names the columns; nil (default) decides from the first line:
  /// it is a header when any of its cells is not a number.
  public var hasHeader: Bool? = nil
  /// The field separator. Default: a comma.
  public var delimiter: UInt8 = UInt8(ascii: ",")
  /// The feature columns, in this order. Default: nil, every column except ``labelColumn``.
  public var columns: [CSVColumn]? = nil
  /// A column of labels (any text), read apart from the features, e.g. `digit`. Default: nil.
  public var labelColumn: CSVColumn? = nil
  /// A column of sample weights (finite numbers ≥ 0), read apart from the features.
  /// Default: nil.
  public var weightColumn: CSVColumn? = nil

  /// Options with every field at its default.
  public init() {}
}

/// Numeric features read from a CSV file, and the optional label column.
public struct CSVDataset<Scalar: KMeansScalar>: Sendable {
  /// The features, one row per data line.
  public var matrix: Matrix<Scalar>
  /// The name of each feature column (`column0`, … when the file has no header).
  public var columnNames: [String]
  /// The label of each row, when ``CSVReadOptions/labelColumn`` was given.
  public var labels: [String]?
  /// Whether the file's first line named the columns.
  public var hasHeader: Bool = true
  /// The weight of each row, when ``CSVReadOptions/weightColumn`` was given.
  public var weights: [Double]? = nil
}

/// Reads numeric matrices from CSV text (RFC 4180: quoted fields with `""` escapes; LF or
/// CRLF line ends; blank lines skipped).
///
/// Every problem is a `KMeansError/parse(path:line:column:message:)` naming the 1-based line
/// and column: a cell that is not a finite number, an empty cell, a row of the wrong width, or
/// an unknown column.
public enum CSVReader {
  /// Reads the file at `path`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func read<Scalar: KMeansScalar>(
    _ path: String, options: CSVReadOptions = CSVReadOptions(), as _: Scalar.Type = Scalar.self
  ) throws -> CSVDataset<Scalar> {
    var bytes = [UInt8](try AtomicFile.read(path))
    bytes.append(0)  // strtod stops at the terminator after the last cell.
    return try parse(bytes, byteCount: bytes.count - 1, path: path, options: options)
  }

  /// Reads CSV text held in memory; `name` stands for the file in error messages.
  public static func parse<Scalar: KMeansScalar>(
    text: String, name: String = "<text>", options: CSVReadOptions = CSVReadOptions(),
    as _: Scalar.Type = Scalar.self
  ) throws -> CSVDataset<Scalar> {
    var bytes = Array(text.utf8)
    bytes.append(0)
    return try parse(bytes, byteCount: bytes.count - 1, path: name, options: options)
  }

  static func parse<Scalar: KMeansScalar>(
    _ bytes: [UInt8], byteCount: Int, path: String, options: CSVReadOptions
  ) throws -> CSVDataset<Scalar> {
    var scanner = CSVScanner(
      bytes: bytes, byteCount: byteCount, path: path, delimiter: options.delimiter)
    guard try scanner.nextLine() else { throw KMeansError.emptyInput("\(path) has no data lines") }
    let layout = try CSVLayout(firstLine: scanner, options: options, path: path)
    var values: [Scalar] = []
    var labels: [String] = []
    var weights: [Double] = []
    var rowCount = 0
    var pending = !layout.hasHeader  // The first line is data when there is no header.
    while try pending || scanner.nextLine() {
      pending = false
      try layout.appendRow(of: scanner, to: &values, labels: &labels, weights: &weights)
      rowCount += 1
    }
    guard rowCount > 0 else { throw KMeansError.emptyInput("\(path) has a header but no rows") }
    return CSVDataset(
      matrix: try Matrix(
        rowCount: rowCount, columnCount: layout.featureIndices.count, values: values),
      columnNames: layout.featureIndices.map { layout.names[$0] },
      labels: layout.labelIndex == nil ? nil : labels, hasHeader: layout.hasHeader,
      weights: layout.weightIndex == nil ? nil : weights)
  }
}

/// One cell of a line: a byte range, or the unescaped text of a quoted field.
struct CSVCell {
  var range: Range<Int>
  var unquoted: String?
}

/// Splits CSV bytes into lines of cells (RFC 4180 quoting, LF or CRLF, blank lines skipped).
/// The bytes must be followed by a 0 byte, where `strtod` stops after the last cell.
struct CSVScanner {
  let bytes: [UInt8]
  let byteCount: Int
  let path: String
  let delimiter: UInt8
  /// Where the next line starts.
  var position = 0
  /// The 1-based file line of the current line.
  var lineNumber: Int
  /// The cells of the current line.
  var cells: [CSVCell] = []

  init(
    bytes: [UInt8], byteCount: Int, path: String, delimiter: UInt8,
    linesBefore: Int = 0
  ) {
    self.bytes = bytes
    self.byteCount = byteCount
    self.path = path
    self.delimiter = delimiter
    self.lineNumber = linesBefore
  }

  /// Splits the next non-blank line into `cells`; false at the end of the bytes.
  mutating func nextLine() throws -> Bool {
    while position < byteCount {
      lineNumber += 1
      cells.removeAll(keepingCapacity: true)
      var start = position
      var quoted: String? = nil
      var blank = true
      while true {
        let byte: UInt8 = position < byteCount ? bytes[position] : UInt8(ascii: "\n")
        if byte == UInt8(ascii: "\"") && position == start {
          var text: [UInt8] = []
          position += 1
          while true {
            guard position < byteCount else {
              throw KMeansError.parse(
                path: path, line: lineNumber, column: cells.count + 1,
                message: "unterminated quoted field")
            }
            if bytes[position] == UInt8(ascii: "\"") {
              if position + 1 < byteCount && bytes[position + 1] == UInt8(ascii: "\"") {
                text.append(UInt8(ascii: "\""))
                position += 2
                continue
              }
              position += 1
              break
            }
            if bytes[position] == UInt8(ascii: "\n") { lineNumber += 1 }
            text.append(bytes[position])
            position += 1
          }
          quoted = String(decoding: text, as: UTF8.self)
          blank = false
          continue
        }
        if byte == delimiter || byte == UInt8(ascii: "\n") {
          var end = position
          if byte == UInt8(ascii: "\n") && end > start && bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
          }
          if end > start { blank = false }
          cells.append(CSVCell(range: start..<end, unquoted: quoted))
          quoted = nil
          position += 1
          if byte == UInt8(ascii: "\n") { break }
          blank = false
          start = position
          continue
        }
        position += 1
      }
      if !blank { return true }
    }
    return false
  }

  func text(_ cell: CSVCell) -> String {
    cell.unquoted ?? String(decoding: bytes[cell.range], as: UTF8.self)
  }

  /// The cell as a number, or nil when it is not one.
  func number(_ cell: CSVCell) -> Double? {
    if let unquoted = cell.unquoted {
      return Double(unquoted.trimmingCharacters(in: .whitespaces))
    }
    var start = cell.range.lowerBound
    var end = cell.range.upperBound
    while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
    while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
    return TextNumbers.parseDouble(bytes, from: start, to: end)
  }
}

/// The columns of a CSV file, resolved from its first line and the options.
struct CSVLayout: Sendable {
  let width: Int
  let hasHeader: Bool
  let names: [String]
  let featureIndices: [Int]
  let labelIndex: Int?
  let weightIndex: Int?
  let path: String

  init(firstLine scanner: CSVScanner, options: CSVReadOptions, path: String) throws {
    let cells = scanner.cells
    width = cells.count
    let hasHeader = options.hasHeader ?? cells.contains { scanner.number($0) == nil }
    self.hasHeader = hasHeader
    let names = hasHeader ? cells.map(scanner.text) : (0..<cells.count).map { "column\($0)" }
    self.names = names
    self.path = path
    let headerLine = hasHeader ? scanner.lineNumber : 0
    let width = self.width
    func resolve(_ column: CSVColumn) throws -> Int {
      switch column {
      case .name(let name):
        if let index = names.firstIndex(of: name) { return index }
        let shown = names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", …" : "")
        throw KMeansError.parse(
          path: path, line: max(1, headerLine), column: nil,
          message: "no column named '\(name)' (columns: \(shown))")
      case .index(let index):
        if let position = names.firstIndex(of: String(index)), hasHeader { return position }
        guard index < width else {
          throw KMeansError.parse(
            path: path, line: max(1, headerLine), column: nil,
            message: "column index \(index) is out of range: the file has \(width) column(s)")
        }
        return index
      }
    }
    let labelIndex = try options.labelColumn.map(resolve)
    self.labelIndex = labelIndex
    let weightIndex = try options.weightColumn.map(resolve)
    self.weightIndex = weightIndex
    featureIndices =
      try options.columns.map { try $0.map(resolve) }
      ?? (0..<width).filter { $0 != labelIndex && $0 != weightIndex }
    if let weightIndex, featureIndices.contains(weightIndex) {
      throw KMeansError.parse(
        path: path, line: max(1, headerLine), column: weightIndex + 1,
        message: "the weight column '\(names[weightIndex])' is also a feature column")
    }
    guard !featureIndices.isEmpty else {
      throw KMeansError.emptyInput("\(path) has no feature columns left to read")
    }
  }

  /// Checks the scanner's current line and appends its features (and label and weight).
  func appendRow<Scalar: KMeansScalar>(
    of scanner: CSVScanner, to values: inout [Scalar], labels: inout [String],
    weights: inout [Double]
  ) throws {
    let cells = scanner.cells
    guard cells.count == width else {
      throw KMeansError.parse(
        path: path, line: scanner.lineNumber, column: nil,
        message: "expected \(width) fields, found \(cells.count)")
    }
    for index in featureIndices {
      let cell = cells[index]
      guard let value = scanner.number(cell) else {
        let content = scanner.text(cell)
        throw KMeansError.parse(
          path: path, line: scanner.lineNumber, column: index + 1,
          message: content.trimmingCharacters(in: .whitespaces).isEmpty
            ? "empty cell in column '\(names[index])'"
            : "'\(content.prefix(40))' in column '\(names[index])' is not a number")
      }
      guard value.isFinite else {
        throw KMeansError.parse(
          path: path, line: scanner.lineNumber, column: index + 1,
          message: "non-finite value '\(scanner.text(cell))' in column '\(names[index])'")
      }
      values.append(Scalar(value))
    }
    if let labelIndex { labels.append(scanner.text(cells[labelIndex])) }
    if let weightIndex {
      let cell = cells[weightIndex]
      guard let weight = scanner.number(cell), weight.isFinite, weight >= 0 else {
        throw KMeansError.parse(
          path: path, line: scanner.lineNumber, column: weightIndex + 1,
          message:
            "'\(scanner.text(cell).prefix(40))' in the weight column '\(names[weightIndex])' is not a finite number >= 0"
        )
      }
      weights.append(weight)
    }
  }
}
