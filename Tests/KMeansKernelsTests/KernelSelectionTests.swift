import CKMeansSIMD
import Foundation
import KMeansKernels
import Testing

/// The kernels a CPU supports are the ones that run: a machine with AVX-512 that ran only
/// the AVX2 kernels (or none) fails here instead of passing the kernel tests on a lesser path.
@Suite("Kernel selection")
struct KernelSelectionTests {
  #if os(Linux)
    /// The CPU's feature flags as Linux reports them (`flags` on x86-64, `Features` on ARM).
    static func cpuFlags() throws -> Set<String> {
      let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
      let line = cpuinfo.split(separator: "\n").first {
        $0.hasPrefix("flags") || $0.hasPrefix("Features")
      }
      return Set((line?.split(separator: ":").last ?? "").split(separator: " ").map(String.init))
    }
  #endif

  @Test("the fused kernel level is the best the CPU's flags allow, and the one in use")
  func levelMatchesTheCPU() throws {
    #if os(Linux)
      let flags = try Self.cpuFlags()
      #if arch(x86_64)
        let expected: Int32 =
          flags.contains("avx512f") ? 2 : flags.contains("avx2") && flags.contains("fma") ? 1 : 0
      #elseif arch(arm64)
        let expected: Int32 = 3
      #else
        let expected: Int32 = 0
      #endif
      let shown = flags.filter { ["avx2", "fma", "avx512f", "avx512_bf16", "asimd"].contains($0) }
      print(
        "kernels: CPU flags \(shown.sorted()), level \(kmeans_simd_level()), in use: "
          + "\(FusedKernel.name) (KMEANS_KERNEL=\(ProcessInfo.processInfo.environment["KMEANS_KERNEL"] ?? "unset"))"
      )
      #expect(kmeans_simd_level() == expected)
      switch ProcessInfo.processInfo.environment["KMEANS_KERNEL"] {
      case "blas": #expect(FusedKernel.level == 0)
      case "avx2": #expect(FusedKernel.level == (expected == 1 || expected == 2 ? 1 : 0))
      default: #expect(FusedKernel.level == expected)
      }
      // The bfloat16 screen runs wherever the CPU has AVX512_BF16 and no kernel is forced.
      #if arch(x86_64)
        let bfloat16 = flags.contains("avx512f") && flags.contains("avx512_bf16")
        #expect((kmeans_simd_has_bf16() != 0) == bfloat16)
        let forced = ProcessInfo.processInfo.environment["KMEANS_KERNEL"] != nil
        #expect(FusedKernel.screensWithBFloat16 == (bfloat16 && !forced))
        #expect(FusedKernel.name.hasSuffix("bfloat16 screening") == (bfloat16 && !forced))
      #endif
    #endif
  }
}
