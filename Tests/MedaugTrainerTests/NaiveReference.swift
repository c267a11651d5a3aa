import Foundation
import MedaugTestSupport
@testable import MedaugTrainer

/// The shared references (MedaugTestSupport) on training tensors, and the
/// statistics only the trainer tests need.
extension Naive {
    /// Direct convolution, NCHW in, OIHW weights.
    static func conv(_ x: TrainTensor, weights: [Float], o: Int, k: Int, s: Int, p: Int, bias: [Float]?) -> [Float] {
        conv(x.toArray(), n: x.shape.n, c: x.shape.c, h: x.shape.h, w: x.shape.w, weights: weights, o: o, k: k, s: s,
             p: p, bias: bias).out
    }

    /// Direct transposed convolution, IOHW weights.
    static func convTranspose(_ x: TrainTensor, weights: [Float], o: Int, k: Int, s: Int, p: Int,
                              bias: [Float]?) -> [Float] {
        convTranspose(x.toArray(), n: x.shape.n, c: x.shape.c, h: x.shape.h, w: x.shape.w, weights: weights, o: o,
                      k: k, s: s, p: p, bias: bias).out
    }

    /// A convolution's weight gradient, OIHW: Σ over images and output
    /// pixels of dy · x at the tap's input pixel (zero outside the image).
    static func weightGradient(_ x: TrainTensor, _ dy: TrainTensor, k: Int, s: Int, p: Int) -> [Float] {
        let xs = x.shape, ys = dy.shape
        var dw = [Double](repeating: 0, count: ys.c * xs.c * k * k)
        for n in 0..<xs.n { for o in 0..<ys.c { for c in 0..<xs.c { for ky in 0..<k { for kx in 0..<k {
            var sum: Double = 0
            for oy in 0..<ys.h { for ox in 0..<ys.w {
                let iy = oy * s + ky - p, ix = ox * s + kx - p
                guard iy >= 0, iy < xs.h, ix >= 0, ix < xs.w else { continue }
                sum += Double(dy[n, o, oy, ox]) * Double(x[n, c, iy, ix])
            } }
            dw[((o * xs.c + c) * k + ky) * k + kx] += sum
        } } } } }
        return dw.map { Float($0) }
    }

    /// Per-channel mean and biased variance over N, H, W.
    static func channelStatistics(_ x: TrainTensor) -> (mean: [Double], variance: [Double]) {
        let s = x.shape
        var mean = [Double](repeating: 0, count: s.c), variance = mean
        let m = Double(s.n * s.spatial)
        for c in 0..<s.c {
            var sum: Double = 0
            for n in 0..<s.n { for y in 0..<s.h { for xx in 0..<s.w { sum += Double(x[n, c, y, xx]) } } }
            mean[c] = sum / m
            var squares: Double = 0
            for n in 0..<s.n { for y in 0..<s.h { for xx in 0..<s.w {
                squares += (Double(x[n, c, y, xx]) - mean[c]) * (Double(x[n, c, y, xx]) - mean[c])
            } } }
            variance[c] = squares / m
        }
        return (mean, variance)
    }

    /// Max absolute difference of two equal-length arrays.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
