import Foundation
import KMeans
import KMeansBytes

/// A sparse data set read from a file: the CSR matrix and, when the file has them, a label per
/// row.
public struct SparseDataset<Scalar: KMeansScalar>: Sendable {
  /// The features.
  public var matrix: SparseMatrix<Scalar>
  /// The label of each row (svmlight's first field), or nil when the format has none.
  public var labels: [String]?
}

/// The svmlight / libsvm text format: one row per line,
/// `<label> [qid:<n>] <index>:<value> <index>:<value> … [# comment]`.
///
/// Indices are one-based in libsvm files and zero-based in files scikit-learn writes with
/// `zero_based=True`; by default (as scikit-learn's `zero_based="auto"`) a file with any index 0
/// is read as zero-based, otherwise as one-based. Errors name the file, line and column.
public enum SVMLightFile {
  /// How indices are numbered.
  public enum IndexBase: Sendable {
    /// Zero-based when any index is 0, otherwise one-based.
    case automatic
    case zeroBased
    case oneBased
  }

  /// Reads the svmlight file at `path` as `Scalar` values; `indexBase` says how the file numbers
  /// its features (default: detect, as scikit-learn does), `columnCount` is the number of
  /// features (nil: the largest index + 1).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func read<Scalar: KMeansScalar>(
    _ path: String, as _: Scalar.Type = Scalar.self, indexBase: IndexBase = .automatic,
    columnCount: Int? = nil
  ) throws -> SparseDataset<Scalar> {
    var bytes = [UInt8](try AtomicFile.read(path))
    bytes.append(0)  // strtod stops at the terminator.
    return try parse(
      bytes, byteCount: bytes.count - 1, path: path, indexBase: indexBase,
      columnCount: columnCount)
  }

  /// Parses svmlight text held in memory; `name` stands for the file in error messages.
  public static func parse<Scalar: KMeansScalar>(
    text: String, name: String = "<text>", as _: Scalar.Type = Scalar.self,
    indexBase: IndexBase = .automatic, columnCount: Int? = nil
  ) throws -> SparseDataset<Scalar> {
    var bytes = Array(text.utf8)
    bytes.append(0)
    return try parse(
      bytes, byteCount: bytes.count - 1, path: name, indexBase: indexBase,
      columnCount: columnCount)
  }

  /// The blank-separated tokens of bytes `start..<end`.
  static func tokens(_ bytes: [UInt8], from start: Int, to end: Int) -> [Range<Int>] {
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
    var tokens: [Range<Int>] = []
    var cursor = start
    while cursor < end {
      while cursor < end && isSpace(bytes[cursor]) { cursor += 1 }
      let first = cursor
      while cursor < end && !isSpace(bytes[cursor]) { cursor += 1 }
      if cursor > first { tokens.append(first..<cursor) }
    }
    return tokens
  }

  /// One `index:value` token (nil for `qid:…`), checked: the index a whole number below 2³¹ − 1
  /// (indices are stored as Int32, as SciPy's CSR), the value a finite number; `fail` makes the
  /// error for a column of the line.
  static func entry(
    _ bytes: [UInt8], _ token: Range<Int>, lineStart: Int,
    fail: (_ column: Int, _ message: String) -> KMeansError
  ) throws -> (index: Int, value: Double)? {
    let column = token.lowerBound - lineStart + 1
    guard let colon = token.first(where: { bytes[$0] == UInt8(ascii: ":") }) else {
      throw fail(column, "expected index:value, found '\(text(bytes, token))'")
    }
    let key = text(bytes, token.lowerBound..<colon)
    if key == "qid" { return nil }
    guard let index = Int(key), index >= 0, index < Int(Int32.max) else {
      throw fail(
        column, "'\(key)' is not a feature index (a whole number from 0 to \(Int32.max - 1))")
    }
    let valueStart = colon + 1
    guard let value = TextNumbers.parseDouble(bytes, from: valueStart, to: token.upperBound),
      value.isFinite
    else {
      let valueText = text(bytes, valueStart..<token.upperBound)
      let problem =
        TextNumbers.parseDouble(bytes, from: valueStart, to: token.upperBound) == nil
        ? "'\(valueText)' is not a number" : "non-finite value '\(valueText)'"
      throw fail(valueStart - lineStart + 1, problem)
    }
    return (index, value)
  }

  static func parse<Scalar: KMeansScalar>(
    _ bytes: [UInt8], byteCount: Int, path: String, indexBase: IndexBase,
    columnCount: Int?, firstLine: Int = 0, allowEmpty: Bool = false
  ) throws -> SparseDataset<Scalar> {
    var offsets = [0]
    var indices: [Int] = []
    var values: [Scalar] = []
    var labels: [String] = []
    var line = firstLine
    var position = 0
    var smallestIndex = Int.max
    var largestIndex = -1
    func fail(_ column: Int, _ message: String) -> KMeansError {
      KMeansError.parse(path: path, line: line, column: column, message: message)
    }
    while position < byteCount {
      line += 1
      let lineStart = position
      var end = position
      while end < byteCount && bytes[end] != 0x0A { end += 1 }
      var contentEnd = end
      if let hash = (position..<end).first(where: { bytes[$0] == UInt8(ascii: "#") }) {
        contentEnd = hash
      }
      position = end + 1
      let tokens = Self.tokens(bytes, from: lineStart, to: contentEnd)
      guard let first = tokens.first else { continue }  // blank or comment-only line
      labels.append(String(decoding: bytes[first], as: UTF8.self))
      for token in tokens.dropFirst() {
        guard
          let (index, value) = try Self.entry(
            bytes, token, lineStart: lineStart, fail: { fail($0, $1) })
        else { continue }
        smallestIndex = min(smallestIndex, index)
        largestIndex = max(largestIndex, index)
        indices.append(index)
        values.append(Scalar(value))
      }
      offsets.append(values.count)
    }
    guard !labels.isEmpty || allowEmpty else {
      throw KMeansError.emptyInput("\(path) has no rows")
    }
    let (zeroBased, width) = try indexBase.resolve(
      smallest: smallestIndex, largest: largestIndex, columnCount: columnCount, path: path)
    if !zeroBased { indices = indices.map { $0 - 1 } }
    let matrix = try SparseMatrix(
      rowCount: labels.count, columnCount: width, rowOffsets: offsets, columnIndices: indices,
      values: values)
    return SparseDataset(matrix: matrix, labels: labels)
  }

  private static func text(_ bytes: [UInt8], _ range: Range<Int>) -> String {
    String(decoding: bytes[range], as: UTF8.self)
  }

  /// Writes a sparse matrix (and labels, default 0) as zero-based svmlight text, atomically.
  public static func write<Scalar: KMeansScalar>(
    _ matrix: SparseMatrix<Scalar>, labels: [String]? = nil, to path: String
  ) throws {
    var text = ""
    for row in 0..<matrix.rowCount {
      text += labels?[row] ?? "0"
      for position in matrix.rowOffsets[row]..<matrix.rowOffsets[row + 1] {
        text += " \(matrix.columnIndices[position]):\(matrix.values[position])"
      }
      text += "\n"
    }
    try AtomicFile.write(Data(text.utf8), to: path)
  }
}

// Safety: the reader's position changes only in nextBatch and rewind, which its one owner
// calls from one thread at a time (as the engine does); Sendable lets the owner hand it to
// another thread, not share it.
/// An svmlight file read a block of lines at a time (a `SparseBatchSource`): memory
/// stays bounded by the batch. A first pass over the file finds the number of columns and
/// whether indices are zero-based (as ``SVMLightFile/read(_:as:indexBase:columnCount:)``).
///
/// Read it from one thread at a time; it may move between threads.
public final class SVMLightBatchReader<Scalar: KMeansScalar>: SparseBatchSource,
  @unchecked Sendable
{
  /// The file.
  public let path: String
  /// The number of feature columns.
  public let columnCount: Int
  /// The number of rows (counted when the file was opened).
  public private(set) var rowCount: Int?
  /// The labels (first fields) of the rows of the last batch.
  public private(set) var lastLabels: [String]? = nil
  private let zeroBased: Bool
  private var lines: LineBlocks

  /// Opens `path`; `columnCount` nil: the largest index + 1.
  public init(
    _ path: String, indexBase: SVMLightFile.IndexBase = .automatic, columnCount: Int? = nil
  ) throws {
    self.path = path
    var lines = try LineBlocks(path: path)
    // The first pass: every index, read as zero-based, and the rows.
    var smallest = Int.max
    var largest = -1
    var rows = 0
    while let block = try lines.next(maxLines: 65_536) {
      let parsed: SparseDataset<Double> = try SVMLightFile.parse(
        block.bytes, byteCount: block.bytes.count - 1, path: path, indexBase: .zeroBased,
        columnCount: nil, firstLine: block.firstLine, allowEmpty: true)
      for index in parsed.matrix.columnIndices {
        smallest = min(smallest, Int(index))
        largest = max(largest, Int(index))
      }
      rows += parsed.matrix.rowCount
    }
    guard rows > 0 else { throw KMeansError.emptyInput("\(path) has no rows") }
    let width: Int
    (zeroBased, width) = try indexBase.resolve(
      smallest: smallest, largest: largest, columnCount: columnCount, path: path)
    self.columnCount = width
    self.rowCount = rows
    try lines.rewind()
    self.lines = lines
  }

  /// The next batch of at most `maxRows` rows, or nil at the end.
  public func nextBatch(maxRows: Int) throws -> SparseMatrix<Scalar>? {
    while let block = try lines.next(maxLines: maxRows) {
      let parsed: SparseDataset<Scalar> = try SVMLightFile.parse(
        block.bytes, byteCount: block.bytes.count - 1, path: path,
        indexBase: zeroBased ? .zeroBased : .oneBased, columnCount: columnCount,
        firstLine: block.firstLine, allowEmpty: true)
      guard parsed.matrix.rowCount > 0 else { continue }  // comments and blank lines only
      lastLabels = parsed.labels
      return parsed.matrix
    }
    return nil
  }

  /// Starts again from the first row.
  public func rewind() throws { try lines.rewind() }
}

/// A text file read as blocks of whole lines.
struct LineBlocks {
  let path: String
  private var handle: FileHandle
  private var buffer: [UInt8] = []
  private var atEnd = false
  private var linesBefore = 0

  init(path: String) throws {
    self.path = path
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot open the file")
    }
    self.handle = handle
  }

  mutating func rewind() throws {
    try handle.seek(toOffset: 0)
    buffer = []
    atEnd = false
    linesBefore = 0
  }

  /// The next block of at most `maxLines` whole lines (NUL-terminated), with the number of
  /// lines before it; nil at the end.
  mutating func next(maxLines: Int) throws -> (bytes: [UInt8], firstLine: Int)? {
    var end = 0
    var count = 0
    while true {
      while end < buffer.count && count < maxLines {
        if buffer[end] == 0x0A { count += 1 }
        end += 1
      }
      if count >= maxLines || atEnd { break }
      let block = handle.readData(ofLength: 1 << 20)
      if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
    }
    if atEnd && count < maxLines { end = buffer.count }
    guard end > 0 else { return nil }
    var bytes = Array(buffer[..<end])
    bytes.append(0)
    buffer.removeFirst(end)
    let first = linesBefore
    linesBefore += count + (end > 0 && bytes[end - 1] != 0x0A ? 1 : 0)
    return (bytes, first)
  }
}

extension SVMLightFile.IndexBase {
  /// How a file whose feature indices, read as zero-based, run from `smallest` to `largest`
  /// (-1: none) numbers its features, and its column count (`columnCount`, or the largest
  /// index + 1).
  /// - Throws: ``KMeansError/parse(path:line:column:message:)`` for index 0 read as one-based;
  ///   ``KMeansError/shapeMismatch(_:)`` for an index past `columnCount`.
  func resolve(
    smallest: Int, largest: Int, columnCount: Int?, path: String
  ) throws -> (zeroBased: Bool, columnCount: Int) {
    let zeroBased: Bool
    switch self {
    case .zeroBased: zeroBased = true
    case .oneBased:
      if smallest == 0 {
        throw KMeansError.parse(
          path: path, line: 1, column: nil,
          message: "index 0 in a file read as one-based (libsvm numbering)")
      }
      zeroBased = false
    case .automatic: zeroBased = smallest == 0
    }
    if let columnCount, largest >= 0, largest - (zeroBased ? 0 : 1) >= columnCount {
      throw KMeansError.shapeMismatch(
        "\(path): feature index \(largest) does not fit \(columnCount) columns")
    }
    return (zeroBased, columnCount ?? (largest < 0 ? 0 : largest + (zeroBased ? 1 : 0)))
  }
}
