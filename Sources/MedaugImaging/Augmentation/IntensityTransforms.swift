import Foundation
import MedaugSupport

/// The intensity operations, on the image channels only (the mask is never
/// touched).
enum IntensityTransforms {
    static func apply(_ draw: Draw, to pair: inout ImagePair, seed: UInt64, stream: UInt64, threads: Int) {
        let value = draw.values[0]
        let plane = pair.height * pair.width
        let range = draw.operation.intensityRange ?? [-1, 1]
        let (low, span) = (range[0], range[1] - range[0])
        switch draw.operation.kind {
        // Loops run on buffer pointers: element-wise access through the
        // inout pair re-checks uniqueness per element and does not vectorise.
        case .brightness:
            let delta = Float(value)
            pair.image.withUnsafeMutableBufferPointer { image in
                for i in image.indices { image[i] += delta }
            }
        case .contrast:
            let factor = Float(value)
            let channels = pair.channels
            pair.image.withUnsafeMutableBufferPointer { image in
                for c in 0..<channels {
                    let slice = (c * plane)..<((c + 1) * plane)
                    var sum = 0.0
                    for i in slice { sum += Double(image[i]) }
                    let mean = Float(sum / Double(plane))
                    for i in slice { image[i] = (image[i] - mean) * factor + mean }
                }
            }
        case .gamma:
            // On intensities mapped to [0, 1] (clamped: gamma of a negative
            // number is undefined), then mapped back.
            pair.image.withUnsafeMutableBufferPointer { image in
                for i in image.indices {
                    let t = min(max((Double(image[i]) - low) / span, 0), 1)
                    image[i] = Float(low + span * pow(t, value))
                }
            }
        case .noise:
            let random = CounterRandom(seed: seed, stream: 0x6E6F_6973_6500 &+ stream)
            let std = Float(value)
            let (rows, width) = (pair.channels * pair.height, pair.width)
            pair.image.withUnsafeMutableBufferPointer { image in
                let base = image.baseAddress!
                parallelFor(rows, threads: threads) { row in
                    for x in 0..<width {
                        let i = row * width + x
                        base[i] += std * gaussian(random, UInt64(i))
                    }
                }
            }
        case .blur:
            blur(&pair, sigmaMM: value, threads: threads)
        case .biasField:
            biasField(&pair, coefficients: draw, low: low, span: span, seed: seed, stream: stream)
        case .rotate, .shift, .flip, .zoom, .elastic:
            break
        }
    }

    /// A standard normal deviate for `counter` (Box–Muller on two uniforms).
    @inline(__always)
    static func gaussian(_ random: CounterRandom, _ counter: UInt64) -> Float {
        let u1 = max(Double(random.bits(counter << 1) >> 11) / 9_007_199_254_740_992.0, 1e-300)
        let u2 = Double(random.bits(counter << 1 | 1) >> 11) / 9_007_199_254_740_992.0
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Separable Gaussian blur, σ in mm per axis (σ_px = σ_mm / spacing),
    /// kernel radius 3σ, mirrored at the border.
    ///
    /// The radius is at most twice the mirrored period (4 × the axis'
    /// pixels), so only a σ wider than 4/3 of the image is cut short, where
    /// the result is flat to within about 1e-4 of the image's range anyway;
    /// a pixel spacing of 1e-300 mm once made a radius beyond Int (a trap)
    /// and 1 µm with σ 100 mm a kernel of 600 000 taps. A σ_px below 1e-3
    /// (2σ² may underflow to 0 and make the centre weight NaN) leaves the
    /// axis as it is, as the kernel [0, 1, 0] it rounds to in Float did.
    static func blur(_ pair: inout ImagePair, sigmaMM: Double, threads: Int) {
        guard sigmaMM > 0 else { return }
        func kernel(_ sigmaPixels: Double, pixels: Int) -> [Float] {
            guard sigmaPixels >= 1e-3 else { return [0, 1, 0] }
            let radius = max(1, Int(min((3 * sigmaPixels).rounded(.up), Double(4 * pixels))))
            var k = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigmaPixels * sigmaPixels))) }
            let sum = k.reduce(0, +)
            for i in k.indices { k[i] /= sum }
            return k
        }
        let (h, w) = (pair.height, pair.width)
        let ky = kernel(sigmaMM / pair.spacing.row, pixels: h), kx = kernel(sigmaMM / pair.spacing.column, pixels: w)
        func mirror(_ i: Int, _ n: Int) -> Int {
            if n == 1 { return 0 }
            var k = i % (2 * n)
            if k < 0 { k += 2 * n }
            return k < n ? k : 2 * n - 1 - k
        }
        var temporary = [Float](repeating: 0, count: h * w)
        for c in 0..<pair.channels {
            let offset = c * h * w
            // Rows, then columns.
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    let r = kx.count / 2
                    for t in 0..<kx.count { sum += kx[t] * pair.image[offset + y * w + mirror(x + t - r, w)] }
                    temporary[y * w + x] = sum
                }
            }
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    let r = ky.count / 2
                    for t in 0..<ky.count { sum += ky[t] * temporary[mirror(y + t - r, h) * w + x] }
                    pair.image[offset + y * w + x] = sum
                }
            }
        }
    }

    /// TorchIO's RandomBiasField: a multiplicative field exp(Σ cᵢⱼ xⁱ yʲ),
    /// i + j ≤ 3, x and y in [−1, 1] over the image, coefficients uniform in
    /// ±|coefficient|, applied to intensities mapped to [0, 1].
    static func biasField(_ pair: inout ImagePair, coefficients draw: Draw, low: Double, span: Double,
                          seed: UInt64, stream: UInt64) {
        let magnitude = abs(draw.values[0])
        var random = SequentialRandom(seed: seed ^ (0xB1A5 &* (stream &+ 1)))
        var terms: [(Int, Int, Double)] = []
        for i in 0...3 { for j in 0...(3 - i) { terms.append((i, j, (random.uniform() * 2 - 1) * magnitude)) } }
        let (h, w) = (pair.height, pair.width)
        var field = [Double](repeating: 0, count: h * w)
        for y in 0..<h {
            let v = h > 1 ? Double(y) / Double(h - 1) * 2 - 1 : 0
            for x in 0..<w {
                let u = w > 1 ? Double(x) / Double(w - 1) * 2 - 1 : 0
                var sum = 0.0
                for (i, j, c) in terms { sum += c * pow(u, Double(i)) * pow(v, Double(j)) }
                field[y * w + x] = exp(sum)
            }
        }
        for c in 0..<pair.channels {
            for p in 0..<(h * w) {
                let i = c * h * w + p
                let t = (Double(pair.image[i]) - low) / span
                pair.image[i] = Float(low + span * t * field[p])
            }
        }
    }
}
