import Dispatch
import MedaugImaging
import MedaugModels
import MedaugSupport

/// What one pix2pix epoch did, as the JSON-lines log records it:
/// `{"epoch": n, "g_loss": x, "d_loss": x, "l1": x, "val_loss": x, "seconds": x}`.
public struct GANEpoch: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean generator objective: BCE(D(x, G(x)), 1) + α·L1.
    public var gLoss: Double
    /// Mean discriminator objective: BCE(D(x, y), 1) + BCE(D(x, G(x)), 0).
    public var dLoss: Double
    /// Mean L1(G(x), y) on the training pairs.
    public var l1: Double
    /// L1 on the validation split (generator with each image's own
    /// statistics and dropout off, as inference in `instance` mode).
    public var valLoss: Double?
    public var seconds: Double
    /// Whether the generator was saved as the best so far.
    public var saved: Bool

    enum CodingKeys: String, CodingKey {
        case epoch, gLoss = "g_loss", dLoss = "d_loss", l1, valLoss = "val_loss", seconds, saved
    }
}

/// The pix2pix training loop (docs/design.md §1): seeded shuffled batches (paper: 1),
/// one `Pix2PixStep` per batch, validation L1 after each epoch, and the
/// paper's rule: the generator is saved whenever the validation loss is lower
/// than before (every epoch without a validation split).
public final class GANTraining {
    public struct Options: Sendable {
        public var epochs = 100
        public var batchSize = 1
        public var seed: UInt64 = 0
        public var threads = 1
        public var step = Pix2PixOptions()
        /// Both Adams' rate per step, from `step.generatorAdam.learningRate`
        /// and `step.discriminatorAdam.learningRate`.
        public var schedule = LearningRateSchedule.constant
        /// Weights to start from instead of the seeded random ones (e.g. a
        /// converted Keras or PyTorch generator; the architecture is checked).
        public var initialGenerator: ModelFile?
        public var initialDiscriminator: ModelFile?
        /// Paired augmentation of every training pair before each step (nil:
        /// none, as the paper); `PairAugmentation.pix2pixJitter` is
        /// pix2pix's random jitter and mirroring.
        public var augmentation: AugmentationPipeline?
        public init() {}
    }

    public let generator: GeneratorNetwork
    public let discriminator: DiscriminatorNetwork
    public let options: Options
    let step: Pix2PixStep
    let train: TrainingPairs
    let validation: TrainingPairs?
    let augmenter: Augmenter?

    /// - Throws: `TrainerError.invalidArgument` if the data does not fit the
    ///   configurations or an option is out of range.
    public init(generator generatorConfig: GeneratorConfig, discriminator discriminatorConfig: DiscriminatorConfig,
                train: TrainingPairs, validation: TrainingPairs?, options: Options) throws {
        guard options.epochs >= 1, (1...1024).contains(options.batchSize), options.threads >= 1 else {
            throw TrainerError.invalidArgument("epochs must be >= 1, batch size in 1...1024, threads >= 1")
        }
        let common = generatorConfig.common
        for pairs in [train] + (validation.map { [$0] } ?? []) {
            guard pairs.classes == common.inputChannels, pairs.channels == common.outputChannels,
                  pairs.height == common.imageSize, pairs.width == common.imageSize else {
                throw TrainerError.invalidArgument(
                    "the \(pairs.split.rawValue) pairs are \(pairs.channels)x\(pairs.height)x\(pairs.width) with \(pairs.classes) classes; the generator expects \(common.outputChannels)x\(common.imageSize)x\(common.imageSize) from \(common.inputChannels) classes")
            }
        }
        generator = try GeneratorNetwork(config: generatorConfig)
        discriminator = try DiscriminatorNetwork(config: discriminatorConfig)
        generator.threads = options.threads
        discriminator.threads = options.threads
        generator.initialize(seed: options.seed)
        discriminator.initialize(seed: options.seed &+ 1)
        if let file = options.initialGenerator { try generator.load(from: file) }
        if let file = options.initialDiscriminator { try discriminator.load(from: file) }
        var stepOptions = options.step
        stepOptions.seed = options.seed
        step = try Pix2PixStep(generator: generator, discriminator: discriminator, options: stepOptions)
        self.train = train
        self.validation = validation
        self.options = options
        augmenter = try options.augmentation.map { try Augmenter(pipeline: $0) }
        loop = TrainingLoopState(random: ShuffleRandom(seed: options.seed ^ 0x4741_4E))
    }

    /// Epochs completed so far (restored ones included), oldest first.
    public var history: [GANEpoch] { loop.history }
    private var loop: TrainingLoopState<GANEpoch>

    /// Continues the run saved in the checkpoint at `path`: weights, Adam
    /// moments, step count, shuffle state and history. The next `run` goes
    /// on with the epoch after the last saved one and ends with the weights
    /// an uninterrupted run gets (same seed and thread count).
    /// - Throws: `TrainerError.invalidArgument` if the file was written by
    ///   a run with another seed, batch size, data or configuration.
    @discardableResult
    public func resume(from path: String) throws -> [GANEpoch] {
        step.stepCount = try loop.restore(from: path, identity: identity, parts: parts)
        return history
    }

    /// Runs the epochs not done yet; writes the best generator to
    /// `bestPath` and, if given, the last generator, the discriminator and a
    /// checkpoint (`resume(from:)`) after every epoch.
    @discardableResult
    public func run(bestPath: String, lastPath: String? = nil, discriminatorPath: String? = nil,
                    checkpointPath: String? = nil,
                    progress: (Int, Int, Int) -> Void = { _, _, _ in },
                    report: (GANEpoch) -> Void = { _ in }) throws -> [GANEpoch] {
        // A spinning pool, as sessions use, instead of a Dispatch wake-up per
        // parallel region (docs/design.md §3.6: quick segmenter epochs 1.8×
        // faster; the same bits).
        try WorkerPool(threads: options.threads).withCurrent {
            try runEpochs(bestPath: bestPath, lastPath: lastPath, discriminatorPath: discriminatorPath,
                          checkpointPath: checkpointPath, progress: progress, report: report)
        }
    }

    private func runEpochs(bestPath: String, lastPath: String?, discriminatorPath: String?, checkpointPath: String?,
                           progress: (Int, Int, Int) -> Void, report: (GANEpoch) -> Void) throws -> [GANEpoch] {
        let condition = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let target = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        let batches = (train.count + options.batchSize - 1) / options.batchSize
        for epoch in stride(from: history.count + 1, through: options.epochs, by: 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            let order = shuffledOrder()
            var (g, d, l1) = (0.0, 0.0, 0.0)
            for b in 0..<batches {
                let indices = Array(order[(b * options.batchSize)..<min(order.count, (b + 1) * options.batchSize)])
                try fillBatch(images: target, labels: labels, condition: condition, indices: indices)
                let total = options.epochs * batches
                step.generatorOptimizer.options.learningRate = options.schedule.learningRate(
                    base: options.step.generatorAdam.learningRate, step: step.stepCount, of: total)
                step.discriminatorOptimizer.options.learningRate = options.schedule.learningRate(
                    base: options.step.discriminatorAdam.learningRate, step: step.stepCount, of: total)
                let losses = try step.step(condition: condition, target: target)
                let weight = Double(indices.count)
                (g, d, l1) = (g + losses.generatorTotal * weight, d + losses.discriminator * weight, l1 + losses.l1 * weight)
                progress(epoch, b + 1, batches)
            }
            let n = Double(train.count)
            var record = GANEpoch(epoch: epoch, gLoss: g / n, dLoss: d / n, l1: l1 / n, valLoss: nil, seconds: 0, saved: false)
            if let validation { record.valLoss = try validationL1(validation, condition: condition, target: target, labels: labels) }
            let criterion = record.valLoss ?? record.l1
            if loop.isNewBest(criterion, hasValidation: validation != nil) {
                try save(generatorTo: bestPath)
                record.saved = true
            }
            if let lastPath { try save(generatorTo: lastPath) }
            if let discriminatorPath {
                try ModelFile.write(config: .discriminator(discriminator.config), tensors: discriminator.tensors(), to: discriminatorPath)
            }
            record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            loop.history.append(record)
            if let checkpointPath { try writeCheckpoint(to: checkpointPath) }
            report(record)
        }
        return history
    }

    /// Runs `count` training steps on shuffled batches (no validation, no
    /// files) and returns each step's wall time in milliseconds; the first
    /// includes the one-time buffer allocation. For benchmarks: the weights
    /// change as in training.
    public func measureSteps(_ count: Int) throws -> [Double] {
        try WorkerPool(threads: options.threads).withCurrent { try measure(count) }
    }

    private func measure(_ count: Int) throws -> [Double] {
        let condition = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let target = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        var order: [Int] = []
        var times: [Double] = []
        for _ in 0..<count {
            if order.count < options.batchSize { order += shuffledOrder() }
            let indices = Array(order.prefix(options.batchSize))
            order.removeFirst(indices.count)
            try fillBatch(images: target, labels: labels, condition: condition, indices: indices)
            let start = DispatchTime.now().uptimeNanoseconds
            try step.step(condition: condition, target: target)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times
    }

    private func shuffledOrder() -> [Int] { loop.random.permutation(train.count) }

    /// The batch of pairs `indices`, augmented when the options say so, and
    /// the generator's one-hot input made from the (augmented) labels.
    private func fillBatch(images: TrainTensor, labels: LabelMap, condition: TrainTensor, indices: [Int]) throws {
        try train.fill(images: images, labels: labels, indices: indices)
        if let augmenter {
            try PairAugmentation.apply(augmenter, images: images, labels: labels, seed: options.seed, step: step.stepCount)
        }
        try TrainingPairs.fillOneHot(condition, labels: labels, classes: train.classes)
    }

    private var parts: [TrainingCheckpoint<GANEpoch>.Part] {
        [.init(name: "generator", network: generator, optimizer: step.generatorOptimizer),
         .init(name: "discriminator", network: discriminator, optimizer: step.discriminatorOptimizer)]
    }

    private var identity: TrainingCheckpoint<GANEpoch>.RunIdentity {
        // The augmentation is part of the recipe: a checkpoint of a run with
        // another pipeline (or none) is refused.
        let recipe = options.augmentation.map { "pix2pix+augmentation " + $0.jsonString() } ?? "pix2pix"
        return TrainingCheckpoint<GANEpoch>.identity(recipe: recipe, parts: parts, seed: options.seed,
                                                     batchSize: options.batchSize, train: train, validation: validation)
    }

    private func writeCheckpoint(to path: String) throws {
        try loop.write(to: path, identity: identity, recipeSteps: step.stepCount, threads: options.threads, parts: parts)
    }

    /// Mean L1 of the generator on `pairs`, one image at a time with its own
    /// statistics (batch statistics of a batch of one), dropout off.
    func validationL1(_ pairs: TrainingPairs, condition: TrainTensor, target: TrainTensor, labels: LabelMap) throws -> Double {
        let l1 = L1Loss()
        let mode = ForwardMode(batchStatistics: true, dropout: false, probabilities: true)
        return try generator.keepingRunningStatistics {
            var total = 0.0
            for index in 0..<pairs.count {
                try pairs.fill(images: target, labels: labels, indices: [index])
                try pairs.fillOneHot(condition, indices: [index])
                total += try l1.evaluate(prediction: try generator.forward(condition, mode: mode), target: target)
            }
            return total / Double(pairs.count)
        }
    }

    /// Writes the generator, recommending what training saw at batch 1:
    /// per-image statistics, dropout on (the pix2pix noise).
    func save(generatorTo path: String) throws {
        var config = generator.config
        config.common.inference = InferenceMode(normalization: .instance, dropout: true)
        try ModelFile.write(config: .generator(config), tensors: generator.tensors(), to: path)
    }
}
