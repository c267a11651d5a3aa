import MedaugKernels
import MedaugSupport
import MedaugModels

/// The PatchGAN discriminator of a `DiscriminatorConfig`, trainable:
/// `[condition, image]` (N×(classes + channels)×S×S) → a grid of real/fake
/// logits, or probabilities with `mode.probabilities`.
///
/// Layers as `MedaugEngine`'s graph builder reads the configuration: down
/// blocks conv → BatchNorm (not on the first unless
/// `batchnorm_first_block`) → LeakyReLU; output conv (kernel k, stride 1,
/// padding p, bias) → sigmoid. Training runs without the sigmoid and feeds
/// the logits to `BCEWithLogitsLoss`, which is stable where
/// log(sigmoid) is not.
public final class DiscriminatorNetwork: TrainableNetwork {
    /// The architecture.
    public let config: DiscriminatorConfig
    /// `.discriminator(config)`.
    public var modelConfig: ModelConfig { .discriminator(config) }
    /// Every stored tensor in `config.tensorSpecs` order.
    public let parameters: [Parameter]
    /// Threads for every layer's kernels; 1 runs on the caller's thread.
    public var threads = 1 {
        didSet {
            body.setThreads(threads)
            sigmoid?.threads = threads
        }
    }
    /// When false, backward skips the gradient with respect to the input
    /// (a discriminator step needs none; a generator step needs the image's).
    public var computesInputGradient: Bool {
        get { firstConv.computesInputGradient }
        set { firstConv.computesInputGradient = newValue }
    }

    /// While true, its convolutions transform their weights for Winograd
    /// once and reuse them (`Conv2D.reusesWeightTransforms`): set it only
    /// while the weights stay fixed, and false before they change.
    public var reusesWeightTransforms = false {
        didSet { for conv in convolutions { conv.reusesWeightTransforms = reusesWeightTransforms } }
    }

    private let workspace = Workspace()
    private let convolutions: [Conv2D]
    private let body: LayerChain
    private let sigmoid: ActivationLayer?
    private let firstConv: Conv2D
    private let inputConcat = Concat(name: "input.concat")
    /// Whether the last forward applied the sigmoid.
    private var appliedSigmoid = false

    /// Builds the network with zero weights (see `initialize(seed:)`).
    /// - Throws: `TrainerError.invalidArgument` for a configuration that
    ///   does not validate.
    public init(config: DiscriminatorConfig) throws(TrainerError) {
        try validateConfig(.discriminator(config))
        self.config = config
        let g = ConvGeometry(kernel: config.kernelSize, stride: config.stride, padding: config.padding)
        let epsilon = Float(config.common.batchnormEpsilon), momentum = Float(config.common.batchnormMomentum)
        let leaky = Activation.leakyRelu(Float(config.leakyReluSlope))
        var layers: [Layer] = [], inChannels = config.common.inputChannels
        var firstConv: Conv2D?
        for (i, filters) in config.filters.enumerated() {
            let conv = try Conv2D(name: "down.\(i).conv", inChannels: inChannels, outChannels: filters, geometry: g,
                                  hasBias: config.common.convBias, workspace: workspace)
            if i == 0 { firstConv = conv }
            layers.append(conv)
            if i > 0 || config.batchnormFirstBlock {
                layers.append(try BatchNorm2D(name: "down.\(i).bn", channels: filters, epsilon: epsilon, momentum: momentum))
            }
            layers.append(try ActivationLayer(leaky, name: "down.\(i).act"))
            inChannels = filters
        }
        let last = ConvGeometry(kernel: config.kernelSize, stride: 1, padding: config.padding)
        layers.append(try Conv2D(name: "out.conv", inChannels: inChannels, outChannels: 1, geometry: last,
                                 hasBias: true, workspace: workspace))
        body = LayerChain(layers)
        sigmoid = config.outputActivation == .sigmoid ? try ActivationLayer(.sigmoid, name: "out.act") : nil
        self.firstConv = firstConv!
        convolutions = layers.compactMap { $0 as? Conv2D }
        parameters = body.parameters
    }

    /// A network of the file's configuration holding its weights.
    /// - Throws: `TrainerError.invalidArgument` if the file is not a
    ///   discriminator.
    public convenience init(file: ModelFile) throws(TrainerError) {
        guard case .discriminator(let config) = file.config else {
            throw .invalidArgument("the file holds a \(file.config.kind.rawValue), not a discriminator")
        }
        try self.init(config: config)
        try load(from: file)
    }

    /// Logits (N×1×G×G), or probabilities with `mode.probabilities`, for an
    /// input already concatenated `[condition, image]`.
    /// - Throws: `TrainerError.shapeMismatch` for a wrong channel count or a
    ///   side the blocks cannot halve.
    public func forward(_ input: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor {
        guard config.outputSide(for: input.shape.h) != nil, config.outputSide(for: input.shape.w) != nil else {
            throw .shapeMismatch("discriminator: input \(input.shape) is too small or its sides are not divisible "
                                 + "by 2^\(config.filters.count)")
        }
        let logits = try body.forward(input, mode: mode)
        appliedSigmoid = mode.probabilities && sigmoid != nil
        guard appliedSigmoid, let sigmoid else { return logits }
        return try sigmoid.forward(logits, training: mode.batchStatistics)
    }

    /// `forward([condition, image])`, concatenating along channels first.
    /// - Throws: `TrainerError.shapeMismatch` if the two disagree in N, H, W
    ///   or their channels are not `condition_channels` and `image_channels`.
    public func forward(condition: TrainTensor, image: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor {
        guard condition.shape.c == config.conditionChannels, image.shape.c == config.imageChannels else {
            throw .shapeMismatch("discriminator: expected \(config.conditionChannels) condition and "
                                 + "\(config.imageChannels) image channels, found \(condition.shape) and \(image.shape)")
        }
        return try forward(try inputConcat.forward(condition, image), mode: mode)
    }

    /// d(objective)/d(input) (the concatenated input); adds every parameter
    /// gradient.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        var g = gradOutput
        if appliedSigmoid, let sigmoid { g = try sigmoid.backward(g) }
        return try body.backward(g)
    }

    /// `backward`, split into the condition's and the image's gradients,
    /// after `forward(condition:image:mode:)`. The image's is what a
    /// generator step propagates into the generator.
    /// - Throws: as `backward`.
    public func backwardInputs(_ gradOutput: TrainTensor) throws(TrainerError)
        -> (condition: TrainTensor, image: TrainTensor) {
        let (condition, image) = try inputConcat.backward(try backward(gradOutput))
        return (condition, image)
    }
}
