import FuzzSupport

/// libFuzzer's entry point: svmlight text, whole and in batches, checked by ``ParserChecks/svmlight(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.svmlight(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
