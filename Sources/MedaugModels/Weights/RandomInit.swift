import Foundation
import MedaugSupport

/// Randomly initialised weights for any configuration.
public enum RandomInit {
    /// pix2pix / TensorFlow-tutorial initialisation: every conv and
    /// ConvTranspose weight ~ N(0, `standardDeviation`) (RandomNormal(0, 0.02)),
    /// biases 0, BatchNorm γ = 1, β = 0, running mean 0, running variance 1.
    ///
    /// Values depend only on `seed` and the tensor's name and index, so a
    /// tensor is the same whatever else the configuration contains.
    public static func weights(for config: ModelConfig, seed: UInt64,
                               standardDeviation: Float = 0.02) -> [String: [Float]] {
        var tensors: [String: [Float]] = [:]
        for spec in config.tensorSpecs {
            switch TensorRole.of(spec.name) {
            case .convWeight:
                tensors[spec.name] = normals(count: spec.elementCount, seed: seed, name: spec.name,
                                             mean: 0, standardDeviation: standardDeviation)
            case .convBias, .bnBias, .bnMean:
                tensors[spec.name] = [Float](repeating: 0, count: spec.elementCount)
            case .bnWeight, .bnVariance:
                tensors[spec.name] = [Float](repeating: 1, count: spec.elementCount)
            }
        }
        return tensors
    }

    /// `count` normal deviates (Box–Muller on a counter-based stream keyed by
    /// `seed` and a hash of `name`).
    public static func normals(count: Int, seed: UInt64, name: String, mean: Float,
                               standardDeviation: Float) -> [Float] {
        let random = CounterRandom(seed: seed, stream: stableHash(name))
        var values = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let bits = random.bits(UInt64(i / 2))
            let u1 = (Double(bits >> 11) + 1) / 9_007_199_254_740_993.0  // (0, 1]
            let u2 = Double(random.bits(UInt64(i / 2) | (1 << 62)) >> 11) / 9_007_199_254_740_992.0
            let r = (-2 * Foundation.log(u1)).squareRoot()
            values[i] = mean + standardDeviation * Float(r * Foundation.cos(2 * Double.pi * u2))
            if i + 1 < count {
                values[i + 1] = mean + standardDeviation * Float(r * Foundation.sin(2 * Double.pi * u2))
            }
            i += 2
        }
        return values
    }

    /// FNV-1a of the UTF-8 bytes: stable across runs and platforms (Swift's
    /// `hashValue` is randomly seeded per process).
    public static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
