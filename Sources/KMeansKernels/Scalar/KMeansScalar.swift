/// A floating-point type that swift-kmeans computes in: `Float` or `Double`.
///
/// Generic code in the package reaches the hot loops through ``_kernels``, a table of functions
/// built in each concrete conformance, so every loop runs specialised for its precision even
/// when the caller is generic.
public protocol KMeansScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable,
  LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
  /// The name NumPy and TensorFlow use for this type: `"float32"` or `"float64"`.
  static var dtypeName: String { get }

  /// The specialised kernels for this precision. Not public API: the leading underscore marks
  /// an implementation detail that may change in any release.
  static var _kernels: _KernelTable<Self> { get }
}

extension Float: KMeansScalar {
  /// `"float32"`.
  public static var dtypeName: String { "float32" }

  /// The kernels specialised for `Float`, calling `cblas_sgemm`.
  public static let _kernels = _KernelTable<Float>(
    multiplyTransposed: blasFloatMultiplyTransposed)
}

extension Double: KMeansScalar {
  /// `"float64"`.
  public static var dtypeName: String { "float64" }

  /// The kernels specialised for `Double`, calling `cblas_dgemm`.
  public static let _kernels = _KernelTable<Double>(
    multiplyTransposed: blasDoubleMultiplyTransposed)
}
