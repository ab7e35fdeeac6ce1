import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// Files that crashed a parser, or would have before its numbers were checked: each is replayed
/// through the fuzz target's own checks (``ParserChecks``), and the notable ones are checked for
/// the exact error a user sees. Serialized: the checks reuse one scratch folder per process.
@Suite("Fuzz regressions", .serialized)
struct FuzzRegressionTests {
  static let folder = Fixtures.root.appendingPathComponent("Tests/KMeansIOTests/Fixtures/Fuzz")

  @Test("every saved finding replays through its fuzz target's checks without a crash")
  func replaysEveryFinding() throws {
    let targets = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
    #expect(targets.count >= 5)
    var replayed = 0
    for target in targets {
      let check = try #require(ParserChecks.byTarget[target], "no fuzz target '\(target)'")
      let directory = Self.folder.appendingPathComponent(target)
      for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
        check(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        replayed += 1
      }
    }
    #expect(replayed >= 15)
  }

  /// The error reading `name` (a file of the fuzz fixtures) gives.
  func error(reading name: String, _ read: (String) throws -> Void) -> KMeansError? {
    do {
      try read(Self.folder.appendingPathComponent(name).path)
      return nil
    } catch {
      return error as? KMeansError
    }
  }

  /// The error reading the `.npz` fixture `name` gives.
  func npzError(_ name: String) -> KMeansError? {
    error(reading: name) { _ = try SciPySparseFile.read($0, as: Float.self) }
  }

  @Test("a .npy shape whose product overflows is a corrupt file, not a trap")
  func numPyShapeOverflow() throws {
    for name in ["npy/shape-product-overflows.npy", "npy/byte-count-overflows.npy"] {
      let whole = error(reading: name) { _ = try NumPyFile.read($0, as: Float.self) }
      let batches = error(reading: name) { _ = try NumPyBatchReader<Float>($0) }
      for found in [whole, batches] {
        guard case .corruptFile(let path, let reason) = found else {
          Issue.record("\(name): \(String(describing: found))")
          continue
        }
        #expect(path.hasSuffix(name) && reason.contains("more elements than any file can hold"))
      }
    }
  }

  @Test("int64 labels are read exactly, the extremes included")
  func int64Labels() throws {
    let labels = try NumPyFile.readIntegers(
      Self.folder.appendingPathComponent("npy/int64-max-label.npy").path)
    #expect(labels == [Int(Int64.max), Int(Int64.min)])
  }

  @Test("a .npz whose row offsets lie names the offset; a float or huge shape is refused")
  func npzOffsetsAndShapes() throws {
    let past = npzError("npz/indptr-past-values.npz")
    #expect(past?.description.contains("row offset 5 at position 1 lies outside 0...2") == true)
    let negative = npzError("npz/indptr-negative.npz")
    #expect(negative?.description.contains("row offset -1") == true)
    let nan = npzError("npz/shape-nan.npz")
    #expect(nan?.description.contains("shape.npy") == true)
    let huge = npzError("npz/shape-huge.npz")
    #expect(huge?.description.contains("row offsets") == true)
  }

  @Test("ZIP numbers from the file are bounded before use: no 4 GiB buffer, no wild offset")
  func zipNumbers() throws {
    let bomb = npzError("npz/deflate-claims-4-GiB.npz")
    #expect(bomb?.description.contains("more than deflate can give") == true)
    for name in ["npz/zip64-record-offset-huge.npz", "npz/zip64-count-negative.npz"] {
      let found = error(reading: name) { _ = try SciPySparseFile.read($0, as: Float.self) }
      guard case .corruptFile(let path, _) = found else {
        Issue.record("\(name): \(String(describing: found))")
        continue
      }
      #expect(path.hasSuffix(name))
    }
  }

  @Test("an svmlight index past Int32 is a parse error at its line and column")
  func svmlightIndexRange() throws {
    let found = try #require(
      error(reading: "svmlight/index-int-max") { path in
        // The fixture's first byte is the fuzz target's option byte: parse the rest.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst()
        _ = try SVMLightFile.parse(
          text: String(decoding: bytes, as: UTF8.self), name: "x.svm", as: Float.self)
      })
    #expect(
      found
        == .parse(
          path: "x.svm", line: 1, column: 3,
          message:
            "'9223372036854775807' is not a feature index (a whole number from 0 to 2147483646)"))
  }

  @Test("batch readers refuse empty batches and rows outside the file with typed errors")
  func batchReaderArguments() throws {
    let path = try temporaryPath("rows.npy")
    try NumPyFile.write(try Matrix<Float>(rows: [[1, 2], [3, 4]]), to: path)
    let numPy = try NumPyBatchReader<Float>(path)
    #expect(throws: KMeansError.self) { _ = try numPy.nextBatch(maxRows: 0) }
    #expect(throws: KMeansError.self) { _ = try numPy.rows(1..<3) }
    let vecsPath = try temporaryPath("rows.fvecs")
    try VecsFile.write(try Matrix<Float>(rows: [[1, 2], [3, 4]]), to: vecsPath)
    let vecs = try VecsReader<Float>(vecsPath)
    #expect(throws: KMeansError.self) { _ = try vecs.nextBatch(maxRows: 0) }
    #expect(throws: KMeansError.self) { _ = try vecs.rows(-1..<1) }
    let csvPath = try temporaryPath("rows.csv")
    try "1,2\n3,4\n".write(toFile: csvPath, atomically: true, encoding: .utf8)
    #expect(throws: KMeansError.self) {
      _ = try CSVBatchReader<Float>(csvPath).nextBatch(maxRows: -1)
    }
  }
}

extension FuzzRegressionTests {
  @Test("billions of rows of 0 columns are refused, not streamed as empty batches for ever")
  func rowsWithoutColumns() throws {
    let name = "npy/fuzz-rows-without-columns.npy"
    for read in [
      { (path: String) in _ = try NumPyFile.read(path, as: Float.self) },
      { (path: String) in _ = try NumPyBatchReader<Float>(path) },
    ] {
      let found = error(reading: name, read)
      #expect(found?.description.contains("rows of 0 columns: nothing to read") == true)
    }
  }
}
