import MedaugTestSupport
import Foundation
import MedaugKernels
import MedaugSupport
@testable import MedaugEngine
@testable import MedaugModels

/// Small models whose every layer matters: conv weights scaled so activations
/// stay O(1) through the depth, BatchNorm statistics and affine parameters far
/// from identity.
enum TestModels {
    static let classes = ["background", "tissue", "lesion"]

    static var generator: ModelConfig {
        var g = GeneratorConfig.paper(imageSize: 32, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1", "T2"])
        g.downFilters = [8, 16, 24]
        g.upFilters = [24, 16, 8]
        g.bottleneckFilters = 24
        g.dropoutUpBlocks = 2
        return .generator(g)
    }

    /// 128 pixels: its first two down blocks and its last up block are wide
    /// enough for the Winograd F(2×2, 2×2) kernels.
    static var wideGenerator: ModelConfig {
        guard case .generator(var g) = generator else { preconditionFailure() }
        g.common.imageSize = 128
        return .generator(g)
    }

    /// Four down blocks on 32 pixels: the bottleneck convolution reads 2×2
    /// and the first transposed convolution 1×1, so both have taps that only
    /// meet padding (`CropDeadTaps`).
    static var deepGenerator: ModelConfig {
        guard case .generator(var g) = generator else { preconditionFailure() }
        g.downFilters = [8, 16, 24, 24]
        g.upFilters = [24, 24, 16, 8]
        return .generator(g)
    }

    static var discriminator: ModelConfig {
        var d = DiscriminatorConfig.paper(imageSize: 64, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"])
        d.filters = [8, 16, 16, 24, 24]
        return .discriminator(d)
    }

    static var segmenter: ModelConfig {
        .segmenter(.standard(imageSize: 24, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"],
                             depth: 2, baseFilters: 5))
    }

    /// Wide enough (66 pixels: 33 tiles, a partial 16-tile vector) for its
    /// first level's 3×3 convolutions to run on Winograd.
    static var wideSegmenter: ModelConfig {
        .segmenter(.standard(imageSize: 66, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"],
                             depth: 1, baseFilters: 9))
    }

    /// Weights as described above, deterministic in `seed`.
    static func weights(for config: ModelConfig, seed: UInt64) -> [String: [Float]] {
        var tensors = RandomInit.weights(for: config, seed: seed)
        for spec in config.tensorSpecs {
            let noise = RandomInit.normals(count: spec.elementCount, seed: seed &+ 1, name: spec.name, mean: 0, standardDeviation: 1)
            switch TensorRole.of(spec.name) {
            case .convWeight:
                // fan-in of a conv is in·k·k; a stride-2 transposed conv with
                // k = 4 sees about a quarter of its taps per output.
                let isTransposed = spec.name.contains("convt") || spec.name.hasSuffix("up.weight")
                let fanIn = isTransposed ? spec.shape[0] * spec.shape[2] * spec.shape[3] / 4 : spec.shape[1] * spec.shape[2] * spec.shape[3]
                let scale = Float((2.0 / Double(max(1, fanIn))).squareRoot())
                tensors[spec.name] = noise.map { $0 * scale }
            case .convBias, .bnBias, .bnMean:
                tensors[spec.name] = noise.map { $0 * 0.3 }
            case .bnWeight:
                tensors[spec.name] = noise.map { ($0 >= 0 ? 1 : -1) * (0.5 + abs($0).truncatingRemainder(dividingBy: 1)) }
            case .bnVariance:
                tensors[spec.name] = noise.map { 0.3 + abs($0) }
            }
        }
        return tensors
    }

    static func model(_ config: ModelConfig, seed: UInt64 = 11) throws -> Model {
        let path = NSTemporaryDirectory() + "medaug-test-\(getpid())-\(config.kind.rawValue)-\(seed).safetensors"
        defer { unlink(path) }
        try ModelFile.write(config: config, tensors: weights(for: config, seed: seed), to: path)
        // The model holds its own copy of the file; it is not needed after loading.
        return try Model(path: path)
    }

    /// A random input batch: one-hot labels for generators, N(0, 1) otherwise.
    static func input(for config: ModelConfig, batch: Int, seed: UInt64) -> Tensor {
        let c = config.common
        let spatial = c.imageSize * c.imageSize
        var tensor = Tensor(zeros: [batch, c.inputChannels, c.imageSize, c.imageSize])
        if case .generator = config {
            let random = CounterRandom(seed: seed, stream: 1)
            for n in 0..<batch {
                for p in 0..<spatial {
                    let label = Int(random.bits(UInt64(n * spatial + p)) % UInt64(c.inputChannels))
                    tensor.values[(n * c.inputChannels + label) * spatial + p] = 1
                }
            }
        } else {
            tensor.values = RandomInit.normals(count: tensor.values.count, seed: seed, name: "input", mean: 0, standardDeviation: 1)
        }
        return tensor
    }
}
