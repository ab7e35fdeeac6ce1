import ArgumentParser
import KMeans
import KMeansCommandLine

/// The `kmeans` command: train, predict, score, transform.
@main
struct KMeansCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kmeans",
    abstract: "k-means clustering of CSV and NumPy data.",
    discussion: """
      Exit codes: 0 success, 1 bad input or a failed run (the message names the file, \
      line and column), 64 a usage error.

      Examples:
        kmeans train Data/digits.csv -k 10 --label-column digit --output digits.json
        kmeans predict --model digits.json Data/digits.csv --label-column digit --output labels.npy
        kmeans score --model digits.json Data/digits.csv --label-column digit
        kmeans train Data/digits.csv -k 10 --label-column digit --model-dir runs/digits --steps 20
        kmeans inspect runs/digits
        kmeans sweep Data/digits.csv --k 2...20 --label-column digit --plot sweep.svg
      """,
    version: "\(KMeansLibrary.version)",
    subcommands: [
      Train.self, Predict.self, Score.self, Evaluate.self, Transform.self, Sweep.self, Inspect.self,
      Export.self,
    ]
  )

  /// Tunes the process (``ProcessTuning``), then parses the arguments and runs the command.
  static func main() {
    ProcessTuning.reuseLargeAllocations()
    main(nil)
  }
}
