import KMeans
import KMeansKernels
import KMeansTestSupport
import Testing

@Suite("Matrices that read a caller's memory in place")
struct BorrowedMatrixTests {
  @Test("a borrowed matrix trains, seeds and predicts as the same values owned", arguments: [1, 2])
  func sameResults(threads: Int) throws {
    let owned = try KMeansTestSupport.TestData.blobs(
      rows: 3_000, dimension: 5, clusters: 6, seed: 11, as: Double.self)
    var configuration = KMeansConfiguration(clusterCount: 6)
    configuration.threadCount = threads
    configuration.restarts = 2
    let expected = try KMeansModel.fit(owned, configuration: configuration)
    let values = owned.values
    try values.withUnsafeBufferPointer { buffer in
      let borrowed = Matrix(
        borrowing: BorrowedValues(base: buffer.baseAddress!, count: buffer.count),
        rowCount: owned.rowCount, columnCount: owned.columnCount)
      #expect(borrowed == owned)
      #expect(borrowed.rows(10..<20) == owned.rows(10..<20))
      let fitted = try KMeansModel.fit(borrowed, configuration: configuration)
      #expect(fitted.model.centers == expected.model.centers)
      #expect(fitted.labels == expected.labels)
      #expect(try fitted.model.predict(borrowed) == expected.labels)
      let seeded = try KMeansModel.initialCenters(borrowed, configuration: configuration)
      #expect(seeded == (try KMeansModel.initialCenters(owned, configuration: configuration)))
    }
  }

  @Test("writing an element copies the borrowed values first")
  func writesCopy() {
    var values: [Double] = [1, 2, 3, 4, 5, 6]
    values.withUnsafeMutableBufferPointer { buffer in
      var matrix = Matrix(
        borrowing: BorrowedValues(base: UnsafePointer(buffer.baseAddress!), count: 6),
        rowCount: 3, columnCount: 2)
      var view = matrix.rows(1..<3)
      view[0, 1] = 40
      matrix[2, 0] = 50
      #expect(view.values == [3, 40, 5, 6])
      #expect(matrix.values == [1, 2, 3, 4, 50, 6])
      #expect(Array(buffer) == [1, 2, 3, 4, 5, 6])
    }
    #expect(values == [1, 2, 3, 4, 5, 6])
  }

  @Test("a CSR matrix over a caller's indices and values trains as the copied one")
  func borrowedSparse() throws {
    let dense = try KMeansTestSupport.TestData.blobs(
      rows: 2_000, dimension: 8, clusters: 5, seed: 3, as: Float.self)
    let owned = SparseMatrix(dense)
    var configuration = KMeansConfiguration(clusterCount: 5)
    configuration.threadCount = 2
    let expected = try KMeansModel.fit(owned, configuration: configuration)
    let indices = owned.columnIndices
    let values = owned.values
    try indices.withUnsafeBufferPointer { indexBuffer in
      try values.withUnsafeBufferPointer { valueBuffer in
        let borrowed = try SparseMatrix(
          rowCount: owned.rowCount, columnCount: owned.columnCount, rowOffsets: owned.rowOffsets,
          borrowingIndices: BorrowedValues(base: indexBuffer.baseAddress!, count: indices.count),
          values: BorrowedValues(base: valueBuffer.baseAddress!, count: values.count))
        #expect(borrowed == owned)
        let fitted = try KMeansModel.fit(borrowed, configuration: configuration)
        #expect(fitted.model.centers == expected.model.centers)
        #expect(fitted.labels == expected.labels)
        var cosine = configuration
        cosine.metric = .cosine
        #expect(
          try KMeansModel.fit(borrowed, configuration: cosine).labels
            == KMeansModel.fit(owned, configuration: cosine).labels)
      }
    }
  }

  @Test("a borrowed CSR matrix is checked as the copying initializer checks")
  func borrowedSparseChecks() {
    let indices: [Int32] = [0, 5, 1]
    let values: [Double] = [1, 2, .nan]
    indices.withUnsafeBufferPointer { indexBuffer in
      values.withUnsafeBufferPointer { valueBuffer in
        let borrowedIndices = BorrowedValues(base: indexBuffer.baseAddress!, count: 3)
        let borrowedValues = BorrowedValues(base: valueBuffer.baseAddress!, count: 3)
        for (offsets, columns) in [
          ([0, 2, 3], 4), ([0, 3, 2], 8), ([0, 1, 4], 8), ([0, 2, 3], 8),
        ] {
          #expect(throws: KMeansError.self) {
            try SparseMatrix(
              rowCount: 2, columnCount: columns, rowOffsets: offsets,
              borrowingIndices: borrowedIndices, values: borrowedValues)
          }
        }
      }
    }
  }
}
