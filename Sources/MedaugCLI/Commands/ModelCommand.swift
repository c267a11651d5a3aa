import ArgumentParser
import Foundation
import MedaugEngine
import MedaugImaging
import MedaugModels

/// `medaug model`: create and inspect model files.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create and inspect model (weights) files.",
        subcommands: [Init.self, Info.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a randomly initialised model (weights ~ N(0, 0.02), as pix2pix).",
            discussion: """
            With --config, the architecture is a complete JSON configuration (the "medaug" metadata
            format of docs/weights-format.md) and the other architecture options are ignored.
            Examples:
              medaug model init --kind generator --out g.safetensors
              medaug model init --config my-generator.json --out g.safetensors
              medaug model init --kind segmenter --image-size 128 --classes 4 --depth 3 --out s.safetensors
            """)

        @Option(help: "Network: generator, discriminator or segmenter.")
        var kind: ModelKind?
        @Option(help: "A complete architecture as JSON (docs/weights-format.md) instead of the options below.")
        var config: String?
        @Option(name: .customLong("out"), help: "Output file (.safetensors); written atomically.")
        var outOption: String?
        @Option(name: .customLong("output"), help: .hidden)
        var outputAlias: String?
        var output: String { outOption ?? outputAlias ?? "" }
        @Option(help: "Side of the square images, in pixels.")
        var imageSize: Int = 256
        @Option(help: "Number of label classes.")
        var classes: Int = 4
        @Option(help: "Comma-separated class names (default class_0, class_1, ...).")
        var classNames: String?
        @Option(help: "Comma-separated stored label values (default 0, 1, ..., classes-1).")
        var labelValues: String?
        @Option(help: "Number of image channels (modalities).")
        var imageChannels: Int = 1
        @Option(help: "Generator: comma-separated down-block filters (default: the paper's 64, 128, 256, 512, ...).")
        var downFilters: String?
        @Option(help: "Discriminator: comma-separated filters (default 64,128,256,512,512).")
        var filters: String?
        @Option(help: "Segmenter: number of poolings.")
        var depth: Int = 4
        @Option(help: "Segmenter: filters at the first level.")
        var baseFilters: Int = 32
        @Option(help: "Recommended inference normalisation: running or instance.")
        var normalization: NormalizationMode = .running
        @Flag(help: "Recommend dropout on at inference (the pix2pix noise).")
        var dropout = false
        @Option(help: "Seed of the random weights.")
        var seed: UInt64 = 0

        func validate() throws {
            guard try resolveOut(outOption, alias: outputAlias, aliasName: "output") != nil else {
                throw ValidationError("--out is required")
            }
            guard (kind == nil) != (config == nil) else { throw ValidationError("give --kind or --config") }
        }

        func run() throws {
            try OutputLocation.checkFile(output)
            let config = try self.config.map(readConfig) ?? makeConfig()
            do {
                try config.validate()
                try ModelFile.write(config: config, tensors: RandomInit.weights(for: config, seed: seed), to: output)
            } catch let error as ModelError {
                throw CLIError(error.description)
            }
            let parameters = config.tensorSpecs.reduce(0) { $0 + $1.elementCount }
            print("wrote \(output): \(config.kind.rawValue), \(parameters) parameters")
        }

        func readConfig(_ path: String) throws -> ModelConfig {
            guard let data = try? FileBytes.read(path: path, maxBytes: 16 << 20) else {
                throw CLIError("cannot read '\(path)' (missing, unreadable or over 16 MiB)")
            }
            do {
                return try ModelConfig(json: String(decoding: data, as: UTF8.self))
            } catch {
                throw CLIError("\(path): \(error)")
            }
        }

        func makeConfig() throws -> ModelConfig {
            let names = try classNames.map { try parseList($0, option: "--class-names") }
                ?? (0..<classes).map { "class_\($0)" }
            let values = try labelValues.map { try parseIntegers($0, option: "--label-values") } ?? Array(0..<names.count)
            let channelNames = (0..<imageChannels).map { "channel_\($0)" }
            var config: ModelConfig
            switch kind! {
            case .generator:
                var g = GeneratorConfig.paper(imageSize: imageSize, classes: names, labelValues: values, channelNames: channelNames)
                if let downFilters {
                    g.downFilters = try parseIntegers(downFilters, option: "--down-filters")
                    g.upFilters = g.downFilters.reversed()
                    g.bottleneckFilters = g.downFilters.last ?? 1
                    g.dropoutUpBlocks = g.downFilters.count
                }
                g.common.inference = InferenceMode(normalization: normalization, dropout: dropout)
                config = .generator(g)
            case .discriminator:
                var d = DiscriminatorConfig.paper(imageSize: imageSize, classes: names, labelValues: values, channelNames: channelNames)
                if let filters { d.filters = try parseIntegers(filters, option: "--filters") }
                config = .discriminator(d)
            case .segmenter:
                config = .segmenter(SegmenterConfig.standard(
                    imageSize: imageSize, classes: names, labelValues: values, channelNames: channelNames,
                    depth: depth, baseFilters: baseFilters))
            }
            return config
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a model file's configuration and graph.")

        @Argument(help: "Model file (.safetensors).")
        var model: String
        @Flag(help: "Also print the optimised graph, one node per line.")
        var graph = false
        @Flag(help: "With --graph, print one line per rewrite the optimisation passes make.")
        var verbose = false

        func run() throws {
            let loaded = try loadModel(model)
            print(loaded.config.jsonString())
            if graph {
                let mode = loaded.config.common.inference
                print(loaded.graphListing(normalization: mode.normalization, dropout: mode.dropout, verbose: verbose))
            }
        }
    }
}

extension ModelKind: ExpressibleByArgument {}
extension NormalizationMode: ExpressibleByArgument {}

/// A run-time failure: printed as one line, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func loadModel(_ path: String) throws -> Model {
    do {
        return try Model(path: path)
    } catch let error as EngineError {
        throw CLIError(error.description)
    }
}

/// A weights file to start training from (`--init`), checked as a model
/// file here and against the network's architecture by the trainer.
func loadInitialWeights(_ path: String, option: String) throws -> ModelFile {
    do {
        return try ModelFile(path: path)
    } catch {
        throw CLIError("\(option) '\(path)': \(error)")
    }
}

func parseList(_ text: String, option: String) throws -> [String] {
    let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else {
        throw ValidationError("\(option) expects a comma-separated list, got '\(text)'")
    }
    return items
}

func parseIntegers(_ text: String, option: String) throws -> [Int] {
    try parseList(text, option: option).map { item in
        guard let value = Int(item) else { throw ValidationError("\(option): '\(item)' is not an integer") }
        return value
    }
}
