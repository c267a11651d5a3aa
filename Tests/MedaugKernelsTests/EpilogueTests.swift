import MedaugSupport
import Foundation
import MedaugTestSupport
import XCTest
@testable import MedaugKernels

final class EpilogueTests: XCTestCase {
    /// Instance normalisation + affine + LeakyReLU against a Double loop, on
    /// 5 channels of 7×9 (odd sizes) with a bias.
    func testInstanceNormalisationMatchesNaive() {
        var rng = TestRandom(seed: 4)
        let channels = 5, spatial = 63
        let x = rng.normals(channels * spatial, scale: 3).map { $0 + 2 }
        let bias = rng.normals(channels), scale = rng.normals(channels), shift = rng.normals(channels)
        var data = x
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { t in
                bias.withUnsafeBufferPointer { b in
                    let epilogue = Epilogue(bias: b.baseAddress, normalization: .instance(scale: s.baseAddress!, shift: t.baseAddress!, epsilon: 1e-5),
                                            activation: .leakyRelu(0.2))
                    data.withUnsafeMutableBufferPointer {
                        epilogue.apply(toImage: $0.baseAddress!, channels: channels, spatial: spatial, image: 0, threads: 2)
                    }
                }
            }
        }
        for c in 0..<channels {
            let plane = x[(c * spatial)..<((c + 1) * spatial)].map { Double($0) + Double(bias[c]) }
            let mean = plane.reduce(0, +) / Double(spatial)
            let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(spatial)
            for i in 0..<spatial {
                var y = (plane[i] - mean) / (variance + 1e-5).squareRoot() * Double(scale[c]) + Double(shift[c])
                if y < 0 { y *= 0.2 }
                XCTAssertEqual(Double(data[c * spatial + i]), y, accuracy: 1e-5, "channel \(c) pixel \(i)")
            }
        }
    }

    /// The vectorised tanh, sigmoid and softmax (exp by a polynomial) against
    /// Double references over the whole float range: tiny, around the
    /// polynomial/exp switch at 0.625, saturated, infinite and NaN inputs, a
    /// length that is not a multiple of 16, and a scale and shift.
    func testVectorisedTranscendentalsMatchDouble() throws {
        try forEachTier(running: .activations) { _ in vectorisedTranscendentalsMatchDouble() }
    }

    func vectorisedTranscendentalsMatchDouble() {
        var rng = TestRandom(seed: 41)
        var data: [Float] = [0, -0, 1e-30, -1e-7, 1e-4, 0.624, 0.625, 0.626, -0.625, 3, -9, 9.5, 20, -40, 88, -88,
                             100, -200, .infinity, -.infinity]
        data += rng.normals(203, scale: 4)
        for (scale, shift) in [(Float(1), Float(0)), (0.7, -0.3)] {
            var tanh = data, sigmoid = data
            Pointwise.affineActivate(&tanh, count: tanh.count, scale: scale, shift: shift, activation: .tanh)
            Pointwise.affineActivate(&sigmoid, count: sigmoid.count, scale: scale, shift: shift, activation: .sigmoid)
            for i in data.indices {
                let x = Double(data[i] * scale + shift)
                XCTAssertEqual(Double(tanh[i]), Foundation.tanh(x), accuracy: 3e-7 * max(1, abs(Foundation.tanh(x))), "tanh \(x)")
                XCTAssertEqual(Double(sigmoid[i]), 1 / (1 + Foundation.exp(-x)), accuracy: 3e-7, "sigmoid \(x)")
                if abs(x) < 0.625 { XCTAssertEqual(Double(tanh[i]), Foundation.tanh(x), accuracy: 1e-6 * abs(x), "tanh \(x) relative") }
            }
        }
        var nan: [Float] = [.nan, 1]
        Pointwise.affineActivate(&nan, count: 2, scale: 1, shift: 0, activation: .tanh)
        XCTAssertTrue(nan[0].isNaN)
        nan = [.nan, 1]
        Pointwise.affineActivate(&nan, count: 2, scale: 1, shift: 0, activation: .sigmoid)
        XCTAssertTrue(nan[0].isNaN)
        // Softmax of 5 channels over 37 pixels (logits up to ±60).
        let (channels, pixels) = (5, 37)
        var logits = rng.normals(channels * pixels, scale: 20)
        let original = logits
        Pointwise.softmax(&logits, channels: channels, pixels: pixels, stride: pixels)
        for p in 0..<pixels {
            let column = (0..<channels).map { Double(original[$0 * pixels + p]) }
            let peak = column.max()!
            let sum = column.map { Foundation.exp($0 - peak) }.reduce(0, +)
            for c in 0..<channels {
                XCTAssertEqual(Double(logits[c * pixels + p]), Foundation.exp(column[c] - peak) / sum, accuracy: 3e-7)
            }
        }
    }

    func testActivationsAndSoftmax() throws {
        try forEachTier(running: .activations) { _ in activationsAndSoftmax() }
    }

    func activationsAndSoftmax() {
        var data: [Float] = [-2, -0.5, 0, 0.5, 2, 40]
        let expectations: [(Activation, (Float) -> Float)] = [
            (.relu, { max($0, 0) }), (.leakyRelu(0.1), { $0 > 0 ? $0 : 0.1 * $0 }),
            (.tanh, { Float(Foundation.tanh(Double($0))) }), (.sigmoid, { Float(1 / (1 + Foundation.exp(-Double($0)))) }),
        ]
        for (activation, reference) in expectations {
            var copy = data
            Pointwise.affineActivate(&copy, count: copy.count, scale: 1, shift: 0, activation: activation)
            for i in copy.indices { XCTAssertEqual(copy[i], reference(data[i]), accuracy: 1e-6, "\(activation) at \(data[i])") }
        }
        // Softmax over 3 channels of 2 pixels; a large logit must not overflow.
        data = [1, 1000, 2, 1000, 3, -1000]
        Pointwise.softmax(&data, channels: 3, pixels: 2, stride: 2)
        let e = [Foundation.exp(1.0 - 3), Foundation.exp(2.0 - 3), 1.0]
        let sum = e.reduce(0, +)
        XCTAssertEqual(Double(data[0]), e[0] / sum, accuracy: 1e-6)
        XCTAssertEqual(Double(data[4]), e[2] / sum, accuracy: 1e-6)
        XCTAssertEqual(data[1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(data[5], 0, accuracy: 1e-6)
    }

    func testDropoutMaskIsCounterBased() {
        let spatial = 10_000
        func masked(seed: UInt64, threads: Int) -> [Float] {
            var data = [Float](repeating: 1, count: 2 * spatial)
            let epilogue = Epilogue(dropout: DropoutMask(rate: 0.3, random: CounterRandom(seed: seed, stream: 5)))
            data.withUnsafeMutableBufferPointer {
                epilogue.apply(toImage: $0.baseAddress!, channels: 2, spatial: spatial, image: 1, threads: threads)
            }
            return data
        }
        let a = masked(seed: 1, threads: 1)
        XCTAssertEqual(a, masked(seed: 1, threads: 2), "the mask does not depend on threads")
        XCTAssertNotEqual(a, masked(seed: 2, threads: 1))
        let dropped = Double(a.filter { $0 == 0 }.count) / Double(a.count)
        XCTAssertEqual(dropped, 0.3, accuracy: 0.02)
        XCTAssertTrue(a.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 }, "kept values are scaled by 1/(1 - rate)")
    }

    func testMaxPoolMatchesNaive() {
        var rng = TestRandom(seed: 6)
        let channels = 3, height = 7, width = 10
        var x = rng.normals(channels * height * width)
        x[5] = .nan
        let outH = (height - 2) / 2 + 1, outW = (width - 2) / 2 + 1
        var out = [Float](repeating: 0, count: channels * outH * outW)
        MaxPool.forward(input: x, channels: channels, height: height, width: width, kernel: 2, stride: 2,
                        output: &out, outHeight: outH, outWidth: outW, threads: 2)
        for c in 0..<channels { for oy in 0..<outH { for ox in 0..<outW {
            let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x[(c * height + oy * 2 + $0.0) * width + ox * 2 + $0.1] }
            let got = out[(c * outH + oy) * outW + ox]
            if window.contains(where: \.isNaN) {
                XCTAssertTrue(got.isNaN, "NaN propagates")
            } else {
                XCTAssertEqual(got, window.max()!)
            }
        } } }
    }

    /// The label map of channel planes: the first of equal maxima wins, a
    /// NaN never displaces an earlier channel, one channel gives zeros;
    /// against a per-pixel loop on an odd pixel count.
    func testArgmaxChannelsTakesTheFirstMaximum() {
        let pixels = 7, nan = Float.nan
        let data: [Float] = [0, 5, 1, 2, nan, 3, 1,
                             1, 5, 0, 2, 9, nan, 1,
                             0, 4, 2, 7, 1, 3, 1]
        var classes = [Int32](repeating: -1, count: pixels)
        Pointwise.argmaxChannels(data, channels: 3, pixels: pixels, into: &classes)
        XCTAssertEqual(classes, [1, 0, 2, 2, 0, 0, 0])
        var rng = TestRandom(seed: 5)
        let wide = rng.normals(5 * 33)
        var fast = [Int32](repeating: -1, count: 33)
        Pointwise.argmaxChannels(wide, channels: 5, pixels: 33, into: &fast)
        for p in 0..<33 {
            var best = 0
            for c in 1..<5 where wide[c * 33 + p] > wide[best * 33 + p] { best = c }
            XCTAssertEqual(fast[p], Int32(best), "pixel \(p)")
        }
        Pointwise.argmaxChannels(wide, channels: 1, pixels: 33, into: &fast)
        XCTAssertEqual(fast, [Int32](repeating: 0, count: 33))
    }
}
