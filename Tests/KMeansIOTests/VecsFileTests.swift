import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

@Suite(".fvecs, .bvecs, .ivecs")
struct VecsFileTests {
  /// Vectors in the TEXMEX layout: int32 dimension, then the elements.
  func vecs(_ rows: [[Int]], elementSize: Int, asFloat: Bool) -> Data {
    var data = Data()
    for row in rows {
      withUnsafeBytes(of: Int32(row.count).littleEndian) { data.append(contentsOf: $0) }
      for value in row {
        if elementSize == 1 {
          data.append(UInt8(value))
        } else if asFloat {
          withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        } else {
          withUnsafeBytes(of: Int32(value).littleEndian) { data.append(contentsOf: $0) }
        }
      }
    }
    return data
  }

  @Test("all three formats read, in whole and in batches")
  func read() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [250, 0, 1]]
    let expected = try Matrix<Float>(rows: rows.map { $0.map(Float.init) })
    for (name, size, asFloat) in [
      ("a.fvecs", 4, true), ("a.bvecs", 1, false), ("a.ivecs", 4, false),
    ] {
      let path = directory + "/" + name
      try vecs(rows, elementSize: size, asFloat: asFloat).write(to: URL(fileURLWithPath: path))
      let reader = try VecsReader<Float>(path)
      #expect(reader.totalRows == 4 && reader.columnCount == 3)
      #expect(try reader.readAll() == expected)
      // .bvecs is kept as bytes; the others are not compact.
      #expect(try reader.readCompact()?.widened() == (name == "a.bvecs" ? expected : nil))
      var source = reader
      var batches: [Matrix<Float>] = []
      while let batch = try source.nextBatch(maxRows: 3) { batches.append(batch) }
      #expect(batches.map(\.rowCount) == [3, 1])
      #expect(try source.nextBatch(maxRows: 3) == nil)
      try source.rewind()
      #expect(try source.nextBatch(maxRows: 1) == expected.rows(0..<1))
    }
  }

  @Test(".bvecs kept as bytes names a vector of another dimension")
  func compactMixedDimensions() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/mixed.bvecs"
    var data = vecs([[1, 2, 3], [4, 5, 6], [7, 8, 9]], elementSize: 1, asFloat: false)
    data[7] = 4  // vector 1's dimension
    try data.write(to: URL(fileURLWithPath: path))
    #expect(
      throws: KMeansError.corruptFile(
        path: path, reason: "vector 1 has dimension 4, vector 0 has 3")
    ) {
      try VecsReader<Float>(path).readCompact()
    }
  }

  @Test("centers and labels round-trip")
  func write() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let centers = try Matrix<Double>(rows: [[0.5, -1.25], [3, 4]])
    try VecsFile.write(centers, to: directory + "/c.fvecs")
    #expect(try VecsReader<Double>(directory + "/c.fvecs").readAll() == centers)
    try VecsFile.write([3, 0, 2], to: directory + "/l.ivecs")
    let labels = try VecsReader<Double>(directory + "/l.ivecs").readAll()
    #expect(labels.columnCount == 1 && labels.values == [3, 0, 2])
  }

  @Test("truncated files, mixed dimensions and unknown extensions are clear errors")
  func errors() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/bad.fvecs"
    var data = vecs([[1, 2, 3], [4, 5, 6]], elementSize: 4, asFloat: true)
    data.removeLast(2)
    try data.write(to: URL(fileURLWithPath: path))
    let truncated = #expect(throws: KMeansError.self) { try VecsReader<Float>(path) }
    #expect(truncated?.description.contains("not a whole number of 3-dimensional vectors") == true)
    // Two 2-d vectors then one 1-d and one 3-d: 8 + 8 + 8… the sizes still divide, so the
    // per-vector check names the culprit.
    try vecs([[1, 2], [3, 4], [5], [6, 7, 8]], elementSize: 4, asFloat: true).write(
      to: URL(fileURLWithPath: path))
    let mixed = #expect(throws: KMeansError.self) { try VecsReader<Float>(path).readAll() }
    #expect(mixed?.description.contains("vector 2 has dimension 1, vector 0 has 2") == true)
    #expect(throws: KMeansError.self) { try VecsReader<Float>(directory + "/x.txt") }
  }
}
