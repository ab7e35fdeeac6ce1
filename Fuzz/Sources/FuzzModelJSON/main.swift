import FuzzSupport

/// libFuzzer's entry point: a model saved as JSON, checked by ``ParserChecks/modelJSON(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.modelJSON(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
