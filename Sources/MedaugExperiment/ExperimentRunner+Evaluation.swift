import Foundation
import MedaugEngine
import MedaugImaging
import MedaugMetrics

/// Mean, standard deviation (sample, n − 1; 0 for one run) and the runs of
/// one number across seeds; undefined runs (nil) are left out of both.
public struct SeedStatistic: Codable, Equatable, Sendable {
    public var mean: Double?
    public var std: Double?
    public var runs: [Double?]

    public init(_ runs: [Double?]) {
        self.runs = runs
        let values = runs.compactMap { $0 }
        guard !values.isEmpty else { (mean, std) = (nil, nil); return }
        let m = values.reduce(0, +) / Double(values.count)
        mean = m
        std = values.count > 1 ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot() : 0
    }
}

/// The same per class.
public struct SeedVectorStatistic: Codable, Equatable, Sendable {
    public var mean: [Double?]
    public var std: [Double?]
    public var runs: [[Double?]]

    public init(_ runs: [[Double?]]) {
        self.runs = runs
        let classes = runs.first?.count ?? 0
        let columns = (0..<classes).map { k in SeedStatistic(runs.map { $0[k] }) }
        mean = columns.map(\.mean)
        std = columns.map(\.std)
    }
}

/// One arm's scores on one split, micro-averaged over the split's pixels;
/// `mean_iou` and `mean_dice` over all classes including the background
/// (as the paper), `mean_dice_foreground` without it.
public struct SplitScores: Codable, Equatable, Sendable {
    public var accuracy: SeedStatistic
    public var meanIoU: SeedStatistic
    public var meanDice: SeedStatistic
    public var meanDiceForeground: SeedStatistic
    public var perClassDice: SeedVectorStatistic
    /// BraTS regions (whole_tumour, tumour_core, enhancing_tumour) when the
    /// report scores them (`mni-lesion`, or `--regions brats`).
    public var regionDice: [String: SeedStatistic]?
    /// HD95 in pixels per foreground class and region name: the mean over
    /// the split's images where the class is in the truth or the
    /// prediction; an image where it is in only one of them (a missed or
    /// invented structure) counts as the image diagonal.
    public var hd95: [String: SeedStatistic]
    /// Per class/region name and seed: images that counted as the diagonal.
    public var hd95Missed: [String: [Int]]
    /// Every comparison metric per seed (the split's micro Dice, the mean
    /// HD95): metric → seed. Metrics: mean_dice, mean_dice_foreground,
    /// dice_<class or region>, hd95_<class or region>.
    public var perSeed: [String: [Double?]]
    /// The same metrics per seed and image (nil where undefined), for the
    /// per-image paired tests: metric → seed → image.
    public var perImage: [String: [[Double?]]]

    enum CodingKeys: String, CodingKey {
        case accuracy
        case meanIoU = "mean_iou"
        case meanDice = "mean_dice"
        case meanDiceForeground = "mean_dice_foreground"
        case perClassDice = "per_class_dice"
        case regionDice = "region_dice"
        case hd95, hd95Missed = "hd95_missed", perSeed = "per_seed", perImage = "per_image"
    }

    /// Scores of one seed: the split's micro report and each image's.
    struct Run {
        var micro: SegmentationScores
        var images: [SegmentationScores]
    }

    /// - Parameters: classes: the class names (index 0 the background);
    ///   diagonal: the image diagonal in pixels.
    init(_ runs: [Run], classes: [String], diagonal: Double) {
        let micro = runs.map(\.micro)
        accuracy = SeedStatistic(micro.map { $0.accuracy })
        meanIoU = SeedStatistic(micro.map(\.meanIoU))
        meanDice = SeedStatistic(micro.map(\.meanDice))
        meanDiceForeground = SeedStatistic(micro.map(\.meanDiceForeground))
        perClassDice = SeedVectorStatistic(micro.map(\.perClassDice))
        let regionNames = micro.first?.regions.map(\.name) ?? []
        regionDice = regionNames.isEmpty ? nil : Dictionary(uniqueKeysWithValues: regionNames.enumerated().map { index, name in
            (name, SeedStatistic(micro.map { $0.regions[index].dice }))
        })
        // HD95 of one image's summary: nil when absent from both maps.
        func distance(_ summary: HausdorffSummary?) -> Double? {
            guard let summary else { return nil }
            return summary.infinite > 0 ? diagonal : summary.mean
        }
        var perImage: [String: [[Double?]]] = [
            "mean_dice": runs.map { $0.images.map(\.meanDice) },
            "mean_dice_foreground": runs.map { $0.images.map(\.meanDiceForeground) },
        ]
        var perSeed: [String: [Double?]] = ["mean_dice": meanDice.runs, "mean_dice_foreground": meanDiceForeground.runs]
        var hd95: [String: SeedStatistic] = [:], missed: [String: [Int]] = [:]
        typealias Structure = (name: String, dice: (SegmentationScores) -> Double?, hd: (SegmentationScores) -> HausdorffSummary?)
        var structures: [Structure] = []
        for (k, name) in classes.enumerated().dropFirst() {
            structures.append((name, { $0.perClassDice[k] }, { $0.perClassHausdorff?[k] }))
        }
        for (r, name) in regionNames.enumerated() {
            structures.append((name, { $0.regions[r].dice }, { $0.regions[r].hausdorff }))
        }
        for structure in structures {
            perSeed["dice_" + structure.name] = micro.map(structure.dice)
            perImage["dice_" + structure.name] = runs.map { $0.images.map(structure.dice) }
            let distances = runs.map { $0.images.map { distance(structure.hd($0)) } }
            perImage["hd95_" + structure.name] = distances
            hd95[structure.name] = SeedStatistic(distances.map { values in
                let defined = values.compactMap { $0 }
                return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
            })
            missed[structure.name] = runs.map { $0.images.filter { (structure.hd($0)?.infinite ?? 0) > 0 }.count }
        }
        for (name, statistic) in hd95 { perSeed["hd95_" + name] = statistic.runs }
        self.hd95 = hd95
        self.perSeed = perSeed
        hd95Missed = missed
        self.perImage = perImage
    }
}

/// The post-processing one segmenter got (`SmallComponentFilter`, chosen
/// on its validation predictions): `{"min_component_pixels": {class: n},
/// "val_mean_dice_before": x, "val_mean_dice_after": y}`, classes without a
/// filter left out.
public struct PostprocessingReport: Codable, Equatable, Sendable {
    public var minComponentPixels: [String: Int]
    public var valMeanDiceBefore: Double
    public var valMeanDiceAfter: Double

    enum CodingKeys: String, CodingKey {
        case minComponentPixels = "min_component_pixels", valMeanDiceBefore = "val_mean_dice_before"
        case valMeanDiceAfter = "val_mean_dice_after"
    }

    init(filter: SmallComponentFilter, classes: [String], validationBefore: Double, validationAfter: Double) {
        minComponentPixels = Dictionary(uniqueKeysWithValues: filter.minimumPixels.enumerated().filter { $0.element > 0 }
            .map { (classes[$0.offset], $0.element) })
        valMeanDiceBefore = validationBefore
        valMeanDiceAfter = validationAfter
    }
}

extension ExperimentRunner {
    /// Scores every arm's segmenters on the real train/val/test splits and
    /// saves their test predictions. Each segmenter's maps pass through the
    /// `SmallComponentFilter` chosen on its own validation predictions
    /// (the same rule for every arm), which is returned per arm and seed.
    func evaluate(_ runs: [ExperimentArm: [SegmenterRun]], lesions: Bool) throws
        -> (scores: [String: [String: SplitScores]], postprocessing: [String: [PostprocessingReport]]) {
        var splits: [DatasetManifest.Split: DatasetPairs] = [:]
        for split in DatasetManifest.Split.allCases { splits[split] = try DatasetPairs.load(folder: data, split: split) }
        var options = MetricsOptions()
        options.surfaceDistance = SurfaceDistanceOptions()
        let first = splits[.train]!.pairs[0]
        let diagonal = Double(first.height * first.height + first.width * first.width).squareRoot()
        let classes = splits[.train]!.manifest.classes
        if lesions { options.regions = try RegionDefinition.brats(labelValues: splits[.train]!.manifest.labelValues) }
        let validationTruth = try SegmenterEvaluation.truth(of: splits[.val]!)
        var result: [String: [String: SplitScores]] = [:], postprocessing: [String: [PostprocessingReport]] = [:]
        let total = ExperimentArm.allCases.reduce(0) { $0 + (runs[$1]?.count ?? 0) } * 3
        var done = 0
        for arm in ExperimentArm.allCases {
            guard let armRuns = runs[arm] else { continue }
            var perSplit: [String: SplitScores] = [:]
            var scores: [DatasetManifest.Split: [SplitScores.Run]] = [:]
            for (k, run) in armRuns.enumerated() {
                let model = try Model(path: run.weights)
                let validation = try SegmenterEvaluation.predict(model, on: splits[.val]!, threads: config.threads)
                let filter = try SmallComponentFilter.choose(predictions: validation, truth: validationTruth,
                                                         width: first.width, height: first.height, classes: classes.count)
                let filteredValidation = validation.map { filter.apply(to: $0, width: first.width, height: first.height) }
                for split in DatasetManifest.Split.allCases {
                    let pairs = splits[split]!
                    let filtered = split == .val ? filteredValidation
                        : try SegmenterEvaluation.predict(model, on: pairs, threads: config.threads)
                            .map { filter.apply(to: $0, width: first.width, height: first.height) }
                    let evaluation = try SegmenterEvaluation.score(filtered, on: pairs, options: options)
                    scores[split, default: []].append(SplitScores.Run(micro: try evaluation.accumulator.micro(),
                                                                      images: evaluation.accumulator.imageScores))
                    if split == .test { try savePredictions(evaluation.predictions, pairs: pairs, arm: arm, seed: k) }
                    done += 1
                    progress("evaluation", done, total)
                }
                postprocessing[arm.rawValue, default: []].append(PostprocessingReport(
                    filter: filter, classes: classes,
                    validationBefore: try SmallComponentFilter.meanDice(validation, validationTruth, classes: classes.count),
                    validationAfter: try SmallComponentFilter.meanDice(filteredValidation, validationTruth, classes: classes.count)))
            }
            for split in DatasetManifest.Split.allCases {
                perSplit[split.rawValue] = SplitScores(scores[split] ?? [], classes: classes, diagonal: diagonal)
            }
            result[arm.rawValue] = perSplit
        }
        return (result, postprocessing)
    }

    /// `predictions/<arm>/seed-<k>/<id>.tif`: stored label values.
    func savePredictions(_ predictions: [[Int32]], pairs: DatasetPairs, arm: ExperimentArm, seed k: Int) throws {
        let folder = out + "/predictions/\(arm.rawValue)/seed-\(k)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (item, labels) in zip(pairs.items, predictions) {
            let side = pairs.pairs[0].height, width = pairs.pairs[0].width
            let pixels: PixelData = labels.allSatisfy { (0...255).contains($0) }
                ? .uint8(labels.map { UInt8($0) }) : .uint16(labels.map { UInt16(clamping: $0) })
            try TIFFWriter.write(image: try TIFFImage(width: width, height: side, channels: 1, pixels: pixels),
                                 to: "\(folder)/\(item.id).tif", compression: .deflate)
        }
    }
}
