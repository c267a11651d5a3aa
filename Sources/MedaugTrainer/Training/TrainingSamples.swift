import MedaugKernels

/// A validation pair and what the generator makes of its label map, for the
/// sample grid at the end of training (first image channel only).
public struct GeneratedSample: Sendable {
    /// Class indices, side×side.
    public var labels: [Int32]
    /// The real image's first channel, in the network's [-1, 1].
    public var real: [Float]
    /// The generator's first channel for `labels`.
    public var generated: [Float]
    public var side: Int
}

/// A validation pair and the segmenter's label map for its image.
public struct SegmentedSample: Sendable {
    /// The image's first channel, in the network's range.
    public var image: [Float]
    public var truth: [Int32]
    public var predicted: [Int32]
    public var side: Int
}

extension GANTraining {
    /// The first `count` validation pairs (training pairs when there is no
    /// validation split) with the generator's image, made as validation
    /// makes it: each image's own statistics, dropout off. The running
    /// statistics are left as they were.
    public func samples(count: Int) throws -> [GeneratedSample] {
        let pairs = validation ?? train
        let condition = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let target = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        let mode = ForwardMode(batchStatistics: true, dropout: false, probabilities: true)
        return try generator.keepingRunningStatistics {
            try (0..<min(max(count, 0), pairs.count)).map { index in
                try pairs.fill(images: target, labels: labels, indices: [index])
                try pairs.fillOneHot(condition, indices: [index])
                let fake = try generator.forward(condition, mode: mode)
                let plane = pairs.height * pairs.width
                return GeneratedSample(labels: Array(UnsafeBufferPointer(start: labels.pointer, count: plane)),
                                       real: Array(UnsafeBufferPointer(start: target.pointer, count: plane)),
                                       generated: Array(UnsafeBufferPointer(start: fake.pointer, count: plane)),
                                       side: pairs.height)
            }
        }
    }
}

extension SegmenterTraining {
    /// The first `count` validation pairs (training pairs when there is no
    /// validation split) with the segmenter's argmax label map (running
    /// statistics, as the saved weights recommend).
    public func samples(count: Int) throws -> [SegmentedSample] {
        let pairs = validation ?? train
        let images = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        return try (0..<min(max(count, 0), pairs.count)).map { index in
            try pairs.fill(images: images, labels: labels, indices: [index])
            let logits = try network.forward(images, mode: .init(batchStatistics: false, dropout: false, probabilities: false))
            let plane = pairs.height * pairs.width
            let predicted = [Int32](unsafeUninitializedCapacity: plane) { classes, initialized in
                Pointwise.argmaxChannels(logits.pointer, channels: logits.shape.c, pixels: plane,
                                         into: classes.baseAddress!)
                initialized = plane
            }
            return SegmentedSample(image: Array(UnsafeBufferPointer(start: images.pointer, count: plane)),
                                   truth: Array(UnsafeBufferPointer(start: labels.pointer, count: plane)),
                                   predicted: predicted, side: pairs.height)
        }
    }
}

extension TrainableNetwork {
    /// Runs `body` and restores the BatchNorm running statistics afterwards:
    /// forward passes with batch statistics update them, and validation data
    /// must not leak into what the saved weights hold.
    func keepingRunningStatistics<T>(_ body: () throws -> T) rethrows -> T {
        let running = parameters.filter { !$0.isTrainable }
        let kept = running.map { $0.values() }
        defer { for (parameter, values) in zip(running, kept) { _ = parameter.value.update(fromContentsOf: values) } }
        return try body()
    }
}
