import MedaugKernels
import MedaugSupport
import MedaugModels

/// The pix2pix U-Net generator of a `GeneratorConfig`, trainable: one-hot
/// label map (N×classes×S×S) → image (N×channels×S×S, tanh).
///
/// Layers exactly as `MedaugEngine`'s graph builder reads the configuration
/// (docs/weights-format.md): `n` down blocks conv → BatchNorm (not on the
/// first unless `batchnorm_first_block`) → LeakyReLU; bottleneck conv →
/// BatchNorm (if `bottleneck_batchnorm`) → its activation; `n` up blocks
/// ConvTranspose → BatchNorm (if `batchnorm_up_blocks`) → dropout (the
/// `dropout_up_blocks` from `dropout_first_up_block`) → ReLU, each
/// concatenated `[up, skip_activation(skip)]` with down block `n − 1 − j`; output
/// ConvTranspose with bias → tanh. Dropout masks use the engine's streams
/// (`RandomInit.stableHash("up.j.dropout")`), so with the same seed and
/// batch statistics at batch 1 the masks equal the engine's `instance` run.
///
/// Backward follows the skips: each concatenation's gradient is split, and
/// the skip half is added to the gradient arriving at that down block's
/// output from the block above.
public final class GeneratorNetwork: TrainableNetwork {
    /// The architecture.
    public let config: GeneratorConfig
    /// `.generator(config)`.
    public var modelConfig: ModelConfig { .generator(config) }
    /// Every stored tensor in `config.tensorSpecs` order.
    public let parameters: [Parameter]
    /// Threads for every layer's kernels; 1 runs on the caller's thread.
    public var threads = 1 { didSet { for chain in chains { chain.setThreads(threads) } } }
    /// Keys the dropout masks of the next forward (set once per step).
    public var dropoutSeed: UInt64 = 0 { didSet { for layer in dropouts { layer.seed = dropoutSeed } } }
    /// When false, backward skips the gradient with respect to the input
    /// (the label map is data; saves the first layer's input-gradient GEMM).
    public var computesInputGradient: Bool {
        get { firstConv.computesInputGradient }
        set { firstConv.computesInputGradient = newValue }
    }

    private let workspace = Workspace()
    private let down: [LayerChain]
    private let bottleneck: LayerChain
    private let up: [LayerChain]
    private let concats: [Concat]
    /// The activation each skip passes through into its concatenation (nil: identity), by up block.
    private let skipActivations: [LayerChain?]
    private let head: LayerChain
    private let chains: [LayerChain]
    private let dropouts: [Dropout]
    private let firstConv: Conv2D
    /// The skip half of each concatenation's gradient, by down block.
    private var skipGradients: [TrainTensor?]

    /// Builds the network with zero weights (see `initialize(seed:)`).
    /// - Throws: `TrainerError.invalidArgument` for a configuration that
    ///   does not validate.
    public init(config: GeneratorConfig) throws(TrainerError) {
        try validateConfig(.generator(config))
        self.config = config
        let g = ConvGeometry(kernel: config.kernelSize, stride: config.stride, padding: config.padding)
        let bias = config.common.convBias, n = config.blocks
        let epsilon = Float(config.common.batchnormEpsilon), momentum = Float(config.common.batchnormMomentum)
        let leaky = Activation.leakyRelu(Float(config.leakyReluSlope))
        var down: [LayerChain] = [], inChannels = config.common.inputChannels
        var firstConv: Conv2D?
        for (i, filters) in config.downFilters.enumerated() {
            let conv = try Conv2D(name: "down.\(i).conv", inChannels: inChannels, outChannels: filters, geometry: g,
                                  hasBias: bias, workspace: workspace)
            if i == 0 { firstConv = conv }
            var layers: [Layer] = [conv]
            if config.downHasBatchNorm(i) {
                layers.append(try BatchNorm2D(name: "down.\(i).bn", channels: filters, epsilon: epsilon, momentum: momentum))
            }
            layers.append(try ActivationLayer(leaky, name: "down.\(i).act"))
            down.append(LayerChain(layers))
            inChannels = filters
        }
        var bottleneckLayers: [Layer] = [
            try Conv2D(name: "bottleneck.conv", inChannels: inChannels, outChannels: config.bottleneckFilters,
                       geometry: g, hasBias: bias, workspace: workspace),
        ]
        if config.bottleneckBatchnorm {
            bottleneckLayers.append(try BatchNorm2D(name: "bottleneck.bn", channels: config.bottleneckFilters,
                                                    epsilon: epsilon, momentum: momentum))
        }
        let bottleneckActivation = activation(named: config.bottleneckActivation, slope: config.leakyReluSlope)
        if bottleneckActivation != .identity {
            bottleneckLayers.append(try ActivationLayer(bottleneckActivation, name: "bottleneck.act"))
        }
        var up: [LayerChain] = [], concats: [Concat] = [], dropouts: [Dropout] = []
        var skipActivations: [LayerChain?] = []
        for (j, filters) in config.upFilters.enumerated() {
            var layers: [Layer] = [
                try ConvTranspose2D(name: "up.\(j).convt", inChannels: config.upInputChannels(j), outChannels: filters,
                                    geometry: g, hasBias: bias, workspace: workspace),
            ]
            if config.batchnormUpBlocks {
                layers.append(try BatchNorm2D(name: "up.\(j).bn", channels: filters, epsilon: epsilon, momentum: momentum))
            }
            if config.upHasDropout(j) {
                let name = "up.\(j).dropout"
                let layer = try Dropout(name: name, rate: Float(config.dropout), stream: RandomInit.stableHash(name))
                dropouts.append(layer)
                layers.append(layer)
            }
            layers.append(try ActivationLayer(.relu, name: "up.\(j).act"))
            up.append(LayerChain(layers))
            concats.append(Concat(name: "up.\(j).concat"))
            let skipActivation = activation(named: config.skipActivation, slope: 0)
            skipActivations.append(skipActivation == .identity
                ? nil : LayerChain([try ActivationLayer(skipActivation, name: "up.\(j).skip_act")]))
        }
        var headLayers: [Layer] = [
            try ConvTranspose2D(name: "out.convt", inChannels: config.upFilters[n - 1] + config.downFilters[0],
                                outChannels: config.common.outputChannels, geometry: g, hasBias: true,
                                workspace: workspace),
        ]
        let outputActivation = activation(named: config.outputActivation, slope: config.leakyReluSlope)
        if outputActivation != .identity { headLayers.append(try ActivationLayer(outputActivation, name: "out.act")) }
        self.down = down
        bottleneck = LayerChain(bottleneckLayers)
        self.up = up
        self.concats = concats
        self.skipActivations = skipActivations
        head = LayerChain(headLayers)
        self.dropouts = dropouts
        self.firstConv = firstConv!
        chains = down + [bottleneck] + up + [head] + skipActivations.compactMap { $0 }
        parameters = chains.flatMap(\.parameters)
        skipGradients = Array(repeating: nil, count: n)
    }

    /// A network of the file's configuration holding its weights.
    /// - Throws: `TrainerError.invalidArgument` if the file is not a generator.
    public convenience init(file: ModelFile) throws(TrainerError) {
        guard case .generator(let config) = file.config else {
            throw .invalidArgument("the file holds a \(file.config.kind.rawValue), not a generator")
        }
        try self.init(config: config)
        try load(from: file)
    }

    /// The image for a one-hot label map (N×classes×S×S, S divisible by
    /// 2^(blocks + 1)); `mode.probabilities` does not apply (tanh always).
    /// - Throws: `TrainerError.shapeMismatch` for a wrong channel count or a
    ///   side the blocks cannot halve.
    public func forward(_ input: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor {
        let n = config.blocks
        let factor = 1 << (n + 1)
        guard input.shape.h % factor == 0, input.shape.w % factor == 0 else {
            throw .shapeMismatch("generator: input \(input.shape) must have sides divisible by 2^(blocks + 1) = \(factor)")
        }
        var x = input
        for chain in down { x = try chain.forward(x, mode: mode) }
        x = try bottleneck.forward(x, mode: mode)
        for j in 0..<n {
            let upOutput = try up[j].forward(x, mode: mode)
            var skip = down[n - 1 - j].output!
            if let skipActivation = skipActivations[j] { skip = try skipActivation.forward(skip, mode: mode) }
            x = try concats[j].forward(upOutput, skip)
        }
        return try head.forward(x, mode: mode)
    }

    /// d(objective)/d(label map); adds every parameter gradient.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let n = config.blocks
        var g = try head.backward(gradOutput)
        for j in stride(from: n - 1, through: 0, by: -1) {
            var (upGradient, skipGradient) = try concats[j].backward(g)
            if let skipActivation = skipActivations[j] { skipGradient = try skipActivation.backward(skipGradient) }
            skipGradients[n - 1 - j] = skipGradient
            g = try up[j].backward(upGradient)
        }
        g = try bottleneck.backward(g)
        for i in stride(from: n - 1, through: 0, by: -1) {
            // down.i's output feeds the block above and, through the skip, up.(n−1−i).
            try addGradient(skipGradients[i]!, into: g, name: "down.\(i)")
            g = try down[i].backward(g)
        }
        return g
    }
}
