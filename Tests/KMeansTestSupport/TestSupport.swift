import Foundation
import KMeans
import KMeansIO

/// Paths and data shared by the tests of this bundle.
package enum TestData {
  /// The repository root, found from this file's path.
  package static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  package static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }

  /// scikit-learn's handwritten digits: 1797 × 64 features and the true digit.
  package static func digits<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (
    Matrix<Scalar>, [String]
  ) {
    var options = CSVReadOptions()
    options.labelColumn = .name("digit")
    let dataset = try CSVReader.read(path("Data/digits.csv"), options: options, as: Scalar.self)
    return (dataset.matrix, dataset.labels ?? [])
  }

  /// `rows` points around `clusters` seeded centers in [-10, 10]^d, with noise in [-1, 1].
  package static func blobs<Scalar: KMeansScalar>(
    rows: Int, dimension: Int, clusters: Int, seed: UInt64, as _: Scalar.Type = Scalar.self
  ) throws -> Matrix<Scalar> {
    var random = RandomSource(seed: seed)
    let centers = (0..<(clusters * dimension)).map { _ in random.nextUnit() * 20 - 10 }
    var values: [Scalar] = []
    values.reserveCapacity(rows * dimension)
    for _ in 0..<rows {
      let center = random.nextIndex(below: clusters)
      for column in 0..<dimension {
        values.append(Scalar(centers[center * dimension + column] + random.nextUnit() * 2 - 1))
      }
    }
    return try Matrix(rowCount: rows, columnCount: dimension, values: values)
  }
}

/// Runs `body(rank)` on `count` threads at once and waits for all of them (workers that wait
/// for each other must all run at once; Dispatch's concurrentPerform runs only as many as
/// there are cores).
package func runConcurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
  let done = DispatchGroup()
  for rank in 0..<count {
    done.enter()
    Thread.detachNewThread {
      body(rank)
      done.leave()
    }
  }
  done.wait()
}

/// Carries a pointer into concurrently running test workers, each writing its own slot.
package struct UnsafeSendableBox<Value>: @unchecked Sendable {
  package let value: Value
  package init(_ value: Value) { self.value = value }
}

/// Runs `body(rank)` for each of `count` workers on their own threads and returns the results
/// in rank order (rethrowing the first error).
package func eachWorker<Result>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Result)
  throws -> [Result]
{
  let slots = UnsafeMutableBufferPointer<Swift.Result<Result, Error>?>.allocate(capacity: count)
  slots.initialize(repeating: nil)
  defer {
    slots.deinitialize()
    slots.deallocate()
  }
  let shared = UnsafeSendableBox(slots)
  runConcurrently(count) { rank in shared.value[rank] = Swift.Result { try body(rank) } }
  return try slots.map { try $0!.get() }
}

/// One folder per test process under the temporary directory, removed when the process
/// exits: helpers that hand out a file path cannot clean up after the test, so the process does.
private let temporaryRoot: URL = {
  let root = FileManager.default.temporaryDirectory.appendingPathComponent(
    "swift-kmeans-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
  atexit { try? FileManager.default.removeItem(at: temporaryRoot) }
  return root
}()

/// A new empty directory, inside this test process's temporary folder.
package func temporaryDirectory() throws -> String {
  let directory = temporaryRoot.appendingPathComponent(UUID().uuidString)
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return directory.path
}

/// ``temporaryDirectory()`` as a file URL.
package func temporaryDirectoryURL() throws -> URL {
  URL(fileURLWithPath: try temporaryDirectory(), isDirectory: true)
}

/// A path named `name` in a new empty directory (the file is not created).
package func temporaryPath(_ name: String) throws -> String {
  URL(fileURLWithPath: try temporaryDirectory()).appendingPathComponent(name).path
}

/// Mini-batch training through the one `fit`: `configuration` with `miniBatch` set.
package func fitMiniBatch<Data: KMeansTrainable>(
  _ data: Data, weights: [Double]? = nil, configuration: KMeansConfiguration,
  miniBatch: MiniBatchConfiguration = .init()
) throws -> KMeansFitResult<Data.Scalar> {
  var settings = configuration
  settings.miniBatch = miniBatch
  return try KMeansModel.fit(data, weights: weights, configuration: settings)
}
