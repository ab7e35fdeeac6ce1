import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansEstimator
import KMeansIO

extension KMeansCommand {
  /// `kmeans train`: fits a model and saves it.
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cluster a data set and save the model.",
      discussion: """
        Prints the inertia, the iterations, the cluster sizes and, with --label-column, the \
        adjusted Rand index against the true labels. Every combination of input (dense or \
        sparse, in memory or --stream), metric, weights, algorithm, mini-batch and \
        --model-dir runs the same engine; kmeans-mpi takes the same training options.

        Examples:
          kmeans train Data/digits.csv -k 10 --label-column digit
          kmeans train big.npy -k 256 --stream --output big.json
          kmeans train big.npy -k 256 --stream --mini-batch --batch-size 4096 --epochs 1
          kmeans train points.npy -k 64 --mini-batch --steps-per-iteration 3 --init afk-mc2
          kmeans train Data/digits.csv -k 10 --label-column digit --model-dir runs/digits --steps 20
          kmeans train points.npy -k 256 --init kmeans|| --seed 7 --output model.json --verbose
          kmeans train Data/iris.csv -k 3 --label-column species --metric cosine --json
          kmeans train customers.csv -k 8 --weight-column visits --output segments.json
          kmeans train vectors.fvecs -k 1024 --weights counts.npy --init afk-mc2
          kmeans train tfidf.npz -k 20 --metric cosine --algorithm hamerly --labels-output topics.npy
          kmeans train Data/digits.csv -k 10 --bisecting biggest-inertia --output tree.json
        """)

    @OptionGroup var input: InputOptions

    @Option(name: .short, help: "The number of clusters (not needed with --init CENTERS.npy).")
    var k: Int?

    @Option(
      help: ArgumentHelp(
        "Bisecting k-means: split the biggest-inertia or the largest-cluster leaf with 2-means until there are k.",
        discussion:
          "The model file keeps the tree; 'kmeans predict' follows it from the root, as scikit-learn's BisectingKMeans.",
        valueName: "strategy"))
    var bisecting: BisectingArgument?

    @Flag(
      help: ArgumentHelp(
        "Read the data a piece at a time: memory stays bounded for files larger than memory.",
        discussion:
          "Full batch: exact Lloyd, one pass per iteration, the same result as in memory (8 bytes per row kept). With --mini-batch: batches in file order. .npy and .fvecs files are memory-mapped; CSV and svmlight files are read in blocks."
      ))
    var stream = false

    @OptionGroup var results: TrainingOutputOptions

    @OptionGroup var training: TrainingOptions

    @OptionGroup(title: "Model directory (TensorFlow checkpoints)") var estimator: EstimatorOptions

    @OptionGroup var outputOptions: OutputOptions

    var output: String? { results.output }
    var labelsOutput: String? { results.labelsOutput }
    var centersOutput: String? { results.centersOutput }
    var verbose: Bool { results.verbose }

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("-k must be at least 1, got \(k)") }
      if let seedingSample = training.seedingSample, seedingSample < (k ?? 1) {
        throw ValidationError("--seeding-sample \(seedingSample) must be at least k")
      }
      try estimator.validate()
      if estimator.modelDir == nil && (estimator.steps != nil || estimator.maxSteps != nil) {
        throw ValidationError("--steps and --max-steps need --model-dir")
      }
      if bisecting != nil && (training.miniBatch.enabled || estimator.modelDir != nil || stream) {
        throw ValidationError(
          "--bisecting trains full batch in memory (not with --mini-batch, --stream or --model-dir): each split is a full 2-means run"
        )
      }
      if k == nil && !training.givesCenters {
        throw ValidationError("give the number of clusters with -k, or --init CENTERS.npy")
      }
    }

    func run() throws {
      try reportingErrors {
        if training.float64 { try train(Double.self) } else { try train(Float.self) }
      }
    }

    /// Progress for the chosen verbosity: a line per iteration, or a progress bar.
    func progressHandler(total: Int) -> ((IterationStatistics) -> Void, () -> Void) {
      let verbose = self.verbose
      let miniBatch = training.miniBatch.enabled
      let bar = ProgressBar(total: total, unit: miniBatch ? "step" : "it")
      return (
        { record in
          if verbose {
            printError(
              String(
                format: miniBatch
                  ? "step %d (%.3f s): batch loss=%.6g shift=%.3g"
                  : "iteration %d (%.3f s): loss=%.6g shift=%.3g changed=%d relocated=%d",
                record.iteration, record.seconds, record.loss, record.centerShift,
                record.changedLabels, record.relocatedClusters))
          } else if !miniBatch {
            bar.update(
              done: record.iteration,
              detail: String(format: "loss %.6g, %d changed", record.loss, record.changedLabels))
          }
        }, { bar.finish() }
      )
    }

    func train<Scalar: KMeansScalar>(_: Scalar.Type) throws {
      let configuration = try training.configuration(k: k)
      if estimator.modelDir != nil {
        return try trainInDirectory(Scalar.self, configuration: configuration)
      }
      if stream { return try trainStreaming(Scalar.self, configuration: configuration) }
      let (data, names, trueLabels, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: training.weightOptions)
      if let bisecting {
        return try trainBisecting(
          data, names: names, truth: trueLabels, weights: weights, configuration: configuration,
          strategy: bisecting)
      }
      let started = Date()
      Interrupt.install()
      let (progress, finish) = progressHandler(total: configuration.maxIterations)
      let result = try data.fit(
        weights: weights, configuration: configuration,
        observer: TrainingObserver(progress: progress, isCancelled: { Interrupt.isRequested }))
      finish()
      let seconds = Date().timeIntervalSince(started)
      var model = result.model
      model.featureNames = names
      if let output { try ModelFile.write(model, to: output) }
      if let labelsOutput { try writeLabels(result.labels, to: labelsOutput) }
      if let centersOutput { try writeCenters(model.centers, to: centersOutput) }
      let sizes = clusterSizes(result.labels, clusterCount: result.model.clusterCount)
      let agreement = try trueLabels.map {
        try ClusteringAgreement.adjustedRandIndex($0, result.labels)
      }
      try report(
        result.model, rows: data.rowCount, columns: data.columnCount, sizes: sizes,
        agreement: agreement, seconds: seconds)
    }

    /// Bisecting k-means: the tree is printed (up to 64 leaves) and saved with the model.
    func trainBisecting<Scalar: KMeansScalar>(
      _ data: Features<Scalar>, names: [String]?, truth: [String]?, weights: [Double]?,
      configuration: KMeansConfiguration, strategy: BisectingArgument
    ) throws {
      guard let matrix = data.denseMatrix else {
        throw ValidationError("--bisecting needs dense data (CSV, .npy, .fvecs, .bvecs)")
      }
      let started = Date()
      let (tree, labels) = try BisectingKMeansModel<Scalar>.fit(
        matrix, weights: weights, configuration: configuration,
        strategy: strategy == .biggestInertia ? .biggestInertia : .largestCluster)
      let seconds = Date().timeIntervalSince(started)
      var model = KMeansModel(
        centers: tree.centers, metric: tree.metric, inertia: tree.inertia,
        iterationCount: tree.clusterCount - 1, stopReason: .maxIterations)
      model.featureNames = names
      if let output { try ModelFile.write(model, hierarchy: tree, to: output) }
      if let labelsOutput { try writeLabels(labels, to: labelsOutput) }
      if let centersOutput { try writeCenters(model.centers, to: centersOutput) }
      let agreement = try truth.map { try ClusteringAgreement.adjustedRandIndex($0, labels) }
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

    /// Training over the file a piece at a time (full batch or mini-batch), then one streamed
    /// pass for the inertia, the sizes and the labels.
    func trainStreaming<Scalar: KMeansScalar>(
      _: Scalar.Type, configuration: KMeansConfiguration
    ) throws {
      let started = Date()
      Interrupt.install()
      let (progress, finish) = progressHandler(total: configuration.maxIterations)
      let observer = TrainingObserver(progress: progress, isCancelled: { Interrupt.isRequested })
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
      let model: KMeansModel<Scalar>
      let summary: StreamingKMeans.Summary
      let columns: Int
      let collect: ([Int], [Scalar]) throws -> Void = { labels, _ in
        try writer?.append(labels)
        csvLabels?.append(contentsOf: labels)
        predicted.append(contentsOf: labels)
      }
      switch try input.openStream(
        Scalar.self, weightOptions: training.weightOptions, threadCount: training.threads)
      {
      case .dense(var source):
        model = try KMeansModel.fit(source, configuration: configuration, observer: observer).model
        finish()
        let csvReader = source as? CSVBatchReader<Scalar>
        summary = try StreamingKMeans.predict(
          &source, model: model, threadCount: training.threads
        ) { labels, distances in
          try collect(labels, distances)
          if let batchTruth = csvReader?.lastLabels { truth?.append(contentsOf: batchTruth) }
        }
        columns = source.columnCount
      case .sparse(var source):
        model = try KMeansModel.fit(source, configuration: configuration, observer: observer).model
        finish()
        summary = try StreamingKMeans.predict(
          &source, model: model, threadCount: training.threads, collect)
        columns = source.columnCount
      }
      try writer?.finish()
      if let csvLabels, let labelsOutput { try writeLabels(csvLabels, to: labelsOutput) }
      var fitted = model
      fitted.inertia = summary.inertia
      if let output { try ModelFile.write(fitted, to: output) }
      if let centersOutput { try writeCenters(fitted.centers, to: centersOutput) }
      let agreement = try truth.flatMap { truth in
        truth.count == predicted.count
          ? try ClusteringAgreement.adjustedRandIndex(truth, predicted) : nil
      }
      try report(
        fitted, rows: summary.rowCount, columns: columns, sizes: summary.clusterSizes,
        agreement: agreement, seconds: Date().timeIntervalSince(started))
    }

    /// TensorFlow's estimator workflow: resume from the directory's latest checkpoint, run
    /// steps, write checkpoints (in memory or streamed, dense or sparse, with weights).
    func trainInDirectory<Scalar: KMeansScalar>(
      _: Scalar.Type, configuration: KMeansConfiguration
    ) throws {
      let directory = estimator.modelDir ?? ""
      let settings = estimator.settings(clustering: configuration)
      let trainer = try KMeansEstimator<Scalar>(modelDirectory: directory, configuration: settings)
      if let checkpoint = estimator.resumeFrom { try trainer.rollBack(to: checkpoint) }
      let verbose = self.verbose
      let started = Date()
      Interrupt.install()
      // Each record's iteration is the global step.
      let observer = TrainingObserver(
        progress: { record in
          if verbose {
            printError(String(format: "step %d: loss=%.6g", record.iteration, record.loss))
          }
        }, isCancelled: { Interrupt.isRequested })
      let training: KMeansEstimator<Scalar>.TrainingReport
      if stream {
        training = try trainStreamed(trainer, observer: observer)
      } else {
        let (features, names, _, weights) = try input.loadFeatures(
          Scalar.self, weightOptions: self.training.weightOptions)
        let estimatorInput: EstimatorInput<Scalar>
        switch features {
        case .dense(let matrix):
          estimatorInput =
            names.flatMap { names in
              // Named CSV columns go by name (TensorFlow sorts them); explicit ones keep order.
              guard input.columns == nil else { return nil }
              return .columns(
                Dictionary(
                  uniqueKeysWithValues: names.enumerated().map { index, name in
                    (name, (0..<matrix.rowCount).map { matrix[$0, index] })
                  }))
            } ?? .matrix(matrix)
        case .compact(let matrix): estimatorInput = .matrix(matrix.widened())
        case .sparse(let matrix): estimatorInput = .sparse(matrix)
        }
        training = try trainer.train(
          input: estimatorInput, weights: weights, steps: estimator.steps,
          maxSteps: estimator.maxSteps, observer: observer)
      }
      // Labels and inertia of the final centers, over the same rows.
      let model = try trainer.model()
      let (features, _, trueLabels, weights) = try input.loadFeatures(
        Scalar.self, weightOptions: self.training.weightOptions,
        featureNames: try ModelDirectory.metadata(directory: directory)?.featureNames)
      let labels = try features.predict(model, threadCount: self.training.threads)
      var fitted = model
      fitted.inertia = try features.score(
        model, weights: weights, threadCount: self.training.threads)
      fitted.iterationCount = Int(training.finalStep)
      fitted.stopReason = training.stopReason ?? .maxIterations
      fitted.iterationStatistics = training.statistics
      if let output { try ModelFile.write(fitted, to: output) }
      if let labelsOutput { try writeLabels(labels, to: labelsOutput) }
      if let centersOutput { try writeCenters(fitted.centers, to: centersOutput) }
      let agreement = try trueLabels.map { try ClusteringAgreement.adjustedRandIndex($0, labels) }
      if !outputOptions.json {
        print(
          "model dir:   \(directory) (steps \(training.startStep) → \(training.finalStep), checkpoints at \(training.checkpointSteps.map(String.init).joined(separator: " ")))"
        )
        if let events = training.summaryFile {
          print("summaries:   \(events) (tensorboard --logdir \(directory))")
        }
      }
      try report(
        fitted, rows: features.rowCount, columns: features.columnCount,
        sizes: clusterSizes(labels, clusterCount: model.clusterCount), agreement: agreement,
        seconds: Date().timeIntervalSince(started), summaryFile: training.summaryFile)
    }

    /// Trains `trainer` on the data file read a piece at a time (`--model-dir` with
    /// `--stream`).
    func trainStreamed<Scalar: KMeansScalar>(
      _ trainer: KMeansEstimator<Scalar>, observer: TrainingObserver
    ) throws -> KMeansEstimator<Scalar>.TrainingReport {
      switch try input.openStream(
        Scalar.self, weightOptions: training.weightOptions, threadCount: training.threads)
      {
      case .dense(let source):
        return try trainer.train(
          source, steps: estimator.steps, maxSteps: estimator.maxSteps, observer: observer)
      case .sparse(let source):
        return try trainer.train(
          source, steps: estimator.steps, maxSteps: estimator.maxSteps, observer: observer)
      }
    }

    func report<Scalar: KMeansScalar>(
      _ model: KMeansModel<Scalar>, rows: Int, columns: Int, sizes: [Int], agreement: Double?,
      seconds: Double, summaryFile: String? = nil
    ) throws {
      let batch = training.miniBatch.enabled ? "mini-batch" : "full batch"
      let mode =
        bisecting != nil ? "bisecting" : stream ? "streamed \(batch)" : batch
      if outputOptions.json {
        var summary: [String: Any] = [
          "rows": rows, "columns": columns, "clusters": model.clusterCount,
          "inertia": model.inertia, "iterations": model.iterationCount,
          "stopReason": model.stopReason.rawValue, "clusterSizes": sizes, "seconds": seconds,
          "dtype": Scalar.dtypeName, "metric": model.metric.rawValue, "mode": mode,
          "iterationSeconds": model.iterationStatistics.map(\.seconds),
          "iterationLosses": model.iterationStatistics.map(\.loss),
          "iterationSteps": model.iterationStatistics.map(\.iteration),
          "peakResidentBytes": peakResidentBytes(),
          "kernel": assignmentKernelName(
            columns: columns, clusters: model.clusterCount, float: Scalar.self == Float.self),
        ]
        if let summaryFile { summary["summaries"] = summaryFile }
        if let agreement { summary["adjustedRandIndex"] = agreement }
        if let output { summary["model"] = output }
        try printJSON(summary)
        return
      }
      let unit = training.miniBatch.enabled ? "steps" : "iterations"
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
