import MedaugImaging
import MedaugSupport

/// Paired augmentation of a training batch: each pair's image and label map
/// are transformed together (one geometric resampling, bilinear for the
/// image, nearest for the labels) by `Augmenter`, with a seed that depends
/// only on the run's seed, the step and the slot in the batch. Resuming a
/// run (the step count is restored) therefore draws the same transforms,
/// and the shuffle stream is the same with or without augmentation.
public enum PairAugmentation {
    /// pix2pix's "random jitter and mirroring" (Isola et al. 2017, §6.2:
    /// resize 256 → 286, crop a random 256 window back out, mirror left–right
    /// half of the time): a zoom by 286/256 about the centre, then a shift
    /// of each axis by up to the margin that zoom leaves, ±(286/256 − 1)/2
    /// of the side (the shift moves the zoomed content, so the window never
    /// leaves it and no border shows), then the mirror.
    public static let pix2pixJitter = AugmentationPipeline(operations: [
        AugmentationOperation(kind: .zoom, probability: 1, range: [286.0 / 256, 286.0 / 256]),
        AugmentationOperation(kind: .shift, probability: 1, range: [-(286.0 / 256 - 1) / 2, (286.0 / 256 - 1) / 2]),
        AugmentationOperation(kind: .flip, probability: 0.5, axis: .horizontal),
    ], border: BorderHandling(mode: .edge))

    /// Transforms slot by slot the `images` ([n][channels][h][w]) and
    /// `labels` ([n][h][w], class indices) of one batch in place.
    static func apply(_ augmenter: Augmenter, images: TrainTensor, labels: LabelMap, seed: UInt64, step: Int) throws {
        let shape = images.shape
        let plane = shape.h * shape.w, perImage = shape.c * plane
        for slot in 0..<shape.n {
            let image = Array(UnsafeBufferPointer(start: images.pointer + slot * perImage, count: perImage))
            let mask = Array(UnsafeBufferPointer(start: labels.pointer + slot * plane, count: plane))
            let pair = try ImagePair(channels: shape.c, height: shape.h, width: shape.w, image: image, mask: mask)
            // Stream: the step; counter: the slot ("JITTER" tags the key).
            let random = CounterRandom(seed: seed ^ 0x4A49_5454_4552, stream: UInt64(step))
            let result = augmenter.apply(to: pair, seed: random.bits(UInt64(slot)))
            result.image.withUnsafeBufferPointer { (images.pointer + slot * perImage).update(from: $0.baseAddress!, count: perImage) }
            result.mask.withUnsafeBufferPointer { (labels.pointer + slot * plane).update(from: $0.baseAddress!, count: plane) }
        }
    }
}
