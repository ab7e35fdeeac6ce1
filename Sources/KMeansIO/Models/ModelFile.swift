import Foundation
import KMeans

/// A model loaded from a file whose precision is known only after reading it.
public enum AnyKMeansModel: Sendable {
  /// A model with `Float` centers.
  case float(KMeansModel<Float>)
  /// A model with `Double` centers.
  case double(KMeansModel<Double>)
}

/// Reading and writing models as JSON (`{"format": "swift-kmeans-model/1", "dtype": …}`), with
/// the verbs of every file format of `KMeansIO`: `read` and `write`.
public enum ModelFile {
  /// Writes `model` to `path` as pretty-printed JSON, atomically. With `hierarchy` (a
  /// bisecting k-means tree whose leaves are `model`'s centers) the file also holds the tree
  /// under `"bisecting"`, and ``readHierarchy(_:as:)`` reads it back.
  public static func write<Scalar: KMeansScalar>(
    _ model: KMeansModel<Scalar>, hierarchy: BisectingKMeansModel<Scalar>? = nil, to path: String
  ) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try AtomicFile.write(
      encoder.encode(ModelWithHierarchy(model: model, bisecting: hierarchy)), to: path)
  }

  /// The bisecting tree stored with a model by ``write(_:hierarchy:to:)``, or nil when the
  /// file has none.
  public static func readHierarchy<Scalar: KMeansScalar>(_ path: String, as _: Scalar.Type)
    throws -> BisectingKMeansModel<Scalar>?
  {
    do {
      return try JSONDecoder().decode(StoredHierarchy<Scalar>.self, from: AtomicFile.read(path))
        .bisecting
    } catch let error as DecodingError {
      throw KMeansError.corruptFile(path: path, reason: describe(error))
    }
  }

  /// The `"bisecting"` key of a model file.
  private struct StoredHierarchy<Scalar: KMeansScalar>: Decodable {
    var bisecting: BisectingKMeansModel<Scalar>?
  }

  /// A model's JSON with an optional `"bisecting"` key beside its own.
  private struct ModelWithHierarchy<Scalar: KMeansScalar>: Encodable {
    var model: KMeansModel<Scalar>
    var bisecting: BisectingKMeansModel<Scalar>?
    enum CodingKeys: String, CodingKey { case bisecting }

    func encode(to encoder: any Encoder) throws {
      try model.encode(to: encoder)
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encodeIfPresent(bisecting, forKey: .bisecting)
    }
  }

  /// Reads a model written by ``write(_:hierarchy:to:)`` (JSON), in whichever precision it was
  /// written.
  /// - Throws: `KMeansError/corruptFile(path:reason:)` when the file is not a model.
  static func readJSON(_ path: String) throws -> AnyKMeansModel {
    let data = try AtomicFile.read(path)
    struct Header: Decodable {
      var format: String?
      var dtype: String?
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
      let header = try decoder.decode(Header.self, from: data)
      guard header.format == KMeansModel<Float>.formatTag else {
        throw KMeansError.corruptFile(
          path: path,
          reason: "not a swift-kmeans model (format \(header.format ?? "missing"))")
      }
      switch header.dtype {
      case Float.dtypeName: return .float(try decoder.decode(KMeansModel<Float>.self, from: data))
      case Double.dtypeName:
        return .double(try decoder.decode(KMeansModel<Double>.self, from: data))
      default:
        throw KMeansError.corruptFile(
          path: path, reason: "unknown dtype \(header.dtype ?? "missing")")
      }
    } catch let error as KMeansError {
      if case .corruptFile = error { throw error }
      throw KMeansError.corruptFile(path: path, reason: error.description)
    } catch let error as DecodingError {
      throw KMeansError.corruptFile(path: path, reason: describe(error))
    } catch {
      throw KMeansError.corruptFile(path: path, reason: "\(error)")
    }
  }

  /// A model from a `.npy` file of centers (`k × d`, float32 or float64 kept as such; integer
  /// arrays read as float32), e.g. written by `kmeans export --centers`.
  public static func readCenters(_ path: String, metric: DistanceMetric = .squaredEuclidean)
    throws -> AnyKMeansModel
  {
    let data = try AtomicFile.read(path)
    let header = try NumPyFile.parseHeader(data, path: path)
    guard header.shape.count == 2, header.shape[0] > 0, header.shape[1] > 0 else {
      throw KMeansError.corruptFile(path: path, reason: "expected a k × d array of centers")
    }
    if header.type == .float64 {
      return .double(
        KMeansModel(centers: try NumPyFile.read(path, as: Double.self), metric: metric))
    }
    return .float(
      KMeansModel(centers: try NumPyFile.read(path, as: Float.self), metric: metric))
  }

  /// A model file, in whichever precision it was written: JSON from
  /// ``write(_:hierarchy:to:)``, or `.npy` centers (see ``readCenters(_:metric:)``).
  /// - Throws: `KMeansError/corruptFile(path:reason:)` when the file is not a model.
  public static func read(_ path: String) throws -> AnyKMeansModel {
    path.lowercased().hasSuffix(".npy") ? try readCenters(path) : try readJSON(path)
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .dataCorrupted(let context), .keyNotFound(_, let context),
      .typeMismatch(_, let context), .valueNotFound(_, let context):
      let path = context.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }
}
