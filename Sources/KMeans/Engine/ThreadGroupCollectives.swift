import Foundation

/// Workers that are threads of one process: a stand-in for MPI ranks in tests, and the
/// reference the MPI backend must agree with. Sums add the workers' arrays in rank order, so
/// the bits depend only on the number of workers.
// Safety: every mutable field is read and written with `condition` locked.
package final class ThreadGroup: @unchecked Sendable {
  private let condition = NSCondition()
  private let size: Int
  private var deposits: [[Double]?]
  private var arrived = 0
  private var generation = 0
  private var result: [[Double]] = []

  /// A group of `size` workers.
  package init(size: Int) {
    self.size = size
    deposits = Array(repeating: nil, count: size)
  }

  /// The collectives of worker `rank`.
  package func member(_ rank: Int) -> Member { Member(group: self, rank: rank) }

  /// Deposits `values` and returns every worker's deposit once all have arrived.
  func exchange(_ values: [Double], rank: Int) -> [[Double]] {
    condition.lock()
    defer { condition.unlock() }
    let myGeneration = generation
    deposits[rank] = values
    arrived += 1
    if arrived == size {
      result = deposits.map { $0 ?? [] }
      deposits = Array(repeating: nil, count: size)
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == myGeneration { condition.wait() }
    }
    return result
  }

  /// One worker's view of the group.
  package struct Member: Collectives {
    let group: ThreadGroup
    package let rank: Int
    package var size: Int { group.size }

    package func sum(_ values: inout [Double]) throws {
      let all = group.exchange(values, rank: rank)
      var total = [Double](repeating: 0, count: values.count)
      for part in all {
        for index in 0..<total.count { total[index] += part[index] }
      }
      values = total
    }

    package func gather(_ values: [Double]) throws -> [[Double]] {
      group.exchange(values, rank: rank)
    }
  }
}
