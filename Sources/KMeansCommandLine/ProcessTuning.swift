#if canImport(Glibc)
  import CMalloc
#endif

/// Settings of the `kmeans` and `kmeans-mpi` processes (never of the library, whose host
/// process is the user's).
package enum ProcessTuning {
  /// Keeps freed blocks of up to 1 GiB in glibc's heap for the next allocation of their size,
  /// instead of returning each to the system (glibc maps every block above 32 MiB afresh by
  /// default, and trims the heap's top above 128 KiB): a stream's pieces and a training run's
  /// per-pass buffers then reuse pages rather than fault in and zero new ones. `--stream` over
  /// 1M × 384 float16 rows, k = 8: 1.27 s → 0.43 s a pass. A no-op elsewhere (macOS's
  /// allocator keeps large blocks itself).
  package static func reuseLargeAllocations() {
    #if canImport(Glibc)
      _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
      _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    #endif
  }
}
