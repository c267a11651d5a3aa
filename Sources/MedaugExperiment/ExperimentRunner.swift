import Dispatch
import Foundation
import MedaugEngine
import MedaugExpansion
import MedaugImaging
import MedaugMetrics
import MedaugModels
import MedaugTrainer

/// Everything that defines a run; written to `config.json` so it can be
/// repeated exactly.
public struct ExperimentConfig: Codable, Sendable {
    public var dataset: ExperimentDataset
    public var preset: ExperimentPreset
    /// Seeds the data draw, the GAN, the expansion; segmenter seed k of an
    /// arm is `seed + k`.
    public var seed: UInt64
    /// MNI folder (`scripts/fetch-mni`), for the MNI datasets.
    public var mniFolder: String
    /// A prepared dataset folder, for `dataset == .folder`.
    public var dataFolder: String?
    /// The user's NIfTI volumes, for `dataset == .volumes`.
    public var volumes: VolumeSource?
    /// Label values label edits move and `paste` copies (default: the BraTS
    /// lesion values 1, 2, 4 when the report scores BraTS regions).
    public var editValues: [Int32]?
    /// Merged regions to score: "brats" (whole tumour, tumour core,
    /// enhancing tumour: label values 1, 2, 4) or nil. `mni-lesion` always
    /// scores them; other data only when asked: label values alone cannot
    /// tell a tumour from an organ.
    public var regions: String?
    /// Generated pairs whose relative gate score is below this are dropped
    /// (gan_gated; `GateReport`).
    public var gateThreshold: Double = 0.8
    /// Synthetic images at least this SSIM-similar to a real training
    /// image are flagged as near-copies.
    public var nearCopySSIM: Double = 0.95
    public var threads: Int = 2
    /// The arms to train (nil: every arm the data allow). `real` is always
    /// among them: every arm is compared with it and the gate reads with it.
    public var arms: [ExperimentArm]?

    public init(dataset: ExperimentDataset, preset: ExperimentPreset, seed: UInt64, mniFolder: String,
                dataFolder: String? = nil) {
        self.dataset = dataset
        self.preset = preset
        self.seed = seed
        self.mniFolder = mniFolder
        self.dataFolder = dataFolder
    }
}

/// The paper's experiment, end to end, into one report folder:
///
/// 1. `data/`: slices and label maps, split by position, the training
///    pairs drawn with the seed;
/// 2. the pix2pix GAN trained on the real training pairs
///    (`weights/generator.safetensors`, `pictures/gan-samples.png`);
/// 3. `sets/<arm>`: the training set expanded to the target (classic only;
///    generator + label edits + classic; and the ablations `gan_no_edits`,
///    `gmm`, `paste`), val/test real;
/// 4. segmenters per arm and seed, the same number of gradient steps each,
///    several at once (`trainSegmenters`);
/// 5. the quality gate (`sets/gan_gated`) scored with the `real` arm's
///    first segmenter, before `gan_gated` trains;
/// 6. every segmenter scored on the real train/val/test splits, test
///    predictions saved (`predictions/<arm>/seed-<k>/<id>.tif`);
/// 7. synthetic checks (memorisation SSIM, held-out SSIM/PSNR);
/// 8. the report: `metrics.json`, `metrics.csv`, `table.md`, pictures,
///    curves, `config.json`.
public final class ExperimentRunner {
    public let config: ExperimentConfig
    public let out: String
    /// Stage messages (one line each).
    public var log: (String) -> Void = { _ in }
    /// Progress within a stage: (stage, done, total).
    public var progress: (String, Int, Int) -> Void = { _, _, _ in }
    /// Continue the run in `out` (same configuration): finished stages are
    /// skipped and a killed training continues from its last checkpoint
    /// (`StageLedger`), with the same final numbers on the same CPU tier and
    /// thread count.
    public var resume = false
    var ledger: StageLedger!

    public init(config: ExperimentConfig, out: String) {
        self.config = config
        self.out = out
    }

    var preset: ExperimentPreset { config.preset }
    var data: String { out + "/data" }

    /// Runs every stage and returns the report (also written to `out`).
    @discardableResult
    public func run() throws -> ExperimentReport {
        let start = DispatchTime.now().uptimeNanoseconds
        var timing: [String: Double] = [:]
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let t0 = DispatchTime.now().uptimeNanoseconds
            log("\(stage)…")
            defer { timing[stage] = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
            return try body()
        }
        let lesions = config.dataset == .mniLesion || config.regions == "brats"
        let editValues = config.editValues ?? (lesions ? [1, 2, 4] : [])
        let arms = try Self.arms(hasLesions: !editValues.isEmpty, requested: config.arms)
        if resume { try checkResumable() }
        for folder in ["", "/weights", "/sets", "/pictures", "/curves", "/predictions"] {
            try FileManager.default.createDirectory(atPath: out + folder, withIntermediateDirectories: true)
        }
        ledger = try StageLedger(folder: out, resuming: resume)
        try encodedConfig().write(to: URL(fileURLWithPath: out + "/config.json"), options: .atomic)

        let manifest = try timed("data") { () throws -> DatasetManifest in
            if ledger.contains("data") { return try DatasetManifest.read(folder: data) }
            let manifest = try prepareData()
            try ledger.finish("data")
            return manifest
        }

        let generatorPath = out + "/weights/generator.safetensors"
        let renderQuality = try timed("gan") { () throws -> [RenderQuality] in
            if ledger.contains("gan") { return try read(json: [RenderQuality].self, from: qualityPath) }
            let quality = try trainGAN(to: generatorPath)
            try ledger.finish("gan")
            return quality
        }
        let generator = try Model(path: generatorPath)
        try timed("expand") {
            try expand(generator: generator, editValues: editValues, arms: arms)
        }
        let (runs, gate) = try timed("segmenters") { try trainSegmenters(arms: arms) }
        let (scores, postprocessing) = try timed("evaluation") { try evaluate(runs, lesions: lesions) }
        let checks = try timed("synthetic checks") {
            try syntheticChecks(generator: generator, generatedSet: Self.expandedSets(arms).contains(.gan))
        }
        try timed("pictures") { try writePictures(runs: runs) }
        timing["total"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let report = ExperimentReport(
            dataset: config.dataset.rawValue, preset: preset.name, seeds: (0..<preset.seeds).map { config.seed + UInt64($0) },
            classes: manifest.classes, labelValues: manifest.labelValues, arms: scores,
            comparisons: ArmComparison.all(scores, order: ExperimentArm.allCases.map(\.rawValue)),
            postprocessing: postprocessing, gate: gate,
            ganEpochs: renderQuality, syntheticChecks: checks, seconds: timing, resumed: resume)
        try report.write(to: out)
        return report
    }

    // MARK: Stages

    func prepareData() throws -> DatasetManifest {
        switch config.dataset {
        case .mniLesion, .mniTissue:
            return try ExperimentData.prepareMNI(folder: config.mniFolder, lesions: config.dataset == .mniLesion,
                                                 preset: preset, seed: config.seed, output: data)
        case .volumes:
            guard let source = config.volumes else { throw ImagingError.invalidArgument("the volumes dataset needs volumes") }
            return try ExperimentData.prepareVolumes(source, preset: preset, seed: config.seed, output: data)
        case .folder:
            guard let source = config.dataFolder else { throw ImagingError.invalidArgument("the folder dataset needs a data folder") }
            try? FileManager.default.removeItem(atPath: data)
            try FileManager.default.copyItem(atPath: source, toPath: data)
            let manifest = try DatasetManifest.read(folder: data)
            guard manifest.items.contains(where: { $0.split == .val && !$0.synthetic }),
                  manifest.items.contains(where: { $0.split == .test && !$0.synthetic }) else {
                throw ImagingError.invalidArgument("'\(source)' needs real train, val and test items")
            }
            return manifest
        }
    }

    /// `weights/gan-quality.json`: the render quality of the epochs so far.
    var qualityPath: String { out + "/weights/gan-quality.json" }

    /// Trains the generator (continuing from its checkpoint when resuming);
    /// returns its validation render quality per epoch.
    func trainGAN(to path: String) throws -> [RenderQuality] {
        let train = try TrainingPairs.load(folder: data, split: .train, includeSynthetic: false)
        let validation = try TrainingPairs.load(folder: data, split: .val, includeSynthetic: false)
        let m = train.manifest
        var generator = GeneratorConfig.paper(imageSize: train.height, classes: m.classes, labelValues: m.labelValues,
                                              channelNames: m.channels)
        if let filters = preset.generatorFilters {
            generator.downFilters = filters
            generator.upFilters = filters.reversed()
            generator.bottleneckFilters = filters.last!
            generator.dropoutUpBlocks = min(generator.dropoutUpBlocks, filters.count)
        }
        var discriminator = DiscriminatorConfig.paper(imageSize: train.height, classes: m.classes, labelValues: m.labelValues,
                                                      channelNames: m.channels)
        if let filters = preset.discriminatorFilters { discriminator.filters = filters }
        var options = GANTraining.Options()
        options.epochs = preset.ganEpochs
        options.batchSize = 1
        options.seed = config.seed
        options.threads = config.threads
        options.step.generatorAdam.learningRate = preset.ganLearningRate
        options.step.discriminatorAdam.learningRate = preset.ganLearningRate
        let training = try GANTraining(generator: generator, discriminator: discriminator, train: train,
                                       validation: validation, options: options)
        let checkpoint = out + "/weights/generator.checkpoint.safetensors"
        var quality: [RenderQuality] = []
        if resume && FileManager.default.fileExists(atPath: checkpoint) {
            let history = try training.resume(from: checkpoint)
            quality = Array(try read(json: [RenderQuality].self, from: qualityPath).prefix(history.count))
            log("  gan: continuing after epoch \(history.count) from \(checkpoint)")
        }
        let total = preset.ganEpochs * train.count
        var done = training.history.count * train.count
        var failure: Error?
        try training.run(bestPath: path, checkpointPath: checkpoint,
                         progress: { _, _, _ in done += 1; self.progress("gan", done, total) }) { record in
            do {
                let measured = try RenderQuality.measure(training, epoch: record.epoch,
                                                         pairs: min(validation.count, RenderQuality.pairsPerEpoch))
                quality.append(measured)
                try self.write(json: quality, to: self.qualityPath)
                self.log(String(format: "  gan epoch %d: l1 %.4f, val l1 %.4f, val PSNR %.2f dB, val SSIM %.3f", record.epoch,
                                record.l1, record.valLoss ?? .nan, measured.psnr ?? .nan, measured.ssim ?? .nan))
            } catch { failure = error }
        }
        if let failure { throw failure }
        try TrainingPictures.writeGAN(training, samples: out + "/pictures/gan-samples.png", curves: out + "/curves/gan.svg",
                                      quality: quality)
        try? FileManager.default.removeItem(atPath: out + "/weights/generator.checkpoint.safetensors")
        return quality
    }

    func setFolder(_ arm: ExperimentArm) -> String { out + "/sets/" + arm.rawValue }

    /// The arms the data allow: without lesion label values there is
    /// nothing to edit or paste, so `gan_no_edits` (it would equal `gan`)
    /// and `paste` are left out.
    ///
    /// - Parameter requested: the user's arms (nil: all of them); they must
    ///   include `real` and only arms the data allow.
    static func arms(hasLesions: Bool, requested: [ExperimentArm]? = nil) throws -> [ExperimentArm] {
        let allowed = ExperimentArm.allCases.filter { hasLesions || ($0 != .ganNoEdits && $0 != .paste) }
        guard let requested else { return allowed }
        guard requested.contains(.real) else {
            throw ExperimentError.invalidConfiguration("the arms must include real: every arm is compared with it and the quality gate reads with its segmenter")
        }
        if let refused = requested.first(where: { !allowed.contains($0) }) {
            throw ExperimentError.invalidConfiguration("the arm \(refused.rawValue) needs lesion label values (mni-lesion or --regions brats): without them there is nothing to edit or paste")
        }
        return allowed.filter(requested.contains)
    }

    /// The sets `expand` writes for `arms`: each arm's own, and `gan` for
    /// `gan_gated`, which is `gan`'s set filtered by the quality gate.
    static func expandedSets(_ arms: [ExperimentArm]) -> [ExperimentArm] {
        arms.filter { $0 != .real && $0 != .ganGated } + (arms.contains(.ganGated) && !arms.contains(.gan) ? [.gan] : [])
    }

    /// The expanded sets: `classic` (classic pairs only), then every
    /// synthetic arm from one plan (`gan`'s options, seed and target), each
    /// swapping only how its synthetic half is made.
    func expand(generator: Model, editValues: [Int32], arms: [ExperimentArm]) throws {
        var classic = ExpansionOptions(target: preset.target)
        classic.generatedShare = 0
        classic.seed = config.seed
        classic.threads = config.threads
        var gan = classic
        gan.generatedShare = 0.5
        gan.editValues = editValues
        var sets: [(ExperimentArm, ExpansionOptions, Model?)] = [(.classic, classic, nil), (.gan, gan, generator)]
        var noEdits = gan
        noEdits.editValues = []
        sets.append((.ganNoEdits, noEdits, generator))
        var gmm = gan
        gmm.synthesis = .gaussianMixture
        sets.append((.gmm, gmm, nil))
        var paste = gan
        paste.synthesis = .lesionPaste
        sets.append((.paste, paste, nil))
        let needed = Self.expandedSets(arms)
        for (arm, options, model) in sets where needed.contains(arm) && !ledger.contains("expand \(arm.rawValue)") {
            try Expander(generator: model, options: options).expandDataset(input: data, output: setFolder(arm), overwrite: true) {
                self.progress("expand \(arm.rawValue)", $0, $1); return true
            }
            try ledger.finish("expand \(arm.rawValue)")
        }
    }
}
