import Foundation
import KMeans
import KMeansEstimator
import KMeansTestSupport
import Testing

/// No setting is silently ignored: for every field of ``KMeansConfiguration`` and
/// ``MiniBatchConfiguration`` and every driver, changing the field changes the result or is
/// refused with an error naming it. (The thread count and the exact-bounds algorithm are
/// checked the other way: they must change nothing but the work.) A field added to either
/// type without a line here fails the first test.
@Suite("Every setting reaches every driver")
struct ConfigurationWalkTests {
  enum Driver: String, CaseIterable, Sendable {
    case dense, sparse, stream, modelDirectory, twoWorkers
  }

  /// What a run ended with, to compare.
  struct Outcome: Equatable {
    var centers: [Double]
    var iterations: Int
    var inertia: Double
    var work: [Int?]
  }

  static let data: Matrix<Double> = {
    // swift-format-ignore: NeverUseForceTry
    let blobs = try! TestData.blobs(rows: 900, dimension: 5, clusters: 9, seed: 31, as: Double.self)
    var random = RandomSource(seed: 3)
    // A skewed copy of the blobs, so seedings and restarts land on different optima.
    let values = blobs.values.enumerated().map { index, value in
      index % 5 == 0 ? value * 3 : value + random.nextUnit()
    }
    // swift-format-ignore: NeverUseForceTry
    return try! Matrix(rowCount: 900, columnCount: 5, values: values)
  }()

  static func run(_ configuration: KMeansConfiguration, driver: Driver) throws -> Outcome {
    let data = Self.data
    func outcome(_ model: KMeansModel<Double>) -> Outcome {
      Outcome(
        centers: model.centers.values, iterations: model.iterationCount,
        inertia: model.inertia,
        work: model.iterationStatistics.map(\.fullyAssignedPoints))
    }
    switch driver {
    case .dense:
      return outcome(try KMeansModel.fit(data, configuration: configuration).model)
    case .sparse:
      return outcome(try KMeansModel.fit(SparseMatrix(data), configuration: configuration).model)
    case .stream:
      let source = MatrixBatches(data)
      return outcome(try KMeansModel.fit(source, configuration: configuration).model)
    case .modelDirectory:
      let directory = try temporaryDirectory()
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let estimator = try KMeansEstimator<Double>(
        modelDirectory: directory, configuration: EstimatorConfiguration(clustering: configuration))
      let report = try estimator.train(input: .matrix(data), maxSteps: 1_000_000)
      var model = try estimator.model()
      model.iterationCount = Int(report.finalStep)
      model.inertia = try model.score(data)
      model.iterationStatistics = report.statistics
      return outcome(model)
    case .twoWorkers:
      let group = ThreadGroup(size: 2)
      let results = try eachWorker(2) { rank in
        var run = TrainingRun<Double>(configuration: configuration)
        run.collectives = group.member(rank)
        run.rowOffset = rank * 450
        return try run.run(.dense(data.rows((rank * 450)..<((rank + 1) * 450)), weights: nil))
      }
      return outcome(results[0].model)
    }
  }

  static func base(miniBatch: Bool = false) -> KMeansConfiguration {
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.seed = 7
    configuration.threadCount = 2
    if miniBatch {
      var settings = MiniBatchConfiguration()
      settings.batchSize = 100
      configuration.miniBatch = settings
    }
    return configuration
  }

  /// Each field, and a change of it (from a base of its own when it needs one).
  static let variations: [String: (base: KMeansConfiguration, changed: KMeansConfiguration)] = {
    var result: [String: (KMeansConfiguration, KMeansConfiguration)] = [:]
    func vary(
      _ name: String, base: KMeansConfiguration = base(),
      _ change: (inout KMeansConfiguration) -> Void
    ) {
      var changed = base
      change(&changed)
      result[name] = (base, changed)
    }
    let given = Initialization.centers(data.rows(0..<6))
    vary("clusterCount") { $0.clusterCount = 5 }
    vary("initialization") { $0.initialization = .kMeansParallel() }
    vary("metric") { $0.metric = .cosine }
    vary("maxIterations") { $0.maxIterations = 2 }
    vary("tolerance") { $0.tolerance = 0.05 }
    var untilSettled = base()
    untilSettled.tolerance = 0
    untilSettled.initialization = .random
    untilSettled.seed = 5
    vary("relativeTolerance", base: untilSettled) { $0.relativeTolerance = 0.01 }
    var random = base()
    random.initialization = .random
    var short = random
    short.maxIterations = 2
    vary("restarts", base: short) { $0.restarts = 5 }
    vary("seed") { $0.seed = 8 }
    vary("tfCompat", base: random) { $0.tfCompat = true }
    var fromGiven = base()
    fromGiven.initialization = given
    vary("frozenCenterCount", base: fromGiven) { $0.frozenCenterCount = 3 }
    vary("seedingSampleSize") { $0.seedingSampleSize = 40 }
    vary("maxPointsPerCenter") { $0.maxPointsPerCenter = 40 }
    vary("miniBatch") { $0.miniBatch = MiniBatchConfiguration() }
    // Checked to change nothing but the work:
    vary("threadCount") { $0.threadCount = 1 }
    vary("algorithm") { $0.algorithm = .hamerly }
    return result
  }()

  /// The mini-batch fields, each from a mini-batch base.
  static let miniBatchVariations:
    [String: @Sendable (MiniBatchConfiguration) -> MiniBatchConfiguration] = [
      "batchSize": {
        var m = $0
        m.batchSize = 60
        return m
      },
      "stepsPerIteration": {
        var m = $0
        m.stepsPerIteration = 3
        return m
      },
      "epochs": {
        var m = $0
        m.epochs = 1
        m.maxNoImprovement = nil
        return m
      },
      "maxNoImprovement": {
        var m = $0
        m.maxNoImprovement = 2
        return m
      },
      "reassignmentRatio": {
        var m = $0
        m.reassignmentRatio = 0.9
        return m
      },
      "initializationSize": {
        var m = $0
        m.initializationSize = 20
        return m
      },
    ]

  @Test("the walk knows every field")
  func everyField() {
    let fields = Set(
      Mirror(reflecting: KMeansConfiguration(clusterCount: 1)).children.compactMap(\.label))
    #expect(fields == Set(Self.variations.keys))
    let miniBatchFields = Set(
      Mirror(reflecting: MiniBatchConfiguration()).children.compactMap(\.label))
    #expect(miniBatchFields == Set(Self.miniBatchVariations.keys))
  }

  @Test("every field changes the result or is refused, in every driver", arguments: Driver.allCases)
  func fields(driver: Driver) throws {
    for (name, variation) in Self.variations.sorted(by: { $0.key < $1.key }) {
      let base = try Self.run(variation.base, driver: driver)
      let changed: Outcome
      do {
        changed = try Self.run(variation.changed, driver: driver)
      } catch let error as KMeansError {
        // A refusal must say which setting could not be honoured.
        #expect(
          "\(error)".contains(name), "\(driver) refused \(name) without naming it: \(error)")
        continue
      }
      switch name {
      case "threadCount":
        #expect(changed == base, "\(driver): the thread count changed the result")
      case "algorithm":
        #expect(changed.centers == base.centers && changed.iterations == base.iterations)
        #expect(changed.work != base.work, "\(driver): Hamerly's bounds did no different work")
      default:
        #expect(changed != base, "\(driver): changing \(name) changed nothing")
      }
    }
  }

  @Test(
    "every mini-batch field changes the result, in every driver",
    arguments: Driver.allCases.filter { $0 != .sparse })
  func miniBatchFields(driver: Driver) throws {
    let base = Self.base(miniBatch: true)
    let reference = try Self.run(base, driver: driver)
    for (name, change) in Self.miniBatchVariations.sorted(by: { $0.key < $1.key }) {
      var changed = base
      changed.miniBatch = change(base.miniBatch ?? MiniBatchConfiguration())
      #expect(try Self.run(changed, driver: driver) != reference, "\(driver): \(name)")
    }
  }
}
