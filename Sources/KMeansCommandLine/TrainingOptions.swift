import ArgumentParser
import KMeans
import KMeansIO

/// The training options every training command takes — `kmeans train`, `kmeans sweep` and
/// `kmeans-mpi train` — so that each runs the same engine with the same settings.
package struct TrainingOptions: ParsableArguments {
  package init() {}

  @Option(
    name: .customLong("init"),
    help: ArgumentHelp(
      "kmeans++, kmeans|| (k-means‖), random, random-with-replacement, kmc2, afk-mc2, or a .npy file of initial centers (k × columns).",
      valueName: "method|CENTERS.npy"))
  package var initialization: String = "kmeans++"

  @Option(
    help:
      "Keep the first N initial centers fixed (extend a codebook given with --init CENTERS.npy).")
  package var frozen: Int = 0

  @Option(
    help: ArgumentHelp(
      "Seed (k-means++, AFK-MC², k-MC², random) from a weighted sample of this many rows; training then uses all rows.",
      discussion:
        "Default: automatic. All rows while greedy k-means++ on them costs at most 2^28 multiply-adds ((2 + ln k)·n·k·d); otherwise a sample of max(2k, 2^28 / ((2 + ln k)·k·d), s) rows, s = 256k where that costs at most two Lloyd passes, else n / (4(2 + ln k)); all rows when the sample would be more than an eighth of them."
    ))
  package var seedingSample: Int?

  @Option(help: "Markov chain length of kmc2 and afk-mc2.")
  package var chainLength: Int = 200

  @Option(help: "Rounds of --init kmeans||.")
  package var rounds: Int = 5

  @Option(help: "Oversampling factor ℓ of --init kmeans|| (default 2k).")
  package var oversampling: Double?

  @Option(
    help: "Greedy k-means++ retries (TensorFlow's num_retries; negative: 2+ln k candidates).")
  package var kmeansPlusPlusRetries: Int = -1

  @Flag(
    help:
      "Reproduce TensorFlow's quirks: zero vectors for empty clusters, random init with replacement, unnormalised cosine mini-batch centers."
  )
  package var tfCompat = false

  @Option(help: "euclidean (squared Euclidean) or cosine.")
  package var metric: MetricArgument = .euclidean

  @Option(
    help: ArgumentHelp(
      "Full-batch E-step: lloyd (every distance), hamerly (exact bounds skip most distances once centers settle), yinyang (one bound per group of centers: large k), or auto.",
      discussion:
        "auto: yinyang with k >= 512 and hamerly with k >= 16 when dense data is in memory, lloyd otherwise. All give Lloyd's result; hamerly works for both metrics, dense and sparse data, streams and MPI ranks; yinyang for dense data (sparse data runs hamerly)."
    ))
  package var algorithm: AlgorithmArgument = .auto

  @Option(
    help: ArgumentHelp(
      "Train on at most this many rows per cluster (FAISS's max_points_per_centroid), then assign every row.",
      discussion:
        "With more than k × N rows, a seeded uniform sample of k × N rows is seeded and trained on; the labels and inertia reported are of every row. Default: every row (FAISS uses 256). Full batch on data in memory only."
    ))
  package var maxPointsPerCenter: Int?

  @Option(help: "The most iterations (full batch) or epochs (mini-batch, with --epochs).")
  package var maxIter: Int = 300

  @Option(
    help: ArgumentHelp(
      "Center-shift tolerance, relative to the mean feature variance (0: off).",
      discussion: "Default: 1e-4 for full batch, 0 for mini-batch (scikit-learn's defaults)."))
  package var tol: Double?

  @Option(help: "Stop when |L − L₋₁| / (1 + |L₋₁|) falls below this (TensorFlow's rule).")
  package var relativeTolerance: Double?

  @Option(help: "Restarts from different seeds; the lowest inertia wins.")
  package var nInit: Int = 1

  @Option(help: "The random seed.")
  package var seed: UInt64 = 0

  @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
  package var threads: Int?

  @Flag(help: "Compute in Double instead of Float.")
  package var float64 = false

  @OptionGroup(title: "Mini-batch") package var miniBatch: MiniBatchOptions

  @OptionGroup(title: "Sample weights") package var weightOptions: WeightOptions

  /// Whether the initial centers come from a file (then -k may be left out).
  package var givesCenters: Bool { initialization.lowercased().hasSuffix(".npy") }

  package func validate() throws {
    if let seedingSample, seedingSample < 1 {
      throw ValidationError("--seeding-sample \(seedingSample) must be at least 1")
    }
    if let maxPointsPerCenter, maxPointsPerCenter < 1 {
      throw ValidationError("--max-points-per-center \(maxPointsPerCenter) must be at least 1")
    }
  }

  /// The configuration for `k` clusters (k may be nil with --init CENTERS.npy).
  package func configuration(k: Int?) throws -> KMeansConfiguration {
    var configuration = KMeansConfiguration(clusterCount: k ?? 0)
    switch initialization {
    case "kmeans++", "k-means++":
      configuration.initialization = .kMeansPlusPlus(retries: kmeansPlusPlusRetries)
    case "kmeans||", "k-means||":
      configuration.initialization = .kMeansParallel(rounds: rounds, oversampling: oversampling)
    case "random": configuration.initialization = .random
    case "random-with-replacement": configuration.initialization = .randomWithReplacement
    case "kmc2", "k-mc2": configuration.initialization = .kmc2(chainLength: chainLength)
    case "afk-mc2", "afkmc2": configuration.initialization = .afkmc2(chainLength: chainLength)
    default:
      guard givesCenters else {
        throw ValidationError(
          "--init \(initialization): expected kmeans++, kmeans||, random, random-with-replacement, kmc2, afk-mc2 or a .npy file"
        )
      }
      let centers = try NumPyFile.read(initialization, as: Double.self)
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
    configuration.maxPointsPerCenter = maxPointsPerCenter
    configuration.miniBatch = miniBatch.configuration
    return configuration
  }
}
