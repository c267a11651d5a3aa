/// The pix2pix U-Net generator (docs/design.md §1): label map (one-hot) → image.
///
/// `n = downFilters.count` down blocks (Conv k, stride s, padding p, BatchNorm
/// except optionally the first, LeakyReLU), a bottleneck conv (BatchNorm only
/// if `bottleneckBatchnorm`), `n` up blocks (ConvTranspose, BatchNorm if
/// `batchnormUpBlocks`, dropout in `dropoutUpBlocks` blocks from
/// `dropoutFirstUpBlock`, ReLU) each concatenated `[up, skipActivation(skip)]`
/// with the matching down output, and an output ConvTranspose with bias + tanh.
///
/// The paper's defaults need none of the last three options; they exist so
/// that generators trained elsewhere run unchanged: the TensorFlow tutorial's
/// innermost down block has BatchNorm + LeakyReLU (`bottleneckBatchnorm`,
/// `bottleneckActivation = .leaky_relu`), and junyanz's PyTorch
/// `UnetGenerator` applies ReLU to the whole concatenation, i.e. to the
/// (LeakyReLU'd) skip as well (`skipActivation = .relu`), with dropout in the
/// up blocks after the innermost (`dropoutFirstUpBlock = 1`).
public struct GeneratorConfig: Codable, Equatable, Sendable {
    public var common: CommonConfig
    public var kernelSize: Int
    public var stride: Int
    public var padding: Int
    public var downFilters: [Int]
    public var bottleneckFilters: Int
    public var upFilters: [Int]
    public var batchnormFirstBlock: Bool
    public var batchnormUpBlocks: Bool
    public var leakyReluSlope: Double
    public var bottleneckActivation: ActivationName
    public var dropout: Double
    public var dropoutUpBlocks: Int
    public var outputActivation: ActivationName
    /// BatchNorm after the bottleneck conv (JSON `bottleneck_batchnorm`, optional, default false).
    public var bottleneckBatchnorm: Bool = false
    /// Applied to each skip as it enters its concatenation: `identity` or
    /// `relu` (JSON `skip_activation`, optional, default identity).
    public var skipActivation: ActivationName = .identity
    /// First up block with dropout (JSON `dropout_first_up_block`, optional, default 0).
    public var dropoutFirstUpBlock: Int = 0

    enum CodingKeys: String, CodingKey {
        case kernelSize = "kernel_size", stride, padding
        case downFilters = "down_filters", bottleneckFilters = "bottleneck_filters", upFilters = "up_filters"
        case batchnormFirstBlock = "batchnorm_first_block", batchnormUpBlocks = "batchnorm_up_blocks"
        case leakyReluSlope = "leaky_relu_slope", bottleneckActivation = "bottleneck_activation"
        case dropout, dropoutUpBlocks = "dropout_up_blocks", outputActivation = "output_activation"
        case bottleneckBatchnorm = "bottleneck_batchnorm", skipActivation = "skip_activation"
        case dropoutFirstUpBlock = "dropout_first_up_block"
    }

    /// The paper's generator for `imageSize` (down blocks so the bottleneck is
    /// 1×1: 7 at 256×256), with filters 64, 128, 256, 512, 512, … capped at
    /// 512, and `classes` one-hot input channels.
    public static func paper(imageSize: Int = 256, classes: [String], labelValues: [Int],
                             channelNames: [String]) -> GeneratorConfig {
        // As many blocks as halvings leave a whole side, less the bottleneck's.
        let blocks = max(1, imageSize.trailingZeroBitCount - 1)
        let down = (0..<blocks).map { min(64 << $0, 512) }
        return GeneratorConfig(
            common: CommonConfig(
                formatVersion: 1, kind: .generator, imageSize: imageSize,
                inputChannels: classes.count, outputChannels: channelNames.count, convBias: false,
                batchnormEpsilon: 1e-5, batchnormMomentum: 0.1, classes: classes,
                labelValues: labelValues, channelNames: channelNames, intensityRange: [-1, 1],
                inference: InferenceMode(normalization: .running, dropout: false)),
            kernelSize: 4, stride: 2, padding: 1, downFilters: down, bottleneckFilters: 512,
            upFilters: down.reversed(), batchnormFirstBlock: false, batchnormUpBlocks: true,
            leakyReluSlope: 0.2, bottleneckActivation: .relu, dropout: 0.3,
            dropoutUpBlocks: blocks, outputActivation: .tanh)
    }

    public init(common: CommonConfig, kernelSize: Int, stride: Int, padding: Int, downFilters: [Int],
                bottleneckFilters: Int, upFilters: [Int], batchnormFirstBlock: Bool, batchnormUpBlocks: Bool,
                leakyReluSlope: Double, bottleneckActivation: ActivationName, dropout: Double,
                dropoutUpBlocks: Int, outputActivation: ActivationName) {
        self.common = common
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.downFilters = downFilters
        self.bottleneckFilters = bottleneckFilters
        self.upFilters = upFilters
        self.batchnormFirstBlock = batchnormFirstBlock
        self.batchnormUpBlocks = batchnormUpBlocks
        self.leakyReluSlope = leakyReluSlope
        self.bottleneckActivation = bottleneckActivation
        self.dropout = dropout
        self.dropoutUpBlocks = dropoutUpBlocks
        self.outputActivation = outputActivation
    }

    public init(from decoder: Decoder) throws {
        common = try CommonConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kernelSize = try c.decode(Int.self, forKey: .kernelSize)
        stride = try c.decode(Int.self, forKey: .stride)
        padding = try c.decode(Int.self, forKey: .padding)
        downFilters = try c.decode([Int].self, forKey: .downFilters)
        bottleneckFilters = try c.decode(Int.self, forKey: .bottleneckFilters)
        upFilters = try c.decode([Int].self, forKey: .upFilters)
        batchnormFirstBlock = try c.decode(Bool.self, forKey: .batchnormFirstBlock)
        batchnormUpBlocks = try c.decode(Bool.self, forKey: .batchnormUpBlocks)
        leakyReluSlope = try c.decode(Double.self, forKey: .leakyReluSlope)
        bottleneckActivation = try c.decode(ActivationName.self, forKey: .bottleneckActivation)
        dropout = try c.decode(Double.self, forKey: .dropout)
        dropoutUpBlocks = try c.decode(Int.self, forKey: .dropoutUpBlocks)
        outputActivation = try c.decode(ActivationName.self, forKey: .outputActivation)
        // Optional: files written before these options existed mean the paper's layout.
        bottleneckBatchnorm = try c.decodeIfPresent(Bool.self, forKey: .bottleneckBatchnorm) ?? false
        skipActivation = try c.decodeIfPresent(ActivationName.self, forKey: .skipActivation) ?? .identity
        dropoutFirstUpBlock = try c.decodeIfPresent(Int.self, forKey: .dropoutFirstUpBlock) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        try common.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(stride, forKey: .stride)
        try c.encode(padding, forKey: .padding)
        try c.encode(downFilters, forKey: .downFilters)
        try c.encode(bottleneckFilters, forKey: .bottleneckFilters)
        try c.encode(upFilters, forKey: .upFilters)
        try c.encode(batchnormFirstBlock, forKey: .batchnormFirstBlock)
        try c.encode(batchnormUpBlocks, forKey: .batchnormUpBlocks)
        try c.encode(leakyReluSlope, forKey: .leakyReluSlope)
        try c.encode(bottleneckActivation, forKey: .bottleneckActivation)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(dropoutUpBlocks, forKey: .dropoutUpBlocks)
        try c.encode(outputActivation, forKey: .outputActivation)
        try c.encode(bottleneckBatchnorm, forKey: .bottleneckBatchnorm)
        try c.encode(skipActivation, forKey: .skipActivation)
        try c.encode(dropoutFirstUpBlock, forKey: .dropoutFirstUpBlock)
    }

    /// Number of down (and up) blocks.
    public var blocks: Int { downFilters.count }

    /// Whether up block `j` has dropout (before its ReLU).
    public func upHasDropout(_ j: Int) -> Bool {
        dropout > 0 && j >= dropoutFirstUpBlock && j < dropoutFirstUpBlock + dropoutUpBlocks
    }

    /// Throws `ModelError.invalidConfig` naming the first inconsistency.
    public func validate() throws {
        try common.validate()
        func fail(_ message: String) -> ModelError { .invalidConfig(message) }
        guard common.kind == .generator else { throw fail("kind is \(common.kind.rawValue), expected generator") }
        try validateFilters(downFilters, key: "down_filters", count: 1...12)
        try validateFilters(upFilters, key: "up_filters", count: downFilters.count...downFilters.count)
        try validateFilters([bottleneckFilters], key: "bottleneck_filters", count: 1...1)
        guard (1...7).contains(kernelSize), (1...4).contains(stride), (0..<kernelSize).contains(padding) else {
            throw fail("kernel_size \(kernelSize), stride \(stride), padding \(padding) are out of range")
        }
        let factor = 1 << (blocks + 1)
        guard common.imageSize % factor == 0, stride == 2 else {
            throw fail("image_size \(common.imageSize) must be divisible by 2^(down blocks + 1) = \(factor) with stride 2 (found stride \(stride))")
        }
        // Each conv must halve and each ConvTranspose double the side exactly.
        let g = (kernelSize, padding)
        guard kernelSize - 2 * padding == 2 else {
            throw fail("kernel_size \(g.0) with padding \(g.1) does not halve the image at stride 2 (need k − 2p = 2)")
        }
        guard common.classes.count == common.inputChannels else {
            throw fail("\(common.classes.count) classes but input_channels \(common.inputChannels) (one-hot input)")
        }
        guard common.channelNames.count == common.outputChannels else {
            throw fail("\(common.channelNames.count) channel_names but output_channels \(common.outputChannels)")
        }
        guard leakyReluSlope >= 0, leakyReluSlope < 1 else { throw fail("leaky_relu_slope \(leakyReluSlope) must be in [0, 1)") }
        guard dropout >= 0, dropout < 1 else { throw fail("dropout \(dropout) must be in [0, 1)") }
        guard (0...blocks).contains(dropoutFirstUpBlock) else {
            throw fail("dropout_first_up_block \(dropoutFirstUpBlock) must be in 0...\(blocks)")
        }
        guard (0...(blocks - dropoutFirstUpBlock)).contains(dropoutUpBlocks) else {
            throw fail("dropout_up_blocks \(dropoutUpBlocks) from block \(dropoutFirstUpBlock) must be in 0...\(blocks - dropoutFirstUpBlock)")
        }
        guard skipActivation == .identity || skipActivation == .relu else {
            throw fail("skip_activation \(skipActivation.rawValue) must be identity or relu")
        }
        guard bottleneckActivation != .softmax, outputActivation != .softmax else {
            throw fail("softmax is not a generator activation")
        }
    }
}
