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
    /// label values have them.
    public var regionDice: [String: SeedStatistic]?

    enum CodingKeys: String, CodingKey {
        case accuracy
        case meanIoU = "mean_iou"
        case meanDice = "mean_dice"
        case meanDiceForeground = "mean_dice_foreground"
        case perClassDice = "per_class_dice"
        case regionDice = "region_dice"
    }

    init(_ runs: [SegmentationScores]) {
        accuracy = SeedStatistic(runs.map { $0.accuracy })
        meanIoU = SeedStatistic(runs.map(\.meanIoU))
        meanDice = SeedStatistic(runs.map(\.meanDice))
        meanDiceForeground = SeedStatistic(runs.map(\.meanDiceForeground))
        perClassDice = SeedVectorStatistic(runs.map(\.perClassDice))
        let names = runs.first?.regions.map(\.name) ?? []
        regionDice = names.isEmpty ? nil : Dictionary(uniqueKeysWithValues: names.enumerated().map { index, name in
            (name, SeedStatistic(runs.map { $0.regions[index].dice }))
        })
    }
}

extension ExperimentRunner {
    /// Scores every arm's segmenters on the real train/val/test splits and
    /// saves their test predictions.
    func evaluate(_ runs: [ExperimentArm: [SegmenterRun]], lesions: Bool) throws -> [String: [String: SplitScores]] {
        var splits: [DatasetManifest.Split: DatasetPairs] = [:]
        for split in DatasetManifest.Split.allCases { splits[split] = try DatasetPairs.load(folder: data, split: split) }
        var options = MetricsOptions()
        options.surfaceDistance = nil
        if lesions { options.regions = try RegionDefinition.brats(labelValues: splits[.train]!.manifest.labelValues) }
        var result: [String: [String: SplitScores]] = [:]
        let total = ExperimentArm.allCases.reduce(0) { $0 + (runs[$1]?.count ?? 0) } * 3
        var done = 0
        for arm in ExperimentArm.allCases {
            guard let armRuns = runs[arm] else { continue }
            var perSplit: [String: SplitScores] = [:]
            var scores: [DatasetManifest.Split: [SegmentationScores]] = [:]
            for (k, run) in armRuns.enumerated() {
                let model = try Model(path: run.weights)
                for split in DatasetManifest.Split.allCases {
                    let pairs = splits[split]!
                    let evaluation = try SegmenterEvaluation.run(model, on: pairs, options: options, threads: config.threads)
                    scores[split, default: []].append(try evaluation.accumulator.micro())
                    if split == .test { try savePredictions(evaluation.predictions, pairs: pairs, arm: arm, seed: k) }
                    done += 1
                    progress("evaluation", done, total)
                }
            }
            for split in DatasetManifest.Split.allCases { perSplit[split.rawValue] = SplitScores(scores[split] ?? []) }
            result[arm.rawValue] = perSplit
        }
        return result
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
