import MedaugKernels
import MedaugSupport
import MedaugModels

/// The U-Net segmenter of a `SegmenterConfig`, trainable: image
/// (N×channels×S×S) → class logits (N×classes×S×S), or softmax
/// probabilities with `mode.probabilities`.
///
/// Layers as `MedaugEngine`'s graph builder reads the configuration: per
/// encoder level two (3×3 conv → BatchNorm → ReLU, or LeakyReLU with
/// `leakyReluSlope` > 0), the second's output kept
/// as the skip, then 2×2 max-pool; the bottom level's two; per decoder level
/// (innermost first) a 2×2 stride-2 ConvTranspose with bias, concatenated
/// `[up, skip]`, two (conv → BatchNorm → ReLU); a 1×1 output conv with bias;
/// softmax. Training feeds the logits to `CrossEntropyLoss` and
/// `SoftDiceLoss`, which apply the softmax themselves.
public final class SegmenterNetwork: TrainableNetwork {
    /// The architecture.
    public let config: SegmenterConfig
    /// `.segmenter(config)`.
    public var modelConfig: ModelConfig { .segmenter(config) }
    /// Every stored tensor in `config.tensorSpecs` order.
    public let parameters: [Parameter]
    /// Threads for every layer's kernels; 1 runs on the caller's thread.
    public var threads = 1 {
        didSet {
            for chain in chains { chain.setThreads(threads) }
            for layer in pools as [Layer] + ups as [Layer] + [head as Layer] { layer.threads = threads }
            softmax?.threads = threads
        }
    }
    /// When false, backward skips the gradient with respect to the input
    /// image (data; saves the first layer's input-gradient GEMM).
    public var computesInputGradient: Bool {
        get { firstConv.computesInputGradient }
        set { firstConv.computesInputGradient = newValue }
    }

    private let workspace = Workspace()
    /// enc.0 … enc.(depth−1).
    private let encoders: [LayerChain]
    private let pools: [MaxPool2x2]
    private let bottom: LayerChain
    /// dec.l.up and dec.l's two convs, indexed by level l.
    private let ups: [ConvTranspose2D]
    private let concats: [Concat]
    private let decoders: [LayerChain]
    private let head: Conv2D
    private let softmax: Softmax?
    private let chains: [LayerChain]
    private let firstConv: Conv2D
    /// The skip half of each concatenation's gradient, by level.
    private var skipGradients: [TrainTensor?]
    private var appliedSoftmax = false

    /// Builds the network with zero weights (see `initialize(seed:)`).
    /// - Throws: `TrainerError.invalidArgument` for a configuration that
    ///   does not validate.
    public init(config: SegmenterConfig) throws(TrainerError) {
        try validateConfig(.segmenter(config))
        self.config = config
        let workspace = workspace
        let epsilon = Float(config.common.batchnormEpsilon), momentum = Float(config.common.batchnormMomentum)
        let bias = config.common.convBias
        let three = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        let hidden: Activation = config.leakyReluSlope > 0 ? .leakyRelu(Float(config.leakyReluSlope)) : .relu
        func doubleConv(_ prefix: String, input: Int, width: Int) throws(TrainerError) -> LayerChain {
            var layers: [Layer] = []
            for step in 1...2 {
                layers.append(try Conv2D(name: "\(prefix).conv\(step)", inChannels: step == 1 ? input : width,
                                         outChannels: width, geometry: three, hasBias: bias, workspace: workspace))
                layers.append(try BatchNorm2D(name: "\(prefix).bn\(step)", channels: width, epsilon: epsilon,
                                              momentum: momentum))
                layers.append(try ActivationLayer(hidden, name: "\(prefix).act\(step)"))
            }
            return LayerChain(layers)
        }
        var encoders: [LayerChain] = [], pools: [MaxPool2x2] = [], inChannels = config.common.inputChannels
        for level in 0..<config.depth {
            encoders.append(try doubleConv("enc.\(level)", input: inChannels, width: config.width(level)))
            pools.append(MaxPool2x2(name: "enc.\(level).pool"))
            inChannels = config.width(level)
        }
        bottom = try doubleConv("bottom", input: inChannels, width: config.width(config.depth))
        let two = ConvGeometry(kernel: 2, stride: 2, padding: 0)
        var ups: [ConvTranspose2D?] = Array(repeating: nil, count: config.depth)
        var decoders: [LayerChain?] = Array(repeating: nil, count: config.depth)
        var decoderParameters: [Parameter] = []
        for level in stride(from: config.depth - 1, through: 0, by: -1) {
            let up = try ConvTranspose2D(name: "dec.\(level).up", inChannels: config.width(level + 1),
                                         outChannels: config.width(level), geometry: two, hasBias: true,
                                         workspace: workspace)
            let decoder = try doubleConv("dec.\(level)", input: 2 * config.width(level), width: config.width(level))
            ups[level] = up
            decoders[level] = decoder
            decoderParameters += up.parameters + decoder.parameters
        }
        head = try Conv2D(name: "out.conv", inChannels: config.width(0), outChannels: config.common.outputChannels,
                          geometry: ConvGeometry(kernel: 1, stride: 1, padding: 0), hasBias: true,
                          workspace: workspace)
        softmax = config.outputActivation == .softmax ? Softmax(name: "out.act") : nil
        self.encoders = encoders
        self.pools = pools
        self.ups = ups.map { $0! }
        self.decoders = decoders.map { $0! }
        concats = (0..<config.depth).map { Concat(name: "dec.\($0).concat") }
        chains = encoders + [bottom] + self.decoders
        firstConv = encoders[0].layers[0] as! Conv2D
        parameters = encoders.flatMap(\.parameters) + bottom.parameters + decoderParameters + head.parameters
        skipGradients = Array(repeating: nil, count: config.depth)
    }

    /// A network of the file's configuration holding its weights.
    /// - Throws: `TrainerError.invalidArgument` if the file is not a segmenter.
    public convenience init(file: ModelFile) throws(TrainerError) {
        guard case .segmenter(let config) = file.config else {
            throw .invalidArgument("the file holds a \(file.config.kind.rawValue), not a segmenter")
        }
        try self.init(config: config)
        try load(from: file)
    }

    /// Logits, or probabilities with `mode.probabilities`, for an image
    /// batch whose sides are divisible by 2^depth.
    /// - Throws: `TrainerError.shapeMismatch` for a wrong channel count or a
    ///   side the poolings cannot halve exactly.
    public func forward(_ input: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor {
        let factor = 1 << config.depth
        guard input.shape.h % factor == 0, input.shape.w % factor == 0 else {
            throw .shapeMismatch("segmenter: input \(input.shape) must have sides divisible by 2^depth = \(factor)")
        }
        var x = input
        for level in 0..<config.depth {
            x = try encoders[level].forward(x, mode: mode)
            x = try pools[level].forward(x, training: mode.batchStatistics)
        }
        x = try bottom.forward(x, mode: mode)
        for level in stride(from: config.depth - 1, through: 0, by: -1) {
            let upOutput = try ups[level].forward(x, training: mode.batchStatistics)
            x = try concats[level].forward(upOutput, encoders[level].output!)
            x = try decoders[level].forward(x, mode: mode)
        }
        let logits = try head.forward(x, training: mode.batchStatistics)
        appliedSoftmax = mode.probabilities && softmax != nil
        guard appliedSoftmax, let softmax else { return logits }
        return try softmax.forward(logits, training: mode.batchStatistics)
    }

    /// d(objective)/d(image); adds every parameter gradient.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        var g = gradOutput
        if appliedSoftmax, let softmax { g = try softmax.backward(g) }
        g = try head.backward(g)
        for level in 0..<config.depth {
            g = try decoders[level].backward(g)
            let (upGradient, skipGradient) = try concats[level].backward(g)
            skipGradients[level] = skipGradient
            g = try ups[level].backward(upGradient)
        }
        g = try bottom.backward(g)
        for level in stride(from: config.depth - 1, through: 0, by: -1) {
            g = try pools[level].backward(g)
            // enc.l's output feeds the pool and, through the skip, dec.l.
            try addGradient(skipGradients[level]!, into: g, name: "enc.\(level)")
            g = try encoders[level].backward(g)
        }
        return g
    }
}
