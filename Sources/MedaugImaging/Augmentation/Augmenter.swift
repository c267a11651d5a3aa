import Foundation
import MedaugSupport

/// Applies an `AugmentationPipeline` to image + mask pairs.
///
/// Each call draws one transform from the seed: for every operation, in list
/// order, whether it applies and its parameters (always drawn, so changing
/// one operation's probability leaves the others' values unchanged). The
/// geometric operations become one output→input mapping and one resampling;
/// the intensity operations then run on the image. The result depends only
/// on the pipeline, the pair and the seed: bitwise the same on any thread
/// count (per-pixel noise uses a counter-based generator).
public struct Augmenter: Sendable {
    public let pipeline: AugmentationPipeline
    /// Threads for the resampling and per-pixel passes.
    public var threads: Int

    /// - Throws: `ImagingError.invalidArgument` if the pipeline is invalid.
    public init(pipeline: AugmentationPipeline, threads: Int = 1) throws {
        try pipeline.validate()
        self.pipeline = pipeline
        self.threads = max(1, threads)
    }

    /// The transformed pair (same size and spacing as the input).
    public func apply(to pair: ImagePair, seed: UInt64) -> ImagePair {
        var random = SequentialRandom(seed: seed)
        let draws = pipeline.operations.map { operation in Draw(operation: operation, random: &random) }
        var mapping = GeometricMapping(height: pair.height, width: pair.width, spacing: pair.spacing)
        for draw in draws where draw.applies && draw.operation.kind.isGeometric {
            mapping.add(draw, random: &random)
        }
        var result = pair
        if !mapping.isIdentity {
            Resampler(mapping: mapping, border: pipeline.border, threads: threads).resample(pair, into: &result)
        }
        for (index, draw) in draws.enumerated() where draw.applies && !draw.operation.kind.isGeometric {
            IntensityTransforms.apply(draw, to: &result, seed: seed, stream: UInt64(index), threads: threads)
        }
        return result
    }
}

/// One operation's draw for one call.
struct Draw {
    var operation: AugmentationOperation
    var applies: Bool
    /// Parameter values: one for most operations, two (rows, columns) for shift.
    var values: [Double]

    init(operation: AugmentationOperation, random: inout SequentialRandom) {
        self.operation = operation
        applies = random.uniform() < operation.probability
        let count = operation.kind == .shift ? 2 : 1
        values = (0..<count).map { _ in
            operation.range.count == 2 ? operation.range[0] + (operation.range[1] - operation.range[0]) * random.uniform() : 0
        }
    }
}

/// SplitMix64 drawn in sequence: parameters for one call.
struct SequentialRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed ^ 0x6D65_6461_7567_0001 }  // "medaug" tag: seed 0 is not all zeros
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return CounterRandom.mix(state)
    }
    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
}
