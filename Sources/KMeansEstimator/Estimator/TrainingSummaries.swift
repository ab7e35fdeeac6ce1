import Foundation
import KMeans
import KMeansInterop

/// The TensorBoard summaries of one training call: an events file in the model directory with,
/// at the call's first step, every `every` global steps and at its last step, the scalars
///
/// - `loss` and `loss/raw`: the step's loss, Σ distance to the nearest center before the
///   update (the tags of TensorFlow's estimator);
/// - `global_step/sec`: steps per wall-clock second since the previous summary;
/// - `kmeans/rows_per_sec`: rows visited per wall-clock second over the same stretch;
/// - `kmeans/center_shift`: Σⱼ ‖cⱼ − cⱼ′‖² of the step's update;
/// - `kmeans/relocated_clusters` and (full batch) `kmeans/changed_labels`.
///
/// A call that resumes from a checkpoint at step s first writes `SessionLog.START` at s + 1,
/// so TensorBoard drops what an abandoned run wrote after s and the step axis stays one.
package struct TrainingSummaries {
  private let writer: SummaryWriter
  private let every: Int64
  private let firstStep: Int64
  private let lastStep: Int64
  private let fullBatch: Bool
  private var since = Date()
  private var stepsSince = 0
  private var rowsSince = 0

  /// The events file being written.
  package var path: String { writer.path }

  package init(directory: String, every: Int, startStep: Int64, lastStep: Int64, fullBatch: Bool)
    throws
  {
    writer = try SummaryWriter(directory: directory)
    self.every = Int64(every)
    firstStep = startStep + 1
    self.lastStep = lastStep
    self.fullBatch = fullBatch
    if startStep > 0 { try writer.start(at: firstStep) }
  }

  /// Counts the step and writes a summary when one is due (`stopping`: a rule ends training
  /// after this step).
  package mutating func record(_ record: IterationStatistics, step: Int64, stopping: Bool) throws {
    stepsSince += 1
    rowsSince += record.rows ?? 0
    guard step == firstStep || step % every == 0 || step >= lastStep || stopping else { return }
    let seconds = max(Date().timeIntervalSince(since), 1e-9)
    var values: [String: Double] = [
      "loss": record.loss, "loss/raw": record.loss,
      "global_step/sec": Double(stepsSince) / seconds,
      "kmeans/center_shift": record.centerShift,
      "kmeans/relocated_clusters": Double(record.relocatedClusters),
    ]
    if record.rows != nil { values["kmeans/rows_per_sec"] = Double(rowsSince) / seconds }
    if fullBatch { values["kmeans/changed_labels"] = Double(record.changedLabels) }
    try writer.add(scalars: values.filter { $0.value.isFinite }, step: step)
    since = Date()
    stepsSince = 0
    rowsSince = 0
  }

  /// Flushes the events file to disk and closes it.
  package func close() throws { try writer.close() }
}

extension ModelDirectory {
  /// The folder of an evaluation's summaries: `eval` or `eval_NAME` (TensorFlow's names).
  public static func evaluationDirectory(directory: String, name: String?) -> String {
    (directory as NSString).appendingPathComponent(name.map { "eval_\($0)" } ?? "eval")
  }

  /// Writes one TensorBoard event at `globalStep` with a scalar per entry of `values` into
  /// ``evaluationDirectory(directory:name:)``, where TensorBoard shows it beside the training
  /// curves (as TensorFlow's `evaluate` does).
  /// - Throws: `KMeansError` for a name that is not a plain folder name, or a write
  ///   that fails.
  /// - Returns: the events file written.
  @discardableResult
  public static func writeEvaluationSummary(
    _ values: [String: Double], directory: String, name: String?, globalStep: Int64
  ) throws -> String {
    if let name {
      guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
        throw KMeansError.invalidConfiguration(
          "the evaluation name '\(name)' must be a plain folder name (no '/')")
      }
    }
    let writer = try SummaryWriter(
      directory: evaluationDirectory(directory: directory, name: name))
    try writer.add(scalars: values.filter { $0.value.isFinite }, step: globalStep)
    try writer.close()
    return writer.path
  }
}
