import Foundation
import KMeans
import KMeansIO
import KMeansTestSupport
import Testing

/// Every file format reads with `read` and writes with `write`; the old verbs still compile
/// (with deprecation warnings) and read and write the same bytes.
@Suite("One read/write vocabulary across file formats")
struct FileVocabularyTests {
  static func matrix() throws -> Matrix<Float> {
    try Matrix(rows: [[1, 2, 3], [4, 5, 6], [7, 8.5, -9]])
  }

  @Test("write then read round-trips through every dense format and the model file")
  func roundTrips() throws {
    let directory = try temporaryDirectory()
    let rows = try Self.matrix()
    try NumPyFile.write(rows, to: directory + "/rows.npy")
    #expect(try NumPyFile.read(directory + "/rows.npy", as: Float.self) == rows)
    try VecsFile.write(rows, to: directory + "/rows.fvecs")
    #expect(try VecsFile.read(directory + "/rows.fvecs", as: Float.self) == rows)
    try VecsFile.write([3, 1, 2], to: directory + "/labels.ivecs")
    #expect(try VecsFile.read(directory + "/labels.ivecs", as: Float.self).values == [3, 1, 2])
    let model = KMeansModel(centers: rows, metric: .squaredEuclidean)
    try ModelFile.write(model, to: directory + "/model.json")
    guard case .float(let back) = try ModelFile.read(directory + "/model.json") else {
      Issue.record("a float32 model was written")
      return
    }
    #expect(back.centers == rows)
    // read also takes .npy centers.
    guard case .float(let centers) = try ModelFile.read(directory + "/rows.npy") else {
      Issue.record("float32 centers were written")
      return
    }
    #expect(centers.centers == rows)
  }

  @Test("the deprecated verbs write the same bytes and read the same values")
  @available(*, deprecated, message: "exercises the deprecated names on purpose")
  func deprecatedVerbs() throws {
    let directory = try temporaryDirectory()
    let rows = try Self.matrix()
    let model = KMeansModel(centers: rows, metric: .cosine)
    try ModelFile.save(model, to: directory + "/old.json")
    try ModelFile.write(model, to: directory + "/new.json")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: directory + "/old.json"))
        == Data(contentsOf: URL(fileURLWithPath: directory + "/new.json")))
    guard case .float(let loaded) = try ModelFile.load(directory + "/old.json"),
      case .float(let any) = try ModelFile.loadAny(directory + "/old.json")
    else {
      Issue.record("float32 models were written")
      return
    }
    #expect(loaded.centers == any.centers)
    try VecsFile.writeFvecs(rows, to: directory + "/old.fvecs")
    try VecsFile.writeIvecs([1, 2], to: directory + "/old.ivecs")
    try NumPyFile.write(rows, to: directory + "/rows.npy")
    #expect(try NumPyFile.readMatrix(directory + "/rows.npy", as: Float.self) == rows)
    #expect(try VecsFile.read(directory + "/old.fvecs", as: Float.self) == rows)
    guard case .float(let centers) = try ModelFile.loadCenters(directory + "/rows.npy") else {
      Issue.record("float32 centers were written")
      return
    }
    #expect(centers.centers == rows)
  }
}
