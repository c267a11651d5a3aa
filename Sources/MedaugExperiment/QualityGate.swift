import Foundation
import MedaugEngine
import MedaugImaging
import MedaugMetrics

/// Summary statistics of a list of numbers (for reports).
public struct Distribution: Codable, Equatable, Sendable {
    public var count: Int
    public var mean: Double?
    public var min: Double?
    public var p25: Double?
    public var median: Double?
    public var p75: Double?
    public var max: Double?

    public init(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        count = sorted.count
        func quantile(_ q: Double) -> Double? {
            sorted.isEmpty ? nil : sorted[Int((Double(sorted.count - 1) * q).rounded())]
        }
        mean = sorted.isEmpty ? nil : sorted.reduce(0, +) / Double(sorted.count)
        (min, p25, median, p75, max) = (sorted.first, quantile(0.25), quantile(0.5), quantile(0.75), sorted.last)
    }
}

/// The quality gate's outcome: how well the `real` arm's segmenter reads
/// each generated pair (the label map it was rendered from against what
/// the segmenter sees in the render), relative to how well it reads real
/// validation images.
///
/// A render's *relative score* is the mean over the classes the segmenter
/// has learned (validation Dice ≥ `learnedDice`) and the render holds of
/// min(1, Dice on the render ÷ validation Dice). A render scoring below
/// `threshold` is one the segmenter reads clearly worse than real images:
/// dropped. Classes it never learned (a lesion class at Dice 0) do not
/// count, so the gate does not drop every render that shows them. No
/// learned class in a render: kept.
public struct GateReport: Codable, Sendable {
    public struct Score: Codable, Sendable {
        public var id: String
        /// Foreground mean Dice; nil when neither map has foreground.
        public var dice: Double?
        /// The relative score; nil without a learned class (kept).
        public var relative: Double?
        public var kept: Bool
    }

    /// Relative score below which a render is dropped.
    public var threshold: Double
    /// Validation Dice from which a class counts as learned.
    public var learnedDice: Double
    /// The segmenter's validation Dice per class name (micro), nil where
    /// the class is absent.
    public var validationDice: [String: Double?]
    /// The scoring segmenter's weights, relative to the report folder.
    public var segmenter: String
    public var kept: Int
    public var dropped: Int
    public var distribution: Distribution
    public var scores: [Score]

    enum CodingKeys: String, CodingKey {
        case threshold, learnedDice = "learned_dice", validationDice = "validation_dice", segmenter, kept, dropped
        case distribution, scores
    }
}

extension ExperimentRunner {
    /// Scores the generated pairs of `sets/gan` and writes `sets/gan_gated`
    /// without those below the threshold (`GateReport`).
    func qualityGate(segmenter weights: String) throws -> GateReport {
        let model = try Model(path: weights)
        let folder = setFolder(.gan)
        let all = try DatasetPairs.load(folder: folder, split: .train, includeSynthetic: true)
        let generated = all.items.indices.filter { all.items[$0].source["origin"] == .string("generated") }
        var options = MetricsOptions()
        options.surfaceDistance = nil
        let validation = try SegmenterEvaluation.run(model, on: try DatasetPairs.load(folder: data, split: .val),
                                                     options: options, threads: config.threads).accumulator.micro()
        let learnedDice = 0.5
        let learned = validation.perClassDice.indices.filter { $0 > 0 && (validation.perClassDice[$0] ?? 0) >= learnedDice }
        // One session over all generated pairs; each image's own scores.
        let subset = DatasetPairs(manifest: all.manifest, items: generated.map { all.items[$0] },
                                  pairs: generated.map { all.pairs[$0] })
        let evaluation = try SegmenterEvaluation.run(model, on: subset, options: options, threads: config.threads)
        let scores = zip(subset.items, evaluation.accumulator.imageScores).map { item, image in
            // Classes the render's label map holds (Dice defined and truth present).
            let ratios = learned.filter { image.perClassImages[$0] > 0 && image.perClassDice[$0] != nil }.map { c in
                min(1, image.perClassDice[c]! / validation.perClassDice[c]!)
            }
            let relative = ratios.isEmpty ? nil : ratios.reduce(0, +) / Double(ratios.count)
            return GateReport.Score(id: item.id, dice: image.meanDiceForeground, relative: relative,
                                    kept: (relative ?? 1) >= config.gateThreshold)
        }
        progress("quality gate", generated.count, generated.count)
        let dropped = Set(scores.filter { !$0.kept }.map(\.id))
        let source = try DatasetManifest.read(folder: folder)
        try DatasetWriter.write(to: setFolder(.ganGated), overwrite: true) { temporary in
            var manifest = source
            manifest.items = source.items.filter { !dropped.contains($0.id) }
            for item in manifest.items {
                try FileManager.default.copyItem(atPath: folder + "/" + item.image, toPath: temporary + "/" + item.image)
                try FileManager.default.copyItem(atPath: folder + "/" + item.mask, toPath: temporary + "/" + item.mask)
            }
            return manifest
        }
        log("  gate: kept \(scores.count - dropped.count) of \(scores.count) generated pairs (relative score ≥ \(config.gateThreshold))")
        let relative = weights.hasPrefix(out + "/") ? String(weights.dropFirst(out.count + 1)) : weights
        let names = all.manifest.classes
        return GateReport(threshold: config.gateThreshold, learnedDice: learnedDice,
                          validationDice: Dictionary(uniqueKeysWithValues: names.indices.map { (names[$0], validation.perClassDice[$0]) }),
                          segmenter: relative, kept: scores.count - dropped.count,
                          dropped: dropped.count, distribution: Distribution(scores.compactMap(\.relative)), scores: scores)
    }

    func write<T: Encodable>(json value: T, to path: String) throws {
        try ExperimentReport.encodeJSON(value).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
