import CKMeansSIMD

/// Yinyang k-means (Y. Ding, Y. Zhao, X. Shen, M. Musuvathi, T. Mytkowicz, "Yinyang K-Means: A
/// Drop-In Replacement of the Classic K-Means with Consistent Speedup", ICML 2015) for dense
/// rows, squared Euclidean and cosine: the centers are split once into `t` groups, and each row
/// keeps one lower bound per group on its distance to the group's centers (its own excluded).
/// A group's bound drops each pass by the largest shift of *its* centers (Hamerly's single
/// bound drops by the largest shift of all k, which at large k fails almost every row). A row
/// whose every bound clears its distance keeps its label (the global filter); otherwise only
/// the groups whose bounds fail are computed (the group filter).
///
/// Bound memory is `n × t` values with `t` at most ``maximumGroupCount``, whatever k is.
///
/// Exact like ``BoundedKernel``: a group is skipped only when its bound beats the row's own
/// distance by the kernels' rounding margin, and the values of the groups computed are the
/// fused kernel's own (the same fused multiply-adds in the same order), so every label is the
/// label plain Lloyd gives. Without a fused kernel (the BLAS path), failing rows are re-assigned
/// against every center by the assignment kernel, and all their bounds become the runner-up's.
package enum GroupedBoundKernel<Scalar: KMeansScalar> {
  /// The largest number of groups (and bounds per row): t = k/10 (Ding et al.) up to this.
  package static var maximumGroupCount: Int { 64 }

  /// The number of groups for `k` centers: ⌈k/10⌉, at least 1, at most ``maximumGroupCount``.
  package static func groupCount(centers k: Int) -> Int {
    max(1, min(maximumGroupCount, (k + 9) / 10))
  }

  /// The first pass: every row's label and distance as the assignment kernel gives them, and
  /// all its `groupCount` bounds set to its runner-up's (a bound on every other center).
  @inlinable
  static func firstPass(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, bounds: UnsafeMutablePointer<Scalar>,
    groupCount: Int, scratch: inout AssignmentScratch<Scalar>, gemm: MultiplyTransposed<Scalar>
  ) {
    var runnerUp = [Scalar](repeating: 0, count: block.rowCount)
    runnerUp.withUnsafeMutableBufferPointer { lower in
      BoundedKernel<Scalar>.nearestTwo(
        block, labels: labels, distances: distances, lowerBounds: lower.baseAddress!,
        scratch: &scratch, gemm: gemm)
      for row in 0..<block.rowCount {
        (bounds + row * groupCount).update(repeating: lower[row], count: groupCount)
      }
    }
  }

  /// Rows whose filters fail in more than this share of the panels are computed against every
  /// center in blocks of rows (the register-blocked kernel), the others one by one against
  /// their failing groups only.
  @inlinable
  static var blockShare: Int { 4 }

  /// One pass from the labels and bounds of the previous one. - Returns: the rows whose
  /// filters failed (some distances beyond their own computed).
  @inlinable
  static func update(
    _ block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, bounds: UnsafeMutablePointer<Scalar>,
    geometry: GroupedBoundGeometry<Scalar>, scratch: inout AssignmentScratch<Scalar>,
    gemm: MultiplyTransposed<Scalar>
  ) -> Int {
    let t = geometry.groupCount
    let totalPanels = geometry.panelCount
    let width = geometry.width
    return geometry.withBuffers { packed, packedNorms, laneCenter, groupPanels, drift, groupOf in
      // Scratch as plain pointers: the row loop below must not pay for array bookkeeping.
      let panelList = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, totalPanels))
      let values = UnsafeMutablePointer<Scalar>.allocate(capacity: max(1, totalPanels * width))
      let candidate = UnsafeMutablePointer<Bool>.allocate(capacity: t)
      let groupMinimum = UnsafeMutablePointer<Scalar>.allocate(capacity: t)
      let groupSlot = UnsafeMutablePointer<Int>.allocate(capacity: t)
      defer {
        panelList.deallocate()
        values.deallocate()
        candidate.deallocate()
        groupMinimum.deallocate()
        groupSlot.deallocate()
      }
      let pass = YinyangPass(
        block: block, labels: labels, distances: distances, bounds: bounds,
        geometry: geometry, laneCenter: laneCenter, groupPanels: groupPanels, groupOf: groupOf,
        groupMinimum: groupMinimum, groupSlot: groupSlot)
      var marked: [Int] = []
      var blockRows: [Int] = []
      var reassigned = 0
      for row in 0..<block.rowCount {
        guard let threshold = pass.failsGlobalFilter(row, drift: drift) else { continue }
        reassigned += 1
        guard geometry.level > 0 else {
          marked.append(row)
          continue
        }
        // The group filter: only groups whose bound does not clear the threshold.
        var panelCount = 0
        for group in 0..<t {
          candidate[group] = !(threshold < bounds[row * t + group])
          guard candidate[group] else { continue }
          for panel in groupPanels[group]..<groupPanels[group + 1] {
            panelList[panelCount] = panel
            panelCount += 1
          }
        }
        if panelCount * blockShare > totalPanels {
          blockRows.append(row)
          continue
        }
        computeValues(
          level: geometry.level, point: block.points + row * block.dimension,
          dimension: block.dimension, packed: packed, packedNorms: packedNorms,
          panels: panelList, count: panelCount, into: values)
        pass.settle(row, values: values, candidate: candidate)
      }
      // Rows failing in most groups: every center, a block of rows at a time.
      pass.settleEveryGroup(blockRows, packed: packed, packedNorms: packedNorms)
      guard !marked.isEmpty else { return reassigned }
      // Without a fused kernel: the failing rows against every center.
      BoundedKernel<Scalar>.reassignGathered(block, rows: marked, scratch: &scratch, gemm: gemm) {
        row, label, distance, lower in
        labels[row] = label
        distances[row] = distance
        (bounds + row * t).update(repeating: lower, count: t)
      }
      return reassigned
    }
  }

  /// The smallest of `count` values, four running minima at a time (vectorised).
  @inlinable @inline(__always)
  static func minimum(_ values: UnsafePointer<Scalar>, count: Int) -> Scalar {
    var m0 = Scalar.infinity
    var m1 = Scalar.infinity
    var m2 = Scalar.infinity
    var m3 = Scalar.infinity
    var j = 0
    while j + 4 <= count {
      m0 = values[j] < m0 ? values[j] : m0
      m1 = values[j + 1] < m1 ? values[j + 1] : m1
      m2 = values[j + 2] < m2 ? values[j + 2] : m2
      m3 = values[j + 3] < m3 ? values[j + 3] : m3
      j += 4
    }
    while j < count {
      m0 = values[j] < m0 ? values[j] : m0
      j += 1
    }
    return Swift.min(Swift.min(m0, m1), Swift.min(m2, m3))
  }

  /// ‖c‖² − 2x·c (or −2x·c) as the fused kernels compute one lane of it: fused multiply-adds
  /// from zero in dimension order, then one more with −2.
  @inlinable
  static func fusedValue(
    _ point: UnsafePointer<Scalar>, _ center: UnsafePointer<Scalar>, dimension: Int, norm: Scalar
  ) -> Scalar {
    var dot = Scalar.zero
    for j in 0..<dimension { dot = dot.addingProduct(point[j], center[j]) }
    return norm.addingProduct(-2, dot)
  }

  @inlinable
  static func computeBlockValues(
    level: Int32, points: UnsafePointer<Scalar>, rowCount: Int, dimension: Int,
    packed: UnsafePointer<Scalar>, packedNorms: UnsafePointer<Scalar>, panels: Int,
    into values: UnsafeMutablePointer<Scalar>
  ) {
    if Scalar.self == Float.self {
      kmeans_simd_block_values_f32(
        level, UnsafeRawPointer(points).assumingMemoryBound(to: Float.self), rowCount,
        Int32(dimension), UnsafeRawPointer(packed).assumingMemoryBound(to: Float.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Float.self), Int32(panels),
        UnsafeMutableRawPointer(values).assumingMemoryBound(to: Float.self))
    } else {
      kmeans_simd_block_values_f64(
        level, UnsafeRawPointer(points).assumingMemoryBound(to: Double.self), rowCount,
        Int32(dimension), UnsafeRawPointer(packed).assumingMemoryBound(to: Double.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Double.self), Int32(panels),
        UnsafeMutableRawPointer(values).assumingMemoryBound(to: Double.self))
    }
  }

  @inlinable
  static func computeValues(
    level: Int32, point: UnsafePointer<Scalar>, dimension: Int, packed: UnsafePointer<Scalar>,
    packedNorms: UnsafePointer<Scalar>, panels: UnsafePointer<Int32>, count: Int,
    into values: UnsafeMutablePointer<Scalar>
  ) {
    if Scalar.self == Float.self {
      kmeans_simd_panel_values_f32(
        level, UnsafeRawPointer(point).assumingMemoryBound(to: Float.self), Int32(dimension),
        UnsafeRawPointer(packed).assumingMemoryBound(to: Float.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Float.self), panels, Int32(count),
        UnsafeMutableRawPointer(values).assumingMemoryBound(to: Float.self))
    } else {
      kmeans_simd_panel_values_f64(
        level, UnsafeRawPointer(point).assumingMemoryBound(to: Double.self), Int32(dimension),
        UnsafeRawPointer(packed).assumingMemoryBound(to: Double.self),
        UnsafeRawPointer(packedNorms).assumingMemoryBound(to: Double.self), panels, Int32(count),
        UnsafeMutableRawPointer(values).assumingMemoryBound(to: Double.self))
    }
  }
}

/// A split of k centers into groups (Yinyang's), made once from the first centers of a run.
package struct CenterGroups: Sendable {
  /// The group of each center.
  package let groupOf: [Int32]
  /// The number of groups.
  package let count: Int

  /// Groups `centers` into `groupCount` groups by five Lloyd iterations over the centers
  /// themselves (Ding et al. §3.1), started from evenly spaced centers; an emptied group keeps
  /// its previous mean (and stays empty: its bounds never fail). Deterministic (each center's group is chosen on its own).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package init<Scalar: KMeansScalar>(
    _ centers: KernelCenters<Scalar>, groupCount: Int, threadCount: Int
  ) {
    let k = centers.count
    let d = centers.dimension
    let t = max(1, min(groupCount, k))
    var means = [Scalar](repeating: 0, count: t * d)
    for group in 0..<t {
      let source = group * k / t
      for j in 0..<d { means[group * d + j] = centers.values[source * d + j] }
    }
    var groupOf = [Int32](repeating: 0, count: k)
    for _ in 0..<5 {
      groupOf.withUnsafeMutableBufferPointer { output in
        centers.values.withUnsafeBufferPointer { values in
          means.withUnsafeBufferPointer { meanBuffer in
            let shared = UnsafeSendable(
              (output.baseAddress!, values.baseAddress!, meanBuffer.baseAddress!))
            let chunk = 256
            parallelFor(chunkCount: (k + chunk - 1) / chunk, threadCount: threadCount) { part, _ in
              let (output, values, means) = shared.value
              for center in (part * chunk)..<min(k, (part + 1) * chunk) {
                var best = Scalar.infinity
                var bestGroup = 0
                for group in 0..<t {
                  let distance = VectorKernels.squaredDistance(
                    values + center * d, means + group * d, d)
                  if distance < best {
                    best = distance
                    bestGroup = group
                  }
                }
                output[center] = Int32(bestGroup)
              }
            }
          }
        }
      }
      var sums = [Double](repeating: 0, count: t * d)
      var counts = [Int](repeating: 0, count: t)
      for center in 0..<k {
        let group = Int(groupOf[center])
        counts[group] += 1
        for j in 0..<d { sums[group * d + j] += Double(centers.values[center * d + j]) }
      }
      for group in 0..<t where counts[group] > 0 {
        for j in 0..<d {
          means[group * d + j] = Scalar(sums[group * d + j] / Double(counts[group]))
        }
      }
    }
    self.groupOf = groupOf
    self.count = t
  }
}

/// What a Yinyang pass needs of the centers: how far each group's centers moved since the
/// bounds were made (its largest shift, with a rounding margin upward), and the centers packed
/// group by group into the fused kernels' panels (so a group is computed with the same
/// arithmetic as a full pass). Made once per pass and shared by every worker.
package struct GroupedBoundGeometry<Scalar: KMeansScalar>: @unchecked Sendable {
  package let groups: CenterGroups
  package var groupCount: Int { groups.count }
  /// The largest shift of each group's centers (−∞ for an empty group).
  package let drift: [Scalar]
  /// The fused kernel level (0: none; failing rows then go through the assignment kernel).
  let level: Int32
  let width: Int
  let packed: [Scalar]
  let packedNorms: [Scalar]
  /// The center of each panel lane, −1 for padding.
  let laneCenter: [Int32]
  /// Group g's panels are `groupPanels[g] ..< groupPanels[g + 1]`.
  let groupPanels: [Int32]
  var panelCount: Int { Int(groupPanels.last ?? 0) }

  /// The geometry of `centers` for rows whose bounds were made against `previous`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  package init(
    centers: KernelCenters<Scalar>, previous: KernelCenters<Scalar>, groups: CenterGroups,
    distance: DistanceKind
  ) {
    precondition(centers.count == previous.count && centers.count == groups.groupOf.count)
    let k = centers.count
    let d = centers.dimension
    self.groups = groups
    let slack = 1 - Double(4 * (d + 8)) * Double(Scalar.ulpOfOne)
    // An empty group's bounds become +∞: it never fails a row's filter.
    var drift = [Double](repeating: -.infinity, count: groups.count)
    centers.values.withUnsafeBufferPointer { current in
      previous.values.withUnsafeBufferPointer { old in
        for center in 0..<k {
          let shift = Double(
            VectorKernels.squaredDistance(
              current.baseAddress! + center * d, old.baseAddress! + center * d, d)
          ).squareRoot()
          let group = Int(groups.groupOf[center])
          drift[group] = max(drift[group], shift)
        }
      }
    }
    self.drift = drift.map { Scalar($0 / slack) }
    let level = FusedKernel.level
    self.level = level
    let isFloat = Scalar.self == Float.self
    let width = Int(
      isFloat ? kmeans_simd_panel_width(level) : kmeans_simd_panel_width_f64(level))
    self.width = width
    guard level > 0 else {
      (packed, packedNorms, laneCenter, groupPanels) = ([], [], [], [])
      return
    }
    var members = [[Int]](repeating: [], count: groups.count)
    for center in 0..<k { members[Int(groups.groupOf[center])].append(center) }
    var groupPanels: [Int32] = [0]
    for list in members {
      groupPanels.append(groupPanels.last! + Int32((list.count + width - 1) / width))
    }
    let panels = Int(groupPanels.last!)
    var packed = [Scalar](repeating: 0, count: panels * d * width)
    var packedNorms = [Scalar](repeating: .infinity, count: panels * width)
    var laneCenter = [Int32](repeating: -1, count: panels * width)
    for (group, list) in members.enumerated() {
      for (position, center) in list.enumerated() {
        let panel = Int(groupPanels[group]) + position / width
        let lane = position % width
        for j in 0..<d {
          packed[(panel * d + j) * width + lane] = centers.values[center * d + j]
        }
        packedNorms[panel * width + lane] = distance == .cosine ? 0 : centers.squaredNorms[center]
        laneCenter[panel * width + lane] = Int32(center)
      }
    }
    (self.packed, self.packedNorms, self.laneCenter, self.groupPanels) =
      (packed, packedNorms, laneCenter, groupPanels)
  }

  @inlinable
  func withBuffers<Result>(
    _ body: (
      _ packed: UnsafePointer<Scalar>, _ packedNorms: UnsafePointer<Scalar>,
      _ laneCenter: UnsafePointer<Int32>, _ groupPanels: UnsafePointer<Int32>,
      _ drift: UnsafePointer<Scalar>, _ groupOf: UnsafePointer<Int32>
    ) -> Result
  ) -> Result {
    // Empty arrays (no fused kernel) still lend a pointer through these one-element stand-ins.
    let packed = self.packed.isEmpty ? [Scalar.zero] : self.packed
    let norms = packedNorms.isEmpty ? [Scalar.zero] : packedNorms
    let lanes = laneCenter.isEmpty ? [Int32(-1)] : laneCenter
    let panels = groupPanels.isEmpty ? [Int32(0)] : groupPanels
    return packed.withUnsafeBufferPointer { packed in
      norms.withUnsafeBufferPointer { norms in
        lanes.withUnsafeBufferPointer { lanes in
          panels.withUnsafeBufferPointer { panels in
            drift.withUnsafeBufferPointer { drift in
              groups.groupOf.withUnsafeBufferPointer { groupOf in
                body(
                  packed.baseAddress!, norms.baseAddress!, lanes.baseAddress!,
                  panels.baseAddress!, drift.baseAddress!, groupOf.baseAddress!)
              }
            }
          }
        }
      }
    }
  }
}
