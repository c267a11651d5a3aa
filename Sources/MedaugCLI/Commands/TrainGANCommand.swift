import ArgumentParser
import Foundation
import MedaugModels
import MedaugTrainer

/// `medaug train-gan`: train the pix2pix generator and discriminator.
struct TrainGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-gan",
        abstract: "Train the pix2pix GAN (label map → image) on a dataset folder with the paper's recipe.",
        discussion: """
        G: BCE(D(x, G(x)), 1) + α·L1; D: BCE(D(x, y), 1) + BCE(D(x, G(x)), 0); Adam lr 1e-4, β1 0.5.
        The generator is saved to --out whenever the validation L1 is lower than before (every epoch
        without a validation split); --log gets one JSON object per epoch:
        {"epoch", "g_loss", "d_loss", "l1", "val_loss", "seconds", "saved"}. A checkpoint is written after
        every epoch; --resume continues an interrupted run from it.
        Examples:
          medaug train-gan --data out/mni-dataset --out out/generator.safetensors --epochs 100 --log out/gan.jsonl
          medaug train-gan --data out/mni-dataset --out out/generator.safetensors --epochs 100 --resume
          medaug train-gan --data out/mni-dataset --time-steps 11 --threads 2   # timing only, prints JSON
        """)

    @Option(help: "Dataset folder (manifest.json, images/, masks/).")
    var data: String
    @Option(help: "Output generator weights (.safetensors), written atomically.")
    var out: String?
    @Option(help: "Also write the last epoch's generator here.")
    var last: String?
    @Option(help: "Also write the discriminator here after every epoch.")
    var discriminatorOut: String?
    @Option(help: "JSON-lines log, one object per epoch.")
    var log: String?
    @Option(help: "Epochs (paper: 100).")
    var epochs: Int = 100
    @Option(help: "Pairs per batch (paper: 1).")
    var batch: Int = 1
    @Option(help: "Comma-separated generator down-block filters (default: the paper's 64, 128, 256, 512, ... for the image size).")
    var downFilters: String?
    @Option(help: "Comma-separated discriminator filters (default 64,128,256,512,512).")
    var discriminatorFilters: String?
    @Option(help: "Weight α of the L1 term.")
    var l1Weight: Float = 100
    @Option(help: "Adam learning rate of both networks (paper: 1e-4).")
    var learningRate: Float = 1e-4
    @Option(name: .customLong("init"), help: "Start the generator from these weights (e.g. a converted Keras or PyTorch generator; --down-filters and the data's classes and channels must match it) instead of random ones.")
    var initialGenerator: String?
    @Option(name: .customLong("init-discriminator"), help: "Start the discriminator from these weights.")
    var initialDiscriminator: String?
    @Option(help: "Share of the steps at the end over which both rates decay linearly to 0 (pix2pix's code: 0.5); 0 keeps them constant.")
    var decayShare: Double = 0
    @Option(help: "Paired augmentation of every training pair before each step, image and label map together: a JSON pipeline file (as medaug augment), or 'jitter' for pix2pix's random jitter and mirroring (zoom by 286/256, a random crop of the original size, a left-right mirror half of the time). Default: none, as the paper.")
    var pipeline: String?
    @Option(help: "Seed of the initial weights, batch order and dropout.")
    var seed: UInt64 = 0
    @Option(help: "Threads.")
    var threads: Int = 1
    @OptionGroup var checkpointOptions: CheckpointOptions
    @OptionGroup var pictures: PictureOptions
    @Option(help: "Only time this many training steps (no files written) and print {\"ms_per_step\": [...], \"cpu_tier\": ...}.")
    var timeSteps: Int?

    func validate() throws {
        guard (1...100_000).contains(epochs), (1...1024).contains(batch), (1...256).contains(threads) else {
            throw ValidationError("--epochs must be in 1...100000, --batch in 1...1024, --threads in 1...256")
        }
        guard learningRate > 0, learningRate.isFinite, l1Weight >= 0, l1Weight.isFinite else {
            throw ValidationError("--learning-rate must be positive and --l1-weight non-negative")
        }
        if let timeSteps, !(1...10_000).contains(timeSteps) { throw ValidationError("--time-steps must be in 1...10000") }
        guard out != nil || timeSteps != nil else { throw ValidationError("--out is required (unless --time-steps)") }
    }

    func run() throws {
        if let out { try OutputLocation.checkFile(out) }
        do {
            let train = try TrainingPairs.load(folder: data, split: .train)
            let validation = timeSteps == nil ? try loadValidationPairs(folder: data) : nil
            let manifest = train.manifest
            var generator = GeneratorConfig.paper(imageSize: train.height, classes: manifest.classes,
                                                  labelValues: manifest.labelValues, channelNames: manifest.channels)
            if let downFilters {
                generator.downFilters = try parseIntegers(downFilters, option: "--down-filters")
                generator.upFilters = generator.downFilters.reversed()
                generator.bottleneckFilters = generator.downFilters.last ?? 1
                generator.dropoutUpBlocks = generator.downFilters.count
            }
            var discriminator = DiscriminatorConfig.paper(imageSize: train.height, classes: manifest.classes,
                                                          labelValues: manifest.labelValues, channelNames: manifest.channels)
            if let discriminatorFilters { discriminator.filters = try parseIntegers(discriminatorFilters, option: "--discriminator-filters") }
            do {
                try generator.validate()
                try discriminator.validate()
            } catch { throw CLIError("\(error)") }
            var options = GANTraining.Options()
            options.epochs = epochs
            options.batchSize = batch
            options.seed = seed
            options.threads = threads
            options.step.l1Weight = l1Weight
            options.step.generatorAdam.learningRate = learningRate
            options.step.discriminatorAdam.learningRate = learningRate
            guard (0...1).contains(decayShare) else { throw CLIError("--decay-share must be in 0...1, got \(decayShare)") }
            if decayShare > 0 { options.schedule = .linearDecay(decayShare: decayShare) }
            if let pipeline {
                options.augmentation = pipeline == "jitter" ? PairAugmentation.pix2pixJitter : try loadPipeline(pipeline)
            }
            options.initialGenerator = try initialGenerator.map { try loadInitialWeights($0, option: "--init") }
            options.initialDiscriminator = try initialDiscriminator.map {
                try loadInitialWeights($0, option: "--init-discriminator")
            }
            let training = try GANTraining(generator: generator, discriminator: discriminator, train: train,
                                           validation: validation, options: options)
            if let timeSteps { return try printStepTimes(training.measureSteps(timeSteps)) }
            guard let out else { return }
            let records = try log.map(JSONLinesLog.init)
            let checkpoint = checkpointOptions.path(out: out)
            let done = try resumeIfAsked(checkpointOptions, checkpoint: checkpoint, log: records,
                                         restore: training.resume(from:))
            let bar = ProgressBar(total: max(0, epochs - done) * ((train.count + batch - 1) / batch))
            defer { bar.endLine() }
            try training.run(bestPath: out, lastPath: last, discriminatorPath: discriminatorOut, checkpointPath: checkpoint,
                             progress: { _, _, _ in bar.advance() }) { record in
                bar.finishLine(String(format: "epoch %d/%d g_loss %.3f d_loss %.3f l1 %.4f", record.epoch, epochs,
                                      record.gLoss, record.dLoss, record.l1)
                    + (record.valLoss.map { String(format: " val_l1 %.4f", $0) } ?? "") + (record.saved ? " saved" : ""))
                records?.append(record)
            }
            print("wrote \(out)")
            for path in try writeGANPictures(training, options: pictures, out: out) { print("wrote \(path)") }
        } catch let error as TrainerError {
            throw CLIError(error.description)
        } catch let error as ModelError {
            throw CLIError(error.description)
        }
    }
}
