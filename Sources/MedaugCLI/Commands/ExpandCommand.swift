import ArgumentParser
import Foundation
import MedaugEngine
import MedaugExpansion
import MedaugImaging
import MedaugModels

/// `medaug expand`: grow a dataset folder's train split (the paper's 30 → 300).
struct ExpandCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Expand a dataset folder: new label maps rendered by a generator plus classically augmented pairs.",
        discussion: """
        The output folder holds the input's real train pairs, TARGET minus their number new train pairs
        (flagged synthetic, with origin generated or classic, source item, label edit and seed in the
        manifest), and the input's val and test items unchanged. New label maps are real masks,
        label-space edited (--edit-labels: move, resize, rotate or copy those regions, e.g. lesions, to
        other places inside the anatomy) and geometrically augmented, then rendered by the generator.
        The folder appears complete or not at all.
        Examples:
          medaug expand --data out/mni-dataset --generator out/generator.safetensors --target 300 --out out/expanded
          medaug expand --data d --generator g.safetensors --target 300 --edit-labels 1,2,4 --generated-share 0.6 --out e
          medaug expand --data d --target 300 --generated-share 0 --out classic-only
        """)

    @Option(help: "Input dataset folder (its real train items are expanded).")
    var data: String
    @Option(help: "Generator weights (.safetensors); not needed with --generated-share 0.")
    var generator: String?
    @Option(help: "Train pairs in the result, the real ones included (the paper: 300 from 30).")
    var target: Int
    @Option(help: "Output dataset folder (must not exist unless --overwrite).")
    var out: String
    @Option(help: "Share of the new pairs rendered by the generator; the rest are classic augmentations.")
    var generatedShare: Double = 0.5
    @Option(help: "Comma-separated label values whose regions label edits move or copy (e.g. lesions: 1,2,4).")
    var editLabels: String?
    @Option(help: "Share of the generator's label maps that get a label-space edit.")
    var editShare: Double = 0.5
    @Option(help: "Classic augmentation pipeline for the augmented pairs: a JSON file, or 'paper'.")
    var pipeline: String = "paper"
    @Option(help: "Geometric pipeline for the generator's label maps: a JSON file, or 'default' (paper geometry + elastic).")
    var maskPipeline: String = "default"
    @Option(help: "Generator BatchNorm statistics: running or instance (default: the model's recommendation).")
    var normalization: NormalizationMode?
    @Option(help: "Generator dropout: on or off (default: the model's recommendation).")
    var dropout: RunCommand.Switch?
    @Option(help: "Seed of every choice: the same seed gives the same folder.")
    var seed: UInt64 = 0
    @Option(help: "Threads.")
    var threads: Int = 1
    @Flag(help: "Replace an existing output folder (swapped in only when complete).")
    var overwrite = false
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func validate() throws {
        guard (1...ExpansionOptions.maxTarget).contains(target) else {
            throw ValidationError("--target must be in 1...\(ExpansionOptions.maxTarget)")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        try OutputLocation.checkFolder(out)
        var options = ExpansionOptions(target: target)
        options.generatedShare = generatedShare
        options.editShare = editShare
        options.editValues = try editLabels.map { try parseIntegers($0, option: "--edit-labels").map(Int32.init) } ?? []
        options.classicPipeline = try loadPipeline(pipeline)
        options.maskPipeline = maskPipeline == "default" ? ExpansionOptions.defaultMaskPipeline : try loadPipeline(maskPipeline)
        options.normalization = normalization
        options.dropout = dropout.map { $0 == .on }
        options.seed = seed
        options.threads = threads
        let model = try generator.map(loadModel)
        do {
            let expander = try Expander(generator: model, options: options)
            var bar: ProgressBar?
            let manifest = try expander.expandDataset(input: data, output: out, overwrite: overwrite) { done, total in
                if bar == nil { bar = ProgressBar(total: total) }
                bar?.advance()
                return true
            }
            bar?.endLine()
            let train = manifest.items.filter { $0.split == .train }
            func count(_ origin: String) -> Int { train.filter { $0.source["origin"] == .string(origin) }.count }
            let edited = train.filter { $0.source["edit"] != nil }.count
            let summary: [String: Any] = [
                "out": out, "train": train.count, "real": train.filter { !$0.synthetic }.count,
                "generated": count("generated"), "classic": count("classic"), "edited": edited,
                "val": manifest.items.filter { $0.split == .val }.count,
                "test": manifest.items.filter { $0.split == .test }.count,
            ]
            if json {
                let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("wrote \(out): \(train.count) train pairs (\(summary["real"]!) real, \(summary["generated"]!) generated of which \(edited) label-edited, \(summary["classic"]!) classic), \(summary["val"]!) val, \(summary["test"]!) test")
            }
        } catch let error as ExpansionError {
            throw CLIError(error.description)
        }
    }
}
