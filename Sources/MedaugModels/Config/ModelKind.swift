/// Which network a model file holds.
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    case generator, discriminator, segmenter
}

/// How BatchNorm layers normalise at inference.
public enum NormalizationMode: String, Codable, Sendable, CaseIterable {
    /// Eval-mode BatchNorm with the stored running mean and variance, folded
    /// into the preceding convolution: the fast path.
    case running
    /// Each image's own per-channel statistics (what pix2pix does at test
    /// time, and what training at batch size 1 saw), with BatchNorm's γ, β.
    case instance
}

/// The inference mode a trainer recommends for a model.
public struct InferenceMode: Codable, Equatable, Sendable {
    public var normalization: NormalizationMode
    /// Dropout on (stochastic, seeded: the pix2pix noise) or off.
    public var dropout: Bool

    public init(normalization: NormalizationMode, dropout: Bool) {
        self.normalization = normalization
        self.dropout = dropout
    }
}

/// Activation names as written in configuration JSON.
public enum ActivationName: String, Codable, Sendable {
    case identity, relu, leaky_relu, tanh, sigmoid, softmax
}

/// Fields every architecture carries.
public struct CommonConfig: Codable, Equatable, Sendable {
    public var formatVersion: Int
    public var kind: ModelKind
    public var imageSize: Int
    public var inputChannels: Int
    public var outputChannels: Int
    public var convBias: Bool
    public var batchnormEpsilon: Double
    public var batchnormMomentum: Double
    /// Class names; class index `i` ⇔ stored label value `labelValues[i]`.
    public var classes: [String]
    public var labelValues: [Int]
    /// Image channel (modality) names.
    public var channelNames: [String]
    /// Range of network images (always [-1, 1] in format version 1).
    public var intensityRange: [Double]
    public var inference: InferenceMode

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", kind, imageSize = "image_size"
        case inputChannels = "input_channels", outputChannels = "output_channels"
        case convBias = "conv_bias", batchnormEpsilon = "batchnorm_epsilon"
        case batchnormMomentum = "batchnorm_momentum", classes, labelValues = "label_values"
        case channelNames = "channel_names", intensityRange = "intensity_range", inference
    }

    /// Checks ranges shared by every kind. Caps keep a hostile file from
    /// describing a network that would need terabytes.
    func validate() throws {
        func fail(_ message: String) -> ModelError { .invalidConfig(message) }
        guard formatVersion == 1 else { throw fail("format_version is \(formatVersion), this library reads 1") }
        guard (1...8192).contains(imageSize) else { throw fail("image_size \(imageSize) is outside 1...8192") }
        guard (1...4096).contains(inputChannels) else { throw fail("input_channels \(inputChannels) is outside 1...4096") }
        guard (1...4096).contains(outputChannels) else { throw fail("output_channels \(outputChannels) is outside 1...4096") }
        guard batchnormEpsilon > 0, batchnormEpsilon < 1 else {
            throw fail("batchnorm_epsilon \(batchnormEpsilon) must be in (0, 1)")
        }
        guard batchnormMomentum >= 0, batchnormMomentum <= 1 else {
            throw fail("batchnorm_momentum \(batchnormMomentum) must be in [0, 1]")
        }
        guard classes.count == labelValues.count else {
            throw fail("\(classes.count) class names but \(labelValues.count) label_values")
        }
        guard Set(labelValues).count == labelValues.count else { throw fail("label_values \(labelValues) repeat a value") }
        guard labelValues.allSatisfy({ (0...65535).contains($0) }) else {
            throw fail("label_values \(labelValues) must be in 0...65535")
        }
        guard intensityRange == [-1, 1] else { throw fail("intensity_range \(intensityRange), expected [-1, 1]") }
    }
}

/// Validates a list of filter counts.
func validateFilters(_ filters: [Int], key: String, count: ClosedRange<Int>) throws {
    guard count.contains(filters.count) else {
        throw ModelError.invalidConfig("\(key) has \(filters.count) entries, expected \(count.lowerBound)...\(count.upperBound)")
    }
    guard filters.allSatisfy({ (1...8192).contains($0) }) else {
        throw ModelError.invalidConfig("\(key) \(filters) must all be in 1...8192")
    }
}
