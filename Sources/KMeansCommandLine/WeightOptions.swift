import ArgumentParser
import Foundation
import KMeans
import KMeansIO

/// Sample weights for `train` and `score`: a separate file, or a column of the CSV file.
package struct WeightOptions: ParsableArguments {
  package init() {}

  @Option(
    help: ArgumentHelp(
      "Sample weights: a 1-D .npy file (float or int) or a one-column CSV file, one weight per row.",
      discussion:
        "Weights must be finite and >= 0 and not all zero; a row of weight w counts w times.",
      valueName: "FILE"))
  package var weights: String?

  @Option(help: "A CSV column holding each row's sample weight (left out of the features).")
  package var weightColumn: String?

  package func validate() throws {
    if weights != nil && weightColumn != nil {
      throw ValidationError("give --weights or --weight-column, not both")
    }
  }

  package var isEnabled: Bool { weights != nil || weightColumn != nil }

  /// The weights from `--weights FILE`, checked against the row count (nil without the option).
  package func loadFile(rowCount: Int) throws -> [Double]? {
    guard let path = weights else { return nil }
    let values: [Double]
    if path.lowercased().hasSuffix(".npy") {
      let matrix = try NumPyFile.read(path, as: Double.self)
      guard matrix.columnCount == 1 else {
        throw ValidationError(
          "\(path): expected one weight per row (a 1-D array), got \(matrix.rowCount) × \(matrix.columnCount)"
        )
      }
      values = matrix.values
    } else {
      var options = CSVReadOptions()
      options.hasHeader = nil
      let dataset = try CSVReader.read(path, options: options, as: Double.self)
      guard dataset.matrix.columnCount == 1 else {
        throw ValidationError(
          "\(path): expected one column of weights, found \(dataset.matrix.columnCount)")
      }
      values = dataset.matrix.values
    }
    guard values.count == rowCount else {
      throw ValidationError("\(path) holds \(values.count) weights for \(rowCount) data rows")
    }
    if let bad = values.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
      throw ValidationError(
        "\(path): weight \(values[bad]) at row \(bad) (0-based): weights must be finite and >= 0")
    }
    return values
  }
}

extension InputOptions {
  /// The features (with their column names when the file has a header), the labels, and the
  /// sample weights asked for by `weightOptions` (none without it).
  package func loadWeighted<Scalar: KMeansScalar>(
    _: Scalar.Type, weightOptions: WeightOptions?, featureNames: [String]? = nil
  ) throws -> (Matrix<Scalar>, names: [String]?, labels: [String]?, weights: [Double]?) {
    guard let weightColumn = weightOptions?.weightColumn else {
      if let featureNames {
        let (matrix, labels) = try load(Scalar.self, featureNames: featureNames)
        return (
          matrix, featureNames, labels, try weightOptions?.loadFile(rowCount: matrix.rowCount)
        )
      }
      let (matrix, names, labels) = try loadNamed(Scalar.self)
      return (matrix, names, labels, try weightOptions?.loadFile(rowCount: matrix.rowCount))
    }
    guard !data.lowercased().hasSuffix(".npy"), VecsFormat(path: data) == nil else {
      throw ValidationError("--weight-column applies to CSV files; use --weights FILE.npy")
    }
    var options = CSVReadOptions()
    options.columns = columns ?? featureNames?.map(CSVColumn.name)
    options.labelColumn = labelColumn.map(CSVColumn.init)
    options.weightColumn = CSVColumn(weightColumn)
    options.hasHeader = header
    let dataset = try CSVReader.read(data, options: options, as: Scalar.self)
    return (
      dataset.matrix, dataset.hasHeader ? dataset.columnNames : nil, dataset.labels,
      dataset.weights
    )
  }
}
