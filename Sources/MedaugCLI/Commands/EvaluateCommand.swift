import ArgumentParser
import Foundation
import MedaugEngine
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
        guard pairs.manifest.labelValues == labelValues else {
            throw CLIError("the segmenter's label values \(labelValues) differ from the dataset's \(pairs.manifest.labelValues)")
        }
        var options = MetricsOptions()
        if noHausdorff { options.surfaceDistance = nil }
        do {
            if regions == .brats { options.regions = try RegionDefinition.brats(labelValues: labelValues) }
            let session = try segmenter.makeSession(threads: threads)
            var accumulator = try MetricsAccumulator(classes: labelValues.count, options: options)
            let classOf = Dictionary(uniqueKeysWithValues: labelValues.enumerated().map { (Int32($1), Int32($0)) })
            for start in stride(from: 0, to: pairs.pairs.count, by: batch) {
                let chunk = Array(pairs.pairs[start..<min(pairs.pairs.count, start + batch)])
                let first = chunk[0]
                let input = Tensor(shape: [chunk.count, first.channels, first.height, first.width], values: chunk.flatMap(\.image))
                let result = try session.segment(input, options: RunOptions(normalization: normalization))
                let plane = first.height * first.width
                for (index, pair) in chunk.enumerated() {
                    let truth = try pair.mask.enumerated().map { offset, value -> Int32 in
                        guard let index = classOf[value] else {
                            throw CLIError("'\(pairs.items[start + index].mask)' pixel \(offset) holds label value \(value), not one of \(labelValues)")
                        }
                        return index
                    }
                    try accumulator.add(prediction: Array(result.classIndices[(index * plane)..<((index + 1) * plane)]),
                                        truth: truth, width: first.width, height: first.height)
                }
            }
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
