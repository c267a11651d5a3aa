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
        Examples:
          medaug augment --pipeline paper --benchmark 200 --size 256 --json
        """)

    @Option(help: "Pipeline: a JSON file, or 'paper'.")
    var pipeline: String = "paper"
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
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64") }
        guard (8...4096).contains(size) else { throw ValidationError("--size must be in 8...4096") }
        if let benchmark, !(1...100_000).contains(benchmark) { throw ValidationError("--benchmark must be in 1...100000") }
        guard benchmark != nil else { throw ValidationError("give --benchmark N (file input comes with TIFF support)") }
    }

    func run() throws {
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
            if json {
                print("{\"ms_per_pair\": \(median), \"pairs\": \(benchmark), \"size\": \(size), \"threads\": \(threads)}")
            } else {
                print(String(format: "%.3f ms per %dx%d pair (median of %d)", median, size, size, benchmark))
            }
        }
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
    guard let data = FileManager.default.contents(atPath: argument) else {
        throw CLIError("cannot read pipeline file '\(argument)' (or use the preset 'paper')")
    }
    do {
        return try AugmentationPipeline(json: String(decoding: data, as: UTF8.self))
    } catch {
        throw CLIError("\(argument): \(error)")
    }
}
