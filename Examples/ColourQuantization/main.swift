// Colour quantisation with k-means: the pixels of a binary PPM (P6) image are points in RGB
// space; their k centers become the palette.
//
//   swift run -c release colour-quantization INPUT.ppm OUTPUT.ppm [K] [--seed S]

import Foundation
import KMeans

/// A binary PPM image: width, height and RGB bytes.
struct PPMImage {
  var width: Int
  var height: Int
  var pixels: [UInt8]

  /// Reads a P6 file with maxval 255 (comments allowed in the header).
  init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot read the file")
    }
    let bytes = [UInt8](data)
    var position = 0
    func token() throws -> String {
      while position < bytes.count {
        if bytes[position] == UInt8(ascii: "#") {
          while position < bytes.count && bytes[position] != 10 { position += 1 }
        } else if bytes[position] <= 32 {
          position += 1
        } else {
          break
        }
      }
      let start = position
      while position < bytes.count && bytes[position] > 32 { position += 1 }
      guard position > start else {
        throw KMeansError.corruptFile(path: path, reason: "truncated header")
      }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }
    guard try token() == "P6" else {
      throw KMeansError.unsupportedFormat(path: path, reason: "not a binary PPM (P6)")
    }
    guard let width = Int(try token()), let height = Int(try token()), try token() == "255" else {
      throw KMeansError.corruptFile(path: path, reason: "bad size or maxval (must be 255)")
    }
    position += 1  // The single whitespace after maxval.
    guard bytes.count - position >= width * height * 3 else {
      throw KMeansError.corruptFile(path: path, reason: "fewer pixels than \(width) × \(height)")
    }
    self.width = width
    self.height = height
    self.pixels = Array(bytes[position..<(position + width * height * 3)])
  }

  init(width: Int, height: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  func write(to path: String) throws {
    var data = Data("P6\n\(width) \(height)\n255\n".utf8)
    data.append(contentsOf: pixels)
    guard FileManager.default.createFile(atPath: path, contents: data) else {
      throw KMeansError.fileUnreadable(path: path, reason: "cannot write the file")
    }
  }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  print("usage: colour-quantization INPUT.ppm OUTPUT.ppm [K] [--seed S]")
  exit(64)
}
do {
  let image = try PPMImage(path: arguments[1])
  let k = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16
  let seed = arguments.firstIndex(of: "--seed").flatMap { UInt64(arguments[$0 + 1]) } ?? 0
  // One row per pixel, columns R, G, B in [0, 1].
  let points = try Matrix<Float>(
    rowCount: image.width * image.height, columnCount: 3,
    values: image.pixels.map { Float($0) / 255 })
  var configuration = KMeansConfiguration(clusterCount: k)
  configuration.seed = seed
  let result = try KMeansModel.fit(points, configuration: configuration)
  let palette = (0..<k).map { cluster in
    (0..<3).map { UInt8((result.model.centers[cluster, $0] * 255).rounded().clamped(to: 0...255)) }
  }
  var output = [UInt8]()
  output.reserveCapacity(image.pixels.count)
  for label in result.labels { output += palette[label] }
  try PPMImage(width: image.width, height: image.height, pixels: output).write(to: arguments[2])
  let sizes = result.labels.reduce(into: [Int](repeating: 0, count: k)) { $0[$1] += 1 }
  print(
    "\(image.width) × \(image.height) pixels → \(k) colours in \(result.model.iterationCount) iterations"
  )
  print(
    "mean squared error per pixel (RGB in 0…1): \(result.model.inertia / Double(points.rowCount))")
  for (cluster, colour) in palette.enumerated() {
    let hex = colour.map { String(format: "%02x", $0) }.joined()
    print("  #\(hex)  \(sizes[cluster]) pixels")
  }
  print("wrote \(arguments[2])")
} catch {
  print("error: \(error)")
  exit(1)
}

extension Float {
  fileprivate func clamped(to range: ClosedRange<Float>) -> Float {
    Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
  }
}
