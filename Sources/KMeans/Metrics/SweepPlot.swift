import Foundation

/// A self-contained SVG chart of a k sweep: inertia (left axis) and silhouette (right axis)
/// against k, with the elbow and the best silhouette marked.
public enum SweepPlot {
  /// The SVG text.
  public static func svg(
    _ trials: [ClusterCountSelection.Trial], title: String, elbow: Int?, bestSilhouette: Int?
  ) -> String {
    guard let frame = Frame(trials) else { return "" }
    let (width, height) = (frame.width, frame.height)
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(width / 2)" y="28" text-anchor="middle" font-size="17" font-weight="bold">\(escape(title))</text>

      """
    svg += frame.axes()
    svg += frame.marks(elbow: elbow, bestSilhouette: bestSilhouette)
    svg += frame.curves(trials)
    svg += "</svg>\n"
    return svg
  }

  /// The chart's geometry: the plot area and the scales of k, inertia and silhouette.
  private struct Frame {
    let width = 760.0
    let height = 440.0
    let left = 90.0
    let top = 60.0
    let plotWidth: Double
    let plotHeight: Double
    let kMin: Int
    let kMax: Int
    let inertiaMax: Double
    let sMin: Double
    let sMax: Double

    init?(_ trials: [ClusterCountSelection.Trial]) {
      guard let kMin = trials.map(\.k).min(), let kMax = trials.map(\.k).max() else { return nil }
      let right = 80.0
      let bottom = 60.0
      plotWidth = width - left - right
      plotHeight = height - top - bottom
      self.kMin = kMin
      self.kMax = kMax
      inertiaMax = (trials.map(\.inertia).max() ?? 1) * 1.05
      let silhouettes = trials.map(\.silhouette)
      sMin = min(0, (silhouettes.min() ?? 0) - 0.05)
      sMax = max(0.1, (silhouettes.max() ?? 1) + 0.05)
    }

    func x(_ k: Int) -> Double {
      left + (kMax == kMin ? plotWidth / 2 : Double(k - kMin) / Double(kMax - kMin) * plotWidth)
    }
    func yInertia(_ value: Double) -> Double { top + plotHeight * (1 - value / inertiaMax) }
    func ySilhouette(_ value: Double) -> Double {
      top + plotHeight * (1 - (value - sMin) / (sMax - sMin))
    }
    func format(_ value: Double) -> String {
      if abs(value) >= 1e5 { return String(format: "%.2g", value) }
      if abs(value) >= 100 { return String(format: "%.0f", value) }
      return String(format: "%.2f", value)
    }

    /// The grid, the ticks of both axes, the frame and the axis titles.
    func axes() -> String {
      var svg = ""
      for tick in 0...5 {
        let fraction = Double(tick) / 5
        let y = top + plotHeight * (1 - fraction)
        svg +=
          "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>\n"
        svg +=
          "<text x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" fill=\"#1f5fa8\">\(format(inertiaMax * fraction))</text>\n"
        svg +=
          "<text x=\"\(left + plotWidth + 8)\" y=\"\(y + 4)\" fill=\"#c0392b\">\(format(sMin + (sMax - sMin) * fraction))</text>\n"
      }
      let step = max(1, (kMax - kMin) / 14)
      for k in stride(from: kMin, through: kMax, by: step) {
        svg +=
          "<text x=\"\(x(k))\" y=\"\(top + plotHeight + 20)\" text-anchor=\"middle\">\(k)</text>\n"
      }
      svg +=
        "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#444\"/>\n"
      svg +=
        "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">number of clusters k</text>\n"
      svg +=
        "<text transform=\"translate(22 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\" fill=\"#1f5fa8\">inertia (Σ distance to the nearest center)</text>\n"
      svg +=
        "<text transform=\"translate(\(width - 18) \(top + plotHeight / 2)) rotate(90)\" text-anchor=\"middle\" fill=\"#c0392b\">mean silhouette</text>\n"
      return svg
    }

    /// The lines at the suggested k.
    func marks(elbow: Int?, bestSilhouette: Int?) -> String {
      var svg = ""
      if let elbow {
        svg +=
          "<line x1=\"\(x(elbow))\" y1=\"\(top)\" x2=\"\(x(elbow))\" y2=\"\(top + plotHeight)\" stroke=\"#1f5fa8\" stroke-dasharray=\"6 4\"/>\n"
        svg +=
          "<text x=\"\(x(elbow) + 5)\" y=\"\(top + 16)\" fill=\"#1f5fa8\">elbow k=\(elbow)</text>\n"
      }
      if let bestSilhouette {
        svg +=
          "<line x1=\"\(x(bestSilhouette))\" y1=\"\(top)\" x2=\"\(x(bestSilhouette))\" y2=\"\(top + plotHeight)\" stroke=\"#c0392b\" stroke-dasharray=\"2 4\"/>\n"
        svg +=
          "<text x=\"\(x(bestSilhouette) + 5)\" y=\"\(top + 34)\" fill=\"#c0392b\">best silhouette k=\(bestSilhouette)</text>\n"
      }
      return svg
    }

    /// The two curves with their points, and the legend.
    func curves(_ trials: [ClusterCountSelection.Trial]) -> String {
      var svg = ""
      let inertiaPoints = trials.map { "\(x($0.k)),\(yInertia($0.inertia))" }.joined(separator: " ")
      let silhouettePoints = trials.map { "\(x($0.k)),\(ySilhouette($0.silhouette))" }.joined(
        separator: " ")
      svg +=
        "<polyline points=\"\(inertiaPoints)\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2.5\"/>\n"
      svg +=
        "<polyline points=\"\(silhouettePoints)\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2.5\"/>\n"
      for trial in trials {
        svg +=
          "<circle cx=\"\(x(trial.k))\" cy=\"\(yInertia(trial.inertia))\" r=\"4\" fill=\"#1f5fa8\"/>\n"
        svg +=
          "<rect x=\"\(x(trial.k) - 4)\" y=\"\(ySilhouette(trial.silhouette) - 4)\" width=\"8\" height=\"8\" fill=\"#c0392b\"/>\n"
      }
      svg +=
        "<circle cx=\"\(left + 16)\" cy=\"\(top + plotHeight - 36)\" r=\"4\" fill=\"#1f5fa8\"/><text x=\"\(left + 26)\" y=\"\(top + plotHeight - 32)\">inertia</text>\n"
      svg +=
        "<rect x=\"\(left + 12)\" y=\"\(top + plotHeight - 22)\" width=\"8\" height=\"8\" fill=\"#c0392b\"/><text x=\"\(left + 26)\" y=\"\(top + plotHeight - 14)\">silhouette</text>\n"
      return svg
    }
  }

  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
