import ArgumentParser
import Foundation
import KMeans
import KMeansEstimator
import KMeansIO

extension KMeansCommand {
  /// `kmeans train`: fits a model and saves it.
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cluster a data set and save the model.",
      discussion: """
        Prints the inertia, the iterations, the cluster sizes and, with --label-column, the \
        adjusted Rand index against the true labels.

        Examples:
          kmeans train Data/digits.csv -k 10 --label-column digit
          kmeans train big.npy -k 256 --stream --batch-size 4096 --epochs 1 --output big.json
          kmeans train points.npy -k 64 --mini-batch --steps-per-iteration 3 --init afk-mc2
          kmeans train Data/digits.csv -k 10 --label-column digit --model-dir runs/digits --steps 20
          kmeans train points.npy -k 256 --init random --seed 7 --output model.json --verbose
          kmeans train Data/iris.csv -k 3 --label-column species --metric cosine --json
          kmeans train customers.csv -k 8 --weight-column visits --output segments.json
          kmeans train vectors.fvecs -k 1024 --weights counts.npy --init afk-mc2
          kmeans train tfidf.npz -k 20 --metric cosine --labels-output topics.npy
          kmeans train Data/digits.csv -k 10 --bisecting biggest-inertia --output tree.json
        """)

    @OptionGroup var input: InputOptions

    @Option(name: .short, help: "The number of clusters (not needed with --init CENTERS.npy).")
    var k: Int?

    @Option(name: .shortAndLong, help: "Where to save the model (JSON).")
    var output: String?

    @Option(
      name: .customLong("init"),
      help: ArgumentHelp(
        "kmeans++, random, random-with-replacement, kmc2, afk-mc2, or a .npy file of initial centers (k × columns).",
        valueName: "method|CENTERS.npy"))
    var initialization: String = "kmeans++"

    @Option(
      help:
        "Keep the first N initial centers fixed (extend a codebook given with --init CENTERS.npy).")
    var frozen: Int = 0

    @Option(
      help: ArgumentHelp(
        "Seed (k-means++, AFK-MC², k-MC², random) from a seeded sample of this many rows; Lloyd then uses all rows.",
        discussion:
          "Default: automatic, a sample of max(65536, 256k) rows when the data has at least four times as many."
      ))
    var seedingSample: Int?

    @Option(help: "Markov chain length of kmc2 and afk-mc2.")
    var chainLength: Int = 200

    @Flag(
      help:
        "Reproduce TensorFlow's quirks: zero vectors for empty clusters, random init with replacement, unnormalised cosine mini-batch centers."
    )
    var tfCompat = false

    @Option(
      help: "Greedy k-means++ retries (TensorFlow's num_retries; negative: 2+ln k candidates).")
    var kmeansPlusPlusRetries: Int = -1

    @Option(help: "euclidean (squared Euclidean) or cosine.")
    var metric: MetricArgument = .euclidean

    @Option(
      help: ArgumentHelp(
        "Full-batch E-step: lloyd (every distance), hamerly (exact bounds skip most distances once centers settle), or auto.",
        discussion:
          "auto: hamerly for the Euclidean distance with k >= 16, lloyd otherwise. All give Lloyd's result."
      ))
    var algorithm: AlgorithmArgument = .auto

    @Option(help: "The most iterations per run.")
    var maxIter: Int = 300

    @Option(help: "Center-shift tolerance, relative to the mean feature variance (0: off).")
    var tol: Double = 1e-4

    @Option(help: "Stop when |L − L₋₁| / (1 + |L₋₁|) falls below this (TensorFlow's rule).")
    var relativeTolerance: Double?

    @Option(help: "Restarts from different seeds; the lowest inertia wins.")
    var nInit: Int = 1

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    @Flag(help: "Compute in Double instead of Float.")
    var float64 = false

    @Option(
      help: ArgumentHelp(
        "Bisecting k-means: split the biggest-inertia or the largest-cluster leaf with 2-means until there are k.",
        discussion:
          "The model file keeps the tree; 'kmeans predict' follows it from the root, as scikit-learn's BisectingKMeans.",
        valueName: "strategy"))
    var bisecting: BisectingArgument?

    @Option(help: "Also write the training labels (.npy, .ivecs or .csv).")
    var labelsOutput: String?

    @Option(help: "Also write the centers (.npy or .fvecs).")
    var centersOutput: String?

    @Flag(help: "Print one line per iteration to standard error.")
    var verbose = false

    @OptionGroup(title: "Sample weights") var weightOptions: WeightOptions

    @OptionGroup(title: "Mini-batch and streaming") var miniBatch: MiniBatchOptions

    @OptionGroup(title: "Model directory (TensorFlow checkpoints)") var estimator: EstimatorOptions

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("-k must be at least 1, got \(k)") }
      if let seedingSample, seedingSample < (k ?? 1) {
        throw ValidationError("--seeding-sample \(seedingSample) must be at least k")
      }
      try estimator.validate()
      if estimator.modelDir == nil && (estimator.steps != nil || estimator.maxSteps != nil) {
        throw ValidationError("--steps and --max-steps need --model-dir")
      }
      if input.isSparse && (miniBatch.stream || estimator.modelDir != nil) {
        throw ValidationError(
          "sparse input (\(input.data)) trains in memory: --stream and --model-dir need dense data")
      }
      if estimator.modelDir != nil && miniBatch.stream {
        throw ValidationError("--stream and --model-dir cannot be combined yet")
      }
      if weightOptions.isEnabled && (miniBatch.stream || estimator.modelDir != nil) {
        throw ValidationError(
          "sample weights apply to in-memory training (not yet to --stream or --model-dir)")
      }
      if bisecting != nil
        && (miniBatch.enabled || estimator.modelDir != nil || input.isSparse
          || weightOptions.isEnabled || metric == .cosine)
      {
        throw ValidationError(
          "--bisecting trains full batch on dense data with the Euclidean distance (no --mini-batch, --stream, --model-dir, weights, cosine or sparse input)"
        )
      }
      if k == nil && !initialization.hasSuffix(".npy") {
        throw ValidationError("give the number of clusters with -k, or --init CENTERS.npy")
      }
    }

    func run() throws {
      try reportingErrors {
        if float64 { try train(Double.self) } else { try train(Float.self) }
      }
    }

    func configuration() throws -> KMeansConfiguration {
      var configuration = KMeansConfiguration(clusterCount: k ?? 0)
      switch initialization {
      case "kmeans++", "k-means++":
        configuration.initialization = .kMeansPlusPlus(retries: kmeansPlusPlusRetries)
      case "random": configuration.initialization = .random
      case "random-with-replacement": configuration.initialization = .randomWithReplacement
      case "kmc2", "k-mc2": configuration.initialization = .kmc2(chainLength: chainLength)
      case "afk-mc2", "afkmc2": configuration.initialization = .afkmc2(chainLength: chainLength)
      default:
        guard initialization.lowercased().hasSuffix(".npy") else {
          throw ValidationError(
            "--init \(initialization): expected kmeans++, random, random-with-replacement, kmc2, afk-mc2 or a .npy file"
          )
        }
        let centers = try NumPyFile.readMatrix(initialization, as: Double.self)
        if let k, k != centers.rowCount {
          throw ValidationError(
            "-k \(k) disagrees with the \(centers.rowCount) centers in \(initialization)")
        }
        configuration.initialization = .centers(centers)
      }
      configuration.metric = metric.metric
      configuration.maxIterations = maxIter
      configuration.tolerance = tol
      configuration.relativeTolerance = relativeTolerance
      configuration.restarts = nInit
      configuration.seed = seed
      configuration.threadCount = threads
      configuration.tfCompat = tfCompat
      configuration.frozenCenterCount = frozen
      configuration.algorithm = algorithm.algorithm
      configuration.seedingSampleSize = seedingSample
      return configuration
    }

    func train<Scalar: KMeansScalar>(_: Scalar.Type) throws {
      let configuration = try configuration()
      if estimator.modelDir != nil {
        return try trainInDirectory(Scalar.self, configuration: configuration)
      }
      if miniBatch.stream { return try trainStreaming(Scalar.self, configuration: configuration) }
      if let bisecting {
        return try trainBisecting(Scalar.self, configuration: configuration, strategy: bisecting)
      }
      let (data, names, trueLabels, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: weightOptions)
      let verbose = self.verbose
      let started = Date()
      let result: KMeansFitResult<Scalar>
      if miniBatch.enabled {
        Interrupt.install()
        result = try data.fit(
          weights: weights, configuration: configuration, miniBatch: miniBatch.configuration,
          progress: nil,
          stepProgress: { step, output in
            if verbose {
              printError(
                String(
                  format: "step %d: batch loss=%.6g shift=%.3g", step, output.loss,
                  output.centerShift))
            }
          }, isCancelled: { Interrupt.isRequested })
      } else {
        Interrupt.install()
        let bar = ProgressBar(total: configuration.maxIterations, unit: "it")
        result = try data.fit(
          weights: weights, configuration: configuration, miniBatch: nil,
          progress: { record in
            if verbose {
              printError(
                String(
                  format: "iteration %d (%.3f s): loss=%.6g shift=%.3g changed=%d relocated=%d",
                  record.iteration, record.seconds, record.loss, record.centerShift,
                  record.changedLabels, record.relocatedClusters))
            } else {
              bar.update(
                done: record.iteration,
                detail: String(format: "loss %.6g, %d changed", record.loss, record.changedLabels))
            }
          }, stepProgress: nil, isCancelled: { Interrupt.isRequested })
        bar.finish()
      }
      let seconds = Date().timeIntervalSince(started)
      var model = result.model
      model.featureNames = names
      if let output { try ModelFile.save(model, to: output) }
      if let labelsOutput { try writeLabels(result.labels, to: labelsOutput) }
      if let centersOutput { try writeCenters(model.centers, to: centersOutput) }
      let sizes = clusterSizes(result.labels, clusterCount: result.model.clusterCount)
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, result.labels) }
      try report(
        result.model, rows: data.rowCount, columns: data.columnCount, sizes: sizes,
        agreement: agreement, seconds: seconds)
    }

    /// Bisecting k-means: the tree is printed (up to 64 leaves) and saved with the model.
    func trainBisecting<Scalar: KMeansScalar>(
      _: Scalar.Type, configuration: KMeansConfiguration, strategy: BisectingArgument
    ) throws {
      let (data, names, trueLabels) = try input.loadNamed(Scalar.self)
      let started = Date()
      let (tree, labels) = try BisectingKMeansModel<Scalar>.fit(
        data, configuration: configuration,
        strategy: strategy == .biggestInertia ? .biggestInertia : .largestCluster)
      let seconds = Date().timeIntervalSince(started)
      var model = KMeansModel(
        centers: tree.centers, metric: .squaredEuclidean, inertia: tree.inertia,
        iterationCount: tree.clusterCount - 1, stopReason: .maxIterations)
      model.featureNames = names
      if let output { try ModelFile.save(model, hierarchy: tree, to: output) }
      if let labelsOutput { try writeLabels(labels, to: labelsOutput) }
      if let centersOutput { try writeCenters(model.centers, to: centersOutput) }
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, labels) }
      let sizes = clusterSizes(labels, clusterCount: model.clusterCount)
      if !outputOptions.json && tree.clusterCount <= 64 {
        print("hierarchy:   (\(strategy.rawValue) split first; leaves are clusters)")
        func show(_ index: Int, depth: Int) {
          let node = tree.nodes[index]
          let name = node.label.map { "cluster \($0)" } ?? (index == 0 ? "all rows" : "split")
          print(
            String(repeating: "  ", count: depth + 1)
              + "\(name): \(node.size) rows, inertia \(String(format: "%.6g", node.inertia))")
          for child in node.children ?? [] { show(child, depth: depth + 1) }
        }
        show(0, depth: 0)
      }
      try report(
        model, rows: data.rowCount, columns: data.columnCount, sizes: sizes, agreement: agreement,
        seconds: seconds)
    }

    /// Mini-batch training over the file a batch at a time, then one streamed pass for the
    /// inertia, the sizes and the labels.
    func trainStreaming<Scalar: KMeansScalar>(
      _: Scalar.Type, configuration: KMeansConfiguration
    ) throws {
      var csvOptions = CSVReadOptions()
      csvOptions.columns = input.columns
      csvOptions.labelColumn = input.labelColumn.map(CSVColumn.init)
      csvOptions.hasHeader = input.header
      var source = try openBatchSource(input.data, csvOptions: csvOptions, as: Scalar.self)
      let verbose = self.verbose
      let started = Date()
      Interrupt.install()
      let model = try StreamingKMeans.fit(
        &source, configuration: configuration, miniBatch: miniBatch.configuration,
        progress: { step, output in
          if verbose {
            printError(String(format: "step %d: batch loss=%.6g", step, output.loss))
          }
        }, isCancelled: { Interrupt.isRequested })
      var writer: NumPyLabelWriter? = nil
      var csvLabels: [Int]? = nil
      if let labelsOutput {
        if labelsOutput.lowercased().hasSuffix(".npy") {
          writer = try NumPyLabelWriter(path: labelsOutput)
        } else {
          csvLabels = []
        }
      }
      var truth: [String]? = input.labelColumn == nil ? nil : []
      var predicted: [Int] = []
      let csvReader = source as? CSVBatchReader<Scalar>
      let summary = try StreamingKMeans.predict(&source, model: model, threadCount: threads) {
        labels, _ in
        try writer?.append(labels)
        csvLabels?.append(contentsOf: labels)
        if truth != nil, let batchTruth = csvReader?.lastLabels {
          truth?.append(contentsOf: batchTruth)
          predicted.append(contentsOf: labels)
        }
      }
      try writer?.finish()
      if let csvLabels, let labelsOutput { try writeLabels(csvLabels, to: labelsOutput) }
      var fitted = model
      fitted.inertia = summary.inertia
      if let output { try ModelFile.save(fitted, to: output) }
      if let centersOutput { try writeCenters(fitted.centers, to: centersOutput) }
      let agreement = truth.map { ClusteringAgreement.adjustedRandIndex($0, predicted) }
      try report(
        fitted, rows: summary.rowCount, columns: source.columnCount, sizes: summary.clusterSizes,
        agreement: agreement, seconds: Date().timeIntervalSince(started))
    }

    /// TensorFlow's estimator workflow: resume from the directory's latest checkpoint, run
    /// steps, write checkpoints.
    func trainInDirectory<Scalar: KMeansScalar>(
      _: Scalar.Type, configuration: KMeansConfiguration
    ) throws {
      let directory = estimator.modelDir ?? ""
      var settings = EstimatorConfiguration(clustering: configuration)
      if miniBatch.enabled {
        settings.mode = .miniBatch(stepsPerIteration: miniBatch.stepsPerIteration)
        settings.batchSize = miniBatch.batchSize
      }
      settings.checkpointEverySteps = estimator.checkpointEvery
      settings.checkpointEverySeconds = estimator.checkpointSeconds
      settings.keepCheckpoints = estimator.keepCheckpoints
      let (input, trueLabels) = try self.input.estimatorInput(Scalar.self)
      let trainer = try KMeansEstimator<Scalar>(modelDirectory: directory, configuration: settings)
      let verbose = self.verbose
      let started = Date()
      Interrupt.install()
      let training = try trainer.train(
        input: input, steps: estimator.steps, maxSteps: estimator.maxSteps,
        progress: { step, loss in
          if verbose { printError(String(format: "step %lld: loss=%.6g", step, loss)) }
        }, isCancelled: { Interrupt.isRequested })
      let model = try trainer.model()
      let (data, _) = try input.features(for: directory)
      let (labels, distances) = try model.predictWithDistances(data, threadCount: threads)
      var fitted = model
      fitted.inertia = distances.reduce(0.0) { $0 + Double($1) }
      fitted.iterationCount = Int(training.finalStep)
      fitted.stopReason = training.stoppedByTolerance ? .relativeLossTolerance : .maxIterations
      if let output { try ModelFile.save(fitted, to: output) }
      if let labelsOutput { try writeLabels(labels, to: labelsOutput) }
      let agreement = trueLabels.map { ClusteringAgreement.adjustedRandIndex($0, labels) }
      if !outputOptions.json {
        print(
          "model dir:   \(directory) (steps \(training.startStep) → \(training.finalStep), checkpoints at \(training.checkpointSteps.map(String.init).joined(separator: " ")))"
        )
      }
      try report(
        fitted, rows: data.rowCount, columns: data.columnCount,
        sizes: clusterSizes(labels, clusterCount: model.clusterCount), agreement: agreement,
        seconds: Date().timeIntervalSince(started))
    }

    func report<Scalar: KMeansScalar>(
      _ model: KMeansModel<Scalar>, rows: Int, columns: Int, sizes: [Int], agreement: Double?,
      seconds: Double
    ) throws {
      let mode =
        bisecting != nil
        ? "bisecting"
        : miniBatch.stream ? "streamed mini-batch" : miniBatch.enabled ? "mini-batch" : "full batch"
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": rows, "columns": columns, "clusters": model.clusterCount,
          "inertia": model.inertia, "iterations": model.iterationCount,
          "stopReason": model.stopReason.rawValue, "clusterSizes": sizes, "seconds": seconds,
          "dtype": Scalar.dtypeName, "metric": model.metric.rawValue, "mode": mode,
          "iterationSeconds": model.iterationStatistics.map(\.seconds),
        ]
        if let agreement { summary["adjustedRandIndex"] = agreement }
        if let output { summary["model"] = output }
        try printJSON(summary)
        return
      }
      let unit = miniBatch.enabled ? "steps" : "iterations"
      print("data:        \(input.data) (\(rows) rows × \(columns) columns, \(Scalar.dtypeName))")
      print("clusters:    \(model.clusterCount) (\(model.metric.rawValue), \(mode))")
      print("inertia:     \(String(format: "%.6f", model.inertia))")
      if bisecting != nil {
        print("splits:      \(model.iterationCount), \(String(format: "%.3f", seconds)) s")
      } else {
        print(
          "\((unit + ":").padding(toLength: 13, withPad: " ", startingAt: 0))\(model.iterationCount) (stopped: \(model.stopReason.rawValue)), \(String(format: "%.3f", seconds)) s"
        )
      }
      print("sizes:       \(sizes.map(String.init).joined(separator: " "))")
      if let agreement, let column = input.labelColumn {
        print(
          "agreement:   adjusted Rand index \(String(format: "%.4f", agreement)) against '\(column)'"
        )
      }
      if let output { print("model:       \(output)") }
    }
  }
}
