import MedaugTestSupport
import XCTest
import MedaugSupport
@testable import MedaugKernels

final class GemmTests: XCTestCase {
    /// op(A)·op(B) (+ C) for all four transpose combinations, on shapes that
    /// split by columns and by rows at two threads, and narrow ones (≤ 32
    /// columns: the strips kernel, one or two vectors, row tails), one
    /// column (matrix–vector), k = 1 (rank-1 update) and k ≤ 16 with B
    /// transposed (a weight gradient over few pixels: the strips kernel over
    /// packed Bᵀ, strips with a tail), and n ≤ 16 with A transposed (Cᵀ =
    /// Bᵀ·A on the strips kernel in blocks of 32 rows of A, with a tail),
    /// against a Double loop.
    func testAllTransposesMatchNaiveProduct() throws {
        try forEachTier(running: .strips) { _ in try allTransposesMatchNaiveProduct() }
    }

    func allTransposesMatchNaiveProduct() throws {
        var rng = TestRandom(seed: 131)
        let shapes = [(13, 37, 9), (40, 20, 7), (3, 5, 1), (17, 16, 40), (9, 1, 300), (24, 32, 11), (150, 1, 33),
                      (50, 40, 1), (13, 70, 16), (17, 33, 4), (70, 7, 100)]
        for (m, n, k) in shapes {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    for threads in [1, 2] {
                        for accumulate in [false, true] {
                            let a = rng.normals(m * k), b = rng.normals(k * n), start = rng.normals(m * n)
                            let lda = transposeA ? m : k, ldb = transposeB ? k : n
                            var c = start
                            Gemm.multiply(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA,
                                          b: b, ldb: ldb, transposeB: transposeB, c: &c, ldc: n,
                                          accumulate: accumulate, threads: threads)
                            var worst: Double = 0
                            for i in 0..<m {
                                for j in 0..<n {
                                    var sum = accumulate ? Double(start[i * n + j]) : 0
                                    for p in 0..<k {
                                        let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                                        let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                                        sum += Double(x) * Double(y)
                                    }
                                    worst = max(worst, abs(sum - Double(c[i * n + j])))
                                }
                            }
                            XCTAssertLessThan(worst, 1e-4, "m \(m) n \(n) k \(k) transposeA \(transposeA) "
                                              + "transposeB \(transposeB) threads \(threads) accumulate \(accumulate)")
                        }
                    }
                }
            }
        }
    }

    /// Every element of a column-exact product has the bits it has when its
    /// column is multiplied alone, at any width and thread count.
    func testColumnExactProductDoesNotDependOnItsNeighbours() throws {
        var tested: [CPUTier] = []
        try forEachTier(running: .strips) { tier in
            guard Gemm.hasColumnExactKernel else { return }
            tested.append(tier)
            try columnExactProductDoesNotDependOnItsNeighbours()
        }
        try XCTSkipIf(tested.isEmpty, "no tier of this CPU has a column-exact GEMM")
    }

    /// Every tier's strips kernel computes each element as the same FMA
    /// chain, so all give the same bits (what lets grouping stay exact).
    func testStripsKernelsOfAllTiersAgreeBitwise() throws {
        var rng = TestRandom(seed: 133)
        for (m, n, k) in [(13, 37, 9), (7, 5, 300), (20, 70, 33)] {
            let a = rng.normals(m * k), b = rng.normals(k * n)
            var results: [CPUTier: [UInt32]] = [:]
            try forEachTier(running: .strips) { tier in
                var c = [Float](repeating: .nan, count: m * n)
                if Gemm.multiplyColumnExact(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, threads: 2) {
                    results[tier] = c.map(\.bitPattern)
                }
            }
            try XCTSkipIf(results.count < 2, "fewer than two tiers with a strips kernel here")
            XCTAssertEqual(Set(results.values).count, 1, "m \(m) n \(n) k \(k): tiers \(results.keys.sorted { $0.rawValue < $1.rawValue })")
        }
    }

    func columnExactProductDoesNotDependOnItsNeighbours() throws {
        var rng = TestRandom(seed: 132)
        for (m, n, k) in [(13, 37, 9), (9, 1, 300), (17, 70, 40), (8, 33, 5)] {
            let a = rng.normals(m * k), b = rng.normals(k * n)
            for threads in [1, 2] {
                var c = [Float](repeating: .nan, count: m * n)
                XCTAssertTrue(Gemm.multiplyColumnExact(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n,
                                                       threads: threads))
                for j in 0..<n {
                    let column = (0..<k).map { b[$0 * n + j] }
                    var alone = [Float](repeating: .nan, count: m)
                    _ = Gemm.multiplyColumnExact(m: m, n: 1, k: k, a: a, lda: k, b: column, ldb: 1, c: &alone, ldc: 1,
                                                 threads: 1)
                    XCTAssertEqual((0..<m).map { c[$0 * n + j].bitPattern }, alone.map(\.bitPattern),
                                   "m \(m) n \(n) k \(k) column \(j) threads \(threads)")
                    for i in 0..<m {
                        let sum = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(column[$1]) }
                        XCTAssertEqual(Double(alone[i]), sum, accuracy: 1e-4)
                    }
                }
            }
        }
    }

    /// The panels and blocks kernels give the strips kernel's bits (the
    /// same FMA chain per element) on every tier, for row-major and packed
    /// B, on shapes with partial panels, micro-panels, row blocks and
    /// groups, columns across strips and tiles, depths past one k block,
    /// and 1 to 3 threads.
    func testPackedProductsGiveTheStripsKernelsBits() throws {
        var rng = TestRandom(seed: 134)
        for (m, n, k) in [(1, 1, 1), (17, 5, 9), (70, 7, 33), (64, 1, 600), (131, 40, 521), (50, 33, 3), (8, 64, 17),
                          (5, 16, 129), (97, 70, 257), (203, 130, 40), (13, 65, 128)] {
            let a = rng.normals(m * k), b = rng.normals(k * n)
            var packedB = [Float](repeating: 0, count: Gemm.packedStripsCount(n: n, k: k))
            for j in 0..<n { for p in 0..<k { packedB[((j / 32) * k + p) * 32 + j % 32] = b[p * n + j] } }
            for packing in Gemm.Packing.allCases {
                var packedA = [Float](repeating: .nan, count: packing.count(m: m, k: k))
                packing.pack(m: m, k: k, a: a, lda: k, into: &packedA)
                try forEachTier(running: packing.family) { tier in
                    guard tier.runs(packing.family) else { return }
                    var expected = [Float](repeating: .nan, count: m * n)
                    XCTAssertTrue(Gemm.multiplyColumnExact(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n,
                                                           c: &expected, ldc: n, threads: 1))
                    for (name, operand, source) in [("row-major", Gemm.RightOperand.rowMajor(ldb: n), b),
                                                    ("packed", .packed, packedB)] {
                        for threads in [1, 2, 3] {
                            var c = [Float](repeating: .nan, count: m * n)
                            XCTAssertTrue(packing.multiply(m: m, n: n, k: k, a: packedA, b: source, operand: operand,
                                                           c: &c, ldc: n, threads: threads))
                            XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern),
                                           "\(tier) \(packing) \(name) m \(m) n \(n) k \(k) threads \(threads)")
                        }
                    }
                }
            }
        }
    }

    /// Weights packed from Aᵀ (an IOHW kernel) equal weights packed from A,
    /// in both packings.
    func testPackingFromTheTransposeIsPackingFromTheMatrix() {
        var rng = TestRandom(seed: 135)
        for (m, k) in [(1, 1), (16, 3), (37, 5), (64, 17), (101, 300)] {
            let a = rng.normals(m * k)
            var at = [Float](repeating: 0, count: m * k)
            for i in 0..<m { for p in 0..<k { at[p * m + i] = a[i * k + p] } }
            for packing in Gemm.Packing.allCases {
                var fromA = [Float](repeating: .nan, count: packing.count(m: m, k: k)), fromT = fromA
                packing.pack(m: m, k: k, a: a, lda: k, into: &fromA)
                packing.pack(m: m, k: k, transposed: at, ldt: m, into: &fromT)
                XCTAssertEqual(fromA.map(\.bitPattern), fromT.map(\.bitPattern), "\(packing) m \(m) k \(k)")
                if packing == .blocks {
                    // Every float of A once: the layout is a permutation.
                    XCTAssertEqual(fromA.map(\.bitPattern).sorted(), a.map(\.bitPattern).sorted(), "m \(m) k \(k)")
                }
            }
        }
    }
}
