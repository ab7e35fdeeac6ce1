import Foundation
import KMeans
import KMeansIO
import Testing

@Suite("CSV")
struct CSVReaderTests {
  func parse(_ text: String, _ configure: (inout CSVReadOptions) -> Void = { _ in }) throws
    -> CSVDataset<Double>
  {
    var options = CSVReadOptions()
    configure(&options)
    return try CSVReader.parse(text: text, name: "data.csv", options: options)
  }

  @Test("a header is detected and columns are selected by name or index")
  func headerAndColumns() throws {
    let text = "a,b,label,c\n1,2,x,3\n4,5,y,6\n"
    let all = try parse(text) { $0.labelColumn = .name("label") }
    #expect(all.columnNames == ["a", "b", "c"])
    #expect(all.matrix == (try Matrix(rows: [[1, 2, 3], [4, 5, 6]])))
    #expect(all.labels == ["x", "y"])
    let chosen = try parse(text) { $0.columns = [.name("c"), .index(0)] }
    #expect(chosen.columnNames == ["c", "a"])
    #expect(chosen.matrix == (try Matrix(rows: [[3, 1], [6, 4]])))
    #expect(chosen.labels == nil)
  }

  @Test("no header: every line is data, columns are named by position")
  func noHeader() throws {
    let data = try parse("1,2\n3,4\n\n")
    #expect(data.columnNames == ["column0", "column1"])
    #expect(data.matrix.rowCount == 2)
    let forced = try parse("1,2\n3,4\n") { $0.hasHeader = true }
    #expect(forced.columnNames == ["1", "2"])
    #expect(forced.matrix == (try Matrix(rows: [[3, 4]])))
  }

  @Test("CRLF, quotes, spaces, exponents and a missing final newline")
  func syntax() throws {
    let data = try parse("\"x, y\",\"say \"\"hi\"\"\"\r\n 1.5e2 ,\"-2\"\r\n-.25,7")
    #expect(data.columnNames == ["x, y", "say \"hi\""])
    #expect(data.matrix == (try Matrix(rows: [[150, -2], [-0.25, 7]])))
  }

  @Test("a non-numeric cell names its line and column")
  func nonNumeric() throws {
    let error = #expect(throws: KMeansError.self) { try parse("a,b\n1,2\n3,abc\n") }
    #expect(
      error
        == .parse(
          path: "data.csv", line: 3, column: 2, message: "'abc' in column 'b' is not a number"))
    #expect(error?.description == "data.csv: line 3, column 2: 'abc' in column 'b' is not a number")
  }

  @Test("an empty cell, a non-finite value")
  func emptyAndNonFinite() throws {
    #expect(
      throws: KMeansError.parse(
        path: "data.csv", line: 2, column: 1, message: "empty cell in column 'a'")
    ) {
      try parse("a,b\n,2\n")
    }
    #expect(
      throws: KMeansError.parse(
        path: "data.csv", line: 3, column: 2, message: "non-finite value 'nan' in column 'b'")
    ) {
      try parse("a,b\n1,2\n3,nan\n")
    }
  }

  @Test("a ragged row names its line")
  func ragged() throws {
    #expect(
      throws: KMeansError.parse(
        path: "data.csv", line: 4, column: nil, message: "expected 2 fields, found 3")
    ) {
      try parse("a,b\n1,2\n\n3,4,5\n")
    }
  }

  @Test("unknown columns, empty files")
  func unknownColumnsAndEmptyFiles() throws {
    let error = #expect(throws: KMeansError.self) {
      try parse("a,b\n1,2\n") { $0.columns = [.name("z")] }
    }
    #expect(error?.description.contains("no column named 'z' (columns: a, b)") == true)
    #expect(throws: KMeansError.self) { try parse("a,b\n1,2\n") { $0.columns = [.index(9)] } }
    #expect(throws: KMeansError.emptyInput("data.csv has no data lines")) { try parse("\n\n") }
    #expect(throws: KMeansError.emptyInput("data.csv has a header but no rows")) {
      try parse("a,b\n")
    }
    #expect(throws: KMeansError.fileUnreadable(path: "/nonexistent/x.csv", reason: "no such file"))
    {
      try CSVReader.read("/nonexistent/x.csv", as: Float.self)
    }
  }

  @Test("digits: 1797 rows, 64 features and the digit labels")
  func digits() throws {
    var options = CSVReadOptions()
    options.labelColumn = .name("digit")
    let path = Fixtures.root.appendingPathComponent("Data/digits.csv").path
    let digits = try CSVReader.read(path, options: options, as: Float.self)
    #expect(digits.matrix.rowCount == 1797 && digits.matrix.columnCount == 64)
    #expect(Set(digits.labels ?? []) == Set((0...9).map(String.init)))
    #expect(digits.columnNames.first == "pixel0")
  }
}

enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static func path(_ name: String) -> String {
    root.appendingPathComponent("Tests/KMeansIOTests/Fixtures/\(name)").path
  }
}
