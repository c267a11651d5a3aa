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
    /// - Parameter filter: post-processing applied to every predicted map
    ///   before it is scored and returned.
    /// - Throws: `ImagingError.invalidArgument` for a model that is not a
    ///   segmenter, label values that differ, or a mask value the model does
    ///   not know; engine errors as they come.
    public static func run(_ model: Model, on pairs: DatasetPairs, options: MetricsOptions = MetricsOptions(),
                           normalization: NormalizationMode? = nil, batch: Int = 8, threads: Int = 1,
                           filter: SmallComponentFilter? = nil) throws -> SegmenterEvaluation {
        var predicted = try predict(model, on: pairs, normalization: normalization, batch: batch, threads: threads)
        if let filter, let first = pairs.pairs.first {
            predicted = predicted.map { filter.apply(to: $0, width: first.width, height: first.height) }
        }
        return try score(predicted, on: pairs, options: options)
    }

    /// The argmax class-index maps of `model` on `pairs`, one per pair.
    /// - Throws: as `run`.
    public static func predict(_ model: Model, on pairs: DatasetPairs, normalization: NormalizationMode? = nil,
                               batch: Int = 8, threads: Int = 1) throws -> [[Int32]] {
        guard case .segmenter(let config) = model.config else {
            throw ImagingError.invalidArgument("evaluation needs a segmenter, found a \(model.config.kind.rawValue)")
        }
        guard pairs.manifest.labelValues == config.common.labelValues else {
            throw ImagingError.invalidArgument("the segmenter's label values \(config.common.labelValues) differ from the dataset's \(pairs.manifest.labelValues)")
        }
        let session = try model.makeSession(threads: threads)
        var predictions: [[Int32]] = []
        for start in stride(from: 0, to: pairs.pairs.count, by: max(1, batch)) {
            let chunk = Array(pairs.pairs[start..<min(pairs.pairs.count, start + max(1, batch))])
            let first = chunk[0]
            let input = Tensor(shape: [chunk.count, first.channels, first.height, first.width], values: chunk.flatMap(\.image))
            let result = try session.segment(input, options: RunOptions(normalization: normalization))
            let plane = first.height * first.width
            for index in chunk.indices {
                predictions.append(Array(result.classIndices[(index * plane)..<((index + 1) * plane)]))
            }
        }
        return predictions
    }

    /// The pairs' masks as class-index maps.
    /// - Throws: `ImagingError.invalidArgument` for a mask value that is not
    ///   one of the dataset's label values.
    public static func truth(of pairs: DatasetPairs) throws -> [[Int32]] {
        let labelValues = pairs.manifest.labelValues
        let classOf = Dictionary(uniqueKeysWithValues: labelValues.enumerated().map { (Int32($1), Int32($0)) })
        return try pairs.pairs.enumerated().map { index, pair in
            try pair.mask.enumerated().map { offset, value -> Int32 in
                guard let k = classOf[value] else {
                    throw ImagingError.invalidArgument(
                        "'\(pairs.items[index].mask)' pixel \(offset) holds label value \(value), not one of \(labelValues)")
                }
                return k
            }
        }
    }

    /// Scores class-index maps (one per pair, in order) against the masks.
    /// - Throws: as `truth(of:)`, and metrics errors.
    public static func score(_ predicted: [[Int32]], on pairs: DatasetPairs,
                             options: MetricsOptions = MetricsOptions()) throws -> SegmenterEvaluation {
        let labelValues = pairs.manifest.labelValues.map(Int32.init)
        var accumulator = try MetricsAccumulator(classes: labelValues.count, options: options)
        for (prediction, (truth, pair)) in zip(predicted, zip(try truth(of: pairs), pairs.pairs)) {
            try accumulator.add(prediction: prediction, truth: truth, width: pair.width, height: pair.height)
        }
        return SegmenterEvaluation(accumulator: accumulator,
                                   predictions: predicted.map { $0.map { labelValues[Int($0)] } })
    }
}
