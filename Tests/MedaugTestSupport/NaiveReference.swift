import Foundation

/// Straightforward loops the optimised kernels and layers are checked
/// against. They are written from the definitions, share no code with the
/// code under test, and compute in Double. Shared by every test bundle.
public enum Naive {
    /// Direct convolution, NCHW in, OIHW weights.
    public static func conv(_ x: [Float], n: Int, c: Int, h: Int, w: Int, weights: [Float], o: Int,
                     k: Int, s: Int, p: Int, bias: [Float]?) -> (out: [Float], oh: Int, ow: Int) {
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        var out = [Float](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for oc in 0..<o { for y in 0..<oh { for xo in 0..<ow {
            var sum = Double(bias?[oc] ?? 0)
            for ic in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let iy = y * s - p + ky, ix = xo * s - p + kx
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                sum += Double(x[((b * c + ic) * h + iy) * w + ix]) * Double(weights[((oc * c + ic) * k + ky) * k + kx])
            } } }
            out[((b * o + oc) * oh + y) * ow + xo] = Float(sum)
        } } } }
        return (out, oh, ow)
    }

    /// Direct transposed convolution (scatter form), IOHW weights.
    public static func convTranspose(_ x: [Float], n: Int, c: Int, h: Int, w: Int, weights: [Float], o: Int,
                              k: Int, s: Int, p: Int, bias: [Float]?) -> (out: [Float], oh: Int, ow: Int) {
        let oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k
        var acc = [Double](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for ic in 0..<c { for y in 0..<h { for xi in 0..<w {
            let v = Double(x[((b * c + ic) * h + y) * w + xi])
            for oc in 0..<o { for ky in 0..<k { for kx in 0..<k {
                let oy = y * s - p + ky, ox = xi * s - p + kx
                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                acc[((b * o + oc) * oh + oy) * ow + ox] += v * Double(weights[((ic * o + oc) * k + ky) * k + kx])
            } } }
        } } } }
        var out = acc.map { Float($0) }
        if let bias {
            for b in 0..<n { for oc in 0..<o { for i in 0..<(oh * ow) { out[(b * o + oc) * oh * ow + i] += bias[oc] } } }
        }
        return (out, oh, ow)
    }
}

/// An array filled by a function that writes into a buffer (NaN first, so
/// a float it skips shows).
public func filled(_ count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    var values = [Float](repeating: .nan, count: count)
    values.withUnsafeMutableBufferPointer { fill($0) }
    return values
}

/// Deterministic pseudo-random test data (an LCG; independent of the code
/// under test).
public struct TestRandom {
    public var state: UInt64
    /// The LCG started at `seed` itself.
    public init(seed: UInt64) { state = seed }
    /// The LCG started at a scrambled `seed` (the trainer tests' streams).
    public init(mixingSeed seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    public mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    /// Uniform in [0, 1).
    public mutating func uniform() -> Float { Float(next() % 1_000_000) / 1_000_000 }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(uniform()), 1e-7), u2 = Double(uniform())
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
    public mutating func normals(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in normal() * scale }
    }
}

/// max|a − b| / max|b|, the tolerance measure used throughout the tests
/// (infinite when the lengths differ).
public func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var diff: Float = 0, peak: Float = 0
    for i in 0..<a.count {
        diff = max(diff, abs(a[i] - b[i]))
        peak = max(peak, abs(b[i]))
    }
    return peak == 0 ? diff : diff / peak
}
