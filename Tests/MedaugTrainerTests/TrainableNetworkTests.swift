import MedaugTestSupport
import Foundation
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class TrainableNetworkTests: XCTestCase {
    /// Every network, in several configurations, stores exactly the tensors
    /// of its configuration, in order, with the same names and shapes.
    func testParametersAreTheConfigurationsTensorSpecs() throws {
        var networks: [TrainableNetwork] = []
        for bias in [false, true] {
            networks.append(try GeneratorNetwork(config: TinyNetworks.generatorConfig(convBias: bias)))
            networks.append(try GeneratorNetwork(config: TinyNetworks.generatorConfig(
                convBias: bias, batchnormFirstBlock: true, batchnormUpBlocks: false, dropoutUpBlocks: 0)))
            networks.append(try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig(convBias: bias)))
            networks.append(try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig(
                convBias: bias, batchnormFirstBlock: true)))
            networks.append(try SegmenterNetwork(config: TinyNetworks.segmenterConfig(convBias: bias)))
            networks.append(try SegmenterNetwork(config: TinyNetworks.segmenterConfig(
                convBias: bias, imageSize: 16, depth: 3, baseFilters: 3)))
        }
        var wider = GeneratorConfig.paper(imageSize: 32, classes: ["a", "b", "c"], labelValues: [0, 1, 2],
                                          channelNames: ["T1", "T2"])
        wider.downFilters = [4, 8, 8]
        wider.upFilters = [8, 8, 4]
        wider.bottleneckFilters = 8
        wider.dropoutUpBlocks = 2
        networks.append(try GeneratorNetwork(config: wider))
        for network in networks {
            let specs = network.modelConfig.tensorSpecs
            XCTAssertEqual(network.parameters.map(\.name), specs.map(\.name), network.modelConfig.jsonString())
            XCTAssertEqual(network.parameters.map(\.shape), specs.map(\.shape), network.modelConfig.jsonString())
            XCTAssertEqual(network.trainableParameters.count,
                           specs.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }.count)
        }
    }

    /// `initialize(seed:)` is `RandomInit.weights(for:seed:)`, bit for bit.
    func testInitializeEqualsRandomInit() throws {
        let networks: [TrainableNetwork] = [
            try GeneratorNetwork(config: TinyNetworks.generatorConfig(convBias: true)),
            try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig()),
            try SegmenterNetwork(config: TinyNetworks.segmenterConfig()),
        ]
        for network in networks {
            TinyNetworks.randomize(network, seed: 1)  // not the initial state
            network.initialize(seed: 42)
            XCTAssertEqual(network.tensors(), RandomInit.weights(for: network.modelConfig, seed: 42),
                           network.modelConfig.kind.rawValue)
        }
    }

    /// tensors() → ModelFile.write → load(from:) and init(file:) restore
    /// every value; another architecture is refused.
    func testWriteAndLoadRoundTrip() throws {
        let generator = try GeneratorNetwork(config: TinyNetworks.generatorConfig())
        TinyNetworks.randomize(generator, seed: 3)
        let path = NSTemporaryDirectory() + "medaug-trainer-\(getpid())-roundtrip.safetensors"
        defer { unlink(path) }
        try ModelFile.write(config: generator.modelConfig, tensors: generator.tensors(), to: path)
        let file = try ModelFile(path: path)
        let copy = try GeneratorNetwork(config: TinyNetworks.generatorConfig())
        try copy.load(from: file)
        XCTAssertEqual(copy.tensors(), generator.tensors())
        XCTAssertEqual(try GeneratorNetwork(file: file).tensors(), generator.tensors())

        let other = try GeneratorNetwork(config: TinyNetworks.generatorConfig(convBias: true))
        XCTAssertThrowsError(try other.load(from: file)) { error in
            guard case .invalidArgument(let message) = error as? TrainerError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("conv_bias: file false, network true"), message)
        }
        var slope = TinyNetworks.generatorConfig()
        slope.leakyReluSlope = 0.1
        XCTAssertThrowsError(try GeneratorNetwork(config: slope).load(from: file)) { error in
            guard case .invalidArgument(let message) = error as? TrainerError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("leaky_relu_slope: file 0.2, network 0.1"), message)
        }
        // Names are not architecture: a file whose classes are named otherwise loads.
        var renamed = TinyNetworks.generatorConfig()
        renamed.common.classes = renamed.common.classes.map { "other-" + $0 }
        renamed.common.labelValues = renamed.common.labelValues.map { $0 + 10 }
        let named = try GeneratorNetwork(config: renamed)
        try named.load(from: file)
        XCTAssertEqual(named.tensors(), generator.tensors())
        XCTAssertEqual(named.modelConfig.common.classes, renamed.common.classes)
        XCTAssertThrowsError(try SegmenterNetwork(file: file)) { error in
            XCTAssertEqual(error as? TrainerError, .invalidArgument("the file holds a generator, not a segmenter"))
        }
    }

    /// Two threads split the GEMMs and per-channel loops differently but
    /// compute the same forward and backward (within 1e-5 relative).
    func testThreadCountsAgree() throws {
        var rng = TestRandom(mixingSeed: 331)
        let cases: [(TrainableNetwork, TrainTensor)] = [
            (try GeneratorNetwork(config: TinyNetworks.generatorConfig()),
             TinyNetworks.oneHot(rng.labels(n: 2, h: 16, w: 16, classes: 2), classes: 2)),
            (try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig()), rng.tensor(shape(2, 3, 16, 16))),
            (try SegmenterNetwork(config: TinyNetworks.segmenterConfig(imageSize: 16, depth: 2, baseFilters: 4)),
             rng.tensor(shape(2, 1, 16, 16))),
        ]
        for (network, input) in cases {
            TinyNetworks.randomize(network, seed: 332)
            var results: [[Float]] = []
            for threads in [1, 2] {
                network.threads = threads
                network.zeroGradients()
                let output = try network.forward(input, mode: .training)
                let projection = TrainTensor(shape: output.shape, repeating: 0.5)
                let inputGradient = try network.backward(projection)
                results.append(output.toArray() + inputGradient.toArray() + network.parameters.flatMap { Array($0.gradient) })
            }
            XCTAssertLessThan(maxRelativeDifference(results[1], results[0]), 1e-5, network.modelConfig.kind.rawValue)
        }
    }

    /// A frozen network (`setRequiresGradients(false)`) leaves every
    /// parameter gradient as it was, bit for bit, and returns the same input
    /// gradient as an unfrozen one: freezing only skips work. Covers Conv2D,
    /// ConvTranspose2D and BatchNorm with and without biases.
    func testFrozenParametersKeepTheirGradients() throws {
        var rng = TestRandom(mixingSeed: 341)
        for convBias in [false, true] {
            let cases: [(TrainableNetwork, TrainTensor)] = [
                (try GeneratorNetwork(config: TinyNetworks.generatorConfig(convBias: convBias)),
                 TinyNetworks.oneHot(rng.labels(n: 2, h: 16, w: 16, classes: 2), classes: 2)),
                (try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig(convBias: convBias)),
                 rng.tensor(shape(2, 3, 16, 16))),
            ]
            for (network, input) in cases {
                let name = "\(network.modelConfig.kind.rawValue), bias \(convBias)"
                TinyNetworks.randomize(network, seed: 342)
                network.threads = 2
                var inputGradients: [[Float]] = []
                for frozen in [false, true] {
                    for (i, parameter) in network.parameters.enumerated() {
                        parameter.gradient.update(repeating: Float(i) + 0.25)
                    }
                    network.setRequiresGradients(!frozen)
                    let output = try network.forward(input, mode: .training)
                    let projection = TrainTensor(shape: output.shape, repeating: 0.5)
                    inputGradients.append(try network.backward(projection).toArray())
                    for (i, parameter) in network.parameters.enumerated() {
                        let untouched = parameter.gradient.allSatisfy { $0 == Float(i) + 0.25 }
                        if frozen || !parameter.isTrainable {
                            XCTAssertTrue(untouched, "\(name): \(parameter.name)")
                        } else if parameter.name.hasSuffix(".weight") {
                            // (A bias feeding BatchNorm has a gradient of ≈ 0, too small to change 3.25.)
                            XCTAssertFalse(untouched, "\(name): \(parameter.name)")
                        }
                    }
                }
                network.setRequiresGradients(true)
                XCTAssertEqual(inputGradients[1], inputGradients[0], name)
            }
        }
    }

    func testInvalidConfigurationIsRefused() {
        var config = TinyNetworks.generatorConfig()
        config.upFilters = [4]
        XCTAssertThrowsError(try GeneratorNetwork(config: config)) { error in
            guard case .invalidArgument(let message) = error as? TrainerError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("up_filters"), message)
        }
    }
}

/// max|a − b| / max|b| (a and b of equal length).
func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    var difference: Float = 0, peak: Float = 0
    for i in b.indices {
        difference = max(difference, abs(a[i] - b[i]))
        peak = max(peak, abs(b[i]))
    }
    return peak == 0 ? difference : difference / peak
}
