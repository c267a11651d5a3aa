import Foundation
import XCTest
import MedaugImaging
import MedaugModels
@testable import MedaugTrainer

/// Resume = uninterrupted: a run stopped after some epochs and continued
/// from its checkpoint in a new training object ends with bitwise the same
/// weights, history (apart from timings) and checkpoint as one run.
final class TrainingCheckpointTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "medaug-checkpoint-\(getpid())-\(UUID().uuidString)"
        let intensity = DatasetManifest.IntensityMapping(stored: "float32", storedRange: [-1, 1])
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SystemRandomNumberGenerator()
        try DatasetWriter.write(to: folder + "/data", overwrite: false) { temporary in
            var manifest = DatasetManifest(classes: TinyNetworks.classes, labelValues: [0, 1], channels: ["T1"],
                                           spacingMM: [1, 1], intensity: intensity)
            for i in 0..<5 {
                let item = DatasetManifest.Item(id: "p\(i)", split: i < 4 ? .train : .val, synthetic: false, source: [:])
                let labels: [Int32] = (0..<256).map { _ in Int32.random(in: 0...1, using: &rng) }
                let image = labels.map { Float($0) - 0.5 + Float.random(in: -0.2...0.2, using: &rng) }
                try DatasetWriter.writePair(image: image, channels: 1, labels: labels, side: 16, item: item,
                                            intensity: intensity, folder: temporary)
                manifest.items.append(item)
            }
            return manifest
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func makeGAN(epochs: Int, schedule: LearningRateSchedule = .constant,
                 augmentation: AugmentationPipeline? = nil) throws -> GANTraining {
        var options = GANTraining.Options()
        options.epochs = epochs
        options.augmentation = augmentation
        options.schedule = schedule
        options.batchSize = 2
        options.seed = 7
        return try GANTraining(generator: TinyNetworks.generatorConfig(), discriminator: TinyNetworks.discriminatorConfig(),
                               train: try TrainingPairs.load(folder: folder + "/data", split: .train),
                               validation: try TrainingPairs.load(folder: folder + "/data", split: .val), options: options)
    }

    func withoutTimes(_ history: [GANEpoch]) -> [GANEpoch] { history.map { var r = $0; r.seconds = 0; return r } }

    func testGANResumeEqualsUninterruptedRun() throws {
        try checkGANResume(augmentation: nil)
    }

    /// With pix2pix's jitter the transforms depend on the step, so a resumed
    /// run draws the same ones; the jitter really changes the training; and
    /// a checkpoint of a run without it is refused.
    func testGANResumeWithJitterEqualsUninterruptedRun() throws {
        try checkGANResume(augmentation: PairAugmentation.pix2pixJitter)
        let plain = try makeGAN(epochs: 1)
        try plain.run(bestPath: folder + "/plain.safetensors", checkpointPath: folder + "/plain.ckpt")
        let jittered = try makeGAN(epochs: 1, augmentation: PairAugmentation.pix2pixJitter)
        try jittered.run(bestPath: folder + "/jittered.safetensors")
        XCTAssertFalse(plain.generator.tensors() == jittered.generator.tensors(), "the jitter changed nothing")
        XCTAssertThrowsError(try makeGAN(epochs: 2, augmentation: PairAugmentation.pix2pixJitter).resume(from: folder + "/plain.ckpt"))
    }

    func checkGANResume(augmentation: AugmentationPipeline?) throws {
        let whole = try makeGAN(epochs: 3, augmentation: augmentation)
        let wholeHistory = try whole.run(bestPath: folder + "/whole.safetensors", checkpointPath: folder + "/whole.ckpt")

        let first = try makeGAN(epochs: 1, augmentation: augmentation)
        try first.run(bestPath: folder + "/part.safetensors", checkpointPath: folder + "/part.ckpt")
        let second = try makeGAN(epochs: 3, augmentation: augmentation)
        XCTAssertEqual(try second.resume(from: folder + "/part.ckpt").count, 1)
        let resumedHistory = try second.run(bestPath: folder + "/part.safetensors", checkpointPath: folder + "/part.ckpt")

        XCTAssertEqual(withoutTimes(resumedHistory), withoutTimes(wholeHistory))
        // (Booleans: a failing comparison of whole tensors prints megabytes.)
        XCTAssertTrue(second.generator.tensors() == whole.generator.tensors(), "generator weights differ")
        XCTAssertTrue(second.discriminator.tensors() == whole.discriminator.tensors(), "discriminator weights differ")
        XCTAssertTrue(second.step.generatorOptimizer.exportState() == whole.step.generatorOptimizer.exportState(),
                      "generator Adam states differ")
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: folder + "/part.safetensors"))
                      == Data(contentsOf: URL(fileURLWithPath: folder + "/whole.safetensors")), "best files differ")
        // A finished run resumed does nothing more.
        let third = try makeGAN(epochs: 3, augmentation: augmentation)
        try third.resume(from: folder + "/part.ckpt")
        XCTAssertEqual(try third.run(bestPath: folder + "/third.safetensors").count, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/third.safetensors"))
    }

    func testGANScheduleSetsBothRatesEveryStep() throws {
        let decayed = try makeGAN(epochs: 2, schedule: .linearDecay(decayShare: 1))
        try decayed.run(bestPath: folder + "/decayed.safetensors")
        let steps = decayed.step.stepCount, base = decayed.options.step.generatorAdam.learningRate
        XCTAssertGreaterThan(steps, 1)
        // The last step ran at base·(1 − (steps − 1)/steps).
        let last = base * (1 - Float(steps - 1) / Float(steps))
        XCTAssertEqual(decayed.step.generatorOptimizer.options.learningRate, last, accuracy: base * 1e-6)
        XCTAssertEqual(decayed.step.discriminatorOptimizer.options.learningRate,
                       decayed.options.step.discriminatorAdam.learningRate * (1 - Float(steps - 1) / Float(steps)),
                       accuracy: base * 1e-6)
        let constant = try makeGAN(epochs: 2)
        try constant.run(bestPath: folder + "/constant.safetensors")
        XCTAssertFalse(constant.generator.tensors() == decayed.generator.tensors(), "the schedule changed nothing")
    }

    func testSegmenterResumeEqualsUninterruptedRun() throws {
        func make(epochs: Int) throws -> SegmenterTraining {
            var options = SegmenterTraining.Options()
            options.epochs = epochs
            options.batchSize = 3
            options.seed = 3
            return try SegmenterTraining(config: TinyNetworks.segmenterConfig(imageSize: 16),
                                         train: try TrainingPairs.load(folder: folder + "/data", split: .train),
                                         validation: try TrainingPairs.load(folder: folder + "/data", split: .val),
                                         options: options)
        }
        let whole = try make(epochs: 4)
        let wholeHistory = try whole.run(bestPath: folder + "/whole.safetensors")
        let first = try make(epochs: 2)
        try first.run(bestPath: folder + "/part.safetensors", checkpointPath: folder + "/part.ckpt")
        let second = try make(epochs: 4)
        try second.resume(from: folder + "/part.ckpt")
        let resumedHistory = try second.run(bestPath: folder + "/part.safetensors", checkpointPath: folder + "/part.ckpt")
        XCTAssertEqual(resumedHistory.map(\.loss), wholeHistory.map(\.loss))
        XCTAssertEqual(resumedHistory.map(\.valDice), wholeHistory.map(\.valDice))
        XCTAssertTrue(second.network.tensors() == whole.network.tensors(), "segmenter weights differ")
    }

    func testResumeRefusesAnotherRunAndBadFiles() throws {
        let first = try makeGAN(epochs: 1)
        try first.run(bestPath: folder + "/g.safetensors", checkpointPath: folder + "/g.ckpt")
        var options = GANTraining.Options()
        options.seed = 8
        options.batchSize = 2
        let other = try GANTraining(generator: TinyNetworks.generatorConfig(), discriminator: TinyNetworks.discriminatorConfig(),
                                    train: try TrainingPairs.load(folder: folder + "/data", split: .train),
                                    validation: nil, options: options)
        XCTAssertThrowsError(try other.resume(from: folder + "/g.ckpt")) { error in
            XCTAssertTrue("\(error)".contains("seed 7, this run 8"), "\(error)")
        }
        // A weights file is not a checkpoint.
        XCTAssertThrowsError(try makeGAN(epochs: 2).resume(from: folder + "/g.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("not a medaug training checkpoint"), "\(error)")
        }
        // A truncated checkpoint is refused, not half-loaded.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/g.ckpt"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/cut.ckpt"))
        XCTAssertThrowsError(try makeGAN(epochs: 2).resume(from: folder + "/cut.ckpt"))
        // A missing moment is named.
        let file = try SafetensorsFile(path: folder + "/g.ckpt")
        var tensors: [SafetensorsWriter.Tensor] = []
        for (name, entry) in file.entries where !name.hasPrefix("generator.adam_m/") {
            tensors.append(.init(name: name, shape: entry.shape, values: file.floatArray(name)!))
        }
        try SafetensorsWriter.write(tensors, metadata: file.metadata, to: folder + "/nomoments.ckpt")
        XCTAssertThrowsError(try makeGAN(epochs: 2).resume(from: folder + "/nomoments.ckpt")) { error in
            XCTAssertTrue("\(error)".contains("no Adam moments"), "\(error)")
        }
        // Step counts no run reaches (Int.max would trap in the next step's += 1).
        let all = file.entries.keys.map { SafetensorsWriter.Tensor(name: $0, shape: file.entries[$0]!.shape,
                                                                    values: file.floatArray($0)!) }
        let state = file.metadata["medaug_checkpoint"]!
        for (key, expected) in [("recipeSteps", "inconsistent checkpoint state"), ("generator", "outside 0...")] {
            let pattern = key == "recipeSteps" ? #""recipeSteps":\s*\d+"# : #""generator":\s*\d+"#
            let range = try XCTUnwrap(state.range(of: pattern, options: .regularExpression), "no \(key) in \(state)")
            var metadata = file.metadata
            metadata["medaug_checkpoint"]
                = state.replacingCharacters(in: range, with: "\"\(key)\":\(Int.max)")
            try SafetensorsWriter.write(all, metadata: metadata, to: folder + "/steps.ckpt")
            XCTAssertThrowsError(try makeGAN(epochs: 2).resume(from: folder + "/steps.ckpt")) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }
}
