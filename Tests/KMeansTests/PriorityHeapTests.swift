import Testing

@testable import KMeans

/// The weighted sample's selection of the best keys (a buffer cut back by quickselect) keeps
/// exactly what a full sort keeps, at every capacity, with equal priorities broken by row.
@Suite("The sample's best keys")
struct PriorityHeapTests {
  /// Seeded priorities in few distinct values (many ties), rows shuffled.
  static func entries(count: Int, seed: UInt64) -> [PriorityHeap.Entry] {
    var random = RandomSource(seed: seed)
    func next() -> UInt64 { random.next() }
    var rows = Array(0..<count)
    for index in stride(from: count - 1, to: 0, by: -1) {
      rows.swapAt(index, Int(next() % UInt64(index + 1)))
    }
    return rows.map {
      PriorityHeap.Entry(priority: Double(next() % 97), row: $0, weight: Double($0 % 5) + 1)
    }
  }

  @Test(
    "the kept entries are the best by priority, then the lower row",
    arguments: [
      (1, 1), (5, 1), (5, 4), (100, 7), (1_000, 1), (1_000, 300), (1_000, 999),
      (1_000, 1_000), (1_000, 2_000), (20_000, 4_097),
    ])
  func keepsTheBest(count: Int, capacity: Int) {
    let all = Self.entries(count: count, seed: UInt64(count * 31 + capacity))
    var heap = PriorityHeap(capacity: capacity)
    for entry in all { heap.insert(priority: entry.priority, row: entry.row, weight: entry.weight) }
    let expected = all.sorted(by: PriorityHeap.Entry.isBetter).prefix(capacity)
    let kept = heap.entries.sorted(by: PriorityHeap.Entry.isBetter)
    #expect(kept.map(\.row) == expected.map(\.row))
    #expect(kept.map(\.weight) == expected.map(\.weight))
  }

  @Test("selection puts the best first and the worst of them last", arguments: [1, 2, 50, 999])
  func selection(count: Int) {
    var entries = Self.entries(count: 1_000, seed: UInt64(count))
    let sorted = entries.sorted(by: PriorityHeap.Entry.isBetter)
    PriorityHeap.selectBest(&entries, count: count)
    #expect(Set(entries.prefix(count).map(\.row)) == Set(sorted.prefix(count).map(\.row)))
    #expect(entries[count - 1].row == sorted[count - 1].row)
  }
}
