import Foundation
import KMeansIO
import KMeansTestSupport
import Testing

/// Runs the built `kmeans` executable as a user would.
struct Command {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The `kmeans` binary beside the test bundle in the build folder.
  static let executable: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("kmeans")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return root.appendingPathComponent(".build/debug/kmeans")
  }()

  struct Output {
    var status: Int32
    var standardOutput: String
    var standardError: String
  }

  static func run(_ arguments: [String]) throws -> Output {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = root
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus,
      standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self))
  }

  static func temporaryDirectory() throws -> URL { try temporaryDirectoryURL() }
}

@Suite("The kmeans command")
struct CLITests {
  @Test("train on digits prints inertia, sizes and agreement; predict and score reuse the model")
  func trainPredictScore() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = directory.appendingPathComponent("digits.json").path
    let train = try Command.run([
      "train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--n-init", "4",
      "--output", model, "--json",
    ])
    #expect(train.status == 0, "\(train.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(train.standardOutput.utf8)) as? [String: Any])
    #expect(summary["rows"] as? Int == 1797)
    #expect(summary["columns"] as? Int == 64)
    #expect((summary["clusterSizes"] as? [Int])?.reduce(0, +) == 1797)
    let ari = try #require(summary["adjustedRandIndex"] as? Double)
    #expect(ari > 0.6)
    let inertia = try #require(summary["inertia"] as? Double)
    #expect(inertia > 1.1e6 && inertia < 1.2e6)

    let labels = directory.appendingPathComponent("labels.npy").path
    let predict = try Command.run([
      "predict", "--model", model, "Data/digits.csv", "--label-column", "digit", "--output", labels,
    ])
    #expect(predict.status == 0, "\(predict.standardError)")
    #expect(predict.standardOutput.contains("wrote 1797 labels"))
    #expect(FileManager.default.fileExists(atPath: labels))

    let score = try Command.run([
      "score", "--model", model, "Data/digits.csv", "--label-column", "digit", "--json",
    ])
    let scored = try #require(
      JSONSerialization.jsonObject(with: Data(score.standardOutput.utf8)) as? [String: Any])
    let value = try #require(scored["score"] as? Double)
    #expect(abs(value - inertia) / inertia < 1e-6)

    let distances = directory.appendingPathComponent("distances.csv").path
    let transform = try Command.run([
      "transform", "--model", model, "Data/iris.csv", "--columns", "0,1,2,3", "--output", distances,
    ])
    #expect(transform.status == 1)
    #expect(
      transform.standardError.contains("dimension mismatch: the model expects 64 column(s), got 4"))
  }

  @Test("--init CENTERS.npy starts from the given centers")
  func givenCenters() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let centers = directory.appendingPathComponent("centers.npy").path
    let model = directory.appendingPathComponent("model.json").path
    let first = try Command.run([
      "train", "Data/iris.csv", "-k", "3", "--label-column", "species", "--output", model,
      "--max-iter", "1", "--json",
    ])
    #expect(first.status == 0)
    // Three rows of iris as centers, written as float64 .npy by hand.
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"
    header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
    var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0])
    bytes.append(contentsOf: Array(header.utf8))
    for value in [5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5] {
      withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    try bytes.write(to: URL(fileURLWithPath: centers))
    let result = try Command.run([
      "train", "Data/iris.csv", "--init", centers, "--label-column", "species", "--json",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    #expect(summary["clusters"] as? Int == 3)
    #expect(try #require(summary["adjustedRandIndex"] as? Double) > 0.7)
    let mismatch = try Command.run([
      "train", "Data/iris.csv", "--init", centers, "-k", "4", "--label-column", "species",
    ])
    #expect(mismatch.status == 64)
    #expect(mismatch.standardError.contains("-k 4 disagrees with the 3 centers"))
  }

  @Test("mini-batch, streaming, Markov-chain seeding and --tf-compat from the command line")
  func miniBatchAndStreaming() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let labels = directory.appendingPathComponent("labels.npy").path
    let model = directory.appendingPathComponent("model.json").path
    let streamed = try Command.run([
      "train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--stream",
      "--mini-batch", "--batch-size", "300", "--epochs", "3", "--labels-output", labels,
      "--output", model, "--json",
    ])
    #expect(streamed.status == 0, "\(streamed.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(streamed.standardOutput.utf8)) as? [String: Any])
    #expect(summary["mode"] as? String == "streamed mini-batch")
    #expect(summary["rows"] as? Int == 1797)
    #expect(try #require(summary["adjustedRandIndex"] as? Double) > 0.5)
    let predicted = try Command.run([
      "predict", "--model", model, "Data/digits.csv", "--label-column", "digit", "--json",
    ])
    let predictedSummary = try #require(
      JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [String: Any])
    #expect(predictedSummary["clusterSizes"] as? [Int] == summary["clusterSizes"] as? [Int])
    #expect(FileManager.default.fileExists(atPath: labels))
    let streamedLabels = directory.appendingPathComponent("streamed.npy").path
    let streamedPredict = try Command.run([
      "predict", "--model", model, "Data/digits.csv", "--label-column", "digit", "--stream",
      "--output", streamedLabels, "--json",
    ])
    #expect(streamedPredict.status == 0, "\(streamedPredict.standardError)")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: streamedLabels))
        == Data(contentsOf: URL(fileURLWithPath: labels)))

    for arguments in [
      ["--mini-batch", "--steps-per-iteration", "3", "--batch-size", "200"],
      ["--init", "afk-mc2", "--chain-length", "50"],
      ["--init", "kmc2", "--chain-length", "100"],
      ["--tf-compat", "--init", "random"],
    ] {
      let result = try Command.run(
        ["train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--json"] + arguments)
      #expect(result.status == 0, "\(arguments): \(result.standardError)")
      let json = try #require(
        JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
      #expect(try #require(json["adjustedRandIndex"] as? Double) > 0.4, "\(arguments)")
    }
    let bad = try Command.run(["train", "Data/digits.csv", "-k", "10", "--init", "nonsense"])
    #expect(bad.status == 64)
  }

  @Test("--stream without --mini-batch is exact Lloyd: the in-memory model, labels and inertia")
  func streamedFullBatch() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var outputs: [[String: Any]] = []
    var labelFiles: [Data] = []
    for (index, extra) in [[], ["--stream"], ["--stream", "--algorithm", "hamerly"]].enumerated() {
      let labels = directory.appendingPathComponent("labels-\(index).npy").path
      let model = directory.appendingPathComponent("model-\(index).json").path
      let result = try Command.run(
        [
          "train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--seed", "4",
          "--labels-output", labels, "--output", model, "--json",
        ] + extra)
      #expect(result.status == 0, "\(extra): \(result.standardError)")
      outputs.append(
        try #require(
          JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]))
      labelFiles.append(try Data(contentsOf: URL(fileURLWithPath: labels)))
      if index > 0 {
        guard case .float(let saved) = try ModelFile.read(model),
          case .float(let reference) = try ModelFile.read(
            directory.appendingPathComponent("model-0.json").path)
        else {
          Issue.record("models should be float32")
          continue
        }
        #expect(saved.centers == reference.centers, "\(extra)")
      }
    }
    #expect(outputs[1]["mode"] as? String == "streamed full batch")
    for index in 1..<3 {
      #expect(labelFiles[index] == labelFiles[0])
      #expect(outputs[index]["inertia"] as? Double == outputs[0]["inertia"] as? Double)
      #expect(outputs[index]["iterations"] as? Int == outputs[0]["iterations"] as? Int)
    }
  }

  /// A JSON summary without what depends on the run's timing, memory and output path.
  static func withoutTimings(_ json: String) throws -> String {
    var summary = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    for key in ["seconds", "iterationSeconds", "peakResidentBytes", "model"] { summary[key] = nil }
    return String(
      decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]),
      as: UTF8.self)
  }

  @Test(
    "uint8 .npy kept as bytes: train, predict, score and transform give the float32 file's bits")
  func compactFiles() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var options = CSVReadOptions()
    options.labelColumn = CSVColumn("digit")
    let digits = try CSVReader.read("Data/digits.csv", options: options, as: Float.self).matrix
    // The pixels (0 … 16) as a uint8 array, written as NumPy writes one.
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(digits.rowCount), 64), }"
    let padded = header.padding(toLength: 117, withPad: " ", startingAt: 0) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0] + Array(padded.utf8)
    bytes += digits.values.map { UInt8($0) }
    let compact = directory.appendingPathComponent("digits-u8.npy").path
    let wide = directory.appendingPathComponent("digits-f32.npy").path
    try Data(bytes).write(to: URL(fileURLWithPath: compact))
    try NumPyFile.write(digits, to: wide)
    var outputs: [String: [String]] = [:]
    for path in [compact, wide] {
      let stem = directory.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
      let train = try Command.run([
        "train", path, "-k", "10", "--seed", "2", "--json", "--output", stem + ".json",
        "--labels-output", stem + "-labels.npy", "--metric", "cosine",
      ])
      #expect(train.status == 0, "\(train.standardError)")
      let predict = try Command.run(["predict", "--model", stem + ".json", path, "--json"])
      let score = try Command.run(["score", "--model", stem + ".json", path, "--json"])
      let transform = try Command.run([
        "transform", "--model", stem + ".json", path, "--output", stem + "-distances.npy",
      ])
      #expect(predict.status == 0 && score.status == 0 && transform.status == 0)
      outputs[path] = [
        try Self.withoutTimings(train.standardOutput),
        predict.standardOutput, score.standardOutput,
        try String(
          decoding: Data(contentsOf: URL(fileURLWithPath: stem + "-labels.npy")), as: UTF8.self),
        try String(
          decoding: Data(contentsOf: URL(fileURLWithPath: stem + "-distances.npy")), as: UTF8.self),
      ]
    }
    for (index, part) in ["train", "predict", "score", "labels", "distances"].enumerated() {
      #expect(outputs[compact]?[index] == outputs[wide]?[index], "\(part) differs")
    }
    #expect(outputs[compact]?[0].contains("\"inertia\"") == true)
  }

  @Test("sweep: table, suggestions, SVG plot; evaluate: metrics")
  func sweepAndEvaluate() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plot = directory.appendingPathComponent("sweep.svg").path
    let result = try Command.run([
      "sweep", "Data/iris.csv", "--k", "2...6", "--label-column", "species", "--plot", plot,
      "--json",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    let trials = try #require(summary["trials"] as? [[String: Any]])
    #expect(trials.map { $0["k"] as? Int } == [2, 3, 4, 5, 6])
    #expect(trials.allSatisfy { $0["silhouette"] is Double && $0["adjustedRandIndex"] is Double })
    #expect(summary["elbow"] is Int && summary["bestSilhouette"] is Int)
    let svg = try String(contentsOfFile: plot, encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.contains("polyline") && svg.contains("best silhouette k="))
    #expect(try Command.run(["sweep", "Data/iris.csv", "--k", "7...3"]).status == 64)

    let model = directory.appendingPathComponent("iris.json").path
    _ = try Command.run([
      "train", "Data/iris.csv", "-k", "3", "--label-column", "species", "--output", model,
    ])
    let evaluation = try Command.run([
      "evaluate", "--model", model, "Data/iris.csv", "--label-column", "species", "--json",
    ])
    let metrics = try #require(
      JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any])
    for key in [
      "silhouette", "calinskiHarabasz", "daviesBouldin", "adjustedRandIndex",
      "normalizedMutualInformation",
    ] {
      #expect(metrics[key] is Double, "evaluate --json lacks \(key)")
    }
  }

  @Test("train on an .fvecs file; labels as .ivecs, centers as .fvecs")
  func vectorFiles() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("points.fvecs").path
    // The iris features as .fvecs, via the library's writer.
    var data = Data()
    let text = try String(
      contentsOfFile: Command.root.appendingPathComponent("Data/iris.csv").path, encoding: .utf8)
    var count = 0
    for line in text.split(separator: "\n").dropFirst() {
      let values = line.split(separator: ",").prefix(4).compactMap { Float($0) }
      guard values.count == 4 else { continue }
      withUnsafeBytes(of: Int32(4).littleEndian) { data.append(contentsOf: $0) }
      for value in values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
      }
      count += 1
    }
    try data.write(to: URL(fileURLWithPath: input))
    let labels = directory.appendingPathComponent("labels.ivecs").path
    let centers = directory.appendingPathComponent("centers.fvecs").path
    let result = try Command.run([
      "train", input, "-k", "3", "--labels-output", labels, "--centers-output", centers, "--json",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    #expect(summary["rows"] as? Int == count && summary["columns"] as? Int == 4)
    #expect(try Data(contentsOf: URL(fileURLWithPath: labels)).count == count * 8)
    #expect(try Data(contentsOf: URL(fileURLWithPath: centers)).count == 3 * (4 + 16))
  }

  @Test("sample weights: --weight-column and --weights FILE give one answer; bad weights exit 1")
  func sampleWeights() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let weighted = directory.appendingPathComponent("weighted.csv").path
    let plain = directory.appendingPathComponent("plain.csv").path
    let weights = directory.appendingPathComponent("weights.csv").path
    let rows: [(x: Double, y: Double, w: Double)] = [
      (0, 0, 1), (0, 1, 3), (1, 0, 0), (10, 10, 5), (10, 11, 1), (11, 10, 2),
    ]
    let weightedLines = rows.map { "\($0.x),\($0.y),\($0.w)" }
    let plainLines = rows.map { "\($0.x),\($0.y)" }
    try ("x,y,w\n" + weightedLines.joined(separator: "\n"))
      .write(toFile: weighted, atomically: true, encoding: .utf8)
    try ("x,y\n" + plainLines.joined(separator: "\n"))
      .write(toFile: plain, atomically: true, encoding: .utf8)
    try rows.map { "\($0.w)" }.joined(separator: "\n")
      .write(toFile: weights, atomically: true, encoding: .utf8)
    let byColumn = try Command.run([
      "train", weighted, "-k", "2", "--weight-column", "w", "--float64", "--json",
    ])
    let byFile = try Command.run([
      "train", plain, "-k", "2", "--weights", weights, "--float64", "--json",
    ])
    #expect(byColumn.status == 0, "\(byColumn.standardError)")
    func inertia(_ output: Command.Output) throws -> Double? {
      let summary = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
      return (summary as? [String: Any])?["inertia"] as? Double
    }
    // The weighted means of the two groups: (0, 0.75) and (10.25, 10.125).
    let centers: [(x: Double, y: Double)] = [(0, 0.75), (82.0 / 8, 81.0 / 8)]
    var expected = 0.0
    for row in rows {
      let distances = centers.map { center -> Double in
        let dx = row.x - center.x
        let dy = row.y - center.y
        return dx * dx + dy * dy
      }
      expected += row.w * (distances.min() ?? 0)
    }
    let byColumnInertia = try #require(try inertia(byColumn))
    #expect(abs(byColumnInertia - expected) < 1e-9 * expected)
    #expect(try inertia(byFile) == byColumnInertia)

    try "x,y,w\n0,0,1\n0,1,-1\n".write(toFile: weighted, atomically: true, encoding: .utf8)
    let bad = try Command.run(["train", weighted, "-k", "1", "--weight-column", "w"])
    #expect(bad.status == 1)
    #expect(bad.standardError.contains("line 3, column 3"))
  }

  @Test("sparse svmlight and .npz files: train (also streamed), predict, score, evaluate, sweep")
  func sparseFiles() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let fixtures = "Tests/KMeansIOTests/Fixtures/"
    let model = directory.appendingPathComponent("tfidf.json").path
    func inertia(_ output: Command.Output) throws -> Double? {
      let summary = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
      return (summary as? [String: Any])?["inertia"] as? Double
    }
    let fromNpz = try Command.run([
      "train", fixtures + "tfidf.npz", "-k", "8", "--float64", "--json", "--output", model,
    ])
    #expect(fromNpz.status == 0, "\(fromNpz.standardError)")
    let fromSvm = try Command.run([
      "train", fixtures + "tfidf.svmlight", "-k", "8", "--float64", "--json",
    ])
    let npzInertia = try #require(try inertia(fromNpz))
    let svmInertia = try #require(try inertia(fromSvm))
    // The svmlight values carry 16 digits, the .npz ones 17: the same seed may take another
    // path at a near-tie, to an optimum of similar quality.
    #expect(abs(npzInertia - svmInertia) < 0.02 * npzInertia)
    let score = try Command.run(["score", "--model", model, fixtures + "tfidf.svmlight"])
    #expect(
      abs(
        (Double(score.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
          - npzInertia) < 1e-5 * npzInertia)
    let labels = directory.appendingPathComponent("labels.npy").path
    let predict = try Command.run([
      "predict", "--model", model, fixtures + "tfidf.npz", "--output", labels,
    ])
    #expect(predict.status == 0, "\(predict.standardError)")
    let evaluate = try Command.run([
      "evaluate", "--model", model, fixtures + "tfidf.npz", "--silhouette-sample", "300",
      "--json",
    ])
    #expect(evaluate.status == 0, "\(evaluate.standardError)")
    let metrics = try #require(
      JSONSerialization.jsonObject(with: Data(evaluate.standardOutput.utf8)) as? [String: Any])
    #expect(abs((metrics["score"] as? Double ?? 0) - npzInertia) < 1e-5 * npzInertia)
    #expect(metrics["silhouette"] is Double && metrics["daviesBouldin"] is Double)
    let sweep = try Command.run([
      "sweep", fixtures + "tfidf.svmlight", "--k", "2,4", "--silhouette-sample", "300",
      "--metric", "cosine", "--json",
    ])
    #expect(sweep.status == 0, "\(sweep.standardError)")
    let streamed = try Command.run([
      "train", fixtures + "tfidf.svmlight", "-k", "6", "--stream", "--json",
    ])
    #expect(streamed.status == 0, "\(streamed.standardError)")
    let inMemory = try Command.run(["train", fixtures + "tfidf.svmlight", "-k", "6", "--json"])
    let a = try #require(
      JSONSerialization.jsonObject(with: Data(streamed.standardOutput.utf8)) as? [String: Any])
    let b = try #require(
      JSONSerialization.jsonObject(with: Data(inMemory.standardOutput.utf8)) as? [String: Any])
    #expect(a["inertia"] as? Double == b["inertia"] as? Double, "streamed svmlight = in memory")
  }

  @Test("--bisecting prints the tree, saves it, and predict follows it")
  func bisecting() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = directory.appendingPathComponent("tree.json").path
    let labels = directory.appendingPathComponent("train-labels.csv").path
    let predicted = directory.appendingPathComponent("predicted.csv").path
    let train = try Command.run([
      "train", "Data/digits.csv", "-k", "6", "--label-column", "digit", "--bisecting",
      "largest-cluster", "--output", model, "--labels-output", labels,
    ])
    #expect(train.status == 0, "\(train.standardError)")
    #expect(train.standardOutput.contains("hierarchy:"))
    let leaves = train.standardOutput.split(separator: "\n").filter {
      $0.trimmingCharacters(in: .whitespaces).hasPrefix("cluster ")
    }
    #expect(leaves.count == 6)
    let predict = try Command.run([
      "predict", "--model", model, "Data/digits.csv", "--label-column", "digit", "--output",
      predicted,
    ])
    #expect(predict.status == 0, "\(predict.standardError)")
    // Walking the tree gives back the training labels.
    #expect(
      try String(contentsOfFile: labels, encoding: .utf8)
        == String(contentsOfFile: predicted, encoding: .utf8))
    let refused = try Command.run([
      "train", "Data/digits.csv", "-k", "6", "--bisecting", "biggest-inertia", "--mini-batch",
    ])
    #expect(refused.status == 64)
  }

  @Test("--verbose prints one line per iteration on standard error")
  func verbose() throws {
    let result = try Command.run([
      "train", "Data/iris.csv", "-k", "3", "--label-column", "species", "--verbose", "--float64",
    ])
    #expect(result.status == 0)
    let lines = result.standardError.split(separator: "\n")
    #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("iteration ") })
    #expect(result.standardOutput.contains("float64"))
    #expect(result.standardOutput.contains("adjusted Rand index"))
  }

  @Test("bad input exits 1 with the file, line and column")
  func badInput() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("bad.csv").path
    try Data("a,b\n1,2\n3,x\n4,5\n".utf8).write(to: URL(fileURLWithPath: path))
    let result = try Command.run(["train", path, "-k", "2"])
    #expect(result.status == 1)
    #expect(
      result.standardError
        == "Error: \(path): line 3, column 2: 'x' in column 'b' is not a number\n")

    let missing = try Command.run(["train", "/nonexistent.csv", "-k", "2"])
    #expect(missing.status == 1)
    #expect(missing.standardError.contains("/nonexistent.csv: no such file"))

    let tooMany = try Command.run([
      "train", "Data/iris.csv", "-k", "500", "--label-column", "species",
    ])
    #expect(tooMany.status == 1)
    #expect(tooMany.standardError.contains("fewer than the 500 clusters"))
  }

  @Test("usage errors exit 64")
  func usageErrors() throws {
    let noK = try Command.run(["train", "Data/iris.csv"])
    #expect(noK.status == 64)
    #expect(noK.standardError.contains("give the number of clusters with -k"))
    let zero = try Command.run(["train", "Data/iris.csv", "-k", "0"])
    #expect(zero.status == 64)
  }

  @Test("help lists every subcommand with examples")
  func help() throws {
    let help = try Command.run(["--help"])
    #expect(help.status == 0)
    for word in ["train", "predict", "score", "transform", "Examples:"] {
      #expect(help.standardOutput.contains(word))
    }
    let trainHelp = try Command.run(["train", "--help"])
    for option in [
      "--init", "--metric", "--max-iter", "--tol", "--relative-tolerance", "--n-init", "--seed",
      "--threads", "--columns", "--float64", "--verbose", "--json",
    ] {
      #expect(trainHelp.standardOutput.contains(option), "train --help lacks \(option)")
    }
  }
}
