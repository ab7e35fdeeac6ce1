/// One Yinyang pass over a block of rows (``GroupedBoundKernel/update(_:labels:distances:bounds:geometry:scratch:gemm:)``):
/// its buffers and constants, and its steps — a row's global filter, settling a row from the
/// values of its computed groups, and the rows that fail in most groups.
package struct YinyangPass<Scalar: KMeansScalar> {
  package let block: DistanceBlock<Scalar>
  package let labels: UnsafeMutablePointer<Int32>
  package let distances: UnsafeMutablePointer<Scalar>
  package let bounds: UnsafeMutablePointer<Scalar>
  package let geometry: GroupedBoundGeometry<Scalar>
  package let laneCenter: UnsafePointer<Int32>
  package let groupPanels: UnsafePointer<Int32>
  package let groupOf: UnsafePointer<Int32>
  /// Per group: its smallest computed value, and where its values start.
  package let groupMinimum: UnsafeMutablePointer<Scalar>
  package let groupSlot: UnsafeMutablePointer<Int>
  package let t: Int
  package let d: Int
  package let width: Int
  /// The kernels' relative rounding error for this dimension, and the bounds' safety factor.
  package let rho: Scalar
  package let shrink: Scalar
  package let cosine: Bool
  /// The largest squared center norm; for cosine the spread of the norms and the smallest.
  package let largest: Scalar
  package let spread: Scalar
  package let base: Scalar

  @inlinable
  package init(
    block: DistanceBlock<Scalar>, labels: UnsafeMutablePointer<Int32>,
    distances: UnsafeMutablePointer<Scalar>, bounds: UnsafeMutablePointer<Scalar>,
    geometry: GroupedBoundGeometry<Scalar>, laneCenter: UnsafePointer<Int32>,
    groupPanels: UnsafePointer<Int32>, groupOf: UnsafePointer<Int32>,
    groupMinimum: UnsafeMutablePointer<Scalar>, groupSlot: UnsafeMutablePointer<Int>
  ) {
    self.block = block
    self.labels = labels
    self.distances = distances
    self.bounds = bounds
    self.geometry = geometry
    self.laneCenter = laneCenter
    self.groupPanels = groupPanels
    self.groupOf = groupOf
    self.groupMinimum = groupMinimum
    self.groupSlot = groupSlot
    t = geometry.groupCount
    d = block.dimension
    width = geometry.width
    rho = BoundedKernel<Scalar>.errorScale(d)
    shrink = BoundedKernel<Scalar>.shrink
    cosine = block.distance == .cosine
    let (largest, smallest) = BoundedKernel<Scalar>.normRange(block)
    self.largest = largest
    spread = cosine ? largest - smallest : 0
    base = cosine ? smallest : 0
  }

  /// Drops row `row`'s bounds by their groups' drift, then applies the global filter: nil when
  /// every bound clears the row's distance (its label and distance stand), else the threshold
  /// the group filter compares each bound with.
  @inlinable @inline(__always)
  package func failsGlobalFilter(_ row: Int, drift: UnsafePointer<Scalar>) -> Scalar? {
    let label = Int(labels[row])
    let point = block.points + row * d
    let center = block.centers + label * d
    let rowBounds = bounds + row * t
    var smallestBound = Scalar.infinity
    for group in 0..<t {
      let bound = (rowBounds[group] - drift[group]) * shrink
      rowBounds[group] = bound
      smallestBound = min(smallestBound, bound)
    }
    let squared = VectorKernels.squaredDistance(point, center, d)
    let upper = squared * (1 + rho)
    let root = upper.squareRoot()
    let normBound = root + block.centerSquaredNorms[label].squareRoot()
    let margin = 2 * rho * (normBound * normBound + largest) + spread
    let threshold = (upper + margin).squareRoot()
    if threshold < smallestBound {
      distances[row] = cosine ? max(0, 1 - VectorKernels.dot(point, center, d)) : squared
      return nil
    }
    return threshold
  }

  /// Settles row `row` from the values of its candidate groups (`values`, in group and panel
  /// order): its label, distance and the bounds of the groups computed.
  @inlinable
  package func settle(_ row: Int, values: UnsafePointer<Scalar>, candidate: UnsafePointer<Bool>) {
    let label = Int(labels[row])
    let point = block.points + row * d
    let labelGroup = Int(groupOf[label])
    // Each computed group's smallest value (padding lanes hold +∞), then the winner: the
    // smallest value, ties to the lowest center (as the fused kernel).
    var bestValue = Scalar.infinity
    var ownValue = Scalar.infinity
    if !candidate[labelGroup] {
      ownValue = GroupedBoundKernel<Scalar>.fusedValue(
        point, block.centers + label * d, dimension: d,
        norm: cosine ? 0 : block.centerSquaredNorms[label])
      bestValue = ownValue
    }
    var slot = 0
    for group in 0..<t where candidate[group] {
      let lanes = Int(groupPanels[group + 1] - groupPanels[group]) * width
      let smallestValue = GroupedBoundKernel<Scalar>.minimum(values + slot, count: lanes)
      groupMinimum[group] = smallestValue
      groupSlot[group] = slot
      bestValue = min(bestValue, smallestValue)
      slot += lanes
    }
    let (bestCenter, bestGroup) = winner(
      bestValue, own: ownValue == bestValue ? label : nil, ownGroup: labelGroup, values: values,
      candidate: candidate)
    let rowNorm = VectorKernels.dot(point, point, d)
    let error = rho * (rowNorm + largest)
    func bound(_ value: Scalar) -> Scalar {
      value.isFinite ? max(0, rowNorm + base + value - error).squareRoot() * shrink : .infinity
    }
    let rowBounds = bounds + row * t
    // New bounds of the computed groups: their best value other than the winner's.
    for group in 0..<t where candidate[group] {
      guard group == bestGroup else {
        rowBounds[group] = bound(groupMinimum[group])
        continue
      }
      let first = Int(groupPanels[group]) * width
      var smallestOther = Scalar.infinity
      for lane in 0..<(Int(groupPanels[group + 1]) * width - first)
      where laneCenter[first + lane] != bestCenter {
        smallestOther = min(smallestOther, values[groupSlot[group] + lane])
      }
      rowBounds[group] = bound(smallestOther)
    }
    if Int(bestCenter) != label {
      if !candidate[labelGroup] {
        rowBounds[labelGroup] = min(rowBounds[labelGroup], bound(ownValue))
      }
      labels[row] = bestCenter
    }
    let winner = block.centers + Int(bestCenter) * d
    distances[row] =
      cosine
      ? max(0, 1 - VectorKernels.dot(point, winner, d))
      : VectorKernels.squaredDistance(point, winner, d)
  }

  /// The center of smallest value `best` (the lowest among equals) and its group: the row's
  /// own center when it has that value, else the first lane of a computed group that does.
  @inlinable @inline(__always)
  package func winner(
    _ best: Scalar, own: Int?, ownGroup: Int, values: UnsafePointer<Scalar>,
    candidate: UnsafePointer<Bool>
  ) -> (center: Int32, group: Int) {
    var bestCenter = own.map { Int32($0) } ?? Int32.max
    var bestGroup = ownGroup
    for group in 0..<t where candidate[group] && groupMinimum[group] == best {
      let first = Int(groupPanels[group]) * width
      for lane in 0..<(Int(groupPanels[group + 1]) * width - first)
      where values[groupSlot[group] + lane] == best {
        let centerIndex = laneCenter[first + lane]
        if centerIndex >= 0 && centerIndex < bestCenter {
          bestCenter = centerIndex
          bestGroup = group
        }
        break  // lanes of a group are in center order: the first is its lowest
      }
    }
    return (bestCenter, bestGroup)
  }

  /// Settles `rows` (those failing in most groups) against every center, computing a block of
  /// rows at a time with the register-blocked kernel.
  @inlinable
  package func settleEveryGroup(
    _ rows: [Int], packed: UnsafePointer<Scalar>, packedNorms: UnsafePointer<Scalar>
  ) {
    guard !rows.isEmpty else { return }
    let group = 48
    let stride = geometry.panelCount * width
    var gathered = [Scalar](repeating: 0, count: min(group, rows.count) * d)
    var blockValues = [Scalar](repeating: 0, count: min(group, rows.count) * stride)
    let everyGroup = [Bool](repeating: true, count: t)
    var start = 0
    while start < rows.count {
      let count = min(group, rows.count - start)
      gathered.withUnsafeMutableBufferPointer { rowBuffer in
        blockValues.withUnsafeMutableBufferPointer { valueBuffer in
          for index in 0..<count {
            (rowBuffer.baseAddress! + index * d).update(
              from: block.points + rows[start + index] * d, count: d)
          }
          GroupedBoundKernel<Scalar>.computeBlockValues(
            level: geometry.level, points: rowBuffer.baseAddress!, rowCount: count,
            dimension: d, packed: packed, packedNorms: packedNorms, panels: geometry.panelCount,
            into: valueBuffer.baseAddress!)
          everyGroup.withUnsafeBufferPointer { every in
            for index in 0..<count {
              settle(
                rows[start + index], values: valueBuffer.baseAddress! + index * stride,
                candidate: every.baseAddress!)
            }
          }
        }
      }
      start += count
    }
  }
}
