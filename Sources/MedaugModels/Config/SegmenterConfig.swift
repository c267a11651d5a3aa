/// The U-Net segmenter (Ronneberger style): image → class probabilities.
///
/// Per level two 3×3 convs (padding 1) + BatchNorm + ReLU (LeakyReLU with
/// `leaky_relu_slope` > 0); 2×2 max-pool down;
/// 2×2 stride-2 ConvTranspose (with bias) up, concatenated `[up, skip]`; a
/// 1×1 conv with bias to the classes; softmax. Level `l` has
/// `baseFilters·2^l` filters, the bottom level `depth`.
public struct SegmenterConfig: Codable, Equatable, Sendable {
    public var common: CommonConfig
    public var depth: Int
    public var baseFilters: Int
    public var outputActivation: ActivationName
    /// Negative slope of the hidden activations: 0 is ReLU (the default,
    /// and what files without the key mean), > 0 LeakyReLU, whose units
    /// cannot die (docs/design.md §2.1).
    public var leakyReluSlope: Double = 0
    /// How the training slices were made from volumes (optional key
    /// `preparation`; nil: `SlicePreparation.assumed` for whole volumes).
    public var preparation: SlicePreparation?

    enum CodingKeys: String, CodingKey {
        case depth, baseFilters = "base_filters", outputActivation = "output_activation"
        case leakyReluSlope = "leaky_relu_slope", preparation
    }

    /// The default segmenter: depth 4, 32 base filters.
    public static func standard(imageSize: Int = 256, classes: [String], labelValues: [Int],
                                channelNames: [String], depth: Int = 4, baseFilters: Int = 32,
                                leakyReluSlope: Double = 0) -> SegmenterConfig {
        var config = SegmenterConfig(
            common: CommonConfig(
                formatVersion: 1, kind: .segmenter, imageSize: imageSize,
                inputChannels: channelNames.count, outputChannels: classes.count, convBias: false,
                batchnormEpsilon: 1e-5, batchnormMomentum: 0.1, classes: classes,
                labelValues: labelValues, channelNames: channelNames, intensityRange: [-1, 1],
                inference: InferenceMode(normalization: .running, dropout: false)),
            depth: depth, baseFilters: baseFilters, outputActivation: .softmax)
        config.leakyReluSlope = leakyReluSlope
        return config
    }

    public init(common: CommonConfig, depth: Int, baseFilters: Int, outputActivation: ActivationName) {
        self.common = common
        self.depth = depth
        self.baseFilters = baseFilters
        self.outputActivation = outputActivation
    }

    public init(from decoder: Decoder) throws {
        common = try CommonConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        depth = try c.decode(Int.self, forKey: .depth)
        baseFilters = try c.decode(Int.self, forKey: .baseFilters)
        outputActivation = try c.decode(ActivationName.self, forKey: .outputActivation)
        leakyReluSlope = try c.decodeIfPresent(Double.self, forKey: .leakyReluSlope) ?? 0
        preparation = try c.decodeIfPresent(SlicePreparation.self, forKey: .preparation)
    }

    public func encode(to encoder: Encoder) throws {
        try common.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(depth, forKey: .depth)
        try c.encode(baseFilters, forKey: .baseFilters)
        try c.encode(outputActivation, forKey: .outputActivation)
        // Written only when set: ReLU files stay as 0.2.0 wrote them.
        if leakyReluSlope != 0 { try c.encode(leakyReluSlope, forKey: .leakyReluSlope) }
        try c.encodeIfPresent(preparation, forKey: .preparation)
    }

    /// Filters at level `level` (0 = outermost, `depth` = bottom).
    public func width(_ level: Int) -> Int { baseFilters << level }

    /// Throws `ModelError.invalidConfig` naming the first inconsistency.
    public func validate() throws {
        try common.validate()
        func fail(_ message: String) -> ModelError { .invalidConfig(message) }
        guard common.kind == .segmenter else { throw fail("kind is \(common.kind.rawValue), expected segmenter") }
        guard (1...8).contains(depth) else { throw fail("depth \(depth) must be in 1...8") }
        guard (1...1024).contains(baseFilters), baseFilters << depth <= 8192 else {
            throw fail("base_filters \(baseFilters) at depth \(depth) is out of range (bottom width ≤ 8192)")
        }
        guard common.imageSize % (1 << depth) == 0 else {
            throw fail("image_size \(common.imageSize) must be divisible by 2^depth = \(1 << depth)")
        }
        guard common.classes.count == common.outputChannels else {
            throw fail("\(common.classes.count) classes but output_channels \(common.outputChannels)")
        }
        guard common.channelNames.count == common.inputChannels else {
            throw fail("\(common.channelNames.count) channel_names but input_channels \(common.inputChannels)")
        }
        guard leakyReluSlope >= 0, leakyReluSlope < 1 else { throw fail("leaky_relu_slope \(leakyReluSlope) must be in [0, 1)") }
        try preparation?.validate()
        guard outputActivation == .softmax || outputActivation == .identity else {
            throw fail("output_activation \(outputActivation.rawValue), expected softmax or identity (logits)")
        }
    }
}
