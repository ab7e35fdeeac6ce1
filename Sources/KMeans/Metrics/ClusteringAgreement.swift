import Foundation

/// Agreement between two labelings of the same points.
public enum ClusteringAgreement {
  /// The adjusted Rand index (Hubert & Arabie, 1985) of two labelings: 1 for identical
  /// partitions (up to renaming), about 0 for independent ones.
  ///
  /// ARI = (Σᵢⱼ C(nᵢⱼ,2) − E) / (½(Σᵢ C(aᵢ,2) + Σⱼ C(bⱼ,2)) − E), where
  /// E = Σᵢ C(aᵢ,2) · Σⱼ C(bⱼ,2) / C(n,2), nᵢⱼ is the contingency table and aᵢ, bⱼ its sums.
  /// Matches scikit-learn's `adjusted_rand_score`.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the labelings differ in length.
  public static func adjustedRandIndex<A: Hashable, B: Hashable>(_ first: [A], _ second: [B])
    throws(KMeansError) -> Double
  {
    try checkLengths(first.count, second.count)
    let n = first.count
    guard n > 1 else { return 1 }
    let (table, rows, columns) = contingency(first, second)
    func pairs(_ count: Int) -> Double { Double(count) * Double(count - 1) / 2 }
    let index = table.values.reduce(0) { $0 + pairs($1) }
    let rowSum = rows.values.reduce(0) { $0 + pairs($1) }
    let columnSum = columns.values.reduce(0) { $0 + pairs($1) }
    let expected = rowSum * columnSum / pairs(n)
    let maximum = (rowSum + columnSum) / 2
    // Both labelings trivial (one cluster each, or all singletons): scikit-learn returns 1.
    guard maximum != expected else { return 1 }
    return (index - expected) / (maximum - expected)
  }

  /// Two labelings of the same points have one label per point each.
  private static func checkLengths(_ first: Int, _ second: Int) throws(KMeansError) {
    guard first == second else {
      throw .shapeMismatch(
        "labelings of \(first) and \(second) points; they must label the same points")
    }
  }

  /// The contingency table of two labelings and its row and column sums.
  private static func contingency<A: Hashable, B: Hashable>(_ first: [A], _ second: [B]) -> (
    [Pair<A, B>: Int], [A: Int], [B: Int]
  ) {
    var table: [Pair<A, B>: Int] = [:]
    var rows: [A: Int] = [:]
    var columns: [B: Int] = [:]
    for (a, b) in zip(first, second) {
      table[Pair(first: a, second: b), default: 0] += 1
      rows[a, default: 0] += 1
      columns[b, default: 0] += 1
    }
    return (table, rows, columns)
  }

  private struct Pair<A: Hashable, B: Hashable>: Hashable {
    var first: A
    var second: B
  }

  /// Normalized mutual information with the arithmetic mean of the entropies
  /// (scikit-learn's `normalized_mutual_info_score` default): MI(U, V) / ((H(U) + H(V)) / 2),
  /// with natural logarithms. 1 for identical partitions; 1 also when both are a single
  /// cluster.
  /// - Throws: ``KMeansError/shapeMismatch(_:)`` when the labelings differ in length.
  public static func normalizedMutualInformation<A: Hashable, B: Hashable>(
    _ first: [A], _ second: [B]
  ) throws(KMeansError) -> Double {
    try checkLengths(first.count, second.count)
    let n = Double(first.count)
    guard n > 0 else { return 1 }
    let (table, rows, columns) = contingency(first, second)
    if rows.count == 1 && columns.count == 1 { return 1 }
    func entropy<Key>(_ counts: [Key: Int]) -> Double {
      counts.values.reduce(0) { total, count in
        let p = Double(count) / n
        return total - p * Foundation.log(p)
      }
    }
    var mutual = 0.0
    for (pair, count) in table {
      let joint = Double(count) / n
      let marginals = Double(rows[pair.first] ?? 0) * Double(columns[pair.second] ?? 0) / (n * n)
      mutual += joint * Foundation.log(joint / marginals)
    }
    let normalizer = (entropy(rows) + entropy(columns)) / 2
    return normalizer > 0 ? max(0, mutual) / normalizer : 0
  }
}
