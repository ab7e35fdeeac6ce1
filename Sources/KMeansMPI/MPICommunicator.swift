#if MPI
  import CMPI
  import Foundation
  import KMeans

  /// MPI_COMM_WORLD as swift-kmeans uses it: allreduce and allgather of doubles, errors
  /// returned rather than fatal, and a watchdog that ends the job with a message naming this
  /// rank when a collective does not complete within `timeout` seconds (a dead or unreachable
  /// peer).
  public final class MPICommunicator: @unchecked Sendable {
    /// This process's rank.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// Seconds a collective may take before the job is aborted.
    public let timeout: Double

    private let watch = Watch()

    /// What the watchdog thread shares with the communicator; the thread holds it strongly,
    /// so it outlives the communicator, and stops when told.
    private final class Watch: @unchecked Sendable {
      let lock = NSLock()
      var deadline: Date? = nil
      var operation = ""
      var stopped = false
    }

    /// Initializes MPI (once per process).
    public init(timeout: Double = 120) throws {
      var provided: Int32 = 0
      // MPI ignores the program's arguments (mpirun passes its settings in the environment).
      let status = MPI_Init_thread(nil, nil, kmeans_mpi_thread_funneled(), &provided)
      guard status == kmeans_mpi_success() else {
        throw KMeansError.rankFailure(rank: -1, message: "MPI_Init_thread failed (\(status))")
      }
      MPI_Comm_set_errhandler(kmeans_mpi_comm_world(), kmeans_mpi_errors_return())
      var rank: Int32 = 0
      var size: Int32 = 0
      MPI_Comm_rank(kmeans_mpi_comm_world(), &rank)
      MPI_Comm_size(kmeans_mpi_comm_world(), &size)
      self.rank = Int(rank)
      self.size = Int(size)
      self.timeout = timeout
      startWatchdog()
    }

    deinit {
      watch.lock.lock()
      watch.stopped = true
      watch.lock.unlock()
      MPI_Finalize()
    }

    /// Ends every rank of the job with `code`.
    public func abort(code: Int32) -> Never {
      MPI_Abort(kmeans_mpi_comm_world(), code)
      exit(code)
    }

    private func startWatchdog() {
      let watch = self.watch
      let rank = self.rank
      let timeout = self.timeout
      let thread = Thread {
        while true {
          Thread.sleep(forTimeInterval: 0.25)
          watch.lock.lock()
          let stopped = watch.stopped
          let expired = watch.deadline.map { Date() > $0 } ?? false
          let operation = watch.operation
          watch.lock.unlock()
          if stopped { return }
          if expired {
            FileHandle.standardError.write(
              Data(
                "kmeans-mpi: rank \(rank): no answer from the other ranks within \(timeout) s during \(operation); ending the job\n"
                  .utf8))
            MPI_Abort(kmeans_mpi_comm_world(), 3)
          }
        }
      }
      thread.start()
    }

    private func guarded<R>(_ name: String, _ body: () -> (Int32, R)) throws -> R {
      watch.lock.lock()
      watch.deadline = Date().addingTimeInterval(timeout)
      watch.operation = name
      watch.lock.unlock()
      let (status, result) = body()
      watch.lock.lock()
      watch.deadline = nil
      watch.lock.unlock()
      guard status == kmeans_mpi_success() else {
        var text = [CChar](repeating: 0, count: Int(kmeans_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        let message = String(
          decoding: text.prefix(max(0, Int(length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw KMeansError.rankFailure(rank: rank, message: "\(name) failed: \(message)")
      }
      return result
    }

    /// Element-wise sum over all ranks, in place (MPI_Allreduce).
    public func allReduceSum(_ values: inout [Double]) throws {
      let count = Int32(values.count)
      try guarded("MPI_Allreduce of \(values.count) doubles") {
        let status = MPI_Allreduce(
          kmeans_mpi_in_place(), &values, count, kmeans_mpi_double(), kmeans_mpi_sum(),
          kmeans_mpi_comm_world())
        return (status, ())
      }
    }

    /// Every rank's values, in rank order (MPI_Allgather of the lengths, then MPI_Allgatherv).
    public func allGather(_ values: [Double]) throws -> [[Double]] {
      var counts = [Int32](repeating: 0, count: size)
      var mine = Int32(values.count)
      try guarded("MPI_Allgather of lengths") {
        let status = MPI_Allgather(
          &mine, 1, kmeans_mpi_int(), &counts, 1, kmeans_mpi_int(), kmeans_mpi_comm_world())
        return (status, ())
      }
      var offsets = [Int32](repeating: 0, count: size)
      for index in 1..<max(1, size) { offsets[index] = offsets[index - 1] + counts[index - 1] }
      let total = Int(counts.reduce(0, +))
      var all = [Double](repeating: 0, count: total)
      var send = values
      try guarded("MPI_Allgatherv of \(total) doubles") {
        let status = MPI_Allgatherv(
          &send, mine, kmeans_mpi_double(), &all, counts, offsets, kmeans_mpi_double(),
          kmeans_mpi_comm_world())
        return (status, ())
      }
      return (0..<size).map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    /// Waits for every rank.
    public func barrier() throws {
      try guarded("MPI_Barrier") { (MPI_Barrier(kmeans_mpi_comm_world()), ()) }
    }
  }

  extension MPICommunicator: Collectives {
    package func sum(_ values: inout [Double]) throws { try allReduceSum(&values) }
    package func gather(_ values: [Double]) throws -> [[Double]] { try allGather(values) }
  }
#endif
