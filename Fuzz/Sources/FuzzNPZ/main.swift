import FuzzSupport

/// libFuzzer's entry point: SciPy sparse `.npz`, checked by ``ParserChecks/npz(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.npz(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
