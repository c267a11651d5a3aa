import MedaugTestSupport
import XCTest
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

final class MaxPool2x2Tests: XCTestCase {
    /// Distinct values at least 0.01 apart in random order, so a ±1e-3
    /// perturbation never changes which input of a window wins.
    func distinctTensor(_ s: TensorShape, rng: inout TestRandom) -> TrainTensor {
        var values = (0..<s.count).map { Float($0) * 0.01 - Float(s.count) * 0.005 }
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return try! TrainTensor(shape: s, values: values)
    }

    func testForwardMatchesEngineKernel() throws {
        var rng = TestRandom(mixingSeed: 71)
        for s in [shape(2, 3, 5, 7), shape(3, 4, 6, 4)] {
            let x = rng.tensor(s)
            let y = try MaxPool2x2().forward(x, training: true)
            XCTAssertEqual(y.shape, shape(s.n, s.c, s.h / 2, s.w / 2))
            var expected = [Float](repeating: 0, count: y.count)
            for plane in 0..<(s.n * s.c) {
                expected.withUnsafeMutableBufferPointer { out in
                    MaxPool.forward(input: x.pointer + plane * s.spatial, channels: 1, height: s.h, width: s.w,
                                    kernel: 2, stride: 2, output: out.baseAddress! + plane * y.shape.spatial,
                                    outHeight: s.h / 2, outWidth: s.w / 2, threads: 1)
                }
            }
            XCTAssertEqual(y.toArray(), expected)
        }
    }

    /// Windows full of ties, NaNs and infinities, on rows wide enough for
    /// the eight-window SIMD path plus a scalar tail (and an odd trailing
    /// column and row): the value and the winner (where backward sends the
    /// gradient) of the first maximum in row-major order, a NaN winning.
    func testTiesNaNsAndInfinitiesPickTheFirstMaximum() throws {
        var rng = TestRandom(mixingSeed: 73)
        let palette: [Float] = [-1, 0, 1, 1, .nan, .infinity, -.infinity]
        let s = shape(2, 3, 5, 37), outW = 18
        let values = (0..<s.count).map { _ in palette[Int(rng.next() % UInt64(palette.count))] }
        let x = try TrainTensor(shape: s, values: values)
        let pool = MaxPool2x2()
        pool.threads = 2
        let y = try pool.forward(x, training: true).toArray()
        let dy = (0..<y.count).map { Float($0 + 1) }
        let dx = try pool.backward(TrainTensor(shape: shape(2, 3, 2, outW), values: dy)).toArray()
        var expectedY = [Float](), expectedDx = [Float](repeating: 0, count: s.count)
        for plane in 0..<(s.n * s.c) { for oy in 0..<2 { for ox in 0..<outW {
            let taps = [(0, 0), (0, 1), (1, 0), (1, 1)].map { plane * s.spatial + (2 * oy + $0.0) * s.w + 2 * ox + $0.1 }
            var winner = taps[0]
            for tap in taps.dropFirst() where !values[winner].isNaN && !(values[tap] <= values[winner]) { winner = tap }
            expectedY.append(values[winner])
            expectedDx[winner] = dy[expectedY.count - 1]
        }}}
        XCTAssertEqual(y.map(\.bitPattern), expectedY.map(\.bitPattern))
        XCTAssertEqual(dx, expectedDx)
    }

    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 72)
        for s in [shape(2, 3, 5, 7), shape(3, 4, 4, 6)] {
            try checkLayerGradients(MaxPool2x2(), input: distinctTensor(s, rng: &rng), "MaxPool2x2 \(s)")
        }
    }

    func testGradientGoesToTheWinnerOnly() throws {
        let x = try TrainTensor(shape: shape(1, 1, 3, 3), values: [1, 5, 0, 2, 3, 0, 9, 9, 9])
        let pool = MaxPool2x2()
        XCTAssertEqual(try pool.forward(x, training: true).toArray(), [5])
        XCTAssertEqual(try pool.backward(TrainTensor(shape: shape(1, 1, 1, 1), repeating: 4)).toArray(),
                       [0, 4, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try pool.forward(TrainTensor(shape: shape(1, 1, 1, 4)), training: true))
    }
}
