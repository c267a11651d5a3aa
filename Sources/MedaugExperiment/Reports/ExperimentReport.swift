import Foundation

/// Everything an experiment measured: written as `metrics.json` (every
/// number, `arms.<arm>.<split>.<metric>`), `metrics.csv` and `table.md`
/// (the paper's Table 1 layout).
public struct ExperimentReport: Codable, Sendable {
    public var dataset: String
    public var preset: String
    /// Segmenter seeds of every arm.
    public var seeds: [UInt64]
    public var classes: [String]
    public var labelValues: [Int]
    /// arm → split → scores.
    public var arms: [String: [String: SplitScores]]
    /// `<arm>_vs_<reference>` → split → metric → paired comparison, for
    /// every arm against `classic` and against `real` (`ArmComparison`).
    public var comparisons: [String: [String: [String: ArmComparison]]]
    /// arm → per seed: the post-processing its segmenter got, chosen on the
    /// validation split (`PostprocessingReport`); every score above is of
    /// the post-processed maps.
    public var postprocessing: [String: [PostprocessingReport]]
    /// nil when no arm made generator pairs (`--arms` without gan or gan_gated).
    public var gate: GateReport?
    /// The generator's validation render quality after each GAN epoch.
    public var ganEpochs: [RenderQuality]
    public var syntheticChecks: SyntheticChecks
    /// Wall-clock seconds per stage and in total, of this invocation.
    public var seconds: [String: Double]
    /// Whether this invocation continued an earlier one (`--resume`): then
    /// `seconds` leaves out what the earlier invocations did.
    public var resumed: Bool

    enum CodingKeys: String, CodingKey {
        case dataset, preset, seeds, classes, labelValues = "label_values", arms, comparisons, postprocessing, gate
        case ganEpochs = "gan_epochs", syntheticChecks = "synthetic_checks", seconds, resumed
    }

    /// The arms run, in `ExperimentArm` order.
    var armOrder: [String] { ExperimentArm.allCases.map(\.rawValue).filter { arms[$0] != nil } }
    static let splitOrder = ["train", "val", "test"]

    /// The JSON every file of a report folder is written in: pretty,
    /// sorted keys, non-finite numbers as "inf", "-inf", "nan".
    static func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }

    /// Writes metrics.json, metrics.csv and table.md into `folder`.
    public func write(to folder: String) throws {
        try Self.encodeJSON(self).write(to: URL(fileURLWithPath: folder + "/metrics.json"), options: .atomic)
        try Data(csv().utf8).write(to: URL(fileURLWithPath: folder + "/metrics.csv"), options: .atomic)
        try Data(markdown().utf8).write(to: URL(fileURLWithPath: folder + "/table.md"), options: .atomic)
    }

    /// `arm,split,metric,class,mean,std,runs` rows (class empty for scalars).
    public func csv() -> String {
        var rows = ["arm,split,metric,class,mean,std,runs"]
        func number(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "" }
        func runs(_ values: [Double?]) -> String { "\"" + values.map(number).joined(separator: ";") + "\"" }
        for arm in armOrder {
            for split in Self.splitOrder {
                guard let s = arms[arm]?[split] else { continue }
                for (name, stat) in [("accuracy", s.accuracy), ("mean_iou", s.meanIoU), ("mean_dice", s.meanDice),
                                     ("mean_dice_foreground", s.meanDiceForeground)] {
                    rows.append("\(arm),\(split),\(name),,\(number(stat.mean)),\(number(stat.std)),\(runs(stat.runs))")
                }
                for (k, name) in classes.enumerated() {
                    let column = s.perClassDice.runs.map { $0[k] }
                    rows.append("\(arm),\(split),per_class_dice,\(name),\(number(s.perClassDice.mean[k])),\(number(s.perClassDice.std[k])),\(runs(column))")
                }
                for (region, stat) in (s.regionDice ?? [:]).sorted(by: { $0.key < $1.key }) {
                    rows.append("\(arm),\(split),region_dice,\(region),\(number(stat.mean)),\(number(stat.std)),\(runs(stat.runs))")
                }
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The paper's Table 1 (Accuracy, Mean IoU, Dice × Train/Val/Test, one
    /// column group per arm), per-class and region test Dice, the gate and
    /// the synthetic checks, as Markdown.
    public func markdown() -> String {
        func cell(_ stat: SeedStatistic?) -> String {
            guard let stat, let mean = stat.mean else { return "n/a" }
            return String(format: "%.3f ± %.3f", mean, stat.std ?? 0)
        }
        var lines = ["# medaug experiment: \(dataset), preset \(preset)", "",
                     "Segmenter seeds \(seeds.map(String.init).joined(separator: ", ")) per arm (mean ± sample std over seeds); "
                        + "micro-averaged over each split's pixels; Mean IoU and Dice over all classes incl. background (as the paper).", ""]
        lines.append("| arm | " + ["Accuracy", "Mean IoU", "Dice", "Dice (foreground)"].flatMap { metric in
            Self.splitOrder.map { "\(metric) \($0)" } }.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---|", count: 4 * Self.splitOrder.count))
        for arm in armOrder {
            let cells = [\SplitScores.accuracy, \SplitScores.meanIoU, \SplitScores.meanDice, \SplitScores.meanDiceForeground]
                .flatMap { key in Self.splitOrder.map { cell(arms[arm]?[$0]?[keyPath: key]) } }
            lines.append("| \(arm) | " + cells.joined(separator: " | ") + " |")
        }
        lines += ["", "Test Dice per class:", "", "| class | " + armOrder.joined(separator: " | ") + " |",
                  "|---|" + String(repeating: "---|", count: armOrder.count)]
        for (k, name) in classes.enumerated() {
            let cells = armOrder.map { arm -> String in
                guard let s = arms[arm]?["test"] else { return "n/a" }
                return cell(SeedStatistic(s.perClassDice.runs.map { $0[k] }))
            }
            lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        if let regions = arms["real"]?["test"]?.regionDice?.keys.sorted(), !regions.isEmpty {
            lines += ["", "Test Dice of the BraTS regions:", "", "| region | " + armOrder.joined(separator: " | ") + " |",
                      "|---|" + String(repeating: "---|", count: armOrder.count)]
            for region in regions {
                lines.append("| \(region) | " + armOrder.map { cell(arms[$0]?["test"]?.regionDice?[region]) }.joined(separator: " | ") + " |")
            }
        }
        lines += comparisonTable()
        lines += ["", "Post-processing (per segmenter, chosen on its validation predictions: components of a class "
                    + "smaller than the minimum take the label around them; every score above is after it):", ""]
        for arm in armOrder {
            let seeds = (postprocessing[arm] ?? []).enumerated().map { k, report -> String in
                let rules = report.minComponentPixels.sorted { $0.key < $1.key }.map { "\($0.key) < \($0.value) px" }
                return String(format: "seed %d: %@ (val mean Dice %.3f → %.3f)", k,
                              rules.isEmpty ? "none" : rules.joined(separator: ", "), report.valMeanDiceBefore, report.valMeanDiceAfter)
            }
            lines.append("- \(arm): " + seeds.joined(separator: "; "))
        }
        func dist(_ d: Distribution) -> String {
            guard let median = d.median, let low = d.min, let high = d.max else { return "none" }
            return String(format: "median %.3f (min %.3f, max %.3f, n = %d)", median, low, high, d.count)
        }
        if let gate {
            let learned = classes.filter { (gate.validationDice[$0] ?? nil).map { $0 >= gate.learnedDice } ?? false }
            lines += ["", "Quality gate (segmenter of the real arm, seed 0; per learned class, Dice on the render against its label map "
                        + "÷ validation Dice; learned: validation Dice ≥ \(gate.learnedDice): "
                        + (learned.isEmpty ? "none" : learned.joined(separator: ", ")) + "): "
                        + "kept \(gate.kept), dropped \(gate.dropped) at threshold \(gate.threshold); relative scores \(dist(gate.distribution))."]
        }
        lines += ["", "Memorisation: SSIM of each generated image to its nearest real training image: "
                    + "\(dist(syntheticChecks.memorisation.nearestSSIM)); near-copies (≥ \(syntheticChecks.memorisation.threshold)): "
                    + "\(syntheticChecks.memorisation.nearCopies.count).",
                  "", "Generator on held-out test label maps vs the real test images: SSIM \(dist(syntheticChecks.heldOut.ssim)); "
                    + "PSNR \(dist(syntheticChecks.heldOut.psnr)) dB.",
                  "", String(format: "Wall time: %.0f s", seconds["total"] ?? 0)
                    + (resumed ? " (this invocation, which continued an earlier one with --resume; "
                                 + "the time of the earlier invocations is not counted)." : ".")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Test-split comparisons against `classic` and `real` on the headline
    /// metrics: mean difference [95 % CI over seeds] (p over seeds; p of
    /// the per-image signed-rank test).
    func comparisonTable() -> [String] {
        let regions = arms["real"]?["test"]?.regionDice?.keys.sorted() ?? []
        let metrics = ["mean_dice", "mean_dice_foreground"] + regions.flatMap { ["dice_" + $0, "hd95_" + $0] }
        var lines = ["", "Paired comparisons on the test split (arm − reference; mean over seeds [95 % CI, paired t over seeds]; "
                        + "p over seeds / p of a Wilcoxon signed-rank test over images pooled over seeds; HD95 in pixels, "
                        + "a structure missed or invented in an image counts as the image diagonal):", "",
                     "| comparison | " + metrics.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---|", count: metrics.count)]
        for reference in ["classic", "real"] {
            for arm in armOrder where arm != reference {
                guard let test = comparisons["\(arm)_vs_\(reference)"]?["test"] else { continue }
                let cells = metrics.map { metric -> String in
                    guard let c = test[metric] else { return "n/a" }
                    var text = String(format: "%+.3f", c.meanDiff)
                    if let ci = c.ci95 { text += String(format: " [%+.3f, %+.3f]", ci[0], ci[1]) }
                    text += " (p " + (c.p.map { String(format: "%.2g", $0) } ?? "n/a")
                        + " / " + (c.perImage?.p.map { String(format: "%.2g", $0) } ?? "n/a") + ")"
                    return text
                }
                lines.append("| \(arm) vs \(reference) | " + cells.joined(separator: " | ") + " |")
            }
        }
        let missed = armOrder.compactMap { arm -> String? in
            guard let test = arms[arm]?["test"] else { return nil }
            let counts = regions.map { "\($0) \((test.hd95Missed[$0] ?? []).reduce(0, +))" }
            return counts.isEmpty ? nil : "\(arm): " + counts.joined(separator: ", ")
        }
        if !missed.isEmpty {
            lines += ["", "Test images counted as the diagonal for HD95, summed over seeds: " + missed.joined(separator: "; ") + "."]
        }
        return lines
    }
}
