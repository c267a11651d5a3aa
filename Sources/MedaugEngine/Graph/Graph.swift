import MedaugKernels
import MedaugSupport
import MedaugModels

/// Index of a value (a tensor) in a graph.
public typealias ValueID = Int

/// A tensor's per-image shape; every value also has the batch dimension N.
public struct ValueShape: Equatable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var spatial: Int { height * width }
    public var elementsPerImage: Int { channels * height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }
    /// [N, C, H, W] of `batch` images of this shape.
    public func batchShape(_ batch: Int) -> [Int] { [batch, channels, height, width] }
}

/// Eval-mode BatchNorm parameters, all per channel.
public struct BatchNormParameters: @unchecked Sendable {
    public var scale: TensorValues      // γ
    public var shift: TensorValues      // β
    public var mean: TensorValues
    public var variance: TensorValues
    public var epsilon: Float
}

/// How a BatchNorm node normalises (fixed when the graph is built for a mode).
public enum BatchNormUse: Sendable {
    /// Running statistics: y = (x − mean)/√(var + ε)·γ + β.
    case running
    /// Per-image statistics with γ, β.
    case instance
}

/// What happens after a (transposed) convolution's GEMM. The builder leaves
/// it at bias-only; fusion passes fill in the rest.
public struct EpilogueSpec: @unchecked Sendable {
    public var bias: TensorValues?
    /// Instance normalisation with BatchNorm's γ, β (running-mode BatchNorm is
    /// folded into the weights instead).
    public var instanceNorm: BatchNormParameters?
    /// Dropout rate and the stream that keys its mask.
    public var dropout: DropoutSpec?
    public var activation: Activation = .identity
}

/// Dropout rate and the stream that keys its mask.
public struct DropoutSpec: Equatable, Sendable {
    public var rate: Float
    public var stream: UInt64
}

/// How a (transposed) convolution's weights are stored, and so which kernel
/// runs it. The file's layouts until a pass rewrites them.
public enum ConvWeightLayout: Sendable, Equatable {
    /// As in the file: OIHW for convolutions, IOHW for transposed ones.
    case file
    /// Transposed convolutions repacked to (O·k·k)×I for the GEMM
    /// (`PackTransposedWeights`).
    case outputMajor
    /// The GEMM's weight matrix (O×(C·k·k) for convolutions, the
    /// output-major one for transposed convolutions) packed for a
    /// column-exact kernel of few columns (`PackWeightPanels`).
    case packed(Gemm.Packing)
    /// Transformed for a Winograd kernel, which then runs the layer
    /// (`SelectWinograd`).
    case winograd(WinogradKernel)

    /// The packing of `packed` weights, else nil.
    public var packing: Gemm.Packing? {
        if case .packed(let packing) = self { return packing }
        return nil
    }
}

/// A convolution's weights and geometry.
public struct ConvParameters: @unchecked Sendable {
    /// Laid out as `layout` says.
    public var weights: TensorValues
    public var layout: ConvWeightLayout = .file
    public var geometry: ConvGeometry
    public var epilogue: EpilogueSpec

    /// The Winograd kernel that runs this layer, if its weights are
    /// transformed for one.
    public var winogradKernel: WinogradKernel? {
        if case .winograd(let kernel) = layout { return kernel }
        return nil
    }
}

/// One operation of the graph.
public enum Operation: @unchecked Sendable {
    case conv(ConvParameters)
    case convTranspose(ConvParameters)
    case batchNorm(BatchNormParameters, BatchNormUse)
    case activation(Activation)
    /// Inverted dropout, mask keyed by `stream` and the call's seed.
    case dropout(rate: Float, stream: UInt64)
    /// Channel concatenation. `inPlace` once the producers write straight
    /// into their slices of the output (then running it does nothing).
    case concat(inPlace: Bool)
    case maxPool(kernel: Int, stride: Int)

    /// Short name for plans and logs.
    public var name: String {
        switch self {
        case .conv: return "conv"
        case .convTranspose: return "conv_transpose"
        case .batchNorm: return "batch_norm"
        case .activation(let a): return a.description
        case .dropout: return "dropout"
        case .concat(let inPlace): return inPlace ? "concat(in place)" : "concat"
        case .maxPool: return "max_pool"
        }
    }

    /// A convolution's or transposed convolution's parameters, and which of
    /// the two it is; nil for other operations.
    var convolution: (parameters: ConvParameters, transposed: Bool)? {
        switch self {
        case .conv(let p): (p, false)
        case .convTranspose(let p): (p, true)
        default: nil
        }
    }

    /// The operation `convolution` reads back.
    static func convolution(_ parameters: ConvParameters, transposed: Bool) -> Operation {
        transposed ? .convTranspose(parameters) : .conv(parameters)
    }
}

/// A node: one operation reading `inputs` and writing `output`.
public struct Node: @unchecked Sendable {
    /// Name of the layer that created it, e.g. `down.3.conv`.
    public var name: String
    public var operation: Operation
    public var inputs: [ValueID]
    public var output: ValueID
}

/// A dataflow graph in execution order. Building records nodes and computes
/// nothing (ggml's split between building and running).
public struct Graph: @unchecked Sendable {
    public var shapes: [ValueShape] = []
    public var nodes: [Node] = []
    public var input: ValueID = 0
    public var output: ValueID = 0
    /// Block outputs by the names of docs/weights-format.md ("down.0", …).
    public var blockOutputs: [String: ValueID] = [:]

    /// Adds a value of the given shape and returns its id.
    public mutating func addValue(_ shape: ValueShape) -> ValueID {
        shapes.append(shape)
        return shapes.count - 1
    }

    /// The nodes reading `value`, by index.
    public func consumers(of value: ValueID) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(value) }
    }

    /// Index of the node writing `value`, if any.
    public func producer(of value: ValueID) -> Int? {
        nodes.firstIndex { $0.output == value }
    }

    /// Whether `value` must survive the run (graph output or a named block
    /// output someone asked to keep).
    func isObservable(_ value: ValueID) -> Bool {
        value == output || blockOutputs.values.contains(value)
    }

    /// Replaces every read of `old` by `new`, and renames block outputs.
    mutating func redirect(_ old: ValueID, to new: ValueID) {
        for i in nodes.indices {
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
        }
        for (name, value) in blockOutputs where value == old { blockOutputs[name] = new }
        if output == old { output = new }
    }

    /// A one-line-per-node listing (for `--print-plan` and test failures).
    public var listing: String {
        nodes.map { node in
            let inputs = node.inputs.map { "v\($0)" }.joined(separator: ", ")
            return "\(node.name): \(node.operation.name)(\(inputs)) -> v\(node.output) [\(shapes[node.output])]"
        }.joined(separator: "\n")
    }
}
