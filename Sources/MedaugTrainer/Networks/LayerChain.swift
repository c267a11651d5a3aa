import MedaugKernels
import MedaugSupport
import MedaugModels

/// Layers run one after another (a block such as conv → BatchNorm → dropout
/// → activation); backward runs them in reverse.
///
/// Each layer is told its own mode: BatchNorm follows
/// `ForwardMode.batchStatistics`, dropout `ForwardMode.dropout`.
final class LayerChain {
    let layers: [Layer]
    /// Per layer: true for a `Dropout` (decided once, not per step).
    private let isDropout: [Bool]
    /// The last forward's output (owned by the last layer), e.g. a skip
    /// connection's source.
    private(set) var output: TrainTensor?

    init(_ layers: [Layer]) {
        self.layers = layers
        isDropout = layers.map { $0 is Dropout }
    }

    /// Every stored tensor of the chain's layers, in layer order.
    var parameters: [Parameter] { layers.flatMap(\.parameters) }

    func setThreads(_ threads: Int) { for layer in layers { layer.threads = threads } }

    func forward(_ input: TrainTensor, mode: ForwardMode) throws(TrainerError) -> TrainTensor {
        var x = input
        for index in layers.indices {
            x = try layers[index].forward(x, training: isDropout[index] ? mode.dropout : mode.batchStatistics)
        }
        output = x
        return x
    }

    func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        var g = gradOutput
        for index in layers.indices.reversed() { g = try layers[index].backward(g) }
        return g
    }
}

/// The kernel activation for a configuration name.
func activation(named name: ActivationName, slope: Double) -> Activation {
    switch name {
    case .identity: return .identity
    case .relu: return .relu
    case .leaky_relu: return .leakyRelu(Float(slope))
    case .tanh: return .tanh
    case .sigmoid: return .sigmoid
    case .softmax: return .softmax
    }
}

/// `config.validate()` with its `ModelError` reported as a `TrainerError`.
func validateConfig(_ config: ModelConfig) throws(TrainerError) {
    do {
        try config.validate()
    } catch {
        throw .invalidArgument("cannot build the \(config.kind.rawValue): \(error)")
    }
}

/// target += addend, elementwise (a skip connection's gradient joining the
/// main path's).
/// - Throws: `TrainerError.shapeMismatch` if the shapes differ.
func addGradient(_ addend: TrainTensor, into target: TrainTensor, name: String) throws(TrainerError) {
    guard addend.shape == target.shape else {
        throw .shapeMismatch("'\(name)': skip gradient is \(addend.shape), the main path's \(target.shape)")
    }
    let a = addend.pointer, t = target.pointer
    for i in 0..<target.count { t[i] += a[i] }
}
