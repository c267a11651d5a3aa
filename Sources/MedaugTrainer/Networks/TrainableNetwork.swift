import Foundation
import MedaugModels

/// How a network runs one forward pass: which BatchNorm statistics, whether
/// dropout is active, and whether a probability head (the discriminator's
/// sigmoid, the segmenter's softmax) is applied.
///
/// Training uses batch statistics (and updates the running ones), active
/// dropout and no probability head: the losses take logits
/// (`BCEWithLogitsLoss`, `CrossEntropyLoss`, `SoftDiceLoss`). Inference uses
/// the running statistics, no dropout and the head, as the engine's
/// `running` mode does. The generator's output activation (tanh) is always
/// applied: its image is what the losses and the discriminator see.
public struct ForwardMode: Equatable, Sendable {
    /// BatchNorm normalises with the batch's own statistics and updates the
    /// running ones (training), else with the running statistics (eval).
    /// At batch 1 the batch statistics are the image's own: the engine's
    /// `instance` mode.
    public var batchStatistics: Bool
    /// Dropout layers apply their mask (keyed by the network's `dropoutSeed`).
    public var dropout: Bool
    /// The final sigmoid (discriminator) or softmax (segmenter) is applied;
    /// when false the network returns logits.
    public var probabilities: Bool

    /// A mode with each choice given.
    public init(batchStatistics: Bool, dropout: Bool, probabilities: Bool) {
        self.batchStatistics = batchStatistics
        self.dropout = dropout
        self.probabilities = probabilities
    }

    /// Batch statistics, dropout on, logits out: a training step.
    public static let training = ForwardMode(batchStatistics: true, dropout: true, probabilities: false)
    /// Running statistics, dropout off, probabilities out: the engine's
    /// `running` mode with dropout off.
    public static let inference = ForwardMode(batchStatistics: false, dropout: false, probabilities: true)
}

/// A whole network assembled from a model configuration, with a backward
/// pass through all of it and parameters named as in the weights file.
///
/// The same contract as `Layer`: `forward` returns a tensor the network owns
/// (overwritten by the next forward), `backward` adds every parameter's
/// gradient and returns d(objective)/d(input), and after the first step at a
/// batch shape nothing is allocated.
public protocol TrainableNetwork: AnyObject {
    /// The configuration the network was built from, as a weights file
    /// stores it.
    var modelConfig: ModelConfig { get }
    /// Every stored tensor, in the order and with the names and shapes of
    /// `modelConfig.tensorSpecs`.
    var parameters: [Parameter] { get }
    /// Threads for every layer's kernels (1 = the caller's thread only).
    var threads: Int { get set }
    /// Runs the network on an NCHW batch of `modelConfig.common.inputChannels`
    /// channels.
    /// - Throws: `TrainerError.shapeMismatch` for an input it cannot take.
    func forward(_ input: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor
    /// Differentiates the last forward: adds the parameter gradients and
    /// returns d(objective)/d(input) (zeros when `computesInputGradient` is
    /// false).
    /// - Throws: `TrainerError.backwardBeforeForward`, or `.shapeMismatch`
    ///   when `gradOutput` does not have the last output's shape.
    func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor
}

extension TrainableNetwork {
    /// `forward(input, mode: training ? .training : .inference)`.
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        try forward(input, mode: training ? .training : .inference)
    }

    /// The parameters an optimiser updates (running statistics excluded).
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for parameter in parameters { parameter.zeroGradient() } }

    /// Sets `requiresGradient` on every trainable parameter: false freezes
    /// the network for a backward pass that only needs its input gradient
    /// (pix2pix's `set_requires_grad(netD, False)`).
    public func setRequiresGradients(_ requiresGradient: Bool) {
        for parameter in parameters where parameter.isTrainable { parameter.requiresGradient = requiresGradient }
    }

    /// `RandomInit.weights(for:seed:)`: conv and ConvTranspose weights
    /// N(0, `standardDeviation`), biases 0, BatchNorm γ = 1, β = 0, running
    /// mean 0, running variance 1. The values equal `medaug model init` with
    /// the same seed, tensor by tensor.
    public func initialize(seed: UInt64, standardDeviation: Float = 0.02) {
        for parameter in parameters {
            switch TensorRole.of(parameter.name) {
            case .convWeight: parameter.fillNormal(seed: seed, standardDeviation: standardDeviation)
            case .convBias, .bnBias, .bnMean: parameter.value.update(repeating: 0)
            case .bnWeight, .bnVariance: parameter.value.update(repeating: 1)
            }
        }
    }

    /// Every tensor by name (allocates), for
    /// `ModelFile.write(config: modelConfig, tensors: tensors(), to:)`.
    public func tensors() -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for parameter in parameters { result[parameter.name] = parameter.values() }
        return result
    }

    /// Copies every tensor from a weights file of the same architecture
    /// (class, label and channel names may differ: the network keeps its own).
    /// - Throws: `TrainerError.invalidArgument` when the file holds another
    ///   kind or configuration (build the network from the file's
    ///   configuration instead), `.shapeMismatch` when a tensor differs.
    public func load(from file: ModelFile) throws(TrainerError) {
        guard file.config.kind == modelConfig.kind else {
            throw .invalidArgument("the file holds a \(file.config.kind.rawValue), this network is a "
                                   + "\(modelConfig.kind.rawValue)")
        }
        // The configuration first: its differences name the option at fault.
        var fileConfig = file.config
        fileConfig.adoptDescription(of: modelConfig)
        guard fileConfig == modelConfig else {
            throw .invalidArgument("the file's \(file.config.kind.rawValue) configuration differs from this network's: "
                                   + ModelConfig.differences(fileConfig, modelConfig))
        }
        let specs = file.config.tensorSpecs
        for (spec, parameter) in zip(specs, parameters) where spec.name != parameter.name || spec.shape != parameter.shape {
            throw .shapeMismatch("the file has tensor '\(spec.name)' of shape \(spec.shape) where this network has "
                                 + "'\(parameter.name)' of shape \(parameter.shape)")
        }
        guard specs.count == parameters.count else {
            let extra = specs.count > parameters.count ? "the file's '\(specs[parameters.count].name)'"
                : "this network's '\(parameters[specs.count].name)'"
            throw .shapeMismatch("the file has \(specs.count) tensors, this network \(parameters.count); the first "
                                 + "unmatched is \(extra)")
        }
        for parameter in parameters {
            let values = file.tensor(parameter.name).buffer
            _ = parameter.value.update(fromContentsOf: values)
        }
    }
}

extension ModelConfig {
    /// The top-level keys whose values differ, as "key: file A, network B"
    /// (the whole JSON when the difference is not in a top-level key).
    static func differences(_ file: ModelConfig, _ network: ModelConfig) -> String {
        func object(_ config: ModelConfig) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(config.jsonString().utf8))) as? [String: Any] ?? [:]
        }
        func text(_ value: Any?) -> String {
            guard let value else { return "absent" }
            guard JSONSerialization.isValidJSONObject([value]),
                  let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        let (a, b) = (object(file), object(network))
        let keys = Set(a.keys).union(b.keys).sorted().filter { text(a[$0]) != text(b[$0]) }
        guard !keys.isEmpty else { return "file \(file.jsonString()); network \(network.jsonString())" }
        return keys.map { "\($0): file \(text(a[$0])), network \(text(b[$0]))" }.joined(separator: "; ")
    }

    /// Takes `other`'s recommended inference mode and naming (class names,
    /// stored label values, channel names): none of them changes the
    /// network, so `load(from:)` ignores them, and a converted generator
    /// whose classes were named otherwise can start a run on the data.
    mutating func adoptDescription(of other: ModelConfig) {
        let source = other.common
        func adopt(_ common: inout CommonConfig) {
            common.inference = source.inference
            common.classes = source.classes
            common.labelValues = source.labelValues
            common.channelNames = source.channelNames
        }
        switch self {
        case .generator(var g): adopt(&g.common); self = .generator(g)
        case .discriminator(var d): adopt(&d.common); self = .discriminator(d)
        case .segmenter(var s): adopt(&s.common); self = .segmenter(s)
        }
    }
}

extension ModelConfig {
    /// Replaces the recommended inference mode (which does not change the
    /// network).
    mutating func setInference(_ inference: InferenceMode) {
        switch self {
        case .generator(var g): g.common.inference = inference; self = .generator(g)
        case .discriminator(var d): d.common.inference = inference; self = .discriminator(d)
        case .segmenter(var s): s.common.inference = inference; self = .segmenter(s)
        }
    }
}
