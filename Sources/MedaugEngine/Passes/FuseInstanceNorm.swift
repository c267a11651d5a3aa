/// Instance mode: BatchNorm uses each image's own statistics, which depend on
/// the whole channel, so it cannot be folded into weights. It becomes the
/// producing convolution's epilogue normalisation instead: one pass over each
/// output plane right after the GEMM.
enum FuseInstanceNorm {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var index = 0
        while index < graph.nodes.count {
            guard case .batchNorm(let bn, .instance) = graph.nodes[index].operation,
                  let producer = Pipeline.fusableProducer(of: index, in: graph),
                  let epilogue = Pipeline.epilogue(of: graph.nodes[producer]),
                  epilogue.instanceNorm == nil, epilogue.dropout == nil, epilogue.activation == .identity
            else { index += 1; continue }
            let name = graph.nodes[index].name
            Pipeline.absorb(index, into: producer, in: &graph) { $0.epilogue.instanceNorm = bn }
            log("fuse \(name) (instance statistics) into \(graph.nodes[producer].name)")
        }
    }
}
