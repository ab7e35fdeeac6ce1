/// What a training run carries from one step to the next besides the trainer's own state:
/// what the stopping rules remember. A model directory saves it with every checkpoint, so a
/// resumed run stops exactly where an uninterrupted one does.
package struct LoopState: Codable, Sendable, Equatable {
  /// The loss of the last step (the relative-tolerance rule).
  package var previousLoss: Double? = nil
  /// A fingerprint of the last full-batch labels (the labels-unchanged rule across a resume).
  package var labelFingerprint: UInt64? = nil
  /// Mini-batch: the exponentially weighted average of the per-row batch loss.
  package var smoothedLoss: Double? = nil
  /// Mini-batch: the best smoothed loss so far.
  package var bestSmoothedLoss: Double? = nil
  /// Mini-batch: steps since the smoothed loss last improved.
  package var stepsWithoutImprovement = 0
  /// Mini-batch: rows seen since starved centers were last checked.
  package var rowsSinceReassignment = 0
  /// Mini-batch: centers moved by reassignment so far.
  package var reassignedCenters = 0
  /// Why training stopped, once it has (a rule, or the caller); nil while it may continue.
  package var stopReason: StopReason? = nil

  package init() {}
}

/// A 64-bit fingerprint of labels that workers can add up: Σ over rows of a hash of (global
/// row, label), wrapping. Kept as four 16-bit limb sums, exact in `Double` (below 2³⁷ rows),
/// so a sum over workers gives the one-process value.
struct LabelFingerprint {
  var limbs = [Double](repeating: 0, count: 4)

  mutating func add(labels: ArraySlice<Int32>, firstRow: Int) {
    var sums = [UInt64](repeating: 0, count: 4)
    var row = firstRow
    for label in labels {
      let hash = mix(UInt64(truncatingIfNeeded: row) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(label))
      sums[0] &+= hash & 0xFFFF
      sums[1] &+= (hash >> 16) & 0xFFFF
      sums[2] &+= (hash >> 32) & 0xFFFF
      sums[3] &+= hash >> 48
      row += 1
    }
    for limb in 0..<4 { limbs[limb] += Double(sums[limb]) }
  }

  /// The fingerprint from (reduced) limb sums.
  static func value(_ limbs: [Double]) -> UInt64 {
    var value: UInt64 = 0
    for limb in 0..<4 { value &+= UInt64(limbs[limb]) &<< UInt64(16 * limb) }
    return value
  }
}

/// SplitMix64's finalizer: a bijective scramble of 64 bits.
@inline(__always)
func mix(_ value: UInt64) -> UInt64 {
  var z = value &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// A uniform number in (0, 1] that depends only on (seed, stream, row): the per-row draws of
/// sampling and k-means‖, the same whichever worker holds the row and however the rows are
/// split into pieces.
@inline(__always)
func unitHash(seed: UInt64, stream: Int, row: Int) -> Double {
  let key =
    mix(seed ^ (UInt64(bitPattern: Int64(stream)) &* 0xD1B5_4A32_D192_ED03))
    ^ UInt64(truncatingIfNeeded: row)
  return (Double(mix(key) >> 11) + 1) * 0x1.0p-53
}
