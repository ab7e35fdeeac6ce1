import FuzzSupport

/// libFuzzer's entry point: a TensorFlow V2 checkpoint index and data shard, checked by ``ParserChecks/checkpointIndex(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ParserChecks.checkpointIndex(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}
