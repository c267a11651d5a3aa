import MedaugKernels
import MedaugSupport

/// The optimisation passes, in their fixed order (ncnn's `main`): remove what
/// the mode makes dead, fold BatchNorm, fuse dropout and activation into the
/// producing convolution's epilogue, let concatenations happen in place,
/// crop kernel taps that only meet padding, and finally transform or repack
/// weights for their kernels (after folding and cropping, which work on the
/// file's OIHW and IOHW layouts).
public enum Pipeline {
    /// Options that decide which passes run.
    public struct Options: Sendable {
        /// Keep dropout nodes (stochastic mode) or remove them.
        public var dropout: Bool
        /// Run the fusion passes at all (false gives the unfused reference).
        public var optimize: Bool
        /// Print one line per rewrite.
        public var verbose: Bool

        public init(dropout: Bool, optimize: Bool = true, verbose: Bool = false) {
            self.dropout = dropout
            self.optimize = optimize
            self.verbose = verbose
        }
    }

    public static func run(_ graph: inout Graph, options: Options) {
        var log: (String) -> Void = { _ in }
        if options.verbose { log = { print("pass: \($0)") } }
        if !options.dropout { EliminateDropout.run(&graph, log: log) }
        guard options.optimize else { return }
        FoldBatchNorm.run(&graph, log: log)
        FuseInstanceNorm.run(&graph, log: log)
        FuseDropout.run(&graph, log: log)
        FuseActivation.run(&graph, log: log)
        ConcatInPlace.run(&graph, log: log)
        CropDeadTaps.run(&graph, log: log)
        SelectWinograd.run(&graph, log: log)
        PackWeightPanels.run(&graph, log: log)
        PackTransposedWeights.run(&graph, log: log)
    }

    /// If the node at `index` has a (transposed) convolution producing its
    /// only input, and that convolution's output has no other reader and is
    /// not observable, returns the producer's index.
    static func fusableProducer(of index: Int, in graph: Graph) -> Int? {
        let node = graph.nodes[index]
        guard node.inputs.count == 1, let producer = graph.producer(of: node.inputs[0]) else { return nil }
        switch graph.nodes[producer].operation {
        case .conv, .convTranspose: break
        default: return nil
        }
        let value = node.inputs[0]
        guard graph.consumers(of: value) == [index] else { return nil }
        // A block output read by nobody else may still be asked for by name;
        // fusing moves the name to the fused result only when it is the node's
        // own output, so an intermediate that is observable blocks the fusion.
        guard !graph.isObservable(value) else { return nil }
        return producer
    }

    /// Rewrites the producer at `producer` to also perform node `index`:
    /// the producer now writes the node's output, and the node is removed.
    static func absorb(_ index: Int, into producer: Int, in graph: inout Graph,
                       update: (inout ConvParameters) -> Void) {
        switch graph.nodes[producer].operation {
        case .conv(var p):
            update(&p)
            graph.nodes[producer].operation = .conv(p)
        case .convTranspose(var p):
            update(&p)
            graph.nodes[producer].operation = .convTranspose(p)
        default:
            preconditionFailure("absorb into a non-convolution")
        }
        graph.nodes[producer].output = graph.nodes[index].output
        graph.nodes.remove(at: index)
    }

    /// The epilogue of a (transposed) convolution node.
    static func epilogue(of node: Node) -> EpilogueSpec? {
        switch node.operation {
        case .conv(let p), .convTranspose(let p): return p.epilogue
        default: return nil
        }
    }
}
