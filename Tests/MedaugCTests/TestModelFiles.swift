import Foundation
import MedaugEngine
import MedaugModels

/// Small model files written once per test process (random weights; the
/// ABI only has to agree with the Swift API on them).
enum TestModelFiles {
    static let folder: String = {
        let folder = NSTemporaryDirectory() + "medaug-abi-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// 32×32 generator: classes with label values 0, 1, 4; two image channels.
    static let generatorConfig: ModelConfig = {
        var g = GeneratorConfig.paper(imageSize: 32, classes: ["background", "tissue", "lesion"],
                                      labelValues: [0, 1, 4], channelNames: ["T1", "T2"])
        g.downFilters = [8, 16, 24]
        g.upFilters = [24, 16, 8]
        g.bottleneckFilters = 24
        g.dropoutUpBlocks = 2
        return .generator(g)
    }()

    /// 24×24 segmenter: one image channel, the same three classes.
    static let segmenterConfig: ModelConfig = .segmenter(.standard(
        imageSize: 24, classes: ["background", "tissue", "lesion"], labelValues: [0, 1, 4], channelNames: ["T1"],
        depth: 2, baseFilters: 5))

    static let discriminatorConfig: ModelConfig = {
        var d = DiscriminatorConfig.paper(imageSize: 64, classes: ["background", "lesion"], labelValues: [0, 7], channelNames: ["T1"])
        d.filters = [8, 8, 8, 8, 8]
        return .discriminator(d)
    }()

    static let generator = write(generatorConfig, name: "generator")
    static let segmenter = write(segmenterConfig, name: "segmenter")
    static let discriminator = write(discriminatorConfig, name: "discriminator")

    private static func write(_ config: ModelConfig, name: String) -> String {
        let path = "\(folder)/\(name).safetensors"
        do {
            try ModelFile.write(config: config, tensors: RandomInit.weights(for: config, seed: 5), to: path)
        } catch {
            fatalError("cannot write the \(name) test model: \(error)")
        }
        return path
    }

    /// A file with `contents` in the test folder.
    static func file(_ name: String, _ contents: Data) -> String {
        let path = "\(folder)/\(name)"
        precondition(FileManager.default.createFile(atPath: path, contents: contents), "cannot write \(path)")
        return path
    }

    /// Deterministic label maps drawn from `values`.
    static func labels(count: Int, side: Int, values: [Int32], seed: UInt64 = 1) -> [Int32] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count * side * side).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return values[Int(state % UInt64(values.count))]
        }
    }

    /// Deterministic images in [-1, 1].
    static func images(count: Int, side: Int, channels: Int, seed: UInt64 = 2) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count * channels * side * side).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }
}
