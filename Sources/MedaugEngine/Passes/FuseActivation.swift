/// Applies an activation at the store of the producing convolution (ncnn's
/// `fuse_convolution_activation`), saving a pass over the tensor.
enum FuseActivation {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var index = 0
        while index < graph.nodes.count {
            guard case .activation(let activation) = graph.nodes[index].operation,
                  let producer = Pipeline.fusableProducer(of: index, in: graph),
                  Pipeline.epilogue(of: graph.nodes[producer])?.activation == .identity
            else { index += 1; continue }
            let name = graph.nodes[index].name
            Pipeline.absorb(index, into: producer, in: &graph) { $0.epilogue.activation = activation }
            log("fuse \(name) into \(graph.nodes[producer].name)")
        }
    }
}
