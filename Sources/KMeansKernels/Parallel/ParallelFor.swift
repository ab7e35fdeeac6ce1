import Dispatch

/// Runs `body(chunk)` for every chunk in `0..<chunkCount` on up to `threadCount` workers.
///
/// Workers take chunks from a shared counter, so the split among threads varies from run to
/// run; callers keep results deterministic by writing each chunk's output to its own slot and
/// reducing the slots in chunk order. `body` receives the worker index too, for per-worker
/// scratch buffers. BLAS is held to one thread while workers run, so it never oversubscribes.
package func parallelFor(
  chunkCount: Int, threadCount: Int,
  _ body: @Sendable (_ chunk: Int, _ worker: Int) -> Void
) {
  guard chunkCount > 0 else { return }
  let workers = max(1, min(threadCount, chunkCount))
  BLASLibrary.setThreadCount(1)
  if workers == 1 {
    for chunk in 0..<chunkCount { body(chunk, 0) }
    return
  }
  let next = LockedValue(0)
  withoutActuallyEscaping(body) { body in
    let box = UnsafeSendable(body)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      while true {
        let chunk = next.withLock { value in
          defer { value += 1 }
          return value
        }
        if chunk >= chunkCount { break }
        box.value(chunk, worker)
      }
    }
  }
}

/// Carries a value across a concurrency boundary the caller has proven safe.
package struct UnsafeSendable<Value>: @unchecked Sendable {
  package let value: Value
  package init(_ value: Value) { self.value = value }
}
