import Dispatch
import MedaugKernels
import MedaugMetrics
import MedaugModels
import MedaugSupport

/// What one epoch did, as the JSON-lines log records it:
/// `{"epoch": n, "loss": x, "val_loss": x, "val_dice": x, "seconds": x}`.
public struct SegmenterEpoch: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean training loss (cross-entropy + Dice weight · soft Dice).
    public var loss: Double
    /// The same loss on the validation split, BatchNorm in eval mode.
    public var valLoss: Double?
    /// Foreground mean Dice on the validation split (micro over its pixels).
    public var valDice: Double?
    public var seconds: Double
    /// Whether this epoch's weights were saved as the best so far.
    public var saved: Bool

    enum CodingKeys: String, CodingKey {
        case epoch, loss, valLoss = "val_loss", valDice = "val_dice", seconds, saved
    }
}

/// The segmenter's training loop: seeded shuffled batches, one `SegmenterStep`
/// per batch, validation at the end of each epoch, and the paper's rule for
/// weights: saved whenever the validation loss is lower than before (every
/// epoch without a validation split). Files are written atomically.
public final class SegmenterTraining {
    public struct Options: Sendable {
        public var epochs = 50
        public var batchSize = 4
        public var seed: UInt64 = 0
        public var threads = 1
        /// Batches per epoch; nil: one pass over the training pairs. Set, it
        /// fixes the number of gradient steps whatever the set's size (arms
        /// of an experiment with 30 or 300 pairs train equally long): each
        /// epoch draws full batches from fresh shuffles of the pairs.
        public var stepsPerEpoch: Int?
        /// How the learning rate moves over the run's steps from
        /// `step.adam.learningRate`.
        public var schedule = LearningRateSchedule.constant
        /// Train on crops of the pairs (`CropSampling`); nil: whole images.
        /// Validation always runs on whole images.
        public var crops: CropSampling?
        /// Weights to start from instead of the seeded random ones (an
        /// earlier segmenter of the same architecture, checked).
        public var initialWeights: ModelFile?
        public var step = SegmenterStepOptions()
        public init() {}
    }

    public let network: SegmenterNetwork
    public let options: Options
    let step: SegmenterStep
    let train: TrainingPairs
    let validation: TrainingPairs?
    let sampler: CropSampler?

    /// - Throws: `TrainerError.invalidArgument` if the data does not fit the
    ///   configuration (channels, classes, size) or an option is out of range.
    public init(config: SegmenterConfig, train: TrainingPairs, validation: TrainingPairs?, options: Options) throws {
        guard options.epochs >= 1, (1...1024).contains(options.batchSize), options.threads >= 1,
              (options.stepsPerEpoch ?? 1) >= 1 else {
            throw TrainerError.invalidArgument("epochs must be >= 1, batch size in 1...1024, threads >= 1, steps per epoch >= 1")
        }
        for pairs in [train] + (validation.map { [$0] } ?? []) {
            guard pairs.channels == config.common.inputChannels, pairs.classes == config.common.outputChannels,
                  pairs.height == config.common.imageSize, pairs.width == config.common.imageSize else {
                throw TrainerError.invalidArgument(
                    "the \(pairs.split.rawValue) pairs are \(pairs.channels)x\(pairs.height)x\(pairs.width) with \(pairs.classes) classes; the segmenter expects \(config.common.inputChannels)x\(config.common.imageSize)x\(config.common.imageSize) with \(config.common.outputChannels)")
            }
        }
        network = try SegmenterNetwork(config: config)
        network.threads = options.threads
        network.initialize(seed: options.seed)
        if let file = options.initialWeights { try network.load(from: file) }
        step = try SegmenterStep(segmenter: network, options: options.step)
        sampler = try options.crops.map { sampling throws(TrainerError) in
            try CropSampler(sampling, pairs: train, multiple: 1 << config.depth)
        }
        self.train = train
        self.validation = validation
        self.options = options
        loop = TrainingLoopState(random: ShuffleRandom(seed: options.seed))
    }

    /// Epochs completed so far (restored ones included), oldest first.
    public var history: [SegmenterEpoch] { loop.history }
    private var loop: TrainingLoopState<SegmenterEpoch>

    /// Continues the run saved in the checkpoint at `path` (weights, Adam
    /// moments, shuffle state, history); see `GANTraining.resume(from:)`.
    /// - Throws: `TrainerError.invalidArgument` if the file was written by
    ///   a run with another seed, batch size, data or configuration.
    @discardableResult
    public func resume(from path: String) throws -> [SegmenterEpoch] {
        step.stepCount = try loop.restore(from: path, identity: identity, parts: parts)
        return history
    }

    /// Runs the epochs not done yet, calling `report` after each (and
    /// `progress` after each batch with (epoch, batch, batches)); writes the
    /// best weights to `bestPath` and, if given, the last weights to
    /// `lastPath` and a checkpoint (`resume(from:)`) after every epoch.
    @discardableResult
    public func run(bestPath: String, lastPath: String? = nil, checkpointPath: String? = nil,
                    progress: (Int, Int, Int) -> Void = { _, _, _ in },
                    report: (SegmenterEpoch) -> Void = { _ in }) throws -> [SegmenterEpoch] {
        // A spinning pool, as sessions use, instead of a Dispatch wake-up per
        // parallel region (docs/design.md §3.6: quick segmenter epochs 1.8×
        // faster; the same bits).
        try WorkerPool(threads: options.threads).withCurrent {
            try runEpochs(bestPath: bestPath, lastPath: lastPath, checkpointPath: checkpointPath, progress: progress,
                          report: report)
        }
    }

    private func runEpochs(bestPath: String, lastPath: String?, checkpointPath: String?,
                           progress: (Int, Int, Int) -> Void,
                           report: (SegmenterEpoch) -> Void) throws -> [SegmenterEpoch] {
        let images = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        let batches = options.stepsPerEpoch ?? (train.count + options.batchSize - 1) / options.batchSize
        for epoch in stride(from: history.count + 1, through: options.epochs, by: 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            var order: [Int] = []
            var (total, seen) = (0.0, 0)
            for b in 0..<batches {
                let indices: [Int]
                if options.stepsPerEpoch == nil {
                    if order.isEmpty { order = shuffledOrder() }
                    indices = Array(order[(b * options.batchSize)..<min(order.count, (b + 1) * options.batchSize)])
                } else {
                    // Full batches from consecutive shuffles; leftovers end with the epoch.
                    while order.count < min(options.batchSize, train.count) { order += shuffledOrder() }
                    indices = Array(order.prefix(options.batchSize))
                    order.removeFirst(indices.count)
                }
                if let sampler {
                    let origins = indices.map { sampler.origin(of: $0, random: &loop.random) }
                    try train.fill(images: images, labels: labels, indices: indices, origins: origins, side: sampler.sampling.side)
                } else {
                    try train.fill(images: images, labels: labels, indices: indices)
                }
                step.optimizer.options.learningRate = options.schedule.learningRate(
                    base: options.step.adam.learningRate, step: step.stepCount, of: options.epochs * batches)
                total += try step.step(images: images, labels: labels).total * Double(indices.count)
                seen += indices.count
                progress(epoch, b + 1, batches)
            }
            var record = SegmenterEpoch(epoch: epoch, loss: total / Double(seen), valLoss: nil, valDice: nil,
                                        seconds: 0, saved: false)
            if let validation {
                (record.valLoss, record.valDice) = try evaluate(validation, images: images, labels: labels)
            }
            let criterion = record.valLoss ?? record.loss
            if loop.isNewBest(criterion, hasValidation: validation != nil) {
                try save(to: bestPath)
                record.saved = true
            }
            if let lastPath { try save(to: lastPath) }
            record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            loop.history.append(record)
            if let checkpointPath { try writeCheckpoint(to: checkpointPath) }
            report(record)
        }
        return history
    }

    private func shuffledOrder() -> [Int] { loop.random.permutation(train.count) }

    private var parts: [TrainingCheckpoint<SegmenterEpoch>.Part] {
        [.init(name: "segmenter", network: network, optimizer: step.optimizer)]
    }

    private var identity: TrainingCheckpoint<SegmenterEpoch>.RunIdentity {
        TrainingCheckpoint<SegmenterEpoch>.identity(recipe: "segmenter", parts: parts, seed: options.seed,
                                                    batchSize: options.batchSize, train: train, validation: validation)
    }

    private func writeCheckpoint(to path: String) throws {
        try loop.write(to: path, identity: identity, recipeSteps: step.stepCount, threads: options.threads, parts: parts)
    }

    /// Validation loss and foreground Dice, BatchNorm with running statistics.
    func evaluate(_ pairs: TrainingPairs, images: TrainTensor, labels: LabelMap) throws -> (Double, Double?) {
        let crossEntropy = CrossEntropyLoss()
        let dice = try SoftDiceLoss(smoothing: options.step.diceSmoothing, classes: options.step.diceClasses)
        let eval = ForwardMode(batchStatistics: false, dropout: false, probabilities: false)
        var matrix = try ConfusionMatrix(classes: pairs.classes)
        var total = 0.0
        for start in stride(from: 0, to: pairs.count, by: options.batchSize) {
            let indices = Array(start..<min(pairs.count, start + options.batchSize))
            try pairs.fill(images: images, labels: labels, indices: indices)
            let logits = try network.forward(images, mode: eval)
            let loss = try crossEntropy.evaluate(logits: logits, labels: labels)
                + Double(options.step.diceWeight) * (try dice.evaluate(logits: logits, labels: labels))
            total += loss * Double(indices.count)
            // Argmax over classes per pixel against the truth.
            let (k, plane) = (logits.shape.c, logits.shape.spatial)
            var predicted = [Int32](repeating: 0, count: indices.count * plane)
            predicted.withUnsafeMutableBufferPointer { predicted in
                for n in 0..<indices.count {
                    Pointwise.argmaxChannels(logits.pointer + n * k * plane, channels: k, pixels: plane,
                                             into: predicted.baseAddress! + n * plane)
                }
            }
            try matrix.add(prediction: predicted, truth: Array(UnsafeBufferPointer(start: labels.pointer, count: labels.count)))
        }
        let scores = try SegmentationScores(matrix: matrix, options: MetricsOptions(surfaceDistance: nil))
        return (total / Double(pairs.count), scores.meanDiceForeground)
    }

    /// Writes the current weights (recommending running-statistics inference).
    func save(to path: String) throws {
        var config = network.config
        config.common.inference = InferenceMode(normalization: .running, dropout: false)
        try ModelFile.write(config: .segmenter(config), tensors: network.tensors(), to: path)
    }
}

/// SplitMix64 for the epoch shuffles.
struct ShuffleRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed ^ 0x5348_5546_464C_4521 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<count in a random order (Fisher–Yates, from the last element).
    mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(next() % UInt64(i + 1))) }
        return order
    }
}
