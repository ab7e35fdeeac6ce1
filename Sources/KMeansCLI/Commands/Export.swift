import ArgumentParser
import Foundation
import KMeans
import KMeansCommandLine
import KMeansIO
import KMeansInterop

extension KMeansCommand {
  /// `kmeans export`: a model for other tools: a JSON model file, `.npy` centers, a TensorFlow
  /// SavedModel or an ONNX model.
  struct Export: ParsableCommand, ModelCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Export a model (a model directory's latest, or a model file) as JSON, .npy centers, a TensorFlow SavedModel or ONNX.",
      discussion: """
        The JSON file holds the centers, the metric and the metadata; 'kmeans predict --model' \
        and ModelFile.read read it. The .npy file holds the centers alone.

        The SavedModel (a directory: saved_model.pb and variables/) has the signatures of \
        TensorFlow's k-means estimator, each fed 'input' [None, d] (float32; float64 for a \
        float64 model): serving_default and cluster_index (int64 [None]), all_distances \
        ([None, k], squared Euclidean or 1 - cos), transform (Euclidean, or 1 - cos) and score \
        ('score': the sum of the nearest distances, 'nearest_distance': [None]). \
        tf.saved_model.load and TensorFlow Serving load it; 'saved_model_cli show --all --dir \
        OUT' lists it.

        The ONNX model (opset 13) has the interface of scikit-learn's converter (skl2onnx): \
        input 'X' [N, d], outputs 'label' (int64 [N]) and 'scores' ([N, k]: Euclidean \
        distances as KMeans.transform, or 1 - cos). ONNX Runtime runs it.

        Examples:
          kmeans export --model-dir runs/digits --output digits.json --centers centers.npy
          kmeans export --model-dir runs/digits --saved-model exported/digits
          kmeans export --model digits.json --onnx digits.onnx
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .shortAndLong, help: "Write the model as JSON here.")
    var output: String?

    @Option(help: "Write the centers as .npy (or .fvecs) here.")
    var centers: String?

    @Option(
      help: ArgumentHelp(
        "Write a TensorFlow SavedModel into this directory (refused if it exists and is not empty, unless --overwrite).",
        valueName: "directory"))
    var savedModel: String?

    @Option(help: ArgumentHelp("Write an ONNX model (opset 13) here.", valueName: "file"))
    var onnx: String?

    @Flag(help: "Replace an existing SavedModel directory.")
    var overwrite = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if output == nil && centers == nil && savedModel == nil && onnx == nil {
        throw ValidationError(
          "give at least one of --output FILE.json, --centers FILE.npy, --saved-model DIR, --onnx FILE.onnx"
        )
      }
    }

    func run<Scalar: KMeansScalar>(model: KMeansModel<Scalar>, featureNames: [String]?) throws {
      if let output { try ModelFile.write(model, to: output) }
      if let centers { try writeCenters(model.centers, to: centers) }
      if let savedModel {
        try SavedModelExporter.export(model, to: savedModel, overwrite: overwrite)
      }
      if let onnx { try ONNXExporter.export(model, to: onnx) }
      if outputOptions.json {
        var summary: [String: Any] = [
          "clusters": model.clusterCount, "dimension": model.dimension, "dtype": Scalar.dtypeName,
          "metric": model.metric.rawValue, "globalStep": model.iterationCount,
        ]
        if let output { summary["model"] = output }
        if let centers { summary["centers"] = centers }
        if let savedModel {
          summary["savedModel"] = savedModel
          summary["signatures"] = SavedModelExporter.signatureKeys
        }
        if let onnx { summary["onnx"] = onnx }
        try printJSON(summary)
        return
      }
      let shape =
        "\(model.clusterCount) × \(model.dimension) \(Scalar.dtypeName) centers, \(model.metric.rawValue)"
      if let output { print("wrote \(output) (\(shape))") }
      if let centers { print("wrote \(centers)") }
      if let savedModel {
        print(
          "wrote \(savedModel) (SavedModel, tag 'serve', signatures \(SavedModelExporter.signatureKeys.joined(separator: ", ")); \(shape))"
        )
      }
      if let onnx {
        print(
          "wrote \(onnx) (ONNX opset \(ONNXExporter.opsetVersion): X → label, scores; \(shape))")
      }
    }
  }
}
