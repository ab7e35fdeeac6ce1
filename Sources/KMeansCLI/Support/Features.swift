import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// The features of a data file: a dense matrix (CSV, `.npy`, `.fvecs`) or a sparse one
/// (svmlight, SciPy `.npz`), with what each command does to them.
enum Features<Scalar: KMeansScalar> {
  case dense(Matrix<Scalar>)
  case sparse(SparseMatrix<Scalar>)

  var rowCount: Int {
    switch self {
    case .dense(let matrix): matrix.rowCount
    case .sparse(let matrix): matrix.rowCount
    }
  }

  var columnCount: Int {
    switch self {
    case .dense(let matrix): matrix.columnCount
    case .sparse(let matrix): matrix.columnCount
    }
  }

  /// Lloyd (full batch) or mini-batch training.
  func fit(
    weights: [Double]?, configuration: KMeansConfiguration,
    miniBatch: MiniBatchConfiguration?, progress: ((IterationStatistics) -> Void)?,
    stepProgress: ((Int, StepOutput<Scalar>) -> Void)?, isCancelled: (() -> Bool)?
  ) throws -> KMeansFitResult<Scalar> {
    switch (self, miniBatch) {
    case (.dense(let matrix), nil):
      return try KMeansModel.fit(
        matrix, weights: weights, configuration: configuration, progress: progress,
        isCancelled: isCancelled)
    case (.sparse(let matrix), nil):
      return try KMeansModel.fit(
        matrix, weights: weights, configuration: configuration, progress: progress,
        isCancelled: isCancelled)
    case (.dense(let matrix), let miniBatch?):
      return try MiniBatchKMeans.fit(
        matrix, weights: weights, configuration: configuration, miniBatch: miniBatch,
        progress: stepProgress, isCancelled: isCancelled)
    case (.sparse(let matrix), let miniBatch?):
      return try MiniBatchKMeans.fit(
        matrix, weights: weights, configuration: configuration, miniBatch: miniBatch,
        progress: stepProgress, isCancelled: isCancelled)
    }
  }

  func predict(_ model: KMeansModel<Scalar>, threadCount: Int?) throws -> [Int] {
    switch self {
    case .dense(let matrix): try model.predict(matrix, threadCount: threadCount)
    case .sparse(let matrix): try model.predict(matrix, threadCount: threadCount)
    }
  }

  func transform(_ model: KMeansModel<Scalar>, threadCount: Int?) throws -> Matrix<Scalar> {
    switch self {
    case .dense(let matrix): try model.transform(matrix, threadCount: threadCount)
    case .sparse(let matrix): try model.transform(matrix, threadCount: threadCount)
    }
  }

  func score(_ model: KMeansModel<Scalar>, weights: [Double]?, threadCount: Int?) throws -> Double {
    switch self {
    case .dense(let matrix):
      try model.score(matrix, weights: weights, threadCount: threadCount)
    case .sparse(let matrix):
      try model.score(matrix, weights: weights, threadCount: threadCount)
    }
  }
}

extension InputOptions {
  /// File extensions read as sparse matrices.
  static func isSparse(_ path: String) -> Bool {
    let lowered = path.lowercased()
    return [".svm", ".svmlight", ".libsvm", ".npz"].contains { lowered.hasSuffix($0) }
  }

  var isSparse: Bool { Self.isSparse(data) }

  /// The features (dense or sparse), their column names, the labels (a CSV label column, or
  /// svmlight's first field when it holds more than one value) and the sample weights.
  func loadFeatures<Scalar: KMeansScalar>(
    _: Scalar.Type, weightOptions: WeightOptions? = nil, featureNames: [String]? = nil,
    columnCount: Int? = nil
  ) throws -> (Features<Scalar>, names: [String]?, labels: [String]?, weights: [Double]?) {
    guard isSparse else {
      let (matrix, names, labels, weights) = try loadWeighted(
        Scalar.self, weightOptions: weightOptions, featureNames: featureNames)
      return (.dense(matrix), names, labels, weights)
    }
    if columns != nil || labelColumn != nil || weightOptions?.weightColumn != nil {
      throw ValidationError(
        "--columns, --label-column and --weight-column apply to CSV files, not to sparse \(data)")
    }
    let matrix: SparseMatrix<Scalar>
    var labels: [String]? = nil
    if data.lowercased().hasSuffix(".npz") {
      matrix = try SciPySparseFile.read(data, as: Scalar.self)
    } else {
      let dataset = try SVMLightFile.read(data, as: Scalar.self, columnCount: columnCount)
      matrix = dataset.matrix
      if let fileLabels = dataset.labels, Set(fileLabels).count > 1 { labels = fileLabels }
    }
    return (
      .sparse(matrix), nil, labels, try weightOptions?.loadFile(rowCount: matrix.rowCount)
    )
  }
}
