import FuzzSupport

/// libFuzzer's entry point: `kmeans-estimator.json`, checked by ``ParserChecks/estimatorJSON(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.estimatorJSON(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
