/// Stochastic mode: the dropout mask is applied in the producing
/// convolution's epilogue, after normalisation and before the activation,
/// the order the layers run in.
enum FuseDropout {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var index = 0
        while index < graph.nodes.count {
            guard case .dropout(let rate, let stream) = graph.nodes[index].operation,
                  let producer = Pipeline.fusableProducer(of: index, in: graph),
                  let epilogue = Pipeline.epilogue(of: graph.nodes[producer]),
                  epilogue.dropout == nil, epilogue.activation == .identity
            else { index += 1; continue }
            let name = graph.nodes[index].name
            Pipeline.absorb(index, into: producer, in: &graph) { $0.epilogue.dropout = DropoutSpec(rate: rate, stream: stream) }
            log("fuse \(name) into \(graph.nodes[producer].name)")
        }
    }
}
