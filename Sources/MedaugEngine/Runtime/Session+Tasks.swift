import MedaugKernels
import MedaugModels

/// Integer label maps as stored in mask files: [N, H, W] values, each one of
/// the model's `label_values`.
public struct LabelMaps: Equatable, Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    public var values: [Int32]

    public init(count: Int, height: Int, width: Int, values: [Int32]) {
        self.count = count
        self.height = height
        self.width = width
        self.values = values
    }
}

/// What `segment` returns.
public struct Segmentation: Sendable {
    /// Class probabilities [N, K, H, W] (softmax output).
    public var probabilities: Tensor
    /// Most probable class index per pixel, [N, H, W] (ties: lowest index).
    public var classIndices: [Int32]
    /// The same, as stored label values (`label_values[class]`).
    public var labelValues: [Int32]
}

extension Session {
    /// Synthesises images from label maps with a generator model: each label
    /// value becomes its one-hot class channel (through the model's
    /// `label_values`), and the network's [-1, 1] images come back as
    /// [N, image channels, H, W].
    ///
    /// - Throws: `EngineError.wrongModelKind` for a non-generator,
    ///   `.shapeMismatch` for a wrong size, `.unknownLabel` naming the first
    ///   value that is not one of the model's label values.
    public func generate(from labels: LabelMaps, options: RunOptions = RunOptions()) throws -> Tensor {
        guard case .generator = model.config else {
            throw EngineError.wrongModelKind(expected: "generator", found: model.config.kind)
        }
        let common = model.config.common
        guard labels.height == common.imageSize, labels.width == common.imageSize else {
            throw EngineError.shapeMismatch(what: "label map size", expected: "\(common.imageSize)×\(common.imageSize)",
                                            found: "\(labels.height)×\(labels.width)")
        }
        guard labels.count >= 1, labels.values.count == labels.count * labels.height * labels.width else {
            throw EngineError.shapeMismatch(what: "label map values", expected: "\(max(1, labels.count) * labels.height * labels.width)",
                                            found: "\(labels.values.count)")
        }
        var classOf: [Int32: Int] = [:]
        for (index, value) in common.labelValues.enumerated() { classOf[Int32(value)] = index }
        let spatial = labels.height * labels.width
        let classes = common.inputChannels
        var input = Tensor(zeros: [labels.count, classes, labels.height, labels.width])
        for n in 0..<labels.count {
            for p in 0..<spatial {
                let value = labels.values[n * spatial + p]
                guard let index = classOf[value] else {
                    throw EngineError.unknownLabel(value: Int(value), index: n * spatial + p, known: common.labelValues)
                }
                input.values[(n * classes + index) * spatial + p] = 1
            }
        }
        return try run(input, options: options).output
    }

    /// Segments images ([N, image channels, H, W], intensities in [-1, 1])
    /// with a segmenter model.
    /// - Throws: `EngineError.wrongModelKind` for a non-segmenter, and what
    ///   `run` throws.
    public func segment(_ images: Tensor, options: RunOptions = RunOptions()) throws -> Segmentation {
        guard case .segmenter = model.config else {
            throw EngineError.wrongModelKind(expected: "segmenter", found: model.config.kind)
        }
        let probabilities = try run(images, options: options).output
        let (count, classes) = (probabilities.shape[0], probabilities.shape[1])
        let spatial = probabilities.shape[2] * probabilities.shape[3]
        let labelValues = model.config.common.labelValues.map(Int32.init)
        var indices = [Int32](repeating: 0, count: count * spatial)
        probabilities.values.withUnsafeBufferPointer { values in
            indices.withUnsafeMutableBufferPointer { indices in
                for n in 0..<count {
                    Pointwise.argmaxChannels(values.baseAddress! + n * classes * spatial, channels: classes,
                                             pixels: spatial, into: indices.baseAddress! + n * spatial)
                }
            }
        }
        return Segmentation(probabilities: probabilities, classIndices: indices,
                            labelValues: indices.map { labelValues[Int($0)] })
    }
}
