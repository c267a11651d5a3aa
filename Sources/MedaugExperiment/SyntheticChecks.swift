import Foundation
import MedaugEngine
import MedaugImaging
import MedaugMetrics

/// The checks a reviewer asks of synthetic data.
public struct SyntheticChecks: Codable, Sendable {
    /// For each generated training image: SSIM to its nearest (most
    /// similar) real training image. Near-copies (≥ threshold) suggest the
    /// generator memorised its training set.
    public struct Memorisation: Codable, Sendable {
        public var nearestSSIM: Distribution
        public var threshold: Double
        public var nearCopies: [String]
        enum CodingKeys: String, CodingKey { case nearestSSIM = "nearest_ssim", threshold, nearCopies = "near_copies" }
    }

    /// The generator on held-out (test) label maps against the real images
    /// of those slices: how realistic it is where it never trained.
    public struct HeldOut: Codable, Sendable {
        public var images: Int
        public var ssim: Distribution
        public var psnr: Distribution
    }

    public var memorisation: Memorisation
    public var heldOut: HeldOut
    enum CodingKeys: String, CodingKey { case memorisation, heldOut = "held_out" }
}

extension ExperimentRunner {
    ///
    /// - Parameter generatedSet: whether `sets/gan` was made (`--arms`
    ///   without gan and gan_gated leaves the memorisation check empty).
    func syntheticChecks(generator: Model, generatedSet: Bool) throws -> SyntheticChecks {
        let real = try DatasetPairs.load(folder: data, split: .train)
        let all = generatedSet ? try DatasetPairs.load(folder: setFolder(.gan), split: .train, includeSynthetic: true) : real
        let generated = generatedSet ? all.items.indices.filter { all.items[$0].source["origin"] == .string("generated") } : []
        let (w, h) = (real.pairs[0].width, real.pairs[0].height)
        // SSIM wants non-negative intensities: [-1, 1] becomes [0, 2].
        func firstChannel(_ pair: ImagePair) -> [Float] { pair.image.prefix(w * h).map { $0 + 1 } }
        let realImages = real.pairs.map(firstChannel)
        var nearest: [Double] = [], copies: [String] = []
        for (n, index) in generated.enumerated() {
            let image = firstChannel(all.pairs[index])
            let best = try realImages.map { try ImageSimilarity.ssim(image, $0, width: w, height: h, dataRange: 2) }.max() ?? 0
            nearest.append(best)
            if best >= config.nearCopySSIM { copies.append(all.items[index].id) }
            progress("memorisation check", n + 1, generated.count)
        }
        let test = try DatasetPairs.load(folder: data, split: .test)
        let session = try generator.makeSession(threads: config.threads)
        var ssims: [Double] = [], psnrs: [Double] = []
        for (index, pair) in test.pairs.enumerated() {
            var options = RunOptions()
            options.seed = config.seed &+ UInt64(index)
            let image = try session.generate(from: LabelMaps(count: 1, height: h, width: w, values: pair.mask), options: options)
            let fake = image.values.prefix(w * h).map { $0 + 1 }, truth = firstChannel(pair)
            ssims.append(try ImageSimilarity.ssim(fake, truth, width: w, height: h, dataRange: 2))
            psnrs.append(try ImageSimilarity.psnr(fake, truth, width: w, height: h, dataRange: 2))
        }
        return SyntheticChecks(
            memorisation: .init(nearestSSIM: Distribution(nearest), threshold: config.nearCopySSIM, nearCopies: copies),
            heldOut: .init(images: test.pairs.count, ssim: Distribution(ssims), psnr: Distribution(psnrs)))
    }
}
