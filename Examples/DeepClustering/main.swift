// Deep embedded clustering (Xie et al. 2016) of the bundled handwritten digits, trained with
// Swift's automatic differentiation: a linear encoder (64 pixels → 10 features, started from
// the top principal components) and 10 centers (started from a k-means fit of the encoded
// digits) are trained together on DEC's loss, KL(P‖Q). Prints the adjusted Rand index against
// the true digit for k-means on the raw pixels, k-means on the initial encoding, and DEC.
//
//   swift run -c release deep-clustering [Data/digits.csv] [--epochs 60] [--seed 0]
//     [--require-ari A]   (exit 1 when deep embedded clustering's ARI is below A: CI's floor)

#if canImport(_Differentiation)
  import Foundation
  import KMeans
  import KMeansDifferentiable
  import KMeansIO
  import _Differentiation

  let arguments = CommandLine.arguments
  func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
  }
  let path = arguments.dropFirst().first { $0.hasSuffix(".csv") } ?? "Data/digits.csv"
  let epochs = option("--epochs").flatMap(Int.init) ?? 60
  let seed = option("--seed").flatMap(UInt64.init) ?? 0
  let k = 10
  let width = 10

  /// The `width` leading principal directions of the centered rows, as a `d × width` matrix
  /// (orthogonal iteration on the covariance, 100 rounds).
  func principalDirections(_ centered: Matrix<Double>, width: Int) throws -> Matrix<Double> {
    let d = centered.columnCount
    var transposed = Matrix<Double>(zerosWithRowCount: d, columnCount: centered.rowCount)
    for row in 0..<centered.rowCount {
      for column in 0..<d { transposed[column, row] = centered[row, column] }
    }
    let covariance = matrixProduct(transposed, centered)
    var random = RandomSource(seed: 7)
    var basis = try Matrix(
      rowCount: d, columnCount: width,
      values: (0..<(d * width)).map { _ in random.nextUnit() - 0.5 })
    for _ in 0..<100 {
      basis = matrixProduct(covariance, basis)
      // Gram–Schmidt on the columns.
      for column in 0..<width {
        for previous in 0..<column {
          let dot = (0..<d).reduce(0.0) { $0 + basis[$1, column] * basis[$1, previous] }
          for row in 0..<d { basis[row, column] -= dot * basis[row, previous] }
        }
        let norm = (0..<d).reduce(0.0) { $0 + basis[$1, column] * basis[$1, column] }.squareRoot()
        for row in 0..<d { basis[row, column] /= max(norm, 1e-12) }
      }
    }
    return basis
  }

  /// Adam (Kingma and Ba 2015) on a matrix parameter.
  struct Adam {
    var rate: Double
    var first: [Double] = []
    var second: [Double] = []
    var step = 0

    mutating func update(_ parameter: inout Matrix<Double>, gradient: Matrix<Double>) {
      if first.isEmpty {
        first = .init(repeating: 0, count: gradient.values.count)
        second = first
      }
      step += 1
      let g = gradient.values
      var values = parameter.values
      let correction1 = 1 - Foundation.pow(0.9, Double(step))
      let correction2 = 1 - Foundation.pow(0.999, Double(step))
      for index in values.indices {
        first[index] = 0.9 * first[index] + 0.1 * g[index]
        second[index] = 0.999 * second[index] + 0.001 * g[index] * g[index]
        values[index] -=
          rate * (first[index] / correction1) / ((second[index] / correction2).squareRoot() + 1e-8)
      }
      parameter = Matrix(
        checkedValues: values, rowCount: parameter.rowCount, columnCount: parameter.columnCount)
    }
  }

  func adjustedRandIndex(_ truth: [String], _ labels: [Int]) throws -> Double {
    try ClusteringAgreement.adjustedRandIndex(truth, labels)
  }

  do {
    var options = CSVReadOptions()
    options.labelColumn = .name("digit")
    let dataset = try CSVReader.read(path, options: options, as: Double.self)
    let pixels = dataset.matrix
    let truth = dataset.labels ?? []
    let n = pixels.rowCount

    var configuration = KMeansConfiguration(clusterCount: k)
    configuration.seed = seed
    configuration.restarts = 4
    let raw = try KMeansModel.fit(pixels, configuration: configuration)
    print(
      String(
        format: "k-means on the raw pixels:         ARI %.4f",
        try adjustedRandIndex(truth, raw.labels)))

    // The encoder starts as the projection on the top principal components (pixels scaled to
    // [0, 1], centered).
    let means = (0..<pixels.columnCount).map { column in
      (0..<n).reduce(0.0) { $0 + pixels[$1, column] } / Double(n)
    }
    var centered = pixels
    for row in 0..<n {
      for column in 0..<pixels.columnCount {
        centered[row, column] = (pixels[row, column] - means[column]) / 16
      }
    }
    var encoder = try principalDirections(centered, width: width)
    let initial = matrixProduct(centered, encoder)
    let start = try KMeansModel.fit(initial, configuration: configuration)
    print(
      String(
        format: "k-means on the initial encoding:   ARI %.4f",
        try adjustedRandIndex(truth, start.labels)))

    var centers = start.model.centers
    var encoderOptimizer = Adam(rate: 1e-3)
    var centerOptimizer = Adam(rate: 1e-3)
    var target = Matrix<Double>(zerosWithRowCount: 0, columnCount: 0)
    for epoch in 0..<epochs {
      // The target distribution is refreshed every 5 epochs (the paper's T).
      if epoch % 5 == 0 {
        let encoded = matrixProduct(centered, encoder)
        target = DeepEmbeddedClustering.targetDistribution(
          DeepEmbeddedClustering.softAssignments(embedding: encoded, centers: centers))
      }
      let fixedTarget = target
      let (loss, (towardEncoder, towardCenters)) = valueWithGradient(at: encoder, centers) {
        encoder, centers in
        DeepEmbeddedClustering.loss(
          embedding: matrixProduct(centered, encoder), centers: centers, target: fixedTarget)
      }
      encoderOptimizer.update(&encoder, gradient: towardEncoder.scaled(by: 1 / Double(n)))
      centerOptimizer.update(&centers, gradient: towardCenters.scaled(by: 1 / Double(n)))
      if epoch % 10 == 0 || epoch == epochs - 1 {
        let q = DeepEmbeddedClustering.softAssignments(
          embedding: matrixProduct(centered, encoder), centers: centers)
        let labels = (0..<n).map { row in (0..<k).max { q[row, $0] < q[row, $1] } ?? 0 }
        print(
          String(
            format: "epoch %3d: KL(P‖Q) per row %.5f, ARI %.4f", epoch, loss / Double(n),
            try adjustedRandIndex(truth, labels)))
      }
    }
    let q = DeepEmbeddedClustering.softAssignments(
      embedding: matrixProduct(centered, encoder), centers: centers)
    let labels = (0..<n).map { row in (0..<k).max { q[row, $0] < q[row, $1] } ?? 0 }
    let finalIndex = try adjustedRandIndex(truth, labels)
    print(String(format: "deep embedded clustering:          ARI %.4f", finalIndex))
    if let floor = option("--require-ari").flatMap(Double.init), finalIndex < floor {
      FileHandle.standardError.write(
        Data(
          String(
            format: "deep-clustering: ARI %.4f is below the required %.4f\n", finalIndex, floor
          )
          .utf8))
      exit(1)
    }
  } catch {
    FileHandle.standardError.write(Data("deep-clustering: \(error)\n".utf8))
    exit(1)
  }
#else
  print("deep-clustering needs a Swift toolchain with the _Differentiation module (swift.org's)")
#endif
