import ArgumentParser
import Foundation
import MedaugImaging
import MedaugModels
import MedaugTrainer

/// `medaug train-seg`: train the U-Net segmenter on a dataset folder.
struct TrainSegmenterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-seg",
        abstract: "Train the U-Net segmenter on a dataset folder (cross-entropy + soft Dice, Adam).",
        discussion: """
        Weights are saved to --out whenever the validation loss is lower than before (every epoch
        without a validation split); --log gets one JSON object per epoch:
        {"epoch", "loss", "val_loss", "val_dice", "seconds", "saved"}. A checkpoint is written after every
        epoch; --resume continues an interrupted run from it.
        Examples:
          medaug train-seg --data out/mni-dataset --out out/segmenter.safetensors --epochs 20 --log out/seg.jsonl
          medaug train-seg --data out/mni-dataset --out out/segmenter.safetensors --epochs 20 --resume
        """)

    @Option(help: "Dataset folder (manifest.json, images/, masks/).")
    var data: String
    @Option(help: "Output weights file (.safetensors), written atomically.")
    var out: String
    @Option(help: "Also write the last epoch's weights here.")
    var last: String?
    @Option(help: "JSON-lines log, one object per epoch.")
    var log: String?
    @Option(help: "Epochs.")
    var epochs: Int = 50
    @Option(help: "Images per batch.")
    var batch: Int = 4
    @Option(help: "U-Net poolings.")
    var depth: Int = 4
    @Option(help: "Filters at the first level.")
    var baseFilters: Int = 32
    @Option(help: "Negative slope of the hidden activations: 0 is ReLU, > 0 LeakyReLU (recorded in the model file).")
    var leakyReluSlope: Double = 0
    @Option(help: "Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Classes the soft Dice term averages over: all (background included) or present_foreground (foreground classes present in the batch, nnU-Net's batch Dice).")
    var diceClasses: DiceClasses = .all
    @Option(help: "Learning-rate schedule: constant, or poly (nnU-Net: lr·(1 − step/steps)^0.9).")
    var schedule: ScheduleName = .constant
    @Flag(help: "Keep the output convolution's bias at 0 (no class for pixels whose last features are all off).")
    var freezeOutputBias = false
    @Option(help: "With --schedule poly: steps of linear warm-up from 0 first.")
    var warmup: Int = 0
    @Option(help: "Train on SIDE×SIDE crops (a multiple of 2^depth) instead of whole images; validation stays whole.")
    var crop: Int?
    @Option(help: "With --crop: share of crops drawn around a pixel of a random foreground class present in the pair.")
    var foregroundShare: Double = 0.5
    @Option(help: "Batches per epoch (default: one pass over the training pairs).")
    var stepsPerEpoch: Int?
    @Option(help: "Seed of the initial weights and the batch order.")
    var seed: UInt64 = 0
    @Option(help: "Threads.")
    var threads: Int = 1
    @Flag(help: "Leave out items flagged synthetic.")
    var realOnly = false
    @Option(name: .customLong("init"), help: "Start from these weights (an earlier segmenter of the same architecture: --depth, --base-filters, --leaky-relu-slope and the data's classes and channels must match it) instead of random ones.")
    var initialWeights: String?
    @OptionGroup var checkpointOptions: CheckpointOptions
    @OptionGroup var pictures: PictureOptions

    func validate() throws {
        guard (1...100_000).contains(epochs), (1...1024).contains(batch), (1...256).contains(threads) else {
            throw ValidationError("--epochs must be in 1...100000, --batch in 1...1024, --threads in 1...256")
        }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        if let stepsPerEpoch, !(1...100_000).contains(stepsPerEpoch) {
            throw ValidationError("--steps-per-epoch must be in 1...100000")
        }
    }

    func run() throws {
        try OutputLocation.checkFile(out)
        do {
            let train = try TrainingPairs.load(folder: data, split: .train, includeSynthetic: !realOnly)
            let validation = try loadValidationPairs(folder: data)
            let manifest = train.manifest
            var config = SegmenterConfig.standard(
                imageSize: train.height, classes: manifest.classes, labelValues: manifest.labelValues,
                channelNames: manifest.channels, depth: depth, baseFilters: baseFilters, leakyReluSlope: leakyReluSlope)
            // How the slices were made, for whole-volume segmentation.
            config.preparation = manifest.preparation
            do { try config.validate() } catch { throw CLIError("\(error)") }
            var options = SegmenterTraining.Options()
            options.epochs = epochs
            options.batchSize = batch
            options.seed = seed
            options.threads = threads
            options.step.adam.learningRate = learningRate
            options.step.diceClasses = diceClasses
            options.step.freezesOutputBias = freezeOutputBias
            options.schedule = schedule.schedule(warmup: warmup)
            options.stepsPerEpoch = stepsPerEpoch
            options.crops = crop.map { CropSampling(side: $0, foregroundShare: foregroundShare) }
            options.initialWeights = try initialWeights.map { try loadInitialWeights($0, option: "--init") }
            let training = try SegmenterTraining(config: config, train: train, validation: validation, options: options)
            let records = try log.map(JSONLinesLog.init)
            let checkpoint = checkpointOptions.path(out: out)
            let done = try resumeIfAsked(checkpointOptions, checkpoint: checkpoint, log: records,
                                         restore: training.resume(from:))
            let bar = ProgressBar(total: max(0, epochs - done) * (stepsPerEpoch ?? (train.count + batch - 1) / batch))
            defer { bar.endLine() }
            try training.run(bestPath: out, lastPath: last, checkpointPath: checkpoint,
                             progress: { _, _, _ in bar.advance() }) { record in
                bar.finishLine(String(format: "epoch %d/%d loss %.4f", record.epoch, epochs, record.loss)
                    + (record.valLoss.map { String(format: " val_loss %.4f", $0) } ?? "")
                    + (record.valDice.map { String(format: " val_dice %.3f", $0) } ?? "")
                    + (record.saved ? " saved" : ""))
                records?.append(record)
            }
            print("wrote \(out)")
            for path in try writeSegmenterPictures(training, options: pictures, out: out) { print("wrote \(path)") }
        } catch let error as TrainerError {
            throw CLIError(error.description)
        } catch let error as ModelError {
            throw CLIError(error.description)
        }
    }
}

extension DiceClasses: ExpressibleByArgument {}

/// `--schedule` values.
enum ScheduleName: String, ExpressibleByArgument, CaseIterable {
    case constant, poly

    /// The schedule; `warmup` steps of linear warm-up apply to poly only.
    func schedule(warmup: Int) -> LearningRateSchedule {
        switch self {
        case .constant: return .constant
        case .poly: return warmup > 0 ? .warmupPoly(warmup: warmup, exponent: 0.9) : .poly(exponent: 0.9)
        }
    }
}
