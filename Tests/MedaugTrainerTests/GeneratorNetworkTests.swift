import MedaugTestSupport
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class GeneratorNetworkTests: XCTestCase {
    /// The whole U-Net, skips included, in training mode (batch statistics,
    /// a fixed dropout mask; no block biases, see `checkNetworkGradients`)
    /// and in eval mode (block biases on).
    func testWholeNetworkGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 301)
        // A one-hot map plus noise: the input gradient is checked too.
        let x = TinyNetworks.oneHot(rng.labels(n: 2, h: 16, w: 16, classes: 2), classes: 2)
        for i in 0..<x.count { x.pointer[i] += 0.3 * rng.normal() }
        for bias in [false, true] {
            let network = try GeneratorNetwork(config: TinyNetworks.generatorConfig(convBias: bias))
            TinyNetworks.randomize(network, seed: 5)
            network.dropoutSeed = 17
            if bias {
                try checkNetworkGradients(network, input: x, mode: .inference, seed: 303, "generator eval")
            } else {
                try checkNetworkGradients(network, input: x, mode: .training, seed: 302, "generator training")
            }
        }
    }

    /// The layouts of generators trained elsewhere: BatchNorm + LeakyReLU in
    /// the bottleneck (TensorFlow tutorial), and ReLU on the skips with
    /// dropout from the second up block (junyanz's PyTorch UnetGenerator).
    func testOtherLayoutsGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 311)
        let x = TinyNetworks.oneHot(rng.labels(n: 2, h: 16, w: 16, classes: 2), classes: 2)
        for i in 0..<x.count { x.pointer[i] += 0.3 * rng.normal() }
        var tutorial = TinyNetworks.generatorConfig(convBias: true)
        tutorial.bottleneckBatchnorm = true
        tutorial.bottleneckActivation = .leaky_relu
        var junyanz = TinyNetworks.generatorConfig(convBias: true, dropoutUpBlocks: 1)
        junyanz.skipActivation = .relu
        junyanz.dropoutFirstUpBlock = 1
        for (name, config) in [("tutorial", tutorial), ("junyanz", junyanz)] {
            let network = try GeneratorNetwork(config: config)
            TinyNetworks.randomize(network, seed: 6)
            network.dropoutSeed = 19
            try checkNetworkGradients(network, input: x, mode: .inference, seed: 312, "generator \(name) eval")
        }
    }

    func testOutputShapeAndRange() throws {
        let network = try GeneratorNetwork(config: TinyNetworks.generatorConfig())
        network.initialize(seed: 1)
        var rng = TestRandom(mixingSeed: 304)
        let y = try network.forward(TinyNetworks.oneHot(rng.labels(n: 3, h: 16, w: 16, classes: 2), classes: 2),
                                    training: true)
        XCTAssertEqual(y.shape, shape(3, 1, 16, 16))
        XCTAssertTrue(y.toArray().allSatisfy { abs($0) < 1 })
        XCTAssertThrowsError(try network.forward(TrainTensor(shape: shape(1, 2, 12, 12)), training: false))
        XCTAssertThrowsError(try network.forward(TrainTensor(shape: shape(1, 3, 16, 16)), training: false))
    }

    /// Dropout is active only when the mode asks for it, and its mask
    /// follows `dropoutSeed`.
    func testDropoutFollowsModeAndSeed() throws {
        let network = try GeneratorNetwork(config: TinyNetworks.generatorConfig(dropoutUpBlocks: 2))
        TinyNetworks.randomize(network, seed: 6)
        var rng = TestRandom(mixingSeed: 305)
        let x = TinyNetworks.oneHot(rng.labels(n: 1, h: 16, w: 16, classes: 2), classes: 2)
        let noDropout = ForwardMode(batchStatistics: false, dropout: false, probabilities: true)
        let withDropout = ForwardMode(batchStatistics: false, dropout: true, probabilities: true)
        let plain = try network.forward(x, mode: noDropout).toArray()
        XCTAssertEqual(try network.forward(x, mode: .inference).toArray(), plain)
        network.dropoutSeed = 1
        let a = try network.forward(x, mode: withDropout).toArray()
        let b = try network.forward(x, mode: withDropout).toArray()
        network.dropoutSeed = 2
        let c = try network.forward(x, mode: withDropout).toArray()
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, plain)
        XCTAssertNotEqual(a, c)
    }
}
