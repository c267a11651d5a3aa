import MedaugMicroKernels
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

/// The weight transforms of the 4×4 stride-2 layers (`winograd_weights.c`)
/// against U = G·g·Gᵀ computed in Double from the layouts' definitions, on
/// channel counts around the 16-channel blocks, and split over threads.
final class WinogradWeightsTests: XCTestCase {
    let shapes = [(1, 1), (5, 3), (16, 2), (17, 7), (33, 4)]   // (in, out) channels

    /// F(2×2, 2×2)'s and F(4×4, 2×2)'s G.
    static let smallG: [[Double]] = [[1, 0], [1, 1], [0, 1]]
    static let largeG: [[Double]] = [[0.5, 0], [-0.5, -0.5], [-1.0 / 6, 1.0 / 6], [1.0 / 6, 1.0 / 3], [0, 1]]
    /// Kernel taps of parity class p (convolution) and phase p (transposed).
    static let convTaps = [[0, 2], [1, 3]], transposedTaps = [[3, 1], [2, 0]]

    /// G·g·Gᵀ of the 2×2 kernel at rows `rows`, columns `cols` of one 4×4 kernel.
    func expand(_ g: [[Double]], _ kernel: ArraySlice<Float>, rows: [Int], cols: [Int]) -> [Double] {
        let base = kernel.startIndex, m = g.count
        var out = [Double](repeating: 0, count: m * m)
        for r in 0..<m {
            for c in 0..<m {
                for a in 0..<2 {
                    for b in 0..<2 { out[r * m + c] += g[r][a] * Double(kernel[base + rows[a] * 4 + cols[b]]) * g[c][b] }
                }
            }
        }
        return out
    }

    /// U of OIHW convolution weights: U[ξ][o][parity·I + i].
    func convolutionReference(_ g: [[Double]], _ w: [Float], cin: Int, cout: Int) -> [Double] {
        let points = g.count * g.count
        var u = [Double](repeating: .nan, count: points * 4 * cin * cout)
        for o in 0..<cout {
            for i in 0..<cin {
                let kernel = w[((o * cin + i) * 16)..<((o * cin + i) * 16 + 16)]
                for parity in 0..<4 {
                    let x = expand(g, kernel, rows: Self.convTaps[parity / 2], cols: Self.convTaps[parity % 2])
                    for xi in 0..<points { u[(xi * cout + o) * 4 * cin + parity * cin + i] = x[xi] }
                }
            }
        }
        return u
    }

    /// U of IOHW transposed-convolution weights: U[phase][ξ][o][i].
    func transposedReference(_ g: [[Double]], _ w: [Float], cin: Int, cout: Int) -> [Double] {
        let points = g.count * g.count
        var u = [Double](repeating: .nan, count: points * 4 * cin * cout)
        for o in 0..<cout {
            for i in 0..<cin {
                let kernel = w[((i * cout + o) * 16)..<((i * cout + o) * 16 + 16)]
                for phase in 0..<4 {
                    let x = expand(g, kernel, rows: Self.transposedTaps[phase / 2],
                                   cols: Self.transposedTaps[phase % 2])
                    for xi in 0..<points { u[((phase * points + xi) * cout + o) * cin + i] = x[xi] }
                }
            }
        }
        return u
    }

    typealias Transform = (UnsafePointer<Float>, Int, Int, UnsafeMutableBufferPointer<Float>, Int) -> Void

    func run(_ transform: Transform, _ w: [Float], cin: Int, cout: Int, count: Int, threads: Int) -> [Float] {
        var u = [Float](repeating: .nan, count: count)
        w.withUnsafeBufferPointer { weights in
            u.withUnsafeMutableBufferPointer { transform(weights.baseAddress!, cout, cin, $0, threads) }
        }
        return u
    }

    func testTransformsMatchTheirDefinition() {
        var rng = TestRandom(mixingSeed: 5)
        let families: [(String, [[Double]], Transform, Transform, Int)] = [
            ("F(2x2, 2x2)", Self.smallG,
             { StridedWinograd.transformConvolutionWeights($0, outChannels: $1, inChannels: $2, into: $3, threads: $4) },
             { StridedWinograd.transformTransposedWeights($0, outChannels: $1, inChannels: $2, into: $3, threads: $4) },
             36),
            ("F(4x4, 2x2)", Self.largeG,
             { StridedWinogradF42.transformConvolutionWeights($0, outChannels: $1, inChannels: $2, into: $3,
                                                              threads: $4) },
             { StridedWinogradF42.transformTransposedWeights($0, outChannels: $1, inChannels: $2, into: $3,
                                                             threads: $4) },
             100),
        ]
        for (name, g, convolution, transposed, perPair) in families {
            for (cin, cout) in shapes {
                let w = rng.normals(cin * cout * 16)
                let count = perPair * cin * cout
                for (kind, transform, reference) in [
                    ("convolution", convolution, convolutionReference(g, w, cin: cin, cout: cout)),
                    ("transposed", transposed, transposedReference(g, w, cin: cin, cout: cout)),
                ] {
                    let one = run(transform, w, cin: cin, cout: cout, count: count, threads: 1)
                    // Every float written, each within float rounding of the
                    // exact value (|w| ≤ ~4 here, so 1e-6 absolute).
                    XCTAssertFalse(one.contains { $0.isNaN }, "\(name) \(kind) \(cin)x\(cout)")
                    let error = zip(one, reference).map { abs(Double($0) - $1) }.max() ?? .nan
                    XCTAssertLessThan(error, 1e-6, "\(name) \(kind) \(cin)x\(cout)")
                    for threads in [2, 3] {
                        XCTAssertEqual(run(transform, w, cin: cin, cout: cout, count: count, threads: threads), one,
                                       "\(name) \(kind) \(cin)x\(cout), \(threads) threads")
                    }
                }
            }
        }
    }
}
