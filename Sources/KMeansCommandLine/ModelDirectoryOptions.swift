import ArgumentParser
import KMeans
import KMeansEstimator

/// The model-directory options of `kmeans train` and `kmeans-mpi train`.
package struct EstimatorOptions: ParsableArguments {
  package init() {}

  @Option(
    help: ArgumentHelp(
      "Train in a model directory (TensorFlow checkpoints), resuming from its latest checkpoint.",
      valueName: "directory"))
  package var modelDir: String?

  @Option(help: "Training steps to run now (with --model-dir).")
  package var steps: Int?

  @Option(help: "Train until the global step reaches this (with --model-dir).")
  package var maxSteps: Int?

  @Option(help: "Write a checkpoint every this many steps (and at the end).")
  package var checkpointEvery: Int = 100

  @Option(help: "Also write one when this many seconds have passed since the last.")
  package var checkpointSeconds: Double = 600

  @Option(help: "Checkpoints to keep; older ones are deleted.")
  package var keepCheckpoints: Int = 5

  @Option(
    help: ArgumentHelp(
      "Write TensorBoard summaries (loss, steps/s, rows/s, center shift, relocations) into the model directory every this many steps, and at the first and last step; 0: none.",
      valueName: "steps"))
  package var summaryEvery: Int = 100

  @Option(
    help: ArgumentHelp(
      "Resume from this earlier checkpoint (a name such as model.ckpt-3, or its step) instead of the latest, e.g. when 'kmeans inspect' reports the latest damaged; the later ones are deleted.",
      valueName: "checkpoint"))
  package var resumeFrom: String?

  package func validate() throws {
    if modelDir != nil && steps == nil && maxSteps == nil {
      throw ValidationError("--model-dir needs --steps N or --max-steps N")
    }
    if resumeFrom != nil && modelDir == nil {
      throw ValidationError("--resume-from needs --model-dir")
    }
    if summaryEvery < 0 { throw ValidationError("--summary-every must be 0 (none) or more") }
    if checkpointEvery <= 0 { throw ValidationError("--checkpoint-every must be at least 1") }
    if !(checkpointSeconds > 0) {
      throw ValidationError("--checkpoint-seconds must be positive")
    }
    if keepCheckpoints <= 0 { throw ValidationError("--keep-checkpoints must be at least 1") }
    if let steps, steps <= 0 { throw ValidationError("--steps must be at least 1") }
    if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be at least 1") }
  }

  /// The model directory's settings around `clustering`.
  package func settings(clustering: KMeansConfiguration) -> EstimatorConfiguration {
    var settings = EstimatorConfiguration(clustering: clustering)
    settings.checkpointEverySteps = checkpointEvery
    settings.checkpointEverySeconds = checkpointSeconds
    settings.keepCheckpoints = keepCheckpoints
    settings.summaryEverySteps = summaryEvery > 0 ? summaryEvery : nil
    return settings
  }
}

/// Where a training command writes what it found: the model, the labels, the centers, and a
/// line per iteration.
package struct TrainingOutputOptions: ParsableArguments {
  package init() {}

  @Option(name: .shortAndLong, help: "Where to save the model (JSON).")
  package var output: String?

  @Option(help: "Also write the training labels (.npy, .ivecs or .csv).")
  package var labelsOutput: String?

  @Option(help: "Also write the centers (.npy or .fvecs).")
  package var centersOutput: String?

  @Flag(help: "Print one line per iteration (or step) to standard error.")
  package var verbose = false
}
