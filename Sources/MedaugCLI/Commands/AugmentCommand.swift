import ArgumentParser
import Dispatch
import Foundation
import MedaugImaging

/// `medaug augment`: classic augmentation of image + mask pairs.
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Augment image + mask pairs with a classic pipeline (rotation, shift, flip, zoom, elastic, intensity).",
        discussion: """
        The pipeline is JSON (see docs/augmentation.md) or the name 'paper' (the paper's set).
        Pair i is written as PREFIX-i.tif and PREFIX-i-mask.tif in the input's sample type
        (uint8/uint16 rounded and clamped; other types as float32); the mask keeps its labels.
        Examples:
          medaug augment --image slice.tif --mask slice-mask.tif --count 10 --out out/aug --seed 7
          medaug augment --pipeline paper --benchmark 200 --size 256 --json
        """)

    @Option(help: "Pipeline: a JSON file, or 'paper'.")
    var pipeline: String = "paper"
    @Option(help: "Image TIFF (pages = channels).")
    var image: String?
    @Option(help: "Mask TIFF of integer labels, same size as the image.")
    var mask: String?
    @Option(help: "Number of augmented pairs to write.")
    var count: Int = 1
    @Option(name: .customLong("out"), help: "Output path prefix: PREFIX-0000.tif and PREFIX-0000-mask.tif, ...")
    var outOption: String?
    @Option(name: .customLong("out-prefix"), help: .hidden)
    var outPrefixAlias: String?
    var outPrefix: String? { outOption ?? outPrefixAlias }
    @Option(help: "Pixel spacing in mm 'row,column' (elastic and blur are in mm).")
    var spacing: String = "1,1"
    @Option(help: "Seed of the first pair; pair i uses seed + i.")
    var seed: UInt64 = 0
    @Option(help: "Threads for resampling and per-pixel passes.")
    var threads: Int = 1
    @Option(help: "Time this many augmentations of a synthetic size×size pair instead of reading files.")
    var benchmark: Int?
    @Option(help: "Side of the synthetic pair for --benchmark.")
    var size: Int = 256
    @Flag(help: "Print results as JSON.")
    var json = false

    func validate() throws {
        _ = try resolveOut(outOption, alias: outPrefixAlias, aliasName: "out-prefix")
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64, got \(threads)") }
        guard (8...4096).contains(size) else { throw ValidationError("--size must be in 8...4096, got \(size)") }
        if let benchmark, !(1...100_000).contains(benchmark) { throw ValidationError("--benchmark must be in 1...100000, got \(benchmark)") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be in 1...100000, got \(count)") }
        guard benchmark != nil || (image != nil && mask != nil && outPrefix != nil) else {
            throw ValidationError("give --image, --mask and --out (or --benchmark N)")
        }
    }

    func run() throws {
        if benchmark == nil, let outPrefix { try OutputLocation.checkFile(outPrefix, isPrefix: true) }
        let augmenter: Augmenter
        do {
            augmenter = try Augmenter(pipeline: try loadPipeline(pipeline), threads: threads)
        } catch let error as ImagingError {
            throw CLIError(error.description)
        }
        if let benchmark {
            let pair = try syntheticPair(side: size)
            var times: [Double] = []
            for i in 0..<(benchmark + 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = augmenter.apply(to: pair, seed: seed &+ UInt64(i))
                if i > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            let median = times.sorted()[times.count / 2]
            report(median: median, pairs: benchmark)
            return
        }
        do {
            try augmentFiles(augmenter)
        } catch let error as ImagingError {
            throw CLIError(error.description)
        }
    }

    func report(median: Double, pairs benchmark: Int) {
        if json {
            print("{\"ms_per_pair\": \(median), \"pairs\": \(benchmark), \"size\": \(size), \"threads\": \(threads)}")
        } else {
            print(String(format: "%.3f ms per %dx%d pair (median of %d)", median, size, size, benchmark))
        }
    }

    /// Reads the pair, writes `count` augmented pairs.
    func augmentFiles(_ augmenter: Augmenter) throws {
        let pages = try TIFFFile.open(path: image!).readAll()
        guard let first = pages.first else { throw CLIError("\(image!) has no pages") }
        let labels = try TIFFFile.read(path: mask!)
        guard labels.width == first.width, labels.height == first.height, labels.channels == 1,
              pages.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw CLIError("image \(first.width)x\(first.height) and mask \(labels.width)x\(labels.height)x\(labels.channels) must match (one mask channel)")
        }
        guard !labels.pixels.sampleType.isFloatingPoint else { throw CLIError("\(mask!): masks must hold integer labels") }
        let mm = try parseList(spacing, option: "--spacing").compactMap(Double.init)
        guard mm.count == 2 else { throw CLIError("--spacing takes 'row,column' in mm") }
        let values = pages.flatMap { $0.floatValues() }
        // As the C and Python APIs: NaN or infinity would spread through
        // the interpolation into every written pair.
        try ImageSamples.requireFinite(values, width: first.width, height: first.height, path: image!)
        let channels = pages.reduce(0) { $0 + $1.channels }
        let pair = try ImagePair(channels: channels, height: first.height, width: first.width, image: values,
                                 mask: try LabelSamples.int32(labels.floatValues(), rounding: .towardZero, path: mask!),
                                 spacing: (mm[0], mm[1]))
        for i in 0..<count {
            let out = augmenter.apply(to: pair, seed: seed &+ UInt64(i))
            let name = String(format: "%@-%04d", outPrefix!, i)
            let plane = out.height * out.width
            let outPages = try (0..<out.channels).map { c -> TIFFImage in
                let slice = Array(out.image[(c * plane)..<((c + 1) * plane)])
                let data: PixelData
                switch first.pixels.sampleType {
                case .uint8: data = .uint8(slice.map { UInt8(min(max($0.rounded(), 0), 255)) })
                case .uint16: data = .uint16(slice.map { UInt16(min(max($0.rounded(), 0), 65535)) })
                default: data = .float32(slice)
                }
                return try TIFFImage(width: out.width, height: out.height, channels: 1, pixels: data)
            }
            try TIFFWriter.write(images: outPages, to: name + ".tif", compression: .deflate)
            let maskData: PixelData = out.mask.allSatisfy({ (0...255).contains($0) })
                ? .uint8(out.mask.map { UInt8($0) }) : .int32(out.mask)
            try TIFFWriter.write(image: try TIFFImage(width: out.width, height: out.height, channels: 1, pixels: maskData),
                                 to: name + "-mask.tif", compression: .deflate)
        }
        print("wrote \(count) pair(s) to \(outPrefix!)-NNNN.tif")
    }

    /// A smooth image and a three-label mask, for timing.
    func syntheticPair(side: Int) throws -> ImagePair {
        var image = [Float](repeating: 0, count: side * side)
        var mask = [Int32](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let u = Double(x) / Double(side), v = Double(y) / Double(side)
                image[y * side + x] = Float(sin(6 * u) * cos(4 * v))
                let r = hypot(u - 0.5, v - 0.5)
                mask[y * side + x] = r < 0.15 ? 2 : r < 0.35 ? 1 : 0
            }
        }
        return try ImagePair(channels: 1, height: side, width: side, image: image, mask: mask)
    }
}

/// A pipeline from a JSON file or a preset name.
func loadPipeline(_ argument: String) throws -> AugmentationPipeline {
    if argument == "paper" { return .paper }
    guard let data = try? FileBytes.read(path: argument, maxBytes: 16 << 20) else {
        throw CLIError("cannot read pipeline file '\(argument)' (missing, unreadable or over 16 MiB; or use the preset 'paper')")
    }
    do {
        return try AugmentationPipeline(json: String(decoding: data, as: UTF8.self))
    } catch {
        throw CLIError("\(argument): \(error)")
    }
}
