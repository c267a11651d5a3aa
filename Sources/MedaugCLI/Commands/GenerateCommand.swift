import ArgumentParser
import Foundation
import MedaugEngine
import MedaugImaging
import MedaugModels

/// `medaug generate`: synthesise images from label-map TIFFs with a generator.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Synthesise images from label maps (TIFF masks of stored label values) with a generator.",
        discussion: """
        For each --labels file and each sample k, writes OUT-DIR/NAME-k.tif: one page per image channel,
        float32 in the network's [-1, 1], or uint16 mapped linearly from [-1, 1] to --stored-range.
        Sample k of every map uses dropout seed SEED + k (dropout as the model records unless --dropout).
        Examples:
          medaug generate --model g.safetensors --labels mask.tif --samples 4 --seed 7 --out out/gen
          medaug generate --model g.safetensors --labels a.tif --labels b.tif --stored-range 0,4000 --out out
        """)

    @Option(help: "Generator weights (.safetensors).")
    var model: String
    @Option(name: .customLong("labels"), help: "Label map TIFF (stored label values); repeat for several.")
    var labelFiles: [String]
    @Option(help: "Images per label map (different dropout masks).")
    var samples: Int = 1
    @Option(name: .customLong("out"), help: "Output folder (created if missing).")
    var outOption: String?
    @Option(name: .customLong("out-dir"), help: .hidden)
    var outDirAlias: String?
    var outDir: String { outOption ?? outDirAlias ?? "" }
    @Option(help: "Seed of the dropout masks of sample 0.")
    var seed: UInt64 = 0
    @Option(help: "BatchNorm statistics: running or instance (default: the model's recommendation).")
    var normalization: NormalizationMode?
    @Option(help: "Dropout: on or off (default: the model's recommendation).")
    var dropout: RunCommand.Switch?
    @Option(help: "Write uint16 images mapping [-1, 1] to 'low,high' instead of float32.")
    var storedRange: String?
    @Option(help: "Threads.")
    var threads: Int = 1

    func validate() throws {
        guard try resolveOut(outOption, alias: outDirAlias, aliasName: "out-dir") != nil else {
            throw ValidationError("--out is required")
        }
        guard !labelFiles.isEmpty else { throw ValidationError("give at least one --labels file") }
        guard (1...10_000).contains(samples) else { throw ValidationError("--samples must be in 1...10000, got \(samples)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
    }

    func run() throws {
        try OutputLocation.checkFolder(outDir, createsParents: true)
        let generator = try loadModel(model)
        guard case .generator(let config) = generator.config else {
            throw CLIError("'\(model)' holds a \(generator.config.kind.rawValue); generate needs a generator")
        }
        let range = try storedRange.map { text -> (Double, Double) in
            let parts = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[0] < parts[1], parts[0] >= 0, parts[1] <= 65535 else {
                throw CLIError("--stored-range must be 'low,high' with 0 <= low < high <= 65535, found '\(text)'")
            }
            return (parts[0], parts[1])
        }
        do {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            let session = try generator.makeSession(threads: threads)
            let side = config.common.imageSize, channels = config.common.outputChannels
            let bar = ProgressBar(total: labelFiles.count * samples)
            defer { bar.endLine() }
            for file in labelFiles {
                let mask = try TIFFFile.read(path: file)
                guard mask.channels == 1, mask.height == side, mask.width == side else {
                    throw CLIError("'\(file)' is \(mask.width)x\(mask.height)x\(mask.channels); the generator takes one \(side)x\(side) label map")
                }
                let values = try mask.floatValues().map { value -> Int32 in
                    guard value == value.rounded(), abs(value) < 2_147_483_648 else {
                        throw CLIError("'\(file)' holds \(value), not an integer label value")
                    }
                    return Int32(value)
                }
                let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                for k in 0..<samples {
                    var options = RunOptions(normalization: normalization, dropout: dropout.map { $0 == .on })
                    options.seed = seed &+ UInt64(k)
                    let image = try session.generate(from: LabelMaps(count: 1, height: side, width: side, values: values),
                                                     options: options)
                    let plane = side * side
                    let pages = try (0..<channels).map { c -> TIFFImage in
                        let slice = Array(image.values[(c * plane)..<((c + 1) * plane)])
                        guard let (low, high) = range else {
                            return try TIFFImage(width: side, height: side, channels: 1, pixels: .float32(slice))
                        }
                        let stored = slice.map { UInt16(min(max((Double($0) + 1) / 2 * (high - low) + low, 0), 65535).rounded()) }
                        return try TIFFImage(width: side, height: side, channels: 1, pixels: .uint16(stored))
                    }
                    try TIFFWriter.write(images: pages, to: "\(outDir)/\(stem)-\(k).tif", compression: .deflate)
                    bar.advance()
                }
            }
            bar.endLine()
            print("wrote \(labelFiles.count * samples) image(s) to \(outDir)")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}
