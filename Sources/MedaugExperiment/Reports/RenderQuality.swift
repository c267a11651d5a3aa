import MedaugMetrics
import MedaugTrainer

/// How well the generator renders the validation label maps after one GAN
/// epoch: the median over validation pairs of PSNR and SSIM between the
/// render (first channel; each image's own statistics, dropout off, as
/// training's validation) and the real image, data range 2 as
/// `SyntheticChecks`. At most `pairsPerEpoch` validation pairs (the first
/// ones, the same every epoch): the paper preset's generator takes about a
/// second per render on two cores, and 100 epochs × 24 pairs would add
/// half an hour.
public struct RenderQuality: Codable, Equatable, Sendable {
    public static let pairsPerEpoch = 8

    public var epoch: Int
    public var psnr: Double?
    public var ssim: Double?

    /// Scores `training`'s generator as it is now.
    static func measure(_ training: GANTraining, epoch: Int, pairs: Int) throws -> RenderQuality {
        var psnrs: [Double] = [], ssims: [Double] = []
        for sample in try training.samples(count: pairs) {
            let fake = sample.generated.map { $0 + 1 }, real = sample.real.map { $0 + 1 }
            psnrs.append(try ImageSimilarity.psnr(fake, real, width: sample.side, height: sample.side, dataRange: 2))
            ssims.append(try ImageSimilarity.ssim(fake, real, width: sample.side, height: sample.side, dataRange: 2))
        }
        return RenderQuality(epoch: epoch, psnr: Distribution(psnrs).median, ssim: Distribution(ssims).median)
    }
}
