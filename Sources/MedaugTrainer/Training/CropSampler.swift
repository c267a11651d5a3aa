/// Where training crops come from: square windows of the training pairs,
/// a share of them centred near a foreground pixel (nnU-Net's foreground
/// oversampling). With 30 slices whose necrotic core covers 0.2% of the
/// pixels, whole-image batches show the segmenter about 40 core pixels per
/// image; a 64×64 crop around a lesion pixel shows four times the share,
/// and four crops cost what one whole image does.
public struct CropSampling: Equatable, Sendable {
    /// Crop side in pixels (a multiple of 2^depth, at most the image side).
    public var side: Int
    /// Share of crops that contain a foreground pixel: a random foreground
    /// class present in the pair, then a random pixel of it.
    public var foregroundShare: Double

    public init(side: Int, foregroundShare: Double) {
        self.side = side
        self.foregroundShare = foregroundShare
    }
}

/// Draws crop origins for `CropSampling` from the training loop's random
/// stream; indexes each pair's foreground pixels per class once.
struct CropSampler {
    let sampling: CropSampling
    let height: Int
    let width: Int
    /// Per pair: (class, its pixel offsets) for every foreground class present.
    private let foreground: [[(classIndex: Int32, pixels: [Int32])]]

    /// - Throws: `TrainerError.invalidArgument` for a side larger than the
    ///   pairs or not a multiple of `multiple`, or a share outside 0...1.
    init(_ sampling: CropSampling, pairs: TrainingPairs, multiple: Int) throws(TrainerError) {
        guard sampling.side >= multiple, sampling.side % multiple == 0, sampling.side <= min(pairs.height, pairs.width) else {
            throw .invalidArgument("crop side \(sampling.side) must be a multiple of \(multiple) and at most the images' \(pairs.width)x\(pairs.height)")
        }
        guard (0...1).contains(sampling.foregroundShare) else {
            throw .invalidArgument("the foreground crop share must be in 0...1, found \(sampling.foregroundShare)")
        }
        self.sampling = sampling
        (height, width) = (pairs.height, pairs.width)
        let plane = pairs.height * pairs.width
        foreground = (0..<pairs.count).map { index in
            var byClass: [Int32: [Int32]] = [:]
            for p in 0..<plane {
                let c = pairs.labels[index * plane + p]
                if c > 0 { byClass[c, default: []].append(Int32(p)) }
            }
            return byClass.keys.sorted().map { ($0, byClass[$0]!) }
        }
    }

    /// The top-left corner (y, x) of a crop of pair `index`.
    func origin(of index: Int, random: inout ShuffleRandom) -> (y: Int, x: Int) {
        let side = sampling.side
        func uniform(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        // 53 random bits as a double in [0, 1).
        let draw = Double(random.next() >> 11) / Double(1 << 53)
        let classes = foreground[index]
        guard draw < sampling.foregroundShare, !classes.isEmpty else {
            return (uniform(height - side + 1), uniform(width - side + 1))
        }
        let pixels = classes[uniform(classes.count)].pixels
        let p = Int(pixels[uniform(pixels.count)])
        let (py, px) = (p / width, p % width)
        // Any origin whose crop holds the pixel, within the image.
        func start(_ position: Int, _ extent: Int) -> Int {
            let low = max(0, position - side + 1), high = min(position, extent - side)
            return low + uniform(high - low + 1)
        }
        return (start(py, height), start(px, width))
    }
}

extension TrainingPairs {
    /// Copies side×side crops of pairs `indices`, with top-left corners
    /// `origins`, into a batch (as `fill(images:labels:indices:)`).
    public func fill(images target: TrainTensor, labels targetLabels: LabelMap, indices: [Int],
                     origins: [(y: Int, x: Int)], side: Int) throws {
        guard origins.count == indices.count else { throw TrainerError.invalidArgument("one crop origin per pair") }
        let plane = height * width
        target.resize(to: TensorShape(n: indices.count, c: channels, h: side, w: side))
        targetLabels.resize(n: indices.count, h: side, w: side)
        for (slot, (index, origin)) in zip(indices, origins).enumerated() {
            guard (0..<count).contains(index), (0...(height - side)).contains(origin.y), (0...(width - side)).contains(origin.x) else {
                throw TrainerError.invalidArgument("crop \(side) at (\(origin.y), \(origin.x)) of pair \(index) of \(count) (\(width)x\(height))")
            }
            for row in 0..<side {
                let source = (origin.y + row) * width + origin.x
                for c in 0..<channels {
                    let from = (index * channels + c) * plane + source, to = ((slot * channels + c) * side + row) * side
                    images.withUnsafeBufferPointer { (target.pointer + to).update(from: $0.baseAddress! + from, count: side) }
                }
                labels.withUnsafeBufferPointer {
                    (targetLabels.pointer + (slot * side + row) * side).update(from: $0.baseAddress! + index * plane + source, count: side)
                }
            }
        }
    }
}
