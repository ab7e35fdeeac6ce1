/// Facts about this build of the library.
public enum KMeansLibrary {
  /// The release, in semantic versioning: what `kmeans --version`, `kmeans-mpi --version`, the
  /// C ABI's `skm_version`, ONNX files' producer version and the Python package report.
  public static let version: StaticString = "1.0.0"
}
