import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansIO

extension KMeansCommand {
  /// `kmeans sweep`: choose k.
  struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train for each k in a range and suggest one: elbow (kneedle) and best silhouette.",
      discussion: """
        Prints inertia, silhouette, Calinski–Harabasz, Davies–Bouldin (and the adjusted Rand \
        index with --label-column) for each k, suggests k, and draws inertia and silhouette \
        against k as SVG (and PNG when rsvg-convert or ImageMagick is installed). The \
        silhouette is exact up to --silhouette-sample rows, sampled above. Ctrl-C stops after \
        the current k and still reports and plots what was done. Every training option of \
        'kmeans train' applies to each k; sparse input and sample weights work as there (the \
        internal metrics are unweighted, as scikit-learn's).

        Examples:
          kmeans sweep Data/digits.csv --k 2...20 --label-column digit --plot sweep.svg
          kmeans sweep points.npy --k 2,4,8,16,32 --json
          kmeans sweep tfidf.npz --k 5...30 --metric cosine --silhouette-sample 2000
          kmeans sweep customers.csv --k 2...12 --weight-column visits --mini-batch
        """)

    @OptionGroup var input: InputOptions

    @Option(
      name: .customLong("k"),
      help: ArgumentHelp("The values of k: 2...30, 2-30, or 2,4,8.", valueName: "range"))
    var kRange: String = "2...15"

    @Option(help: "Rows above which the silhouette is taken on a seeded sample of this many.")
    var silhouetteSample: Int = 10_000

    @Option(help: "Write the plot here (.svg; a .png is written beside it when possible).")
    var plot: String?

    @OptionGroup var training: TrainingOptions

    @OptionGroup var outputOptions: OutputOptions

    var ks: [Int] {
      get throws {
        let text = kRange.replacingOccurrences(of: " ", with: "")
        for separator in ["...", "..", "-"] where text.contains(separator) {
          let parts = text.components(separatedBy: separator)
          guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low >= 1,
            low <= high
          else {
            throw ValidationError("--k \(kRange): expected a range such as 2...30")
          }
          return Array(low...high)
        }
        let values = text.split(separator: ",").compactMap { Int($0) }
        guard !values.isEmpty, values.allSatisfy({ $0 >= 1 }) else {
          throw ValidationError(
            "--k \(kRange): expected a range such as 2...30 or a list such as 2,4,8")
        }
        return values
      }
    }

    func validate() throws {
      _ = try ks
      if training.givesCenters {
        throw ValidationError("--init CENTERS.npy fixes k; a sweep tries several k")
      }
    }

    func run() throws {
      try reportingErrors {
        if training.float64 { try sweep(Double.self) } else { try sweep(Float.self) }
      }
    }

    func sweep<Scalar: KMeansScalar>(_: Scalar.Type) throws {
      let (data, _, truth, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: training.weightOptions)
      let configuration = try training.configuration(k: 2)
      let ks = try self.ks
      Interrupt.install()
      let bar = ProgressBar(total: ks.count, unit: "k")
      bar.update(done: 0)
      let report: (ClusterCountSelection.Trial, Int) -> Bool = { trial, done in
        bar.update(
          done: done, detail: "k=\(trial.k) silhouette \(String(format: "%.3f", trial.silhouette))")
        return !Interrupt.isRequested
      }
      let trials = try ClusterCountSelection.sweep(
        data, weights: weights, ks: ks, configuration: configuration,
        silhouetteSampleSize: silhouetteSample, progress: report)
      bar.finish()
      var agreements: [Int: Double] = [:]
      if let truth {
        for trial in trials {
          agreements[trial.k] = try ClusteringAgreement.adjustedRandIndex(truth, trial.labels)
        }
      }
      let elbow = ClusterCountSelection.elbow(trials)
      let best = ClusterCountSelection.bestSilhouette(trials)
      var plotFiles: [String] = []
      if let plot {
        let title =
          "k-means on \((input.data as NSString).lastPathComponent): inertia and silhouette"
        try AtomicFile.write(
          Data(SweepPlot.svg(trials, title: title, elbow: elbow, bestSilhouette: best).utf8),
          to: plot)
        plotFiles.append(plot)
        if let png = convertToPNG(plot) { plotFiles.append(png) }
      }
      if outputOptions.json {
        var rows: [[String: Any]] = []
        for trial in trials {
          var row: [String: Any] = [
            "k": trial.k, "inertia": trial.inertia, "silhouette": trial.silhouette,
            "calinskiHarabasz": trial.calinskiHarabasz, "daviesBouldin": trial.daviesBouldin,
            "seconds": trial.seconds,
          ]
          if let agreement = agreements[trial.k] { row["adjustedRandIndex"] = agreement }
          rows.append(row)
        }
        var summary: [String: Any] = ["trials": rows, "plots": plotFiles]
        if let elbow { summary["elbow"] = elbow }
        if let best { summary["bestSilhouette"] = best }
        try printJSON(summary)
        return
      }
      let header = truth == nil ? "" : "       ARI"
      print("    k        inertia   silhouette   Calinski-H   Davies-B   seconds\(header)")
      for trial in trials {
        var line = String(
          format: "%5d  %13.6g   %10.4f   %10.2f   %8.4f   %7.3f", trial.k, trial.inertia,
          trial.silhouette, trial.calinskiHarabasz, trial.daviesBouldin, trial.seconds)
        if let agreement = agreements[trial.k] { line += String(format: "   %7.4f", agreement) }
        print(line)
      }
      print(
        "suggested k: \(elbow.map(String.init) ?? "none") by the elbow (kneedle on inertia), \(best.map(String.init) ?? "none") by the best silhouette"
      )
      if !plotFiles.isEmpty { print("plot:        \(plotFiles.joined(separator: ", "))") }
      if trials.count < ks.count { print("stopped after k=\(trials.last?.k ?? 0) (interrupted)") }
    }

    /// Renders the SVG to PNG with rsvg-convert or ImageMagick when either is installed.
    func convertToPNG(_ svg: String) -> String? {
      let png = (svg as NSString).deletingPathExtension + ".png"
      for (tool, arguments) in [
        ("rsvg-convert", ["-o", png, svg]), ("magick", [svg, png]),
      ] {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
          let path = "\(directory)/\(tool)"
          guard FileManager.default.isExecutableFile(atPath: path) else { continue }
          let process = Process()
          process.executableURL = URL(fileURLWithPath: path)
          process.arguments = arguments
          process.standardError = FileHandle.nullDevice
          guard (try? process.run()) != nil else { continue }
          process.waitUntilExit()
          if process.terminationStatus == 0 { return png }
        }
      }
      return nil
    }
  }
}
