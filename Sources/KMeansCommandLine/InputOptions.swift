import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// How the data file is read: shared by every subcommand.
package struct InputOptions: ParsableArguments {
  package init() {}

  @Argument(
    help: ArgumentHelp(
      "The data: CSV (header optional), NumPy .npy (2-D), .fvecs/.bvecs/.ivecs, or sparse svmlight (.svm, .svmlight, .libsvm) and SciPy CSR .npz.",
      discussion:
        "float16, bfloat16, uint8 and int8 .npy files and .bvecs files are kept in memory at their own width and widened as they are read: the float32 file's results in half or a quarter of its memory."
    )
  )
  package var data: String

  @Option(
    help: ArgumentHelp(
      "Feature columns of a CSV file, by name or 0-based index, comma-separated.",
      discussion: "Default: every column except the --label-column."),
    transform: { $0.split(separator: ",").map { CSVColumn(String($0)) } })
  package var columns: [CSVColumn]?

  @Option(
    name: [.customLong("label-column"), .customLong("labels")],
    help: "A CSV column of true labels: left out of the features, used to report agreement.")
  package var labelColumn: String?

  @Flag(
    inversion: .prefixedNo,
    help: "Whether the CSV file's first line is a header (default: detected).")
  package var header: Bool?

  /// The features, their column names (CSV with a header), and the labels.
  package func loadNamed<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (
    Matrix<Scalar>, names: [String]?, labels: [String]?
  ) {
    if data.lowercased().hasSuffix(".npy") || VecsFormat(path: data) != nil {
      let (matrix, labels) = try load(Scalar.self)
      return (matrix, nil, labels)
    }
    var options = CSVReadOptions()
    options.columns = columns
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.hasHeader = header
    let dataset = try CSVReader.read(data, options: options, as: Scalar.self)
    return (dataset.matrix, dataset.hasHeader ? dataset.columnNames : nil, dataset.labels)
  }

  /// The features, and the labels when a label column was named.
  package func load<Scalar: KMeansScalar>(_: Scalar.Type) throws -> (Matrix<Scalar>, [String]?) {
    if Self.isSparse(data) {
      throw ValidationError(
        "\(data) is sparse: train, predict, score and transform read it; this command needs dense data"
      )
    }
    if VecsFormat(path: data) != nil {
      if columns != nil || labelColumn != nil {
        throw ValidationError("--columns and --label-column apply to CSV files only")
      }
      return (try VecsReader<Scalar>(data).readAll(), nil)
    }
    if data.lowercased().hasSuffix(".npy") {
      if columns != nil || labelColumn != nil {
        throw ValidationError("--columns and --label-column apply to CSV files only")
      }
      return (try NumPyFile.read(data, as: Scalar.self), nil)
    }
    var options = CSVReadOptions()
    options.columns = columns
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.hasHeader = header
    let dataset = try CSVReader.read(data, options: options, as: Scalar.self)
    return (dataset.matrix, dataset.labels)
  }
}

extension InputOptions {
  /// The features in the model's column order: with no --columns, a model trained on named
  /// columns selects the same names from a CSV file.
  package func load<Scalar: KMeansScalar>(_: Scalar.Type, featureNames: [String]?) throws -> (
    Matrix<Scalar>, [String]?
  ) {
    guard columns == nil, let featureNames, !data.lowercased().hasSuffix(".npy") else {
      return try load(Scalar.self)
    }
    var copy = self
    copy.columns = featureNames.map(CSVColumn.name)
    return try copy.load(Scalar.self)
  }
}
