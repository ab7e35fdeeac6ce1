import FuzzSupport

/// libFuzzer's entry point: `.fvecs`, `.bvecs` and `.ivecs`, checked by ``ParserChecks/vecs(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.vecs(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
