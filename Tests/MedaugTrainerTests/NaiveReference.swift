import Foundation
@testable import MedaugTrainer

/// Straightforward loops written from the definitions, in Double, sharing
/// no code with the layers they check.
enum Naive {
    /// Direct convolution, NCHW in, OIHW weights.
    static func conv(_ x: TrainTensor, weights: [Float], o: Int, k: Int, s: Int, p: Int, bias: [Float]?) -> [Float] {
        let (n, c, h, w) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        var out = [Float](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for oc in 0..<o { for y in 0..<oh { for xo in 0..<ow {
            var sum = Double(bias?[oc] ?? 0)
            for ic in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let iy = y * s - p + ky, ix = xo * s - p + kx
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                sum += Double(x[b, ic, iy, ix]) * Double(weights[((oc * c + ic) * k + ky) * k + kx])
            } } }
            out[((b * o + oc) * oh + y) * ow + xo] = Float(sum)
        } } } }
        return out
    }

    /// Direct transposed convolution (scatter form), IOHW weights.
    static func convTranspose(_ x: TrainTensor, weights: [Float], o: Int, k: Int, s: Int, p: Int,
                              bias: [Float]?) -> [Float] {
        let (n, c, h, w) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
        let oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k
        var acc = [Double](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for ic in 0..<c { for y in 0..<h { for xi in 0..<w {
            let v = Double(x[b, ic, y, xi])
            for oc in 0..<o { for ky in 0..<k { for kx in 0..<k {
                let oy = y * s - p + ky, ox = xi * s - p + kx
                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                acc[((b * o + oc) * oh + oy) * ow + ox] += v * Double(weights[((ic * o + oc) * k + ky) * k + kx])
            } } }
        } } } }
        for b in 0..<n { for oc in 0..<o { for i in 0..<(oh * ow) {
            acc[(b * o + oc) * oh * ow + i] += Double(bias?[oc] ?? 0)
        } } }
        return acc.map { Float($0) }
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
