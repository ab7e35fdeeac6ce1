import Foundation
import KMeans
import KMeansEstimator
import KMeansIO

/// What every fuzz target (`Fuzz/`, `Scripts/fuzz.sh`) and every fuzz regression test does with
/// an input: write it where the parser expects a file, run the parser, and insist that whatever
/// goes wrong is a typed error naming the file, and that two readings of one file agree. A broken
/// promise stops the process (`fatalError`), which is what libFuzzer records as a finding.
///
/// The fuzz package links this very file (`Fuzz/Sources/FuzzSupport/ParserChecks.swift` is a
/// symbolic link to it), so a regression test replays a finding through the fuzzer's own code.
public enum ParserChecks {
  /// Every check by the name of its fuzz target (`Scripts/fuzz.sh list`).
  public static let byTarget: [String: @Sendable ([UInt8]) -> Void] = [
    "csv": csv, "npy": numPy, "npz": npz, "svmlight": svmlight, "vecs": vecs,
    "checkpoint-index": checkpointIndex, "checkpoint-state": checkpointState,
    "estimator-json": estimatorJSON, "model-json": modelJSON,
  ]

  // MARK: - One check per parser

  /// CSV, whole file and in blocks. The first byte picks the options (header or not, the
  /// delimiter, a label and a weight column, the block size), the rest is the file. Both
  /// readers must agree.
  public static func csv(_ bytes: [UInt8]) {
    guard let choice = bytes.first else { return }
    var options = CSVReadOptions()
    options.hasHeader = [nil, true, false, nil][Int(choice & 3)]
    options.delimiter = choice & 4 == 0 ? UInt8(ascii: ",") : UInt8(ascii: ";")
    if choice & 8 != 0 { options.labelColumn = CSVColumn("0") }
    if choice & 16 != 0 { options.weightColumn = CSVColumn("1") }
    let blockRows = 1 + Int(choice >> 5)
    let path = write(bytes.dropFirst(), to: "input.csv")
    var whole: CSVDataset<Float>?
    expectTypedErrors(naming: "input.csv") {
      whole = try CSVReader.read(path, options: options, as: Float.self)
    }
    expectTypedErrors(naming: "input.csv") {
      let reader = try CSVBatchReader<Float>(path, options: options)
      var values: [Float] = []
      var rows = 0
      while let batch = try reader.nextBatch(maxRows: blockRows) {
        values += batch.values
        rows += batch.rowCount
      }
      if let whole, rows > 0 {
        let blocks = try Matrix(rowCount: rows, columnCount: reader.columnCount, values: values)
        if !blocks.sameValues(as: whole.matrix) {
          fatalError("the block reader and the whole-file reader disagree")
        }
      }
    }
  }

  /// `.npy`: read whole (as Float and as integers), and in batches, mapped and with `pread`.
  /// Every reading that succeeds must give the same values.
  public static func numPy(_ bytes: [UInt8]) {
    let path = write(bytes, to: "input.npy")
    var whole: Matrix<Float>?
    expectTypedErrors(naming: "input.npy") {
      whole = try NumPyFile.read(path, as: Float.self)
    }
    expectTypedErrors(naming: "input.npy") { _ = try NumPyFile.readIntegers(path) }
    for access in [NumPyBatchReader<Float>.Access.memoryMapped, .chunkedReads] {
      expectTypedErrors(naming: "input.npy") {
        let reader = try NumPyBatchReader<Float>(path, access: access)
        var values: [Float] = []
        while let batch = try reader.nextBatch(maxRows: 3) { values += batch.values }
        let batches = try Matrix(
          rowCount: reader.totalRows, columnCount: reader.columnCount, values: values)
        if let whole, !batches.sameValues(as: whole) {
          fatalError("batches (\(access)) and the whole-file reading disagree")
        }
      }
    }
  }

  /// SciPy sparse `.npz`: the ZIP directory, stored and deflated members, the CSR arrays. A
  /// matrix that reads must keep the CSR invariants the kernels rely on.
  public static func npz(_ bytes: [UInt8]) {
    let path = write(bytes, to: "input.npz")
    expectTypedErrors(naming: "input.npz") {
      try SciPySparseFile.read(path, as: Float.self).checkInvariants("the .npz reader")
    }
  }

  /// svmlight / libsvm text, whole and in batches; the first byte picks the index base and the
  /// batch size. Both readings must agree and keep the CSR invariants.
  public static func svmlight(_ bytes: [UInt8]) {
    guard let choice = bytes.first else { return }
    let base = [SVMLightFile.IndexBase.automatic, .zeroBased, .oneBased, .automatic][
      Int(choice & 3)]
    let batchRows = 1 + Int(choice >> 2)
    let path = write(bytes.dropFirst(), to: "input.svmlight")
    var whole: SparseMatrix<Float>?
    expectTypedErrors(naming: "input.svmlight") {
      let dataset = try SVMLightFile.read(path, as: Float.self, indexBase: base)
      dataset.matrix.checkInvariants("the svmlight reader")
      whole = dataset.matrix
    }
    expectTypedErrors(naming: "input.svmlight") {
      let reader = try SVMLightBatchReader<Float>(path, indexBase: base)
      var rows = 0
      var values: [Float] = []
      var columns: [Int32] = []
      while let batch = try reader.nextBatch(maxRows: batchRows) {
        batch.checkInvariants("the svmlight batch reader")
        rows += batch.rowCount
        values += batch.values
        columns += batch.columnIndices
      }
      if let whole {
        expectEqual(rows, whole.rowCount, "rows of the batches and the whole file")
        expectEqual(columns, whole.columnIndices, "column indices")
        expectEqual(reader.columnCount, whole.columnCount, "column counts")
        if !valuesMatch(values, whole.values) {
          fatalError("values of the batches and the whole file differ")
        }
      }
    }
  }

  /// `.fvecs` / `.bvecs` / `.ivecs` (the first byte picks the format and the batch size),
  /// whole and in batches.
  public static func vecs(_ bytes: [UInt8]) {
    guard let choice = bytes.first else { return }
    let format = VecsFormat.allCases[Int(choice) % VecsFormat.allCases.count]
    let name = "input.\(format.rawValue)"
    let path = write(bytes.dropFirst(), to: name)
    expectTypedErrors(naming: name) {
      let whole = try VecsReader<Float>(path).readAll()
      let reader = try VecsReader<Float>(path)
      var values: [Float] = []
      while let batch = try reader.nextBatch(maxRows: 1 + Int(choice >> 4)) {
        values += batch.values
      }
      let batches = try Matrix(
        rowCount: reader.totalRows, columnCount: reader.columnCount, values: values)
      if !batches.sameValues(as: whole) { fatalError("batches and the whole file disagree") }
    }
  }

  /// A TensorFlow V2 checkpoint: a 4-byte little-endian length, the `.index` file (SSTable
  /// blocks, varints, CRC32C, the bundle protobufs), then the data shard. Every tensor the index
  /// names is read back; then the model directory is loaded.
  public static func checkpointIndex(_ bytes: [UInt8]) {
    guard bytes.count >= 4 else { return }
    let length = bytes[0..<4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let index = bytes.dropFirst(4).prefix(length)
    write(index, to: "model/model.ckpt-1.index")
    write(bytes.dropFirst(4 + index.count), to: "model/model.ckpt-1.data-00000-of-00001")
    write(Array("model_checkpoint_path: \"model.ckpt-1\"\n".utf8), to: "model/checkpoint")
    expectTypedErrors(naming: "model.ckpt-1") {
      let reader = try TensorBundleReader(prefix: "\(folder)/model/model.ckpt-1")
      for name in reader.names {
        let tensor = try reader.tensor(name)
        expectEqual(tensor.shape, reader.entries[name]?.shape, "the shapes of '\(name)'")
      }
    }
    expectTypedErrors(naming: "model") {
      _ = try ModelDirectory.loadModel(directory: "\(folder)/model")
    }
  }

  /// The `checkpoint` state file (protobuf text format) of a model directory. What reads must
  /// write back and read again the same.
  public static func checkpointState(_ bytes: [UInt8]) {
    write(bytes, to: "state/checkpoint")
    expectTypedErrors(naming: "checkpoint") {
      if let state = try CheckpointState.read(directory: "\(folder)/state") {
        try state.write(directory: "\(folder)/again")
        let again = try CheckpointState.read(directory: "\(folder)/again")
        expectEqual(again, state, "the state and its rewrite")
      }
    }
    expectTypedErrors(naming: "state") {
      _ = try ModelDirectory.latestCheckpoint(directory: "\(folder)/state")
    }
  }

  /// `kmeans-estimator.json`, the estimator's settings beside the checkpoints.
  public static func estimatorJSON(_ bytes: [UInt8]) {
    write(bytes, to: "estimator/kmeans-estimator.json")
    expectTypedErrors(naming: "kmeans-estimator.json") {
      _ = try ModelDirectory.metadata(directory: "\(folder)/estimator")
    }
  }

  /// A model saved as JSON. A model that loads must predict on rows of its dimension.
  public static func modelJSON(_ bytes: [UInt8]) {
    let path = write(bytes, to: "model.json")
    func predict<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>) throws {
      let rows = try Matrix(
        rowCount: 2, columnCount: model.dimension,
        values: [Scalar](repeating: 0.5, count: 2 * model.dimension))
      _ = try model.predict(rows)
    }
    expectTypedErrors(naming: "model.json") {
      switch try ModelFile.read(path) {
      case .float(let model): try predict(model)
      case .double(let model): try predict(model)
      }
    }
  }

  // MARK: - What the checks share

  /// One folder per process, reused for every input (the parsers read paths).
  public static let folder: String = {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = "\(base)/kmeans-parser-checks-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  /// Writes `bytes` to `name` (which may name a subfolder) in ``folder``; returns the path.
  @discardableResult
  static func write(_ bytes: some Collection<UInt8>, to name: String) -> String {
    let path = "\(folder)/\(name)"
    let parent = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
      fatalError("cannot write the input to \(path)")
    }
    return path
  }

  /// Runs `body`; an error is fine when it is a ``KMeansError`` that names a file whose path
  /// contains `fileName` (or, for errors about the data rather than a file, any
  /// ``KMeansError``). Anything else, an untyped error, is a finding.
  static func expectTypedErrors(naming fileName: String, _ body: () throws -> Void) {
    do {
      try body()
    } catch let error as KMeansError {
      switch error {
      case .fileUnreadable(let path, _), .parse(let path, _, _, _), .corruptFile(let path, _),
        .unsupportedFormat(let path, _):
        if !path.contains(fileName) {
          fatalError("the error names '\(path)', not the file '\(fileName)': \(error)")
        }
      default:
        break
      }
    } catch {
      fatalError("an untyped error escaped the parser: \(type(of: error)): \(error)")
    }
  }

  /// A finding when two readings of the same file disagree.
  static func expectEqual<T: Equatable>(_ first: T, _ second: T, _ what: @autoclosure () -> String)
  {
    if first != second { fatalError("\(what()) differ: \(first) vs \(second)") }
  }
}

/// The same values, NaN matching NaN (two readings of one file).
private func valuesMatch<Scalar: FloatingPoint>(_ first: [Scalar], _ second: [Scalar]) -> Bool {
  first.count == second.count
    && zip(first, second).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}

extension Matrix {
  /// Same shape and the same values, NaN matching NaN (two readings of one file).
  func sameValues(as other: Matrix) -> Bool {
    rowCount == other.rowCount && columnCount == other.columnCount
      && valuesMatch(values, other.values)
  }
}

extension SparseMatrix {
  /// A finding when a matrix that a reader returned breaks the CSR invariants that the kernels
  /// rely on: offsets from 0, non-decreasing, ending at the stored values; every column index
  /// inside the columns.
  func checkInvariants(_ what: String) {
    guard rowOffsets.count == rowCount + 1, rowOffsets.first == 0,
      rowOffsets.last == values.count, columnIndices.count == values.count,
      zip(rowOffsets, rowOffsets.dropFirst()).allSatisfy({ $0 <= $1 }),
      columnIndices.allSatisfy({ $0 >= 0 && Int($0) < columnCount })
    else { fatalError("\(what) returned a sparse matrix that breaks the CSR invariants") }
  }
}
