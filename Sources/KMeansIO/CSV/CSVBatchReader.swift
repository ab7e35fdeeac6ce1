import Foundation
import KMeans

// Safety: the reader's position changes only in nextBatch and rewind, which its one owner
// calls from one thread at a time (as the engine does); Sendable lets the owner hand it to
// another thread, not share it.
/// A CSV file read a block at a time and delivered in batches of rows.
///
/// It holds one read block (1 MiB) and the lines of one batch; errors name the file line and
/// column as ``CSVReader`` does. Quoted fields may not contain line breaks in this mode.
///
/// Read it from one thread at a time; it may move between threads.
public final class CSVBatchReader<Scalar: KMeansScalar>: BatchSource, @unchecked Sendable {
  /// The file.
  public let path: String
  /// The feature columns' names.
  public let columnNames: [String]
  /// The number of feature columns.
  public var columnCount: Int { layout.featureIndices.count }
  /// Unknown until the file has been read: nil.
  public var rowCount: Int? { nil }
  /// The labels of the last batch, when a label column was named.
  public private(set) var lastLabels: [String]? = nil
  /// The values of ``CSVReadOptions/weightColumn`` for the rows of the last batch, when it
  /// was given.
  public private(set) var lastBatchWeights: [Double]? = nil

  private let options: CSVReadOptions
  private let layout: CSVLayout
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var linesBefore = 0
  private var atEnd = false
  private static var blockSize: Int { 1 << 20 }

  /// Opens the file and reads its first line (the header, or the first data line).
  public init(_ path: String, options: CSVReadOptions = CSVReadOptions()) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "no such file")
    }
    self.path = path
    self.options = options
    self.handle = handle
    var first: [UInt8] = []
    var eof = false
    while !first.contains(UInt8(ascii: "\n")) && !eof {
      let block = handle.readData(ofLength: 1 << 16)
      eof = block.isEmpty
      first.append(contentsOf: block)
    }
    let firstEnd = (first.firstIndex(of: UInt8(ascii: "\n")) ?? first.count)
    let line = Array(first[..<firstEnd]) + [UInt8(ascii: "\n"), 0]
    var scanner = CSVScanner(
      bytes: line, byteCount: line.count - 1, path: path, delimiter: options.delimiter)
    guard try scanner.nextLine() else {
      throw KMeansError.emptyInput("\(path) has no data lines")
    }
    let layout = try CSVLayout(firstLine: scanner, options: options, path: path)
    self.layout = layout
    self.columnNames = layout.featureIndices.map { layout.names[$0] }
    try rewind()
  }

  deinit { try? handle.close() }

  /// Starts again from the first data line.
  public func rewind() throws {
    try handle.seek(toOffset: 0)
    buffer = []
    atEnd = false
    linesBefore = 0
    if layout.hasHeader {
      // Skip the header line.
      try fill()
      if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        buffer.removeFirst(end + 1)
      } else {
        buffer = []
      }
      linesBefore = 1
    }
  }

  private func fill() throws {
    let block = handle.readData(ofLength: Self.blockSize)
    if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
  }

  /// The next at most `maxRows` data rows, or nil at the end of the file.
  public func nextBatch(maxRows: Int) throws -> Matrix<Scalar>? {
    guard maxRows > 0 else {
      throw KMeansError.invalidConfiguration("batches of \(maxRows) rows; they need at least 1")
    }
    var values: [Scalar] = []
    var labels: [String] = []
    var weights: [Double] = []
    var rows = 0
    while rows < maxRows {
      // Parse only complete lines: up to the last line break, or everything at the end.
      if !atEnd && !buffer.contains(UInt8(ascii: "\n")) { try fill() }
      guard !buffer.isEmpty else {
        if atEnd { break }
        try fill()
        continue
      }
      let completeEnd: Int
      if let lastBreak = buffer.lastIndex(of: UInt8(ascii: "\n")) {
        completeEnd = lastBreak + 1
      } else if atEnd {
        completeEnd = buffer.count
      } else {
        try fill()
        continue
      }
      var chunk = Array(buffer[..<completeEnd])
      chunk.append(0)
      var consumed = 0
      var linesRead = 0
      do {
        var scanner = CSVScanner(
          bytes: chunk, byteCount: chunk.count - 1, path: path,
          delimiter: options.delimiter, linesBefore: linesBefore)
        while rows < maxRows, try scanner.nextLine() {
          try layout.appendRow(of: scanner, to: &values, labels: &labels, weights: &weights)
          rows += 1
          consumed = scanner.position
          linesRead = scanner.lineNumber - linesBefore
        }
        if rows < maxRows {
          consumed = completeEnd  // Only blank lines were left.
          linesRead = scanner.lineNumber - linesBefore
        }
      }
      linesBefore += linesRead
      buffer.removeFirst(min(consumed, buffer.count))
      if rows < maxRows && !atEnd { try fill() }
      if rows < maxRows && atEnd && buffer.isEmpty { break }
    }
    guard rows > 0 else { return nil }
    lastLabels = layout.labelIndex == nil ? nil : labels
    lastBatchWeights = options.weightColumn == nil ? nil : weights
    return try Matrix(rowCount: rows, columnCount: columnCount, values: values)
  }
}
