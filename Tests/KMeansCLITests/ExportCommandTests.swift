import Foundation
import Testing

@Suite("kmeans export, train and evaluate for other tools")
struct ExportCommandTests {
  @Test("export writes a SavedModel and an ONNX model; an existing export needs --overwrite")
  func export() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = directory.appendingPathComponent("digits.json").path
    let train = try Command.run([
      "train", "Data/digits.csv", "-k", "10", "--label-column", "digit", "--output", model,
      "--metric", "cosine",
    ])
    #expect(train.status == 0, "\(train.standardError)")
    let saved = directory.appendingPathComponent("exported/digits").path
    let onnx = directory.appendingPathComponent("digits.onnx").path
    let export = try Command.run([
      "export", "--model", model, "--saved-model", saved, "--onnx", onnx, "--json",
    ])
    #expect(export.status == 0, "\(export.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(export.standardOutput.utf8)) as? [String: Any])
    #expect(summary["metric"] as? String == "cosine")
    #expect(
      summary["signatures"] as? [String]
        == ["serving_default", "cluster_index", "all_distances", "transform", "score"])
    #expect(FileManager.default.fileExists(atPath: saved + "/saved_model.pb"))
    #expect(FileManager.default.fileExists(atPath: saved + "/variables"))
    #expect(FileManager.default.fileExists(atPath: onnx))

    let again = try Command.run(["export", "--model", model, "--saved-model", saved])
    #expect(again.status == 1)
    #expect(again.standardError.contains("\(saved)"))
    #expect(again.standardError.contains("not empty"))
    let replaced = try Command.run([
      "export", "--model", model, "--saved-model", saved, "--overwrite",
    ])
    #expect(replaced.status == 0, "\(replaced.standardError)")
    #expect(replaced.standardOutput.contains("signatures serving_default, cluster_index"))

    let nothing = try Command.run(["export", "--model", model])
    #expect(nothing.status == 64)
    #expect(nothing.standardError.contains("--saved-model DIR"))
  }

  @Test(
    "train --model-dir writes summaries unless --summary-every 0; evaluate --name writes eval_NAME")
  func summaries() throws {
    let directory = try Command.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = directory.appendingPathComponent("run").path
    let train = try Command.run([
      "train", "Data/iris.csv", "-k", "3", "--label-column", "species", "--model-dir", run,
      "--steps", "4", "--summary-every", "2", "--json",
    ])
    #expect(train.status == 0, "\(train.standardError)")
    let summary = try #require(
      JSONSerialization.jsonObject(with: Data(train.standardOutput.utf8)) as? [String: Any])
    let events = try #require(summary["summaries"] as? String)
    #expect(events.hasPrefix(run + "/events.out.tfevents."))
    #expect(FileManager.default.fileExists(atPath: events))
    #expect((summary["iterationSteps"] as? [Int])?.first == 1)

    let evaluate = try Command.run([
      "evaluate", "--model-dir", run, "Data/iris.csv", "--label-column", "species", "--name",
      "iris",
    ])
    #expect(evaluate.status == 0, "\(evaluate.standardError)")
    #expect(evaluate.standardOutput.contains("summaries:   \(run)/eval_iris/events.out.tfevents."))
    let contents = try FileManager.default.contentsOfDirectory(atPath: run + "/eval_iris")
    #expect(contents.count == 1)

    let quiet = directory.appendingPathComponent("quiet").path
    let silent = try Command.run([
      "train", "Data/iris.csv", "-k", "3", "--label-column", "species", "--model-dir", quiet,
      "--steps", "2", "--summary-every", "0",
    ])
    #expect(silent.status == 0, "\(silent.standardError)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: quiet).allSatisfy {
        !$0.hasPrefix("events.out.tfevents.")
      })

    let unnamed = try Command.run([
      "evaluate", "--model", directory.appendingPathComponent("none.json").path, "Data/iris.csv",
      "--name", "x",
    ])
    #expect(unnamed.status == 64)
    #expect(unnamed.standardError.contains("--name needs --model-dir"))
  }
}
