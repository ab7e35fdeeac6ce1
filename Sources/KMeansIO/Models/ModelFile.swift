import Foundation
import KMeans

/// A model loaded from a file whose precision is known only after reading it.
public enum AnyKMeansModel: Sendable {
  /// A model with `Float` centers.
  case float(KMeansModel<Float>)
  /// A model with `Double` centers.
  case double(KMeansModel<Double>)
}

/// Saving and loading models as JSON (`{"format": "swift-kmeans-model/1", "dtype": …}`).
public enum ModelFile {
  /// Writes `model` to `path` as pretty-printed JSON, atomically.
  public static func save<Scalar: KMeansScalar>(_ model: KMeansModel<Scalar>, to path: String)
    throws
  {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try AtomicFile.write(encoder.encode(model), to: path)
  }

  /// Reads a model saved by ``save(_:to:)``, in whichever precision it was saved.
  /// - Throws: ``KMeansError/corruptFile(path:reason:)`` when the file is not a model.
  public static func load(_ path: String) throws -> AnyKMeansModel {
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
  public static func loadCenters(_ path: String, metric: DistanceMetric = .squaredEuclidean)
    throws -> AnyKMeansModel
  {
    let data = try AtomicFile.read(path)
    let header = try NumPyFile.parseHeader(data, path: path)
    guard header.shape.count == 2, header.shape[0] > 0, header.shape[1] > 0 else {
      throw KMeansError.corruptFile(path: path, reason: "expected a k × d array of centers")
    }
    if header.type == .float64 {
      return .double(
        KMeansModel(centers: try NumPyFile.readMatrix(path, as: Double.self), metric: metric))
    }
    return .float(
      KMeansModel(centers: try NumPyFile.readMatrix(path, as: Float.self), metric: metric))
  }

  /// A model file: JSON from ``save(_:to:)``, or `.npy` centers (see ``loadCenters(_:metric:)``).
  public static func loadAny(_ path: String) throws -> AnyKMeansModel {
    path.lowercased().hasSuffix(".npy") ? try loadCenters(path) : try load(path)
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
