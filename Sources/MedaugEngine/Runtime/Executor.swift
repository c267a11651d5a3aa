import Dispatch
import Foundation
import MedaugKernels
import MedaugSupport

/// Runs a planned graph on an arena. Stateless: everything lives in the
/// arena, the graph (immutable) and the arguments.
struct Executor {
    let graph: Graph
    let plan: ExecutionPlan
    let arena: UnsafeMutableRawPointer
    let batch: Int
    /// Index of image 0 of this pass in the caller's batch: dropout masks
    /// are keyed by it, so a batch run in several passes gives bitwise the
    /// output of one pass.
    let firstImage: Int
    let seed: UInt64
    let threads: Int

    /// Image `n` of `value` (its channel slice inside its buffer).
    func pointer(_ value: ValueID, image n: Int) -> UnsafeMutablePointer<Float> {
        let buffer = plan.storage.bufferOf[value]
        let info = plan.storage.buffers[buffer]
        let base = (arena + plan.bufferOffsets[buffer]).assumingMemoryBound(to: Float.self)
        return base + (n * info.channels + plan.storage.channelOffset[value]) * info.spatial
    }

    /// Distance between consecutive images of `value`, in floats.
    func imageStride(_ value: ValueID) -> Int {
        plan.storage.buffers[plan.storage.bufferOf[value]].floatsPerImage
    }

    /// The kernels' name for a transposed convolution's weight layout.
    func transposedLayout(_ layout: ConvWeightLayout) -> Convolution.TransposedWeightLayout {
        switch layout {
        case .outputMajor: .outputMajor
        case .packed(let packing): .packed(packing)
        default: .iohw
        }
    }

    func scratch(_ step: Int) -> UnsafeMutablePointer<Float> {
        (arena + plan.scratchOffsets[step]).assumingMemoryBound(to: Float.self)
    }

    func run() {
        guard Executor.profiling else {
            for step in graph.nodes.indices { run(step) }
            return
        }
        // MEDAUG_PROFILE=1: one line per node on stderr, to see where time goes.
        for step in graph.nodes.indices {
            let start = DispatchTime.now().uptimeNanoseconds
            run(step)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let node = graph.nodes[step]
            FileHandle.standardError.write(Data("profile \(node.name) \(node.operation.name) \(graph.shapes[node.output]) \(String(format: "%.2f", ms)) ms\n".utf8))
        }
    }

    static let profiling = ProcessInfo.processInfo.environment["MEDAUG_PROFILE"] == "1"

    func makeEpilogue(_ spec: EpilogueSpec) -> Epilogue {
        var epilogue = Epilogue(bias: spec.bias?.buffer.baseAddress, activation: spec.activation)
        if let norm = spec.instanceNorm {
            epilogue.normalization = .instance(scale: norm.scale.buffer.baseAddress!, shift: norm.shift.buffer.baseAddress!,
                                               epsilon: norm.epsilon)
        }
        if let dropout = spec.dropout {
            epilogue.dropout = DropoutMask(rate: dropout.rate, random: CounterRandom(seed: seed, stream: dropout.stream))
        }
        return epilogue
    }

    func run(_ step: Int) {
        let node = graph.nodes[step]
        let input = node.inputs[0]
        let inShape = graph.shapes[input]
        let outShape = graph.shapes[node.output]
        switch node.operation {
        case .conv(let p) where p.winogradKernel != nil, .convTranspose(let p) where p.winogradKernel != nil:
            // Image by image: the kernel spreads one image over the threads.
            for n in 0..<batch {
                p.winogradKernel!.forward(
                    input: pointer(input, image: n), inChannels: inShape.channels, height: inShape.height,
                    width: inShape.width, transformedWeights: p.weights.buffer.baseAddress!,
                    outChannels: outShape.channels, output: pointer(node.output, image: n), imageIndex: firstImage + n,
                    epilogue: makeEpilogue(p.epilogue), scratch: scratch(step), threads: threads)
            }
        case .conv(let p):
            let group = plan.groupSizes[step]
            for start in stride(from: 0, to: batch, by: group) {
                Convolution.forward(
                    input: pointer(input, image: start), inputStride: imageStride(input),
                    inChannels: inShape.channels, height: inShape.height, width: inShape.width,
                    weights: p.weights.buffer.baseAddress!, packedWeights: p.layout.packing,
                    outChannels: outShape.channels, geometry: p.geometry,
                    output: pointer(node.output, image: start), outputStride: imageStride(node.output),
                    outHeight: outShape.height, outWidth: outShape.width,
                    images: min(group, batch - start), imageIndex: firstImage + start, epilogue: makeEpilogue(p.epilogue),
                    columnExact: plan.columnExact[step], scratch: scratch(step), threads: threads)
            }
        case .convTranspose(let p):
            let group = plan.groupSizes[step]
            for start in stride(from: 0, to: batch, by: group) {
                Convolution.transposedForward(
                    input: pointer(input, image: start), inputStride: imageStride(input),
                    inChannels: inShape.channels, inHeight: inShape.height, inWidth: inShape.width,
                    weights: p.weights.buffer.baseAddress!, layout: transposedLayout(p.layout),
                    outChannels: outShape.channels, geometry: p.geometry,
                    output: pointer(node.output, image: start), outputStride: imageStride(node.output),
                    outHeight: outShape.height, outWidth: outShape.width,
                    images: min(group, batch - start), imageIndex: firstImage + start, epilogue: makeEpilogue(p.epilogue),
                    columnExact: plan.columnExact[step], scratch: scratch(step), threads: threads)
            }
        case .batchNorm(let bn, let use):
            let epilogue: Epilogue
            switch use {
            case .instance:
                epilogue = Epilogue(normalization: .instance(scale: bn.scale.buffer.baseAddress!,
                                                             shift: bn.shift.buffer.baseAddress!, epsilon: bn.epsilon))
            case .running:
                // y = x·s + t with s = γ/√(var + ε), t = β − mean·s, in scratch.
                let s = scratch(step), t = scratch(step) + outShape.channels
                for c in 0..<outShape.channels {
                    let factor = Double(bn.scale[c]) / (Double(bn.variance[c]) + Double(bn.epsilon)).squareRoot()
                    s[c] = Float(factor)
                    t[c] = Float(Double(bn.shift[c]) - Double(bn.mean[c]) * factor)
                }
                epilogue = Epilogue(normalization: .affine(scale: s, shift: t))
            }
            runPointwise(node, epilogue)
        case .activation(let activation):
            runPointwise(node, Epilogue(activation: activation))
        case .dropout(let rate, let stream):
            runPointwise(node, Epilogue(dropout: DropoutMask(rate: rate, random: CounterRandom(seed: seed, stream: stream))))
        case .concat(let inPlace):
            if inPlace { return }
            for n in 0..<batch {
                var destination = pointer(node.output, image: n)
                for value in node.inputs {
                    let count = graph.shapes[value].elementsPerImage
                    destination.update(from: pointer(value, image: n), count: count)
                    destination += count
                }
            }
        case .maxPool(let kernel, let stride):
            for n in 0..<batch {
                MaxPool.forward(input: pointer(input, image: n), channels: inShape.channels,
                                height: inShape.height, width: inShape.width, kernel: kernel, stride: stride,
                                output: pointer(node.output, image: n), outHeight: outShape.height,
                                outWidth: outShape.width, threads: threads)
            }
        }
    }

    /// out = epilogue(in), image by image (unfused reference graphs only).
    func runPointwise(_ node: Node, _ epilogue: Epilogue) {
        let shape = graph.shapes[node.output]
        for n in 0..<batch {
            let destination = pointer(node.output, image: n)
            let source = pointer(node.inputs[0], image: n)
            if destination != source { destination.update(from: source, count: shape.elementsPerImage) }
            epilogue.apply(toImage: destination, channels: shape.channels, spatial: shape.spatial,
                           image: firstImage + n, threads: threads)
        }
    }
}
