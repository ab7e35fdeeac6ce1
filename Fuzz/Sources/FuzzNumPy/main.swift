import FuzzSupport

/// libFuzzer's entry point: `.npy`, whole and in batches, checked by ``ParserChecks/numPy(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.numPy(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
