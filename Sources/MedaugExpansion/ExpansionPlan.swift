import MedaugImaging
import MedaugModels

/// How to grow a set of real (image, mask) pairs into a larger training set
/// (the paper: 30 → 300).
public struct ExpansionOptions: Sendable {
    /// Pairs in the result, the real ones included (≥ the number of real
    /// pairs; at most `maxTarget`).
    public var target: Int
    /// Share of the new pairs made by `synthesis` (by default rendered by
    /// the generator from new label maps); the rest are classically
    /// augmented real pairs. 0...1.
    public var generatedShare: Double = 0.5
    /// How the `generatedShare` pairs are made (the experiment's ablations
    /// swap it and keep everything else).
    public var synthesis: Synthesis = .generator
    /// Share of the generator's label maps made by a label-space edit
    /// (`LabelEditor`) before the geometric augmentation; the others are
    /// only geometrically augmented real masks. 0...1; ignored when
    /// `editValues` is empty.
    public var editShare: Double = 0.5
    /// Label values of the regions edits move or copy (lesions); empty: no
    /// label-space edits.
    public var editValues: [Int32] = []
    /// Geometric (and elastic) augmentation of the generator's label maps.
    public var maskPipeline: AugmentationPipeline = ExpansionOptions.defaultMaskPipeline
    /// Augmentation of the classic pairs (image and mask together).
    public var classicPipeline: AugmentationPipeline = .paper
    /// Seeds every choice: the same seed and inputs give the same output on
    /// any thread count.
    public var seed: UInt64 = 0
    /// Generator inference mode; nil: what the model file records.
    public var normalization: NormalizationMode? = nil
    /// Generator dropout; nil: what the model file records.
    public var dropout: Bool? = nil
    /// Threads for generator runs and augmentation.
    public var threads: Int = 1

    /// How the synthetic share of an expansion is made.
    public enum Synthesis: String, Codable, CaseIterable, Sendable {
        /// Label maps (real masks, label-edited or not, geometrically
        /// augmented) rendered by the pix2pix generator: the paper's method.
        case generator
        /// The same label maps rendered by `GaussianMixtureRenderer`: no
        /// learned model (SynthSeg-style).
        case gaussianMixture = "gmm"
        /// A real pair with another real pair's lesion pasted in
        /// (`LabelEditor.paste`), then classically augmented; no generator.
        /// Needs `editValues` (the lesion's label values).
        case lesionPaste = "paste"
    }

    /// The largest `target` accepted (protects the host from a typo).
    public static let maxTarget = 1_000_000

    public init(target: Int) { self.target = target }

    /// The paper's geometric operations plus a mild elastic deformation;
    /// no intensity operations (a label map has none).
    public static let defaultMaskPipeline = AugmentationPipeline(operations: [
        .init(kind: .rotate, probability: 0.5, range: [-15, 15]),
        .init(kind: .shift, probability: 0.5, range: [-0.1, 0.1]),
        .init(kind: .flip, probability: 0.5, axis: .horizontal),
        .init(kind: .zoom, probability: 0.5, range: [0.9, 1.1]),
        .init(kind: .elastic, probability: 0.5, range: [0, 8], sigmaMM: 12),
    ])

    /// - Throws: `ExpansionError.invalidArgument` naming the first bad option.
    func validate(realCount: Int) throws(ExpansionError) {
        guard realCount >= 1 else { throw .invalidArgument("no real pairs to expand") }
        guard target >= realCount, target <= Self.maxTarget else {
            throw .invalidArgument("target \(target) must be in \(realCount)...\(Self.maxTarget) (at least the \(realCount) real pairs)")
        }
        for (name, share) in [("generated share", generatedShare), ("edit share", editShare)]
        where !(share >= 0 && share <= 1) {
            throw .invalidArgument("the \(name) must be in 0...1, found \(share)")
        }
        guard (1...256).contains(threads) else { throw .invalidArgument("threads must be in 1...256, found \(threads)") }
        guard synthesis != .lesionPaste || !editValues.isEmpty || generatedShare == 0 else {
            throw .invalidArgument("lesion paste needs the lesion's label values (edit values)")
        }
        do {
            try maskPipeline.validate()
            try classicPipeline.validate()
        } catch {
            throw .invalidArgument("\(error)")
        }
        if let operation = maskPipeline.operations.first(where: { !$0.kind.isGeometric }) {
            throw .invalidArgument("the mask pipeline may only hold geometric operations, found '\(operation.kind.rawValue)'")
        }
    }
}

/// One new pair to make.
public struct ExpansionStep: Equatable, Sendable {
    public enum Recipe: String, Sendable {
        /// A real mask, perhaps edited, geometrically augmented and rendered
        /// by the generator.
        case generated
        /// A real pair augmented as a whole.
        case classic
    }

    public var recipe: Recipe
    /// The real pair it starts from.
    public var source: Int
    /// Whether a label-space edit is tried (generated pairs only).
    public var edit: Bool
    /// Seeds this pair's edit, augmentation and dropout masks.
    public var seed: UInt64
}

/// What to make, decided up front from the options alone, so that the
/// result of each new pair depends only on its own step (and any subset,
/// order or thread count reproduces it).
///
/// Sources go round-robin over the real pairs, so each contributes equally;
/// the recipes are shuffled by the seed, and the generated pairs that get a
/// label edit are chosen the same way.
public func planExpansion(realCount: Int, options: ExpansionOptions) throws(ExpansionError) -> [ExpansionStep] {
    try options.validate(realCount: realCount)
    let new = options.target - realCount
    let generated = Int((Double(new) * options.generatedShare).rounded())
    let edited = options.editValues.isEmpty ? 0 : Int((Double(generated) * options.editShare).rounded())
    var random = SplitMix64(seed: options.seed ^ 0x4558_5041_4E44)
    var recipes = [ExpansionStep.Recipe](repeating: .generated, count: generated)
        + [ExpansionStep.Recipe](repeating: .classic, count: new - generated)
    recipes.shuffle(using: &random)
    var edits = [Bool](repeating: true, count: edited) + [Bool](repeating: false, count: generated - edited)
    edits.shuffle(using: &random)
    var nextEdit = 0
    return recipes.enumerated().map { index, recipe in
        var edit = false
        if recipe == .generated {
            edit = edits[nextEdit]
            nextEdit += 1
        }
        return ExpansionStep(recipe: recipe, source: index % realCount, edit: edit, seed: random.next())
    }
}

/// Errors of an expansion.
public enum ExpansionError: Error, Equatable, CustomStringConvertible {
    /// An option or input is out of range; the message says which.
    case invalidArgument(String)
    /// The progress callback asked to stop; nothing was written.
    case cancelled
    /// Reading the input, running the generator or writing the output
    /// failed; the message says where.
    case failed(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message), .failed(let message): return message
        case .cancelled: return "the expansion was cancelled; nothing was written"
        }
    }
}
