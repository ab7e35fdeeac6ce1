import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

@Suite("Streaming")
struct StreamingTests {
  func drain<Source: BatchSource>(_ source: inout Source, rows: Int) throws -> Matrix<Source.Scalar>
  {
    var values: [Source.Scalar] = []
    var count = 0
    while let batch = try source.nextBatch(maxRows: rows) {
      #expect(batch.rowCount <= rows)
      values += batch.values
      count += batch.rowCount
    }
    return try Matrix(rowCount: count, columnCount: source.columnCount, values: values)
  }

  @Test(
    "CSV batches reproduce the whole-file read, for any batch size", arguments: [1, 7, 500, 5000])
  func csvBatches(rows: Int) throws {
    var options = CSVReadOptions()
    options.labelColumn = .name("digit")
    let path = Fixtures.root.appendingPathComponent("Data/digits.csv").path
    let whole = try CSVReader.read(path, options: options, as: Float.self)
    let reader = try CSVBatchReader<Float>(path, options: options)
    var source = reader
    let streamed = try drain(&source, rows: rows)
    #expect(streamed == whole.matrix)
    #expect(reader.columnNames == whole.columnNames)
    try source.rewind()
    #expect(try source.nextBatch(maxRows: 3) == whole.matrix.rows(0..<3))
    #expect(reader.lastLabels == Array(whole.labels?.prefix(3) ?? []))
  }

  @Test("a bad cell in a streamed CSV names its file line")
  func csvErrors() throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("bad.csv").path
    var text = "a,b\n"
    for row in 0..<3000 { text += "\(row),\(row * 2)\n" }
    text += "\n5,oops\n"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    var source = try CSVBatchReader<Double>(path)
    #expect(
      throws: KMeansError.parse(
        path: path, line: 3003, column: 2, message: "'oops' in column 'b' is not a number")
    ) {
      while try source.nextBatch(maxRows: 256) != nil {}
    }
  }

  @Test(
    "the mapped and the chunked .npy readers equal the whole-file read",
    arguments: [NumPyBatchReader<Double>.Access.memoryMapped, .chunkedReads])
  func numPyBatches(access: NumPyBatchReader<Double>.Access) throws {
    let path = Fixtures.path("points.npy")
    let whole = try NumPyFile.read(path, as: Double.self)
    var source = try NumPyBatchReader<Double>(path, access: access)
    #expect(source.rowCount == 240)
    #expect(try drain(&source, rows: 50) == whole)
    #expect(try source.rows(100..<103) == whole.rows(100..<103))
    try source.rewind()
    #expect(try source.nextBatch(maxRows: 1000) == whole)
    #expect(throws: KMeansError.self) {
      try NumPyBatchReader<Float>(Fixtures.path("big-endian.npy"))
    }
  }

  /// A version 1.0 `.npy` file of `rows × columns` float16 values, NaN and ±∞ among them.
  static func float16File(_ path: String, rows: Int, columns: Int) throws -> [Float] {
    var header = "{'descr': '<f2', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    var values: [Float] = []
    for index in 0..<(rows * columns) {
      let pattern = UInt16(truncatingIfNeeded: index &* 40_503)
      let value = Float16(bitPattern: pattern)
      values.append(Float(value))
      bytes += [UInt8(pattern & 0xFF), UInt8(pattern >> 8)]
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return values
  }

  @Test(
    "a mapped float16 file decodes to the same bits on 1, 2 and 3 threads",
    arguments: [1, 2, 3])
  func parallelDecoding(threads: Int) throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("half.npy").path
    // 700 × 384 values: three parts of at least 2¹⁶ on 3 threads.
    let expected = try Self.float16File(path, rows: 700, columns: 384)
    let reader = try NumPyBatchReader<Float>(path)
    reader.decodingThreadCount = threads
    var source = reader
    var decoded: [Float] = []
    while let batch = try source.nextBatch(maxRows: 650) { decoded += batch.values }
    #expect(decoded.map(\.bitPattern) == expected.map(\.bitPattern))
    #expect(expected.contains { $0.isNaN } && expected.contains { $0.isInfinite })
  }

  @Test("streamed predict equals in-memory predict; streamed labels file round-trips")
  func streamedPredict() throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    var random = RandomSource(seed: 3)
    let rows = (0..<5000).map { _ in (0..<6).map { _ in Float(random.nextUnit() * 10) } }
    let data = try Matrix<Float>(rows: rows)
    let npy = directory.appendingPathComponent("data.npy").path
    try NumPyFile.write(data, to: npy)
    let model = try KMeansModel.fit(data, configuration: KMeansConfiguration(clusterCount: 7)).model
    let expected = try model.predict(data)

    var source = try NumPyBatchReader<Float>(npy)
    let labelsPath = directory.appendingPathComponent("labels.npy").path
    let writer = try NumPyLabelWriter(path: labelsPath)
    var streamed: [Int] = []
    let summary = try StreamingKMeans.predict(&source, model: model, batchRows: 333) { labels, _ in
      streamed += labels
      try writer.append(labels)
    }
    try writer.finish()
    #expect(streamed == expected)
    #expect(summary.rowCount == 5000)
    #expect(abs(summary.inertia - (try model.score(data))) <= 1e-9 * summary.inertia)
    #expect(try NumPyFile.readIntegers(labelsPath) == expected)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
        "data.npy", "labels.npy",
      ])
  }

  @Test("streamed mini-batch training is deterministic and close to in-memory mini-batch")
  func streamedTraining() throws {
    let directory = try temporaryDirectoryURL()
    defer { try? FileManager.default.removeItem(at: directory) }
    var random = RandomSource(seed: 4)
    var rows: [[Double]] = []
    let centers = (0..<8).map { _ in (0..<4).map { _ in random.nextUnit() * 40 } }
    for _ in 0..<20_000 {
      let center = centers[random.nextIndex(below: 8)]
      rows.append(center.map { $0 + random.nextUnit() })
    }
    let data = try Matrix<Double>(rows: rows)
    let npy = directory.appendingPathComponent("data.npy").path
    try NumPyFile.write(data, to: npy)
    var configuration = KMeansConfiguration(clusterCount: 8)
    configuration.seed = 2
    var miniBatch = MiniBatchConfiguration()
    miniBatch.batchSize = 500
    miniBatch.epochs = 2
    let first = try NumPyBatchReader<Double>(npy)
    let second = try NumPyBatchReader<Double>(npy)
    let a = try fitMiniBatch(first, configuration: configuration, miniBatch: miniBatch).model
    configuration.threadCount = 1
    let b = try fitMiniBatch(second, configuration: configuration, miniBatch: miniBatch).model
    #expect(a.centers == b.centers)
    let full = try KMeansModel.fit(data, configuration: configuration).model
    #expect(try a.score(data) <= full.inertia * 1.05)
  }
}
