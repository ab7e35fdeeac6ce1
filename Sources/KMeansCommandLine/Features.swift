import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// The features of a data file: a dense matrix (CSV, `.npy`, `.fvecs`), one kept at its own
/// width (float16, bfloat16, uint8 or int8 `.npy`, `.bvecs`), or a sparse one (svmlight, SciPy
/// `.npz`), with what each command does to them.
package enum Features<Scalar: KMeansScalar>: KMeansTrainable {
  case dense(Matrix<Scalar>)
  case compact(CompactMatrix<Scalar>)
  case sparse(SparseMatrix<Scalar>)

  package var rowCount: Int {
    switch self {
    case .dense(let matrix): matrix.rowCount
    case .compact(let matrix): matrix.rowCount
    case .sparse(let matrix): matrix.rowCount
    }
  }

  package var columnCount: Int {
    switch self {
    case .dense(let matrix): matrix.columnCount
    case .compact(let matrix): matrix.columnCount
    case .sparse(let matrix): matrix.columnCount
    }
  }

  /// The rows, as `KMeansModel`'s `fit`, `predict`, `score` and `transform` take them.
  package var trainingRows: TrainingRows<Scalar> {
    switch self {
    case .dense(let matrix): .dense(matrix)
    case .compact(let matrix): .compact(matrix)
    case .sparse(let matrix): .sparse(matrix)
    }
  }

  /// The rows as a dense matrix (compact rows widened).
  package var denseMatrix: Matrix<Scalar>? {
    switch self {
    case .dense(let matrix): matrix
    case .compact(let matrix): matrix.widened()
    case .sparse: nil
    }
  }

  /// Training: full batch, or mini-batch with `configuration.miniBatch`.
  package func fit(
    weights: [Double]?, configuration: KMeansConfiguration, observer: TrainingObserver
  ) throws -> KMeansFitResult<Scalar> {
    try KMeansModel.fit(self, weights: weights, configuration: configuration, observer: observer)
  }

  package func predict(_ model: KMeansModel<Scalar>, threadCount: Int?) throws -> [Int] {
    try model.predict(self, threadCount: threadCount)
  }

  /// Every row's distance to every center: Euclidean (`transform`), or in the model's metric.
  package func distances(_ model: KMeansModel<Scalar>, euclidean: Bool, threadCount: Int?) throws
    -> Matrix<Scalar>
  {
    euclidean
      ? try model.transform(self, threadCount: threadCount)
      : try model.allDistances(self, threadCount: threadCount)
  }

  package func score(_ model: KMeansModel<Scalar>, weights: [Double]?, threadCount: Int?) throws
    -> Double
  {
    try model.score(self, weights: weights, threadCount: threadCount)
  }
}

extension InputOptions {
  /// A float16, bfloat16, uint8 or int8 `.npy` file, or a `.bvecs` file, kept at its own width;
  /// nil for other files.
  package func loadCompact<Scalar: KMeansScalar>(
    _: Scalar.Type, weightOptions: WeightOptions? = nil
  ) throws -> CompactMatrix<Scalar>? {
    let lowered = data.lowercased()
    guard lowered.hasSuffix(".npy") || VecsFormat(path: data) == .bvecs else { return nil }
    if columns != nil || labelColumn != nil {
      throw ValidationError("--columns and --label-column apply to CSV files only")
    }
    if weightOptions?.weightColumn != nil {
      throw ValidationError("--weight-column applies to CSV files; use --weights FILE.npy")
    }
    if lowered.hasSuffix(".npy") { return try NumPyFile.readCompact(data, as: Scalar.self) }
    return try VecsReader<Scalar>(data).readCompact()
  }

  /// File extensions read as sparse matrices.
  package static func isSparse(_ path: String) -> Bool {
    let lowered = path.lowercased()
    return [".svm", ".svmlight", ".libsvm", ".npz"].contains { lowered.hasSuffix($0) }
  }

  package var isSparse: Bool { Self.isSparse(data) }

  /// The features (dense or sparse), their column names, the labels (a CSV label column, or
  /// svmlight's first field when it holds more than one value) and the sample weights.
  package func loadFeatures<Scalar: KMeansScalar>(
    _: Scalar.Type, weightOptions: WeightOptions? = nil, featureNames: [String]? = nil,
    columnCount: Int? = nil
  ) throws -> (Features<Scalar>, names: [String]?, labels: [String]?, weights: [Double]?) {
    if let compact = try loadCompact(Scalar.self, weightOptions: weightOptions) {
      return (
        .compact(compact), nil, nil, try weightOptions?.loadFile(rowCount: compact.rowCount)
      )
    }
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

/// A data file opened for reading a piece at a time.
package enum StreamSource<Scalar: KMeansScalar> {
  case dense(any BatchSource<Scalar>)
  case sparse(any SparseBatchSource<Scalar>)
}

extension InputOptions {
  /// The data file as a stream, with the sample weights asked for: `--weight-column` from the
  /// CSV file itself, `--weights FILE` read beside it batch for batch; a `.npy` file's rows
  /// converted on `threadCount` threads (nil: one per active core).
  package func openStream<Scalar: KMeansScalar>(
    _: Scalar.Type, weightOptions: WeightOptions?, threadCount: Int?
  ) throws -> StreamSource<Scalar> {
    if isSparse {
      if columns != nil || labelColumn != nil || weightOptions?.weightColumn != nil {
        throw ValidationError(
          "--columns, --label-column and --weight-column apply to CSV files, not to sparse \(data)")
      }
      let source: any SparseBatchSource<Scalar> =
        data.lowercased().hasSuffix(".npz")
        ? SparseMatrixBatches(try SciPySparseFile.read(data, as: Scalar.self))
        : try SVMLightBatchReader<Scalar>(data)
      guard let path = weightOptions?.weights else { return .sparse(source) }
      return .sparse(try WeightedSparseBatches(source, weights: try weightStream(path)))
    }
    var options = CSVReadOptions()
    options.columns = columns
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.hasHeader = header
    if let weightColumn = weightOptions?.weightColumn {
      guard !data.lowercased().hasSuffix(".npy"), VecsFormat(path: data) == nil else {
        throw ValidationError("--weight-column applies to CSV files; use --weights FILE.npy")
      }
      options.weightColumn = CSVColumn(weightColumn)
    }
    let source = try openBatchSource(
      data, csvOptions: options,
      decodingThreadCount: threadCount ?? ProcessInfo.processInfo.activeProcessorCount,
      as: Scalar.self)
    guard let path = weightOptions?.weights else { return .dense(source) }
    return .dense(try WeightedBatches(source, weights: try weightStream(path)))
  }

  /// A weights file (a 1-D `.npy` or a one-column CSV) as a stream of one column.
  private func weightStream(_ path: String) throws -> any BatchSource<Double> {
    var options = CSVReadOptions()
    options.hasHeader = nil
    return try openBatchSource(path, csvOptions: options, as: Double.self)
  }
}
