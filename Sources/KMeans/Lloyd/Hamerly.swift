import KMeansKernels

/// What Hamerly's algorithm carries from one E-step to the next: each point's label and a
/// lower bound on its Euclidean distance to every other center, and the centers they refer to.
struct HamerlyState<Scalar: KMeansScalar>: Sendable {
  var labels: [Int32]
  var lowerBounds: [Scalar]
  var centers: Matrix<Scalar>
  /// Points re-assigned with GEMM tiles in the last E-step (the others were proven in place).
  var reassignedRows = 0
}

extension PreparedData {
  /// The E-step of Hamerly's exact algorithm: the same labels as ``assign(to:previous:)``
  /// with, once the centers settle, far fewer distances. The first call (no `state`) computes
  /// every distance and the bounds.
  ///
  /// Each iteration a point's lower bound drops by the largest shift of any other center; its
  /// exact distance e to its own (moved) center is computed; when e < max(lower bound, ½ · the
  /// distance from its center to the nearest other center) no other center can be nearer
  /// (triangle inequality) and the label stays. Bounds carry a margin for rounding.
  func hamerlyAssign(
    to centers: Matrix<Scalar>, state: inout HamerlyState<Scalar>?, previous: [Int32]?
  ) -> Assignment<Scalar> {
    let d = points.columnCount
    let k = centers.rowCount
    let prepared = PreparedCenters(centers)
    var lowerBounds = state?.lowerBounds ?? [Scalar](repeating: 0, count: points.rowCount)
    var halfGaps = [Scalar](repeating: 0, count: k)
    var otherShift = [Scalar](repeating: 0, count: k)
    let firstPass = state == nil
    if let state { (halfGaps, otherShift) = Self.centerGeometry(centers, previous: state.centers) }
    let result = points.withUnsafeElements { pointBase in
      centers.withUnsafeElements { centerBase in
        prepared.squaredNorms.withUnsafeBufferPointer { norms in
          lowerBounds.withUnsafeMutableBufferPointer { lowerBuffer in
            halfGaps.withUnsafeBufferPointer { gapBuffer in
              otherShift.withUnsafeBufferPointer { shiftBuffer in
                let shared = UnsafeSendable(
                  (
                    pointBase, centerBase, norms.baseAddress!, lowerBuffer.baseAddress!,
                    gapBuffer.baseAddress!, shiftBuffer.baseAddress!
                  ))
                // The kernel's count: the rows whose every distance was computed.
                return assignByChunks(labels: state?.labels, previous: previous) {
                  range, labels, distances, scratch in
                  let (points, centers, norms, lower, gaps, shifts) = shared.value
                  let block = DistanceBlock<Scalar>(
                    points: points + range.lowerBound * d, rowCount: range.count, dimension: d,
                    centers: centers, centerCount: k, centerSquaredNorms: norms,
                    distance: .squaredEuclidean)
                  let lowerBounds = lower + range.lowerBound
                  if firstPass {
                    Scalar._kernels.nearestTwo(block, labels, distances, lowerBounds, &scratch)
                    return range.count
                  }
                  return Scalar._kernels.boundedUpdate(
                    block, labels, distances, lowerBounds, gaps, shifts, &scratch)
                }
              }
            }
          }
        }
      }
    }
    state = HamerlyState(
      labels: result.assignment.labels, lowerBounds: lowerBounds, centers: centers,
      reassignedRows: result.counted)
    return result.assignment
  }

  /// Per center: half the exact distance to the nearest other center, and the largest shift
  /// since `previous` of any *other* center (what its points' lower bounds must drop by). Both
  /// carry a small margin for rounding, in the safe direction.
  static func centerGeometry(_ centers: Matrix<Scalar>, previous: Matrix<Scalar>) -> (
    halfGaps: [Scalar], otherShift: [Scalar]
  ) {
    let k = centers.rowCount
    let d = centers.columnCount
    let slack = 1 - Double(4 * (d + 8)) * Double(Scalar.ulpOfOne)
    var shifts = [Double](repeating: 0, count: k)
    var gaps = [Double](repeating: .infinity, count: k)
    centers.withUnsafeElements { current in
      previous.withUnsafeElements { old in
        for center in 0..<k {
          shifts[center] = Double(
            Scalar._kernels.pairDistance(
              current + center * d, old + center * d, d, .squaredEuclidean)
          ).squareRoot()
          for other in (center + 1)..<max(center + 1, k) {
            let gap = Double(
              Scalar._kernels.pairDistance(
                current + center * d, current + other * d, d, .squaredEuclidean)
            ).squareRoot()
            gaps[center] = min(gaps[center], gap)
            gaps[other] = min(gaps[other], gap)
          }
        }
      }
    }
    var largest = 0.0
    var second = 0.0
    var largestIndex = -1
    for (center, shift) in shifts.enumerated() {
      if shift > largest {
        second = largest
        largest = shift
        largestIndex = center
      } else if shift > second {
        second = shift
      }
    }
    let halfGaps = gaps.map { Scalar(0.5 * $0 * slack) }
    // Rounded up, so that the bounds only ever drop by enough.
    let otherShift = (0..<k).map { center in
      Scalar((center == largestIndex ? second : largest) / slack)
    }
    return (halfGaps, otherShift)
  }
}
