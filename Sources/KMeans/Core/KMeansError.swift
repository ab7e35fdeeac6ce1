/// Every error swift-kmeans throws: bad input, bad configuration, unreadable files.
///
/// Each message says what was wrong and where: the row and column of a bad value, the file,
/// line and column of a bad cell, the expected and actual shapes.
public enum KMeansError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The data has no rows or no columns.
  case emptyInput(String)
  /// A configuration value is out of range, e.g. `clusterCount <= 0`.
  case invalidConfiguration(String)
  /// The data has fewer distinct rows than the requested number of clusters.
  case tooFewDistinctPoints(distinct: Int, clusterCount: Int)
  /// A value is NaN or infinite.
  case nonFiniteValue(row: Int, column: Int)
  /// A row has zero length, which has no direction under the cosine distance.
  case zeroRowUnderCosine(row: Int)
  /// Two shapes that must agree do not, e.g. a model's dimension and the data's.
  case dimensionMismatch(expected: Int, actual: Int, context: String)
  /// Values do not fill the stated shape.
  case shapeMismatch(String)
  /// A file could not be opened, read or written.
  case fileUnreadable(path: String, reason: String)
  /// A text file has a malformed value; `line` and `column` are 1-based.
  case parse(path: String, line: Int, column: Int?, message: String)
  /// A binary file's contents are not what its format requires.
  case corruptFile(path: String, reason: String)
  /// A file format feature that swift-kmeans does not read, e.g. a big-endian `.npy`.
  case unsupportedFormat(path: String, reason: String)
  /// A worker of a distributed job failed; `message` says why.
  case rankFailure(rank: Int, message: String)
  /// A sample weight is negative, NaN or infinite.
  case invalidWeight(row: Int, value: Double)

  /// A message for people, naming what was wrong and where.
  public var description: String {
    switch self {
    case .emptyInput(let what):
      return "empty input: \(what)"
    case .invalidConfiguration(let message):
      return "invalid configuration: \(message)"
    case .tooFewDistinctPoints(let distinct, let clusterCount):
      return
        "the data has \(distinct) distinct point(s), fewer than the \(clusterCount) clusters asked for"
    case .nonFiniteValue(let row, let column):
      return "non-finite value (NaN or infinity) at row \(row), column \(column)"
    case .zeroRowUnderCosine(let row):
      return "row \(row) is all zeros and has no direction under the cosine distance"
    case .dimensionMismatch(let expected, let actual, let context):
      return "dimension mismatch: \(context) expects \(expected) column(s), got \(actual)"
    case .shapeMismatch(let message):
      return "shape mismatch: \(message)"
    case .fileUnreadable(let path, let reason):
      return "\(path): \(reason)"
    case .parse(let path, let line, let column, let message):
      let place = column.map { "line \(line), column \($0)" } ?? "line \(line)"
      return "\(path): \(place): \(message)"
    case .corruptFile(let path, let reason):
      return "\(path): corrupt file: \(reason)"
    case .unsupportedFormat(let path, let reason):
      return "\(path): unsupported format: \(reason)"
    case .rankFailure(let rank, let message):
      return "rank \(rank): \(message)"
    case .invalidWeight(let row, let value):
      return "sample weight \(value) at row \(row): weights must be finite and >= 0"
    }
  }
}
