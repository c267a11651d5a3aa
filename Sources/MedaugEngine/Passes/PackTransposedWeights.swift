import MedaugKernels
import MedaugSupport
import MedaugModels

/// Repacks every transposed convolution's IOHW weights to (O·k·k)×I once, so
/// its GEMM reads each output row's weights contiguously instead of with a
/// stride of O·k·k floats (which, for the deep 512-channel layers, touches a
/// new page on every step of the reduction). The mapped file's pages are
/// released, so the weights are still held once.
enum PackTransposedWeights {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        for index in graph.nodes.indices {
            guard case .convTranspose(var p) = graph.nodes[index].operation, p.layout == .file else { continue }
            let inChannels = graph.shapes[graph.nodes[index].inputs[0]].channels
            let packed = TensorValues(count: p.weights.count) {
                Convolution.packTransposedWeights(p.weights.buffer, inChannels: inChannels, into: $0)
            }
            p.weights.releaseFilePages()
            p.weights = packed
            p.layout = .outputMajor
            graph.nodes[index].operation = .convTranspose(p)
            log("pack \(graph.nodes[index].name) weights output-major")
        }
    }
}
