import MedaugModels

/// Folds eval-mode (running statistics) BatchNorm into the preceding
/// convolution: with b = γ/√(var + ε) and a = β − γ·mean/√(var + ε), every
/// output channel's weights are scaled by b and its bias becomes bias·b + a
/// (a zero bias is created when there was none). Conv weights are OIHW, so
/// the output channel is axis 0; ConvTranspose weights are IOHW, axis 1.
enum FoldBatchNorm {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var index = 0
        while index < graph.nodes.count {
            guard case .batchNorm(let bn, .running) = graph.nodes[index].operation,
                  let producer = Pipeline.fusableProducer(of: index, in: graph),
                  Pipeline.epilogue(of: graph.nodes[producer])?.instanceNorm == nil,
                  Pipeline.epilogue(of: graph.nodes[producer])?.activation == .identity,
                  Pipeline.epilogue(of: graph.nodes[producer])?.dropout == nil
            else { index += 1; continue }
            let name = graph.nodes[index].name
            let transposed: Bool
            if case .convTranspose = graph.nodes[producer].operation { transposed = true } else { transposed = false }
            let channels = bn.scale.count
            Pipeline.absorb(index, into: producer, in: &graph) { p in
                var factor = [Float](repeating: 0, count: channels)
                var bias = [Float](repeating: 0, count: channels)
                for c in 0..<channels {
                    let b = Double(bn.scale[c]) / (Double(bn.variance[c]) + Double(bn.epsilon)).squareRoot()
                    factor[c] = Float(b)
                    let oldBias = Double(p.epilogue.bias?[c] ?? 0)
                    bias[c] = Float((oldBias - Double(bn.mean[c])) * b + Double(bn.shift[c]))
                }
                let source = p.weights.buffer
                let taps = p.geometry.kernel * p.geometry.kernel
                // Scaled straight into the new buffer (no intermediate copy).
                let folded = TensorValues(count: source.count) { weights in
                    if transposed {
                        // IOHW: [in][out][k·k]
                        let inputs = source.count / (channels * taps)
                        for i in 0..<inputs {
                            for c in 0..<channels {
                                let start = (i * channels + c) * taps
                                for t in 0..<taps { weights[start + t] = source[start + t] * factor[c] }
                            }
                        }
                    } else {
                        let perChannel = source.count / channels
                        for c in 0..<channels {
                            for t in 0..<perChannel { weights[c * perChannel + t] = source[c * perChannel + t] * factor[c] }
                        }
                    }
                }
                p.weights.releaseFilePages()
                p.weights = folded
                p.epilogue.bias = TensorValues(copy: bias)
            }
            log("fold \(name) into \(graph.nodes[producer].name)")
        }
    }
}
