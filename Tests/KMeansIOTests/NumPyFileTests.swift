import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

@Suite("NumPy .npy")
struct NumPyFileTests {
  @Test("a float32 file written by NumPy equals its CSV twin")
  func readsNumPy() throws {
    let fromNumPy = try NumPyFile.read(Fixtures.path("points.npy"), as: Float.self)
    let fromCSV = try CSVReader.read(Fixtures.path("points.csv"), as: Float.self).matrix
    #expect(fromNumPy.rowCount == 240 && fromNumPy.columnCount == 4)
    #expect(fromNumPy == fromCSV)
  }

  @Test("float64 and int64 files written by NumPy")
  func readsOtherTypes() throws {
    let doubles = try NumPyFile.read(Fixtures.path("float64-3x2.npy"), as: Double.self)
    #expect(doubles == (try Matrix(rows: [[1.5, -2], [3, 4.25], [1e-300, 7]])))
    #expect(try NumPyFile.readIntegers(Fixtures.path("int64-labels.npy")) == Array(0..<7))
    let column = try NumPyFile.read(Fixtures.path("int64-labels.npy"), as: Float.self)
    #expect(column.rowCount == 7 && column.columnCount == 1)
  }

  @Test("write then read keeps every bit", arguments: [NumPyElementType.int32, .int64])
  func roundTrip(integerType: NumPyElementType) throws {
    let path = try temporaryPath("m.npy")
    let floats = try Matrix<Float>(rows: [[1, -0.5, .leastNonzeroMagnitude], [3e38, 5, 6]])
    try NumPyFile.write(floats, to: path)
    #expect(try NumPyFile.read(path, as: Float.self) == floats)
    let doubles = try Matrix<Double>(rows: [[.pi, -1e-310]])
    try NumPyFile.write(doubles, to: path)
    #expect(try NumPyFile.read(path, as: Double.self) == doubles)
    try NumPyFile.write([3, 1, 4, 1, 5], as: integerType, to: path)
    #expect(try NumPyFile.readIntegers(path) == [3, 1, 4, 1, 5])
    // The data starts on a 64-byte boundary, as NumPy writes it.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
  }

  @Test("unsupported and corrupt files get clear errors")
  func errors() throws {
    let bigEndian = #expect(throws: KMeansError.self) {
      try NumPyFile.read(Fixtures.path("big-endian.npy"), as: Double.self)
    }
    #expect(bigEndian?.description.contains("big-endian data ('>f8') is not supported") == true)
    let fortran = #expect(throws: KMeansError.self) {
      try NumPyFile.read(Fixtures.path("fortran.npy"), as: Double.self)
    }
    #expect(fortran?.description.contains("Fortran-ordered") == true)
    let complex = #expect(throws: KMeansError.self) {
      try NumPyFile.read(Fixtures.path("complex.npy"), as: Double.self)
    }
    #expect(complex?.description.contains("element type '<c8' is not supported") == true)

    let path = try temporaryPath("bad.npy")
    try Data("hello world, not numpy".utf8).write(to: URL(fileURLWithPath: path))
    #expect(
      throws: KMeansError.corruptFile(path: path, reason: "not a .npy file (bad magic string)")
    ) {
      try NumPyFile.read(path, as: Float.self)
    }
    let good = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("points.npy")))
    try good.prefix(good.count - 5).write(to: URL(fileURLWithPath: path))
    let truncated = #expect(throws: KMeansError.self) {
      try NumPyFile.read(path, as: Float.self)
    }
    #expect(truncated?.description.contains("the header promises 960 <f4 values") == true)
    try good.prefix(30).write(to: URL(fileURLWithPath: path))
    #expect(throws: KMeansError.corruptFile(path: path, reason: "truncated header")) {
      try NumPyFile.read(path, as: Float.self)
    }
  }
}
