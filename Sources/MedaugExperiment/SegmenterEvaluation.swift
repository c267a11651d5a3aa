import MedaugEngine
import MedaugImaging
import MedaugMetrics
import MedaugModels

/// A segmenter scored on dataset pairs: the metrics and its label maps.
public struct SegmenterEvaluation {
    /// Every image's scores and the pooled matrix (micro, macro reports).
    public var accumulator: MetricsAccumulator
    /// Predicted label maps (stored label values), one per pair, in order.
    public var predictions: [[Int32]]

    /// Runs `model` (a segmenter whose label values are the dataset's) on
    /// `pairs` in batches and scores the argmax label maps against the masks.
    /// - Throws: `ImagingError.invalidArgument` for a model that is not a
    ///   segmenter, label values that differ, or a mask value the model does
    ///   not know; engine errors as they come.
    public static func run(_ model: Model, on pairs: DatasetPairs, options: MetricsOptions = MetricsOptions(),
                           normalization: NormalizationMode? = nil, batch: Int = 8, threads: Int = 1) throws -> SegmenterEvaluation {
        guard case .segmenter(let config) = model.config else {
            throw ImagingError.invalidArgument("evaluation needs a segmenter, found a \(model.config.kind.rawValue)")
        }
        let labelValues = config.common.labelValues
        guard pairs.manifest.labelValues == labelValues else {
            throw ImagingError.invalidArgument("the segmenter's label values \(labelValues) differ from the dataset's \(pairs.manifest.labelValues)")
        }
        let session = try model.makeSession(threads: threads)
        var accumulator = try MetricsAccumulator(classes: labelValues.count, options: options)
        let classOf = Dictionary(uniqueKeysWithValues: labelValues.enumerated().map { (Int32($1), Int32($0)) })
        var predictions: [[Int32]] = []
        for start in stride(from: 0, to: pairs.pairs.count, by: max(1, batch)) {
            let chunk = Array(pairs.pairs[start..<min(pairs.pairs.count, start + max(1, batch))])
            let first = chunk[0]
            let input = Tensor(shape: [chunk.count, first.channels, first.height, first.width], values: chunk.flatMap(\.image))
            let result = try session.segment(input, options: RunOptions(normalization: normalization))
            let plane = first.height * first.width
            for (index, pair) in chunk.enumerated() {
                let truth = try pair.mask.enumerated().map { offset, value -> Int32 in
                    guard let index = classOf[value] else {
                        throw ImagingError.invalidArgument(
                            "'\(pairs.items[start + index].mask)' pixel \(offset) holds label value \(value), not one of \(labelValues)")
                    }
                    return index
                }
                try accumulator.add(prediction: Array(result.classIndices[(index * plane)..<((index + 1) * plane)]),
                                    truth: truth, width: first.width, height: first.height)
                predictions.append(Array(result.labelValues[(index * plane)..<((index + 1) * plane)]))
            }
        }
        return SegmenterEvaluation(accumulator: accumulator, predictions: predictions)
    }
}
