/// The PatchGAN discriminator (docs/design.md §1): `[condition, image]` → a grid of
/// real/fake probabilities (7×7 at 256×256).
///
/// Down blocks Conv k, stride s, padding p + BatchNorm (not on the first
/// unless `batchnormFirstBlock`) + LeakyReLU; output Conv k, stride 1,
/// padding p, one filter, with bias, then `outputActivation` (sigmoid).
public struct DiscriminatorConfig: Codable, Equatable, Sendable {
    public var common: CommonConfig
    public var kernelSize: Int
    public var stride: Int
    public var padding: Int
    public var filters: [Int]
    public var batchnormFirstBlock: Bool
    public var leakyReluSlope: Double
    public var conditionChannels: Int
    public var imageChannels: Int
    public var outputActivation: ActivationName

    enum CodingKeys: String, CodingKey {
        case kernelSize = "kernel_size", stride, padding, filters
        case batchnormFirstBlock = "batchnorm_first_block", leakyReluSlope = "leaky_relu_slope"
        case conditionChannels = "condition_channels", imageChannels = "image_channels"
        case outputActivation = "output_activation"
    }

    /// The paper's discriminator: filters 64, 128, 256, 512, 512.
    public static func paper(imageSize: Int = 256, classes: [String], labelValues: [Int],
                             channelNames: [String]) -> DiscriminatorConfig {
        DiscriminatorConfig(
            common: CommonConfig(
                formatVersion: 1, kind: .discriminator, imageSize: imageSize,
                inputChannels: classes.count + channelNames.count, outputChannels: 1, convBias: false,
                batchnormEpsilon: 1e-5, batchnormMomentum: 0.1, classes: classes,
                labelValues: labelValues, channelNames: channelNames, intensityRange: [-1, 1],
                inference: InferenceMode(normalization: .running, dropout: false)),
            kernelSize: 4, stride: 2, padding: 1, filters: [64, 128, 256, 512, 512],
            batchnormFirstBlock: false, leakyReluSlope: 0.2, conditionChannels: classes.count,
            imageChannels: channelNames.count, outputActivation: .sigmoid)
    }

    public init(common: CommonConfig, kernelSize: Int, stride: Int, padding: Int, filters: [Int],
                batchnormFirstBlock: Bool, leakyReluSlope: Double, conditionChannels: Int,
                imageChannels: Int, outputActivation: ActivationName) {
        self.common = common
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.filters = filters
        self.batchnormFirstBlock = batchnormFirstBlock
        self.leakyReluSlope = leakyReluSlope
        self.conditionChannels = conditionChannels
        self.imageChannels = imageChannels
        self.outputActivation = outputActivation
    }

    public init(from decoder: Decoder) throws {
        common = try CommonConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kernelSize = try c.decode(Int.self, forKey: .kernelSize)
        stride = try c.decode(Int.self, forKey: .stride)
        padding = try c.decode(Int.self, forKey: .padding)
        filters = try c.decode([Int].self, forKey: .filters)
        batchnormFirstBlock = try c.decode(Bool.self, forKey: .batchnormFirstBlock)
        leakyReluSlope = try c.decode(Double.self, forKey: .leakyReluSlope)
        conditionChannels = try c.decode(Int.self, forKey: .conditionChannels)
        imageChannels = try c.decode(Int.self, forKey: .imageChannels)
        outputActivation = try c.decode(ActivationName.self, forKey: .outputActivation)
    }

    public func encode(to encoder: Encoder) throws {
        try common.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(stride, forKey: .stride)
        try c.encode(padding, forKey: .padding)
        try c.encode(filters, forKey: .filters)
        try c.encode(batchnormFirstBlock, forKey: .batchnormFirstBlock)
        try c.encode(leakyReluSlope, forKey: .leakyReluSlope)
        try c.encode(conditionChannels, forKey: .conditionChannels)
        try c.encode(imageChannels, forKey: .imageChannels)
        try c.encode(outputActivation, forKey: .outputActivation)
    }

    /// Side of the output grid for an `imageSize` input, or nil if the input
    /// is too small for the network.
    public func outputSide(for imageSize: Int) -> Int? {
        var side = imageSize
        for _ in filters {
            guard side >= stride, side % stride == 0 else { return nil }
            side /= stride
        }
        let out = side + 2 * padding - kernelSize + 1
        return out >= 1 ? out : nil
    }

    /// Throws `ModelError.invalidConfig` naming the first inconsistency.
    public func validate() throws {
        try common.validate()
        func fail(_ message: String) -> ModelError { .invalidConfig(message) }
        guard common.kind == .discriminator else { throw fail("kind is \(common.kind.rawValue), expected discriminator") }
        try validateFilters(filters, key: "filters", count: 1...12)
        guard (1...7).contains(kernelSize), stride == 2, kernelSize - 2 * padding == 2 else {
            throw fail("kernel_size \(kernelSize), stride \(stride), padding \(padding): need stride 2 and k − 2p = 2")
        }
        guard conditionChannels + imageChannels == common.inputChannels else {
            throw fail("condition_channels \(conditionChannels) + image_channels \(imageChannels) ≠ input_channels \(common.inputChannels)")
        }
        guard common.classes.count == conditionChannels, common.channelNames.count == imageChannels else {
            throw fail("\(common.classes.count) classes / \(common.channelNames.count) channel_names do not match condition_channels \(conditionChannels) / image_channels \(imageChannels)")
        }
        guard common.outputChannels == 1 else { throw fail("output_channels \(common.outputChannels), expected 1") }
        guard outputSide(for: common.imageSize) != nil else {
            throw fail("image_size \(common.imageSize) is too small or not divisible by 2^\(filters.count)")
        }
        guard leakyReluSlope >= 0, leakyReluSlope < 1 else { throw fail("leaky_relu_slope \(leakyReluSlope) must be in [0, 1)") }
        guard outputActivation == .sigmoid || outputActivation == .identity else {
            throw fail("output_activation \(outputActivation.rawValue), expected sigmoid or identity (logits)")
        }
    }
}
