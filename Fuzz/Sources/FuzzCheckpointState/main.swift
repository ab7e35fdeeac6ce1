import FuzzSupport

/// libFuzzer's entry point: the `checkpoint` state file, checked by ``ParserChecks/checkpointState(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.checkpointState(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
