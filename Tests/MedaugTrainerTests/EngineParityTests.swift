import MedaugTestSupport
import Foundation
import XCTest
import MedaugEngine
import MedaugModels
@testable import MedaugTrainer

/// The trainer's networks compute what the engine computes from the file
/// they write: every layer, its order, the skip order, the heads and the
/// tensor layouts agree.
///
/// Weights: `initialize(seed:)` (RandomInit, N(0, 0.02) convs) with BatchNorm
/// γ, β and running statistics perturbed away from 1, 0, 0, 1 (else running
/// mode is nearly the identity); and a second set with He-scaled convs
/// (N(0, 2/fan-in)) and N(0, 0.2²) biases, so deep layers are not drowned
/// by the BatchNorm shifts and activations stay O(1) in running mode. Written
/// with `ModelFile.write`, loaded by `MedaugEngine.Model`, run by a
/// one-thread session with the optimisation passes (BatchNorm folded into
/// the convolutions, fused epilogues, in-place concatenation).
///
/// - running mode, dropout off ≡ the trainer's eval forward with the
///   probability head, at batch 3;
/// - instance mode, dropout off ≡ the trainer's batch-statistics forward at
///   batch 1 (one image's batch statistics are its instance statistics);
/// - instance mode with dropout ≡ the same with the trainer's dropout on and
///   the same seed (the engine's masks, streams and counters).
///
/// Tolerance: max|trainer − engine| / max|engine| < 1e-4.
final class EngineParityTests: XCTestCase {
    static let classes = ["background", "tissue", "lesion"]

    func testGeneratorMatchesEngine() throws {
        var config = GeneratorConfig.paper(imageSize: 32, classes: Self.classes, labelValues: [0, 1, 4],
                                           channelNames: ["T1", "T2"])
        config.downFilters = [8, 16, 24]
        config.upFilters = [24, 16, 8]
        config.bottleneckFilters = 24
        config.dropoutUpBlocks = 2
        config.common.convBias = true
        let network = try GeneratorNetwork(config: config)
        try checkParity(network, input: { batch, seed in self.oneHot(batch: batch, seed: seed) }, dropout: { seed in
            network.dropoutSeed = seed
        })
    }

    /// The optional layouts (bottleneck BatchNorm; ReLU'd skips with
    /// dropout from up block 1) are wired the same in trainer and engine.
    func testOtherGeneratorLayoutsMatchEngine() throws {
        var config = GeneratorConfig.paper(imageSize: 32, classes: Self.classes, labelValues: [0, 1, 4],
                                           channelNames: ["T1"])
        config.downFilters = [8, 16, 24]
        config.upFilters = [24, 16, 8]
        config.bottleneckFilters = 24
        config.bottleneckBatchnorm = true
        config.bottleneckActivation = .leaky_relu
        config.skipActivation = .relu
        config.dropoutFirstUpBlock = 1
        config.dropoutUpBlocks = 2
        let network = try GeneratorNetwork(config: config)
        try checkParity(network, input: { batch, seed in self.oneHot(batch: batch, seed: seed) }, dropout: { seed in
            network.dropoutSeed = seed
        })
    }

    func testDiscriminatorMatchesEngine() throws {
        var config = DiscriminatorConfig.paper(imageSize: 64, classes: Self.classes, labelValues: [0, 1, 4],
                                               channelNames: ["T1"])
        config.filters = [8, 16, 16, 24, 24]
        let network = try DiscriminatorNetwork(config: config)
        try checkParity(network, input: { batch, seed in self.normal(shape: [batch, 4, 64, 64], seed: seed) })
    }

    func testSegmenterMatchesEngine() throws {
        let config = SegmenterConfig.standard(imageSize: 24, classes: Self.classes, labelValues: [0, 1, 4],
                                              channelNames: ["T1"], depth: 2, baseFilters: 5)
        let network = try SegmenterNetwork(config: config)
        try checkParity(network, input: { batch, seed in self.normal(shape: [batch, 1, 24, 24], seed: seed) })
    }

    /// The LeakyReLU segmenter (`leaky_relu_slope` > 0): the file records the
    /// slope and the engine applies it in every hidden layer.
    func testLeakySegmenterMatchesEngine() throws {
        let config = SegmenterConfig.standard(imageSize: 16, classes: Self.classes, labelValues: [0, 1, 4],
                                              channelNames: ["T1", "T2"], depth: 2, baseFilters: 3, leakyReluSlope: 0.1)
        let network = try SegmenterNetwork(config: config)
        try checkParity(network, input: { batch, seed in self.normal(shape: [batch, 2, 16, 16], seed: seed) })
        let relu = try SegmenterNetwork(config: SegmenterConfig.standard(
            imageSize: 16, classes: Self.classes, labelValues: [0, 1, 4], channelNames: ["T1", "T2"], depth: 2, baseFilters: 3))
        relu.initialize(seed: 7)
        network.initialize(seed: 7)
        let x = try trainTensor(normal(shape: [1, 2, 16, 16], seed: 3))
        XCTAssertNotEqual(try relu.forward(x, mode: .inference).toArray(), try network.forward(x, mode: .inference).toArray(),
                          "the slope changes the network")
    }

    // MARK: - Helpers

    /// Runs the three comparisons for both weight sets; `dropout(seed)` sets
    /// the trainer network's dropout seed (generators only).
    func checkParity(_ network: TrainableNetwork, input: (Int, UInt64) -> MedaugEngine.Tensor,
                     dropout: ((UInt64) -> Void)? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let kind = network.modelConfig.kind.rawValue
        for weights in ["initialize", "wide"] {
            if weights == "initialize" {
                network.initialize(seed: 2024)
                TinyNetworks.perturbBatchNorm(network, seed: 2024)
            } else {
                heInitialize(network, seed: 2025)
            }
            let model = try writeAndLoad(network)
            let session = try model.makeSession(threads: 1)

            let batch = input(3, 1)
            let engineRunning = try session.run(batch, options: RunOptions(normalization: .running, dropout: false))
            let trainerRunning = try network.forward(trainTensor(batch), mode: .inference).toArray()
            let running = maxRelativeDifference(trainerRunning, engineRunning.output.values)
            print("parity \(kind) \(weights) running, batch 3: relative error \(running), "
                  + "outputs in [\(engineRunning.output.values.min()!), \(engineRunning.output.values.max()!)]")
            XCTAssertLessThan(running, 1e-4, "\(kind) \(weights) running mode", file: file, line: line)

            let single = input(1, 2)
            let instanceMode = ForwardMode(batchStatistics: true, dropout: false, probabilities: true)
            let engineInstance = try session.run(single, options: RunOptions(normalization: .instance, dropout: false))
            let trainerInstance = try network.forward(trainTensor(single), mode: instanceMode).toArray()
            let instance = maxRelativeDifference(trainerInstance, engineInstance.output.values)
            print("parity \(kind) \(weights) instance, batch 1: relative error \(instance)")
            XCTAssertLessThan(instance, 1e-4, "\(kind) \(weights) instance mode", file: file, line: line)

            guard let dropout else { continue }
            dropout(77)
            let withDropout = ForwardMode(batchStatistics: true, dropout: true, probabilities: true)
            let engineDropout = try session.run(single, options: RunOptions(normalization: .instance, dropout: true,
                                                                            seed: 77))
            let trainerDropout = try network.forward(trainTensor(single), mode: withDropout).toArray()
            let masked = maxRelativeDifference(trainerDropout, engineDropout.output.values)
            print("parity \(kind) \(weights) instance + dropout (seed 77), batch 1: relative error \(masked)")
            XCTAssertLessThan(masked, 1e-4, "\(kind) \(weights) instance mode with dropout", file: file, line: line)
            XCTAssertGreaterThan(maxRelativeDifference(engineDropout.output.values, engineInstance.output.values), 1e-2,
                                 "dropout must change the output for the comparison to mean anything")
        }
    }

    /// Conv weights N(0, 2/fan-in) (a stride-2 ConvTranspose sees a quarter
    /// of its taps per output), biases N(0, 0.2²), BatchNorm perturbed.
    func heInitialize(_ network: TrainableNetwork, seed: UInt64) {
        var rng = TestRandom(mixingSeed: seed)
        for parameter in network.parameters {
            switch TensorRole.of(parameter.name) {
            case .convWeight:
                let s = parameter.shape, taps = s[2] * s[3]
                let transposed = parameter.name.contains("convt") || parameter.name.hasSuffix("up.weight")
                let fanIn = transposed ? max(1, s[0] * taps / 4) : s[1] * taps
                let scale = Float((2.0 / Double(fanIn)).squareRoot())
                for i in 0..<parameter.count { parameter.value[i] = scale * rng.normal() }
            case .convBias:
                for i in 0..<parameter.count { parameter.value[i] = 0.2 * rng.normal() }
            default: break
            }
        }
        TinyNetworks.perturbBatchNorm(network, seed: seed)
    }

    func writeAndLoad(_ network: TrainableNetwork) throws -> Model {
        let path = NSTemporaryDirectory() + "medaug-parity-\(getpid())-\(network.modelConfig.kind.rawValue).safetensors"
        defer { unlink(path) }
        try ModelFile.write(config: network.modelConfig, tensors: network.tensors(), to: path)
        return try Model(path: path)  // the mapping outlives the unlink
    }

    func trainTensor(_ tensor: MedaugEngine.Tensor) throws -> TrainTensor {
        try TrainTensor(shape: TensorShape(n: tensor.shape[0], c: tensor.shape[1], h: tensor.shape[2], w: tensor.shape[3]),
                        values: tensor.values)
    }

    func oneHot(batch: Int, seed: UInt64) -> MedaugEngine.Tensor {
        var rng = TestRandom(mixingSeed: seed)
        let labels = rng.labels(n: batch, h: 32, w: 32, classes: 3)
        let tensor = TinyNetworks.oneHot(labels, classes: 3)
        return MedaugEngine.Tensor(shape: [batch, 3, 32, 32], values: tensor.toArray())
    }

    func normal(shape: [Int], seed: UInt64) -> MedaugEngine.Tensor {
        var rng = TestRandom(mixingSeed: seed)
        return MedaugEngine.Tensor(shape: shape, values: rng.normals(shape.reduce(1, *)))
    }
}
