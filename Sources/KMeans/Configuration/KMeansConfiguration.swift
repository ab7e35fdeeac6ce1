import Foundation

/// How full-batch Lloyd assigns points (every choice gives Lloyd's result).
public enum LloydAlgorithm: String, Codable, Sendable, CaseIterable {
  /// Every distance every iteration, from GEMM tiles with the argmin fused.
  case lloyd
  /// Hamerly's exact acceleration (G. Hamerly, "Making k-means even faster", SDM 2010): each
  /// point keeps a lower bound on its distance to the second-nearest center, lowered by the
  /// largest center shift each iteration; when its exact distance to its own center is within
  /// max(bound, ½ · its center's distance to the nearest other center), with a margin for the
  /// kernels' rounding, the point cannot move and no other distance is computed. Points whose
  /// test fails are re-assigned by the same kernel as ``lloyd``, so the labels, centers and
  /// losses are Lloyd's, bit for bit. Dense and sparse data, squared Euclidean and cosine
  /// (Euclidean bounds between unit vectors), in memory, streamed and on MPI ranks. Full
  /// batch only. 4 bytes per row extra memory.
  case hamerly
  /// Yinyang k-means (Y. Ding et al., "Yinyang K-Means: A Drop-In Replacement of the Classic
  /// K-Means with Consistent Speedup", ICML 2015), the large-k choice: the centers are split
  /// once into t = ⌈k/10⌉ groups (at most 64), and each point keeps one lower bound per group,
  /// lowered each iteration by the largest shift of that group's centers only. A point whose
  /// bounds all clear its distance keeps its label; otherwise only the groups whose bounds fail
  /// are computed, with the fused kernel's own arithmetic, so labels, centers and losses are
  /// Lloyd's, bit for bit. Dense rows, both metrics, in memory, streamed and on MPI ranks
  /// (sparse rows run ``hamerly`` instead). Full batch only. 4·t bytes per row extra memory
  /// (8·t for `Double`), whatever k is.
  case yinyang
  /// On dense rows in memory or on MPI ranks (either metric): ``yinyang`` from
  /// ``automaticYinyangClusterCount`` clusters on, ``hamerly`` from 16, Lloyd below. Streams run
  /// Lloyd to keep memory to the batch; sparse rows run Lloyd because there a row that fails
  /// its bound test is re-assigned alone, and on TF-IDF rows the bounded pass took 1.2–1.7×
  /// Lloyd's time. ``hamerly`` and ``yinyang`` run their bounds there too when asked.
  case automatic

  /// The number of clusters from which ``automatic`` runs ``yinyang`` rather than ``hamerly``.
  public static let automaticYinyangClusterCount = 512
}

/// How distances between points and centers are measured.
public enum DistanceMetric: String, Codable, Sendable, CaseIterable {
  /// ‖x − c‖². Centers are means; inertia is the sum of squared distances.
  case squaredEuclidean
  /// 1 − x·c / (‖x‖‖c‖): spherical k-means. Rows and centers are L2-normalised; a center is
  /// the mean of its rows, renormalised (Dhillon & Modha, 2001).
  case cosine
}

/// How the first centers are chosen.
public enum Initialization: Sendable, Equatable {
  /// `k` distinct rows, chosen uniformly without replacement.
  case random
  /// `k` rows drawn uniformly with replacement, as TensorFlow's `'random'` does (duplicates
  /// are possible).
  case randomWithReplacement
  /// Greedy k-means++ (Arthur & Vassilvitskii, 2007): each new center is the best, by
  /// potential Σ min-distance, of several candidates drawn with probability ∝ D(x)².
  ///
  /// `retries` has TensorFlow's meaning (`kmeans_plus_plus_num_retries`): each step draws
  /// `1 + retries` candidates. A negative value uses scikit-learn's heuristic of
  /// `2 + ⌊ln k⌋` candidates, the default.
  case kMeansPlusPlus(retries: Int = -1)
  /// k-MC² (Bachem et al., AAAI 2016) as TensorFlow runs it: the first center is the
  /// batch's first row; each next one is the end of a Metropolis chain over the next
  /// `chainLength` rows of the batch with uniform proposals, accepting candidate j with
  /// probability min(1, D(j)²/D(current)²). The batch should be shuffled.
  case kmc2(chainLength: Int = 200)
  /// AFK-MC² (Bachem et al., NeurIPS 2016): a uniform first center c₁, then Metropolis chains
  /// of `chainLength` draws from q(x) = ½·d(x, c₁)/Σd + 1/(2n), accepting y over x with
  /// probability min(1, D(y)·q(x) / (D(x)·q(y))). Near k-means++ quality in O(n·d + k²·d·m).
  case afkmc2(chainLength: Int = 200)
  /// k-means‖ (Bahmani et al., "Scalable k-means++", VLDB 2012): `rounds` passes over all the
  /// data, each keeping every row independently with probability ∝ `oversampling`·w·D², then
  /// weighted k-means++ on the kept rows. Reads every row (not a sample), in passes, so it
  /// suits data spread over MPI ranks or streamed; the draws depend only on the seed and the
  /// row, so any number of workers seeds alike. `oversampling` nil: 2k.
  case kMeansParallel(rounds: Int = 5, oversampling: Double? = nil)
  /// A caller's function: given a batch and the number of centers still needed, it returns
  /// up to that many centers (zero is allowed); it is called again on later batches until
  /// `k` centers exist (TensorFlow's callable `initial_clusters`).
  case custom(CustomInitializer)
  /// These exact centers (`k × dimension`, stored in `Double`; `Float` centers convert exactly).
  case centers(Matrix<Double>)

  /// Given centers, from a matrix of either precision.
  public static func centers<Scalar: KMeansScalar>(_ centers: Matrix<Scalar>) -> Initialization {
    .centers(centers.converted(to: Double.self))
  }

  /// The name used on the command line and in logs.
  public var name: String {
    switch self {
    case .random: return "random"
    case .randomWithReplacement: return "random-with-replacement"
    case .kMeansPlusPlus: return "kmeans++"
    case .kmc2: return "kmc2"
    case .afkmc2: return "afk-mc2"
    case .kMeansParallel: return "kmeans||"
    case .custom: return "custom"
    case .centers: return "centers"
    }
  }

  /// The number of candidates greedy k-means++ draws per center, for `clusterCount` clusters.
  public static func kMeansPlusPlusCandidates(retries: Int, clusterCount: Int) -> Int {
    retries >= 0 ? 1 + retries : 2 + Int(log(Double(max(1, clusterCount))))
  }
}

/// A function that proposes initial centers: `(batch, remaining) -> up to remaining centers`.
///
/// Two initializers are equal only when they are the same value (closures cannot be compared).
public struct CustomInitializer: Sendable, Equatable {
  private let identity: UInt64
  /// The function: the batch (in `Double`), the number of centers still needed.
  public let propose: @Sendable (_ batch: Matrix<Double>, _ remaining: Int) throws -> Matrix<Double>

  /// Wraps `propose`.
  public init(
    _ propose:
      @escaping @Sendable (_ batch: Matrix<Double>, _ remaining: Int) throws -> Matrix<Double>
  ) {
    var random = SystemRandomNumberGenerator()
    self.identity = random.next()
    self.propose = propose
  }

  /// Whether both wrap the same function value.
  public static func == (lhs: CustomInitializer, rhs: CustomInitializer) -> Bool {
    lhs.identity == rhs.identity
  }
}

/// Everything that steers one clustering run. Every field has a documented default;
/// ``validate()`` runs before any work.
///
/// ```swift
/// var configuration = KMeansConfiguration(clusterCount: 10)
/// configuration.seed = 42
/// configuration.metric = .cosine
/// ```
public struct KMeansConfiguration: Sendable, Equatable {
  /// The number of clusters `k`. Ignored in favour of the row count of given centers.
  public var clusterCount: Int
  /// How the first centers are chosen. Default: greedy k-means++.
  public var initialization: Initialization = .kMeansPlusPlus()
  /// The distance. Default: squared Euclidean.
  public var metric: DistanceMetric = .squaredEuclidean
  /// The most Lloyd iterations per run. Default: 300 (scikit-learn's).
  public var maxIterations: Int = 300
  /// Stop when the center shift of an iteration (mini-batch: of a step), Σⱼ ‖cⱼ − cⱼ′‖², is at
  /// most `tolerance` × the mean per-feature variance of the data (scikit-learn's `tol`).
  /// `0` disables it. Default: nil, scikit-learn's defaults — 1e-4 for full batch (`KMeans`),
  /// 0 for mini-batch (`MiniBatchKMeans`).
  public var tolerance: Double? = nil

  /// The tolerance in force: ``tolerance``, or scikit-learn's default for the mode.
  public var effectiveTolerance: Double { tolerance ?? (miniBatch == nil ? 1e-4 : 0) }

  /// Stop when the loss L (Σ distances before an update) changes little:
  /// |L − L₋₁| / (1 + |L₋₁|) < `relativeTolerance` (TensorFlow's `relative_tolerance`).
  /// Default: nil (off).
  public var relativeTolerance: Double? = nil
  /// Independent runs from different seeds; the lowest inertia wins. Default: 1. Given
  /// centers always run once.
  public var restarts: Int = 1
  /// The seed of every random choice (see ``RandomSource``). Default: 0.
  public var seed: UInt64 = 0
  /// Worker threads. Default: nil, one per active core. Results do not depend on it.
  public var threadCount: Int? = nil
  /// Reproduce TensorFlow's behaviour where swift-kmeans deliberately differs: an empty
  /// full-batch cluster becomes the zero vector (sums / (count + 1e-6)) instead of taking a far
  /// point, `.random` draws with replacement, and cosine mini-batch centers with one step per
  /// iteration are not renormalised after each update. Default: false.
  public var tfCompat: Bool = false
  /// The first this-many initial centers stay fixed while the others train (FAISS's
  /// `frozen_centroids`): the way to extend an existing codebook. Usually with given
  /// centers whose first rows are the codebook. Frozen clusters still take points; they are
  /// never moved or relocated. Default: 0.
  public var frozenCenterCount: Int = 0
  /// How full-batch Lloyd finds each point's nearest center. Default: ``LloydAlgorithm/automatic``.
  public var algorithm: LloydAlgorithm = .automatic
  /// Full-batch seeding (k-means++, AFK-MC², k-MC², random) reads a seeded uniform sample of
  /// this many rows (with their weights) instead of all rows; Lloyd then runs on all rows.
  /// Greedy k-means++ on s rows costs about (2 + ln k)·s·k·d multiply-adds in k passes over
  /// the rows: on 20,000 unit rows of 384 columns at k = 100 it took 5 times as long as the
  /// Lloyd iterations after it, while a sample of a few rows per cluster finds the same structure
  /// (Lloyd on every row does the rest).
  /// nil (default): automatic — all rows while that costs at most
  /// ``seedingWorkBudget`` multiply-adds; otherwise a sample of max(2k, budget / ((2 + ln k)·k·d),
  /// s) rows, s = 256k where 256 rows a cluster cost at most two Lloyd passes of arithmetic
  /// (well-separated blobs need them: 100k × 32 at k = 64 missed a blob in 3 of 6 seeds from
  /// 21,000 rows, in none from all rows), else n / (4(2 + ln k)), about a quarter of a pass —
  /// unless that is more than an eighth of the rows, when all rows are read (a sample that
  /// saves less is not worth its risk). `Int.max`: always all rows. Never with
  /// `tfCompat`. The sample is a priority sample (Duffield et al., 2007): rows are drawn ∝
  /// weight and keep a weight that stands for the rows left out, so heavy rows are never
  /// missed. With mini-batch training, the rows the centers are seeded from, unless
  /// ``MiniBatchConfiguration/initializationSize`` is set.
  public var seedingSampleSize: Int? = nil
  /// Full-batch training on data in memory reads at most this many rows per cluster: with more
  /// than `k ×` this many rows, a seeded uniform sample of that many (without replacement,
  /// each keeping its weight) is seeded and trained on, and every row is then assigned to the
  /// trained centers (the labels, distances and inertia returned are of all rows). FAISS's
  /// `max_points_per_centroid` (FAISS's default is 256; here the default is nil: every row):
  /// the way to train large k (an IVF index's coarse quantizer) fast. Not with mini-batch,
  /// streams or MPI ranks.
  public var maxPointsPerCenter: Int? = nil
  /// Mini-batch training (TensorFlow's update rule with scikit-learn's schedule) instead of
  /// full-batch Lloyd. Default: nil (full batch).
  public var miniBatch: MiniBatchConfiguration? = nil

  /// How many rows full-batch seeding reads from `rowCount` rows (nil: all of them).
  func seedingSample(rowCount: Int, columnCount: Int) -> Int? {
    guard !tfCompat else { return nil }
    switch initialization {
    case .kMeansPlusPlus, .afkmc2, .kmc2, .random: break
    case .randomWithReplacement, .custom, .centers, .kMeansParallel: return nil
    }
    if let seedingSampleSize { return seedingSampleSize < rowCount ? seedingSampleSize : nil }
    return Self.automaticSeedingSample(
      rowCount: rowCount, clusterCount: effectiveClusterCount, columnCount: columnCount)
  }

  /// The rows automatic seeding reads (nil: all of them); see ``seedingSampleSize``.
  static func automaticSeedingSample(rowCount n: Int, clusterCount k: Int, columnCount d: Int)
    -> Int?
  {
    let steps = 2 + log(Double(k))
    let perRow = steps * Double(k) * Double(max(1, d))
    guard Double(n) * perRow > Double(seedingWorkBudget) else { return nil }
    // 256 rows a cluster where seeding them costs at most two Lloyd passes of arithmetic;
    // elsewhere (large k, few rows a cluster) about a quarter of a pass.
    let affordable = Double(256 * k) * steps <= Double(2 * n)
    let share = affordable ? 256 * k : Int((Double(n) / (4 * steps)).rounded(.up))
    let size = max(2 * k, Int(Double(seedingWorkBudget) / perRow), share)
    return 8 * size <= n ? size : nil
  }

  /// The multiply-adds automatic seeding may spend on all rows (2²⁸, a few milliseconds)
  /// before it seeds from a sample; see ``seedingSampleSize``.
  public static let seedingWorkBudget = 1 << 28

  /// Which bounds full-batch Lloyd keeps with these settings, on rows where
  /// ``LloydAlgorithm/automatic`` takes them (`automatically`: dense rows in memory) or not
  /// (sparse rows, streams), and that can keep group bounds (`groups`: dense rows) or not.
  func boundStrategy(automatically: Bool, groups: Bool) -> BoundStrategy {
    guard miniBatch == nil else { return .none }
    switch algorithm {
    case .lloyd: return .none
    case .hamerly: return .hamerly
    case .yinyang: return groups ? .yinyang : .hamerly
    case .automatic:
      guard automatically, effectiveClusterCount >= 16 else { return .none }
      return groups && effectiveClusterCount >= LloydAlgorithm.automaticYinyangClusterCount
        ? .yinyang : .hamerly
    }
  }

  /// The number of clusters from which automatic seeding used to read a sample sized for
  /// large k; automatic seeding is now sized by ``seedingWorkBudget`` for every k.
  @available(*, deprecated, message: "automatic seeding is sized by seedingWorkBudget for every k")
  public static let largeClusterCount = 512

  /// A configuration for `clusterCount` clusters with every other field at its default.
  public init(clusterCount: Int) {
    self.clusterCount = clusterCount
  }

  /// The number of clusters this configuration produces (the rows of given centers, if any).
  public var effectiveClusterCount: Int {
    if case .centers(let centers) = initialization { return centers.rowCount }
    return clusterCount
  }

  /// Checks every field that does not depend on the data, and refuses combinations that
  /// cannot work, naming them.
  /// - Throws: ``KMeansError/invalidConfiguration(_:)`` naming the field and its value.
  public func validate() throws {
    func fail(_ message: String) throws -> Never { throw KMeansError.invalidConfiguration(message) }
    if effectiveClusterCount <= 0 {
      try fail("clusterCount=\(effectiveClusterCount) must be at least 1")
    }
    if maxIterations <= 0 { try fail("maxIterations=\(maxIterations) must be at least 1") }
    if let tolerance, !(tolerance >= 0) || !tolerance.isFinite {
      try fail("tolerance=\(tolerance) must be finite and >= 0")
    }
    if let relativeTolerance, !(relativeTolerance >= 0) || !relativeTolerance.isFinite {
      try fail("relativeTolerance=\(relativeTolerance) must be finite and >= 0")
    }
    if restarts <= 0 { try fail("restarts=\(restarts) must be at least 1") }
    if let threadCount, threadCount <= 0 {
      try fail("threadCount=\(threadCount) must be at least 1")
    }
    if frozenCenterCount < 0
      || (frozenCenterCount > 0 && frozenCenterCount >= effectiveClusterCount)
    {
      try fail(
        "frozenCenterCount=\(frozenCenterCount) must be in 0..<\(effectiveClusterCount): some centers must train"
      )
    }
    if let seedingSampleSize, seedingSampleSize < effectiveClusterCount {
      try fail(
        "seedingSampleSize=\(seedingSampleSize) must be at least the cluster count \(effectiveClusterCount)"
      )
    }
    switch initialization {
    case .kmc2(let length), .afkmc2(let length):
      if length <= 0 { try fail("chainLength=\(length) must be at least 1") }
    case .kMeansParallel(let rounds, let oversampling):
      if rounds <= 0 { try fail("k-means|| rounds=\(rounds) must be at least 1") }
      if let oversampling, !(oversampling > 0) || !oversampling.isFinite {
        try fail("k-means|| oversampling=\(oversampling) must be positive")
      }
    case .centers(let centers):
      for row in 0..<centers.rowCount {
        for column in 0..<centers.columnCount where !centers[row, column].isFinite {
          try fail("initial center \(row) has a non-finite value in column \(column)")
        }
      }
    default: break
    }
    if let maxPointsPerCenter {
      if maxPointsPerCenter < 1 {
        try fail("maxPointsPerCenter must be at least 1, got \(maxPointsPerCenter)")
      }
      if miniBatch != nil {
        try fail(
          "maxPointsPerCenter with mini-batch training: mini-batch already reads a batch per step (use one or the other)"
        )
      }
    }
    if let miniBatch {
      try miniBatch.validate()
      if algorithm == .hamerly || algorithm == .yinyang {
        try fail(
          "algorithm=\(algorithm.rawValue) with mini-batch training: the bounds need full passes over the same rows (use full batch, or algorithm=lloyd)"
        )
      }
    }
  }
}
