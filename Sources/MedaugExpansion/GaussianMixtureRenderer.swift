import Foundation
import MedaugImaging

/// Renders a label map without any learned model, SynthSeg-style (Billot
/// et al., "SynthSeg", Medical Image Analysis 2023): every label value gets
/// a Gaussian intensity whose mean and spread are drawn at random per
/// image and channel, then a smooth multiplicative bias field, a blur
/// (partial volume) and noise. It answers the ablation "is a trained GAN
/// needed at all?": the same label maps as the generator's, rendered by
/// the simplest generative model of MRI contrast.
///
/// Ranges are SynthSeg's, mapped from its [0, 255] to the network's [−1, 1]:
/// means uniform over the range, standard deviations up to 35/255 of it,
/// a bias field exp(cubic polynomial) whose ten coefficients are at most
/// 0.15 (a field within about ×0.6…×1.7, as SynthSeg's exp of N(0, ≤ 0.5)
/// would give; TorchIO's 0.5 saturates the image), blur σ up to one pixel,
/// noise up to 3 % of the range.
public struct GaussianMixtureRenderer: Sendable {
    public var meanRange: ClosedRange<Double> = -0.9...0.9
    public var maxStandardDeviation = 0.27
    /// Largest |coefficient| of the bias field's log (a cubic polynomial
    /// in x, y ∈ [−1, 1], as TorchIO's RandomBiasField).
    public var maxBiasCoefficient = 0.15
    public var blurSigmaPixels: ClosedRange<Double> = 0.3...1.0
    public var maxNoise = 0.03

    public init() {}

    /// What `render` drew, for tests and provenance.
    public struct Draws: Sendable {
        /// Per channel: label value → (mean, standard deviation).
        public var intensities: [[Int32: (mean: Double, std: Double)]]
    }

    /// An image of `channels` × height × width in [−1, 1] for `mask`
    /// (stored label values), seeded by `seed`.
    public func render(_ mask: [Int32], channels: Int, height: Int, width: Int,
                       spacing: (row: Double, column: Double) = (1, 1), seed: UInt64) throws -> (image: [Float], draws: Draws) {
        precondition(mask.count == height * width, "one label per pixel")
        var random = SplitMix64(seed: seed ^ 0x474D_4D52_454E_4445)
        let values = Array(Set(mask)).sorted()
        let plane = height * width
        var image = [Float](repeating: 0, count: channels * plane)
        var intensities: [[Int32: (mean: Double, std: Double)]] = []
        for c in 0..<channels {
            var table: [Int32: (mean: Double, std: Double)] = [:]
            for value in values {
                table[value] = (meanRange.lowerBound + random.uniform() * (meanRange.upperBound - meanRange.lowerBound),
                                random.uniform() * maxStandardDeviation)
            }
            intensities.append(table)
            for p in 0..<plane {
                let (mean, std) = table[mask[p]]!
                image[c * plane + p] = Float(mean + std * normal(&random))
            }
            // Bias: multiplicative on intensities mapped to [0, 1].
            var coefficients: [(Int, Int, Double)] = []
            for i in 0...3 { for j in 0...(3 - i) { coefficients.append((i, j, (2 * random.uniform() - 1) * maxBiasCoefficient)) } }
            for y in 0..<height {
                let yy = height > 1 ? 2 * Double(y) / Double(height - 1) - 1 : 0
                for x in 0..<width {
                    let xx = width > 1 ? 2 * Double(x) / Double(width - 1) - 1 : 0
                    let log = coefficients.reduce(0) { $0 + $1.2 * pow(xx, Double($1.0)) * pow(yy, Double($1.1)) }
                    let index = c * plane + y * width + x
                    let unit = (Double(image[index]) + 1) / 2
                    image[index] = Float(unit * exp(log) * 2 - 1)
                }
            }
        }
        var pair = try ImagePair(channels: channels, height: height, width: width, image: image, mask: mask, spacing: spacing)
        let sigma = blurSigmaPixels.lowerBound + random.uniform() * (blurSigmaPixels.upperBound - blurSigmaPixels.lowerBound)
        pair.blur(sigmaMM: sigma * min(spacing.row, spacing.column))
        let noise = random.uniform() * maxNoise
        for i in pair.image.indices {
            pair.image[i] = min(1, max(-1, pair.image[i] + Float(noise * 2 * normal(&random))))
        }
        return (pair.image, Draws(intensities: intensities))
    }

    /// A standard normal deviate (Box–Muller).
    private func normal(_ random: inout SplitMix64) -> Double {
        let u1 = max(random.uniform(), 1e-300), u2 = random.uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
