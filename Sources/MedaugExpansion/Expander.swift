import MedaugEngine
import MedaugImaging
import MedaugModels

/// One pair of an expanded set and where it came from.
public struct ExpandedPair: Sendable {
    public enum Origin: String, Sendable {
        /// One of the input pairs, unchanged.
        case real
        /// Rendered by the generator from a new label map.
        case generated
        /// A real pair, classically augmented.
        case classic
        /// A new label map rendered by `GaussianMixtureRenderer`.
        case gaussianMixture = "gmm"
        /// A real pair with a donor's lesion pasted in, then classically
        /// augmented.
        case pasted = "paste"
    }

    public var pair: ImagePair
    public var origin: Origin
    /// Index of the real pair it was made from (itself for `real`).
    public var source: Int
    /// The label-space edit applied, if any (`generated` only).
    public var edit: LabelEditor.Kind?
    /// The seed of this pair's recipe (nil for `real`).
    public var seed: UInt64?
    /// Index of the real pair whose lesion was pasted in (`pasted` only).
    public var donor: Int? = nil
}

/// Grows real (image, mask) pairs into a larger training set (the paper's
/// 30 → 300): the real pairs, plus new label maps (real masks, label-space
/// edited and geometrically augmented) rendered by a pix2pix generator,
/// plus classically augmented real pairs.
///
/// Images are channel-planar in the network's [-1, 1]; masks hold the
/// generator's stored label values. Every new pair depends only on the
/// inputs, the options and its own step (`planExpansion`): the same seed
/// gives bitwise the same set at the same thread count.
///
/// Thread-safety: an expander owns one engine session; use it from one
/// thread at a time.
public final class Expander {
    public let options: ExpansionOptions
    public let generator: Model?
    private let session: Session?
    private let editor: LabelEditor?

    /// - Parameter generator: a generator model; may be nil only when
    ///   `options.generatedShare` is 0.
    /// - Throws: `ExpansionError.invalidArgument` for a model that is not a
    ///   generator, a missing generator, or options out of range.
    public init(generator: Model?, options: ExpansionOptions) throws(ExpansionError) {
        if let generator {
            guard case .generator = generator.config else {
                throw .invalidArgument("expansion needs a generator model, found a \(generator.config.kind.rawValue)")
            }
        } else if options.generatedShare > 0 && options.synthesis == .generator {
            throw .invalidArgument("a generated share of \(options.generatedShare) needs a generator model")
        }
        guard (1...256).contains(options.threads) else {
            throw .invalidArgument("threads must be in 1...256, found \(options.threads)")
        }
        self.generator = generator
        self.options = options
        do {
            session = try generator?.makeSession(threads: options.threads)
        } catch {
            throw .failed("\(error)")
        }
        if options.editValues.isEmpty {
            editor = nil
        } else {
            let background = Int32(generator?.config.common.labelValues.first ?? 0)
            editor = LabelEditor(editValues: Set(options.editValues), backgroundValue: background)
        }
    }

    /// Checks that `reals` fit the generator (size, channels, label values).
    func check(_ reals: [ImagePair]) throws(ExpansionError) {
        guard let first = reals.first else { throw .invalidArgument("no real pairs to expand") }
        for (index, pair) in reals.enumerated() {
            guard pair.height == first.height, pair.width == first.width, pair.channels == first.channels else {
                throw .invalidArgument("pair \(index) is \(pair.channels)x\(pair.height)x\(pair.width), pair 0 is "
                                       + "\(first.channels)x\(first.height)x\(first.width)")
            }
        }
        guard let common = generator?.config.common else { return }
        guard first.height == common.imageSize, first.width == common.imageSize, first.channels == common.outputChannels else {
            throw .invalidArgument("the pairs are \(first.channels)x\(first.height)x\(first.width); the generator makes "
                                   + "\(common.outputChannels)x\(common.imageSize)x\(common.imageSize)")
        }
        let known = Set(common.labelValues.map(Int32.init))
        for (index, pair) in reals.enumerated() {
            if let value = pair.mask.first(where: { !known.contains($0) }) {
                throw .invalidArgument("mask \(index) holds label value \(value); the generator knows \(common.labelValues)")
            }
        }
        if let value = options.editValues.first(where: { !known.contains($0) }) {
            throw .invalidArgument("edit label value \(value) is not one of the generator's \(common.labelValues)")
        }
    }

    /// The whole expanded set: the real pairs first, then the new ones in
    /// plan order. `progress(done, total)` is called after each new pair;
    /// returning false cancels (`ExpansionError.cancelled`).
    public func expand(_ reals: [ImagePair], progress: (Int, Int) -> Bool = { _, _ in true }) throws(ExpansionError) -> [ExpandedPair] {
        try check(reals)
        let steps = try planExpansion(realCount: reals.count, options: options)
        var result = reals.enumerated().map { ExpandedPair(pair: $1, origin: .real, source: $0, edit: nil, seed: nil) }
        for (index, step) in steps.enumerated() {
            result.append(try make(step, from: reals))
            guard progress(index + 1, steps.count) else { throw .cancelled }
        }
        return result
    }

    /// Makes the new pair of one step.
    public func make(_ step: ExpansionStep, from reals: [ImagePair]) throws(ExpansionError) -> ExpandedPair {
        let real = reals[step.source]
        do {
            switch step.recipe {
            case .classic:
                let augmenter = try Augmenter(pipeline: options.classicPipeline, threads: options.threads)
                return ExpandedPair(pair: augmenter.apply(to: real, seed: step.seed), origin: .classic,
                                    source: step.source, edit: nil, seed: step.seed)
            case .generated where options.synthesis == .lesionPaste:
                return try pasted(step, from: reals)
            case .generated:
                var random = SplitMix64(seed: step.seed)
                var mask = real.mask
                var kind: LabelEditor.Kind?
                if step.edit, let editor {
                    // A donor region for maps without one of their own: the
                    // next real pair (cyclically) that has a region.
                    let side = real.height
                    let donor = (1..<max(reals.count, 1)).lazy.map { reals[(step.source + $0) % reals.count].mask }
                        .first { editor.region(of: $0, side: side) != nil }
                    if real.height == real.width, let edited = editor.edit(mask, donor: donor, side: side, random: &random) {
                        (mask, kind) = (edited.map, edited.kind)
                    }
                }
                // Geometric augmentation of the label map alone (a blank
                // one-channel image rides along: the augmenter takes pairs).
                let carrier = try ImagePair(channels: 1, height: real.height, width: real.width,
                                            image: [Float](repeating: 0, count: real.height * real.width),
                                            mask: mask, spacing: real.spacing)
                let maskAugmenter = try Augmenter(pipeline: options.maskPipeline, threads: options.threads)
                mask = maskAugmenter.apply(to: carrier, seed: random.next()).mask
                let renderSeed = random.next()
                let image: [Float]
                if options.synthesis == .gaussianMixture {
                    image = try GaussianMixtureRenderer().render(mask, channels: real.channels, height: real.height,
                                                                 width: real.width, spacing: real.spacing, seed: renderSeed).image
                } else {
                    guard let session else { throw ExpansionError.invalidArgument("no generator model") }
                    var run = RunOptions(normalization: options.normalization, dropout: options.dropout)
                    run.seed = renderSeed
                    image = try session.generate(from: LabelMaps(count: 1, height: real.height, width: real.width, values: mask),
                                                 options: run).values
                }
                let pair = try ImagePair(channels: real.channels, height: real.height, width: real.width,
                                         image: image, mask: mask, spacing: real.spacing)
                return ExpandedPair(pair: pair, origin: options.synthesis == .gaussianMixture ? .gaussianMixture : .generated,
                                    source: step.source, edit: kind, seed: step.seed)
            }
        } catch let error as ExpansionError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
    }

    /// Donors tried (from a random one on, cyclically) before a paste
    /// step falls back to a classic pair.
    static let pasteDonors = 8

    /// A `lesionPaste` step: the real pair with a random other pair's
    /// lesion pasted in, then classically augmented; a classic pair when
    /// no donor's lesion fits.
    func pasted(_ step: ExpansionStep, from reals: [ImagePair]) throws -> ExpandedPair {
        guard let editor else { throw ExpansionError.invalidArgument("lesion paste needs edit values") }
        var random = SplitMix64(seed: step.seed)
        let others = (1..<max(reals.count, 1)).map { (step.source + $0) % reals.count }
        var result: (pair: ImagePair, donor: Int)?
        if !others.isEmpty {
            let first = Int(random.next() % UInt64(others.count))
            for k in 0..<min(others.count, Self.pasteDonors) {
                let donor = others[(first + k) % others.count]
                if let pair = editor.paste(into: reals[step.source], from: reals[donor], random: &random) {
                    result = (pair, donor)
                    break
                }
            }
        }
        let augmenter = try Augmenter(pipeline: options.classicPipeline, threads: options.threads)
        let augmented = augmenter.apply(to: result?.pair ?? reals[step.source], seed: random.next())
        return ExpandedPair(pair: augmented, origin: result == nil ? .classic : .pasted, source: step.source, edit: nil,
                            seed: step.seed, donor: result?.donor)
    }
}
