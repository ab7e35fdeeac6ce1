import FuzzSupport

/// libFuzzer's entry point: CSV, whole file and in blocks, checked by ``ParserChecks/csv(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.csv(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
