import Foundation
import KMeans

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
}

/// Reads numeric matrices from CSV text (RFC 4180: quoted fields with `""` escapes; LF or
/// CRLF line ends; blank lines skipped).
///
/// Every problem is a ``KMeansError/parse(path:line:column:message:)`` naming the 1-based line
/// and column: a cell that is not a finite number, an empty cell, a row of the wrong width, or
/// an unknown column.
public enum CSVReader {
  /// Reads the file at `path`.
  public static func read<Scalar: KMeansScalar>(
    _ path: String, options: CSVReadOptions = CSVReadOptions(), as _: Scalar.Type = Scalar.self
  ) throws -> CSVDataset<Scalar> {
    var data = try AtomicFile.read(path)
    data.append(0)  // strtod stops at the terminator after the last cell.
    return try data.withUnsafeBytes { buffer in
      try parse(
        buffer.bindMemory(to: UInt8.self), byteCount: buffer.count - 1, path: path,
        options: options)
    }
  }

  /// Reads CSV text held in memory; `name` stands for the file in error messages.
  public static func parse<Scalar: KMeansScalar>(
    text: String, name: String = "<text>", options: CSVReadOptions = CSVReadOptions(),
    as _: Scalar.Type = Scalar.self
  ) throws -> CSVDataset<Scalar> {
    var bytes = Array(text.utf8)
    bytes.append(0)
    return try bytes.withUnsafeBufferPointer { buffer in
      try parse(buffer, byteCount: buffer.count - 1, path: name, options: options)
    }
  }

  /// One line split into cells: byte ranges, with quoted cells unescaped into `text`.
  private struct Cell {
    var range: Range<Int>
    var unquoted: String?
  }

  private static func parse<Scalar: KMeansScalar>(
    _ bytes: UnsafeBufferPointer<UInt8>, byteCount: Int, path: String, options: CSVReadOptions
  ) throws -> CSVDataset<Scalar> {
    let base = bytes.baseAddress!
    var position = 0
    var lineNumber = 0
    var cells: [Cell] = []

    /// Splits the next non-blank line into `cells`; false at the end of the file.
    func nextLine() throws -> Bool {
      while position < byteCount {
        lineNumber += 1
        cells.removeAll(keepingCapacity: true)
        var start = position
        var quoted: String? = nil
        var blank = true
        while true {
          let byte: UInt8 = position < byteCount ? base[position] : UInt8(ascii: "\n")
          if byte == UInt8(ascii: "\"") && position == start {
            var text: [UInt8] = []
            position += 1
            while true {
              guard position < byteCount else {
                throw KMeansError.parse(
                  path: path, line: lineNumber, column: cells.count + 1,
                  message: "unterminated quoted field")
              }
              if base[position] == UInt8(ascii: "\"") {
                if position + 1 < byteCount && base[position + 1] == UInt8(ascii: "\"") {
                  text.append(UInt8(ascii: "\""))
                  position += 2
                  continue
                }
                position += 1
                break
              }
              if base[position] == UInt8(ascii: "\n") { lineNumber += 1 }
              text.append(base[position])
              position += 1
            }
            quoted = String(decoding: text, as: UTF8.self)
            blank = false
            continue
          }
          if byte == options.delimiter || byte == UInt8(ascii: "\n") {
            var end = position
            if byte == UInt8(ascii: "\n") && end > start && base[end - 1] == UInt8(ascii: "\r") {
              end -= 1
            }
            if end > start { blank = false }
            cells.append(Cell(range: start..<end, unquoted: quoted))
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

    func text(_ cell: Cell) -> String {
      cell.unquoted
        ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[cell.range]), as: UTF8.self)
    }

    /// The cell as a number, or nil when it is not one.
    func number(_ cell: Cell) -> Double? {
      if let unquoted = cell.unquoted {
        return Double(unquoted.trimmingCharacters(in: .whitespaces))
      }
      var start = cell.range.lowerBound
      var end = cell.range.upperBound
      while start < end && (base[start] == 0x20 || base[start] == 0x09) { start += 1 }
      while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) { end -= 1 }
      guard start < end else { return nil }
      var parsedEnd: UnsafeMutablePointer<CChar>? = nil
      let value = base.advanced(by: start).withMemoryRebound(to: CChar.self, capacity: 1) {
        strtod($0, &parsedEnd)
      }
      let consumed = parsedEnd.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? start
      return consumed == end ? value : nil
    }

    guard try nextLine() else { throw KMeansError.emptyInput("\(path) has no data lines") }
    let width = cells.count
    let hasHeader = try options.hasHeader ?? cells.contains { number($0) == nil }
    let names = hasHeader ? cells.map(text) : (0..<width).map { "column\($0)" }
    let headerLine = hasHeader ? lineNumber : 0

    func resolve(_ column: CSVColumn) throws -> Int {
      switch column {
      case .name(let name):
        if let index = names.firstIndex(of: name) { return index }
        throw KMeansError.parse(
          path: path, line: max(1, headerLine), column: nil,
          message:
            "no column named '\(name)' (columns: \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", …" : ""))"
        )
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
    let featureIndices =
      try options.columns.map { try $0.map(resolve) }
      ?? (0..<width).filter { $0 != labelIndex }
    guard !featureIndices.isEmpty else {
      throw KMeansError.emptyInput("\(path) has no feature columns left to read")
    }

    var values: [Scalar] = []
    var labels: [String] = []
    var rowCount = 0
    var pending = !hasHeader  // The first line is data when there is no header.
    while try pending || nextLine() {
      pending = false
      guard cells.count == width else {
        throw KMeansError.parse(
          path: path, line: lineNumber, column: nil,
          message: "expected \(width) fields, found \(cells.count)")
      }
      for index in featureIndices {
        let cell = cells[index]
        guard let value = number(cell) else {
          let content = text(cell)
          throw KMeansError.parse(
            path: path, line: lineNumber, column: index + 1,
            message: content.trimmingCharacters(in: .whitespaces).isEmpty
              ? "empty cell in column '\(names[index])'"
              : "'\(content.prefix(40))' in column '\(names[index])' is not a number")
        }
        guard value.isFinite else {
          throw KMeansError.parse(
            path: path, line: lineNumber, column: index + 1,
            message: "non-finite value '\(text(cell))' in column '\(names[index])'")
        }
        values.append(Scalar(value))
      }
      if let labelIndex { labels.append(text(cells[labelIndex])) }
      rowCount += 1
    }
    guard rowCount > 0 else { throw KMeansError.emptyInput("\(path) has a header but no rows") }
    return CSVDataset(
      matrix: try Matrix(rowCount: rowCount, columnCount: featureIndices.count, values: values),
      columnNames: featureIndices.map { names[$0] },
      labels: labelIndex == nil ? nil : labels)
  }
}
