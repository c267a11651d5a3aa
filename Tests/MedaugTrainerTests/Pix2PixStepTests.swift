import MedaugTestSupport
import Foundation
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class Pix2PixStepTests: XCTestCase {
    /// Tiny G and D (16×16, 2 classes, 1 channel) with weights large enough
    /// that every layer matters.
    func makeStep(l1Weight: Float = 100, seed: UInt64 = 1) throws -> Pix2PixStep {
        let generator = try GeneratorNetwork(config: TinyNetworks.generatorConfig(dropoutUpBlocks: 2))
        let discriminator = try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig())
        TinyNetworks.randomize(generator, seed: seed)
        TinyNetworks.randomize(discriminator, seed: seed + 1)
        return try Pix2PixStep(generator: generator, discriminator: discriminator,
                               options: Pix2PixOptions(l1Weight: l1Weight, seed: 9))
    }

    func batch(_ n: Int, seed: UInt64) -> (condition: TrainTensor, target: TrainTensor) {
        var rng = TestRandom(mixingSeed: seed)
        let labels = rng.labels(n: n, h: 16, w: 16, classes: 2)
        let target = TrainTensor(shape: shape(n, 1, 16, 16))
        for i in 0..<labels.count { target.pointer[i] = labels.pointer[i] == 1 ? 0.8 : -0.8 }
        return (TinyNetworks.oneHot(labels, classes: 2), target)
    }

    /// G's gradient is that of BCE(D(x, G(x)), 1) + α·L1(G(x), y) through
    /// the pre-update D; D's that of BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)
    /// with G(x) held fixed; both match central differences.
    func testGradientsAreThoseOfTheTwoObjectives() throws {
        let step = try makeStep(l1Weight: 10)
        let (x, y) = batch(2, seed: 401)
        let (generator, discriminator) = (step.generator, step.discriminator)
        let losses = try step.computeGradients(condition: x, target: y)
        // D's transform cache is off again, ready for the update.
        XCTAssertFalse(discriminator.reusesWeightTransforms)
        let generatorGradients = generator.trainableParameters.map { Array($0.gradient) }
        let discriminatorGradients = discriminator.trainableParameters.map { Array($0.gradient) }
        let fake = TrainTensor(shape: unsizedShape)
        fake.copy(from: try generator.forward(x, mode: .training))

        let bce = BCEWithLogitsLoss(), l1 = L1Loss()
        let generatorObjective = { () throws -> Double in
            let image = try generator.forward(x, mode: .training)  // dropoutSeed still that of step 0
            let logits = try discriminator.forward(condition: x, image: image, mode: .training)
            return try bce.evaluate(logits: logits, target: 1) + 10 * (try l1.evaluate(prediction: image, target: y))
        }
        let discriminatorObjective = { () throws -> Double in
            let real = try bce.evaluate(logits: try discriminator.forward(condition: x, image: y, mode: .training),
                                        target: 1)
            let fakeLoss = try bce.evaluate(logits: try discriminator.forward(condition: x, image: fake, mode: .training),
                                            target: 0)
            return real + fakeLoss
        }
        XCTAssertEqual(try generatorObjective(), losses.generatorTotal, accuracy: 1e-9 * abs(losses.generatorTotal))
        XCTAssertEqual(try discriminatorObjective(), losses.discriminator, accuracy: 1e-9)
        try checkParameterGradients(of: generatorObjective, network: generator, analytic: generatorGradients,
                                    seed: 402, "pix2pix generator objective")
        try checkParameterGradients(of: discriminatorObjective, network: discriminator,
                                    analytic: discriminatorGradients, seed: 403, "pix2pix discriminator objective")
    }

    /// With RandomInit's N(0, 0.02) weights D's logits are ≈ 0 and G's image
    /// ≈ 0: each BCE is ≈ ln 2 and L1 ≈ 0.8.
    func testLossesAtInitialisation() throws {
        let step = try makeStep()
        step.generator.initialize(seed: 1)
        step.discriminator.initialize(seed: 2)
        let (x, y) = batch(2, seed: 404)
        let losses = try step.step(condition: x, target: y)
        XCTAssertEqual(losses.generatorGAN, log(2), accuracy: 0.05)
        XCTAssertEqual(losses.discriminatorReal, log(2), accuracy: 0.05)
        XCTAssertEqual(losses.discriminatorFake, log(2), accuracy: 0.05)
        XCTAssertEqual(losses.discriminator, losses.discriminatorReal + losses.discriminatorFake)
        XCTAssertEqual(losses.l1, 0.8, accuracy: 0.05)
        XCTAssertEqual(losses.generatorTotal, losses.generatorGAN + 100 * losses.l1, accuracy: 1e-9)
        XCTAssertEqual(step.stepCount, 1)
        XCTAssertEqual(step.generatorOptimizer.step, 1)
        XCTAssertEqual(step.discriminatorOptimizer.step, 1)
    }

    /// After the first step, every network output and gradient keeps its
    /// storage and the heap does not grow (nothing is allocated and kept).
    func testStepsAfterTheFirstReuseTheirBuffers() throws {
        let step = try makeStep()
        let (x, y) = batch(2, seed: 405)
        try step.step(condition: x, target: y)
        func addresses() throws -> [UnsafeMutablePointer<Float>] {
            [try step.generator.forward(x, mode: .training).pointer,
             try step.discriminator.forward(condition: x, image: y, mode: .training).pointer,
             try step.discriminator.backwardInputs(TrainTensor(shape: shape(2, 1, 3, 3), repeating: 1)).image.pointer]
        }
        let first = try addresses()
        let growth = try smallestHeapGrowth { for _ in 0..<4 { try step.step(condition: x, target: y) } }
        if let growth { XCTAssertLessThanOrEqual(growth.bytes, 0, "every run of 4 steps left the heap larger") }
        XCTAssertEqual(try addresses(), first)
    }

    /// A NaN loss stops the step before Adam touches any parameter.
    func testNonFiniteLossLeavesParametersUnchanged() throws {
        let step = try makeStep()
        let (x, y) = batch(1, seed: 406)
        y.pointer[3] = .nan
        let before = step.generator.tensors().merging(step.discriminator.tensors()) { a, _ in a }
        XCTAssertThrowsError(try step.step(condition: x, target: y)) {
            XCTAssertEqual($0 as? TrainerError, .nonFiniteLoss(step: 0, loss: "generator"))
        }
        let after = step.generator.tensors().merging(step.discriminator.tensors()) { a, _ in a }
        for (name, values) in before where !name.contains("running") {
            XCTAssertEqual(after[name], values, name)  // running statistics move in any forward
        }
        XCTAssertEqual(step.stepCount, 0)
    }

    func testMismatchedNetworksAreRefused() throws {
        let generator = try GeneratorNetwork(config: TinyNetworks.generatorConfig())
        var config = TinyNetworks.discriminatorConfig()
        config.imageChannels = 2
        config.common.inputChannels = 4
        config.common.channelNames = ["T1", "T2"]
        let discriminator = try DiscriminatorNetwork(config: config)
        XCTAssertThrowsError(try Pix2PixStep(generator: generator, discriminator: discriminator)) {
            guard case .invalidArgument = $0 as? TrainerError else { return XCTFail("\($0)") }
        }
        let matching = try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig())
        XCTAssertThrowsError(try Pix2PixStep(generator: generator, discriminator: matching,
                                             options: Pix2PixOptions(l1Weight: -1))) {
            XCTAssertEqual($0 as? TrainerError, .invalidArgument("the L1 weight α must be finite and ≥ 0, found -1.0"))
        }
    }

    /// On maps that determine the image (+0.8 on class 1, −0.8 elsewhere),
    /// 80 steps at batch 1 cut the generator's L1 on held-out maps (running
    /// statistics, dropout off) by at least half. Adam lr 1e-3 (β1 0.5): the
    /// paper's 1e-4 is for 256² networks over 100 epochs.
    func testLearnsAMapThatDeterminesTheImage() throws {
        var g = TinyNetworks.generatorConfig(dropoutUpBlocks: 2)
        g.downFilters = [8, 16]
        g.upFilters = [16, 8]
        g.bottleneckFilters = 16
        var d = TinyNetworks.discriminatorConfig()
        d.filters = [8, 16]
        let generator = try GeneratorNetwork(config: g), discriminator = try DiscriminatorNetwork(config: d)
        generator.initialize(seed: 1)
        discriminator.initialize(seed: 2)
        let adam = AdamOptions(learningRate: 1e-3, beta1: 0.5, beta2: 0.999)
        let step = try Pix2PixStep(generator: generator, discriminator: discriminator,
                                   options: Pix2PixOptions(generatorAdam: adam, discriminatorAdam: adam, seed: 3))
        let train = SyntheticData.discMaps(count: 16, size: 16, seed: 5)
        let heldOut = SyntheticData.discMaps(count: 8, size: 16, seed: 6)
        let trainMaps = train.map { TinyNetworks.oneHot($0, classes: 2) }, trainImages = train.map(SyntheticData.image)
        func heldOutL1() throws -> Double {
            var total = 0.0
            for map in heldOut {
                let image = try generator.forward(TinyNetworks.oneHot(map, classes: 2), mode: .inference)
                let target = SyntheticData.image(for: map)
                for i in 0..<image.count { total += Double(abs(image.pointer[i] - target.pointer[i])) }
            }
            return total / Double(heldOut.count * 16 * 16)
        }
        let before = try heldOutL1()
        for s in 0..<80 { try step.step(condition: trainMaps[s % 16], target: trainImages[s % 16]) }
        let after = try heldOutL1()
        print("pix2pix smoke test: held-out L1 \(before) → \(after) after 80 steps")
        XCTAssertLessThan(after, before / 2, "held-out L1 \(before) → \(after)")
    }
}
