import ArgumentParser
import Foundation
import MedaugEngine
import MedaugExperiment
import MedaugImaging
import MedaugMetrics
import MedaugModels

/// `medaug evaluate`: score a segmenter on a split of a dataset folder.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a segmenter on a dataset folder's split: accuracy, IoU, Dice, HD95 (micro and macro).",
        discussion: """
        Only real items are scored (synthetic ones are skipped). The segmenter's label values must be
        the dataset's. --json prints {"model", "data", "split", "images", "micro": REPORT, "macro": REPORT}
        with the reports of `medaug_metrics` (include/medaug.h); --per-image adds "per_image".
        With --regions brats, BraTS whole tumour / tumour core / enhancing regions are scored too
        (label values 1, 2, 4 must be present).
        Examples:
          medaug evaluate --model out/segmenter.safetensors --data out/mni-dataset --split test
          medaug evaluate --model s.safetensors --data d --split test --regions brats --json
        """)

    @Option(help: "Segmenter weights (.safetensors).")
    var model: String
    @Option(help: "Dataset folder.")
    var data: String
    @Option(help: "Split to score: train, val or test.")
    var split: DatasetManifest.Split = .test
    @Option(help: "Merged regions to score as well: none or brats.")
    var regions: RegionPreset = .none
    @Option(help: "BatchNorm statistics: running or instance (default: the model's recommendation).")
    var normalization: NormalizationMode?
    @Option(help: "Images per segmenter run.")
    var batch: Int = 8
    @Option(help: "Threads.")
    var threads: Int = 1
    @Flag(help: "Skip the Hausdorff distances (faster).")
    var noHausdorff = false
    @Flag(help: "Include every image's report in the JSON.")
    var perImage = false
    @Flag(help: "Print JSON instead of text.")
    var json = false

    enum RegionPreset: String, ExpressibleByArgument { case none, brats }

    func validate() throws {
        guard (1...1024).contains(batch), (1...256).contains(threads) else {
            throw ValidationError("--batch must be in 1...1024 and --threads in 1...256")
        }
    }

    func run() throws {
        let segmenter = try loadModel(model)
        guard case .segmenter(let config) = segmenter.config else {
            throw CLIError("'\(model)' holds a \(segmenter.config.kind.rawValue); evaluate needs a segmenter")
        }
        let pairs: DatasetPairs
        do { pairs = try DatasetPairs.load(folder: data, split: split) } catch { throw CLIError("\(error)") }
        let labelValues = config.common.labelValues
        var options = MetricsOptions()
        if noHausdorff { options.surfaceDistance = nil }
        do {
            if regions == .brats { options.regions = try RegionDefinition.brats(labelValues: labelValues) }
            let accumulator = try SegmenterEvaluation.run(segmenter, on: pairs, options: options, normalization: normalization,
                                                          batch: batch, threads: threads).accumulator
            let micro = try accumulator.micro(), macro = try accumulator.macro()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                var report: [String: Any] = [
                    "model": model, "data": data, "split": split.rawValue, "images": pairs.pairs.count,
                    "micro": try JSONSerialization.jsonObject(with: try encoder.encode(micro)),
                    "macro": try JSONSerialization.jsonObject(with: try encoder.encode(macro)),
                ]
                if perImage {
                    report["per_image"] = try JSONSerialization.jsonObject(with: try encoder.encode(accumulator.imageScores))
                }
                let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
                print("\(pairs.pairs.count) \(split.rawValue) images of '\(data)'")
                print("accuracy \(text(micro.accuracy))  mean IoU \(text(micro.meanIoU))  mean Dice \(text(micro.meanDice))  foreground Dice \(text(micro.meanDiceForeground)) (micro)")
                print("mean Dice \(text(macro.meanDice))  foreground Dice \(text(macro.meanDiceForeground)) (macro, per image)")
                for (k, name) in pairs.manifest.classes.enumerated() {
                    print("  \(name): Dice \(text(micro.perClassDice[k]))  IoU \(text(micro.perClassIoU[k]))")
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}

extension DatasetManifest.Split: ExpressibleByArgument {}
