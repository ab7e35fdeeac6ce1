/// Watches a training run and may stop it: the one progress and cancellation hook of every
/// driver — ``KMeansModel/fit(_:weights:configuration:observer:)``, the model directory's
/// training, the `kmeans` and `kmeans-mpi` commands and the Python package.
///
/// ```swift
/// let observer = TrainingObserver(
///   progress: { print("iteration \($0.iteration): loss \($0.loss)") },
///   isCancelled: { deadline < .now })
/// let result = try KMeansModel.fit(points, configuration: configuration, observer: observer)
/// ```
public struct TrainingObserver {
  /// Called after every iteration (mini-batch: every step) with its statistics, on the thread
  /// that called the training method.
  public var progress: ((IterationStatistics) -> Void)?
  /// Checked after every iteration (mini-batch: every step); when it returns true the run stops
  /// with ``StopReason/cancelled`` and returns what it reached (the best restart so far).
  public var isCancelled: (() -> Bool)?

  /// An observer with the given hooks (none by default: the run is silent and runs to its end).
  public init(
    progress: ((IterationStatistics) -> Void)? = nil, isCancelled: (() -> Bool)? = nil
  ) {
    self.progress = progress
    self.isCancelled = isCancelled
  }
}
