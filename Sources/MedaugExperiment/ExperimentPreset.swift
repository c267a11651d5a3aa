import MedaugTrainer

/// Sizes of an experiment run: image side, networks, epochs, seeds.
///
/// - `tiny`: 32x32, 10 training pairs expanded to 40, small networks, two
///   seeds, 30 segmenter steps on 16x16 crops: a smoke test that runs end
///   to end in about a minute even in a debug build (CI runs it).
/// - `quick` (default): 128x128, the paper's 30 → 300, a reduced generator
///   and U-Net (depth 3, 8 base filters, LeakyReLU), 2000 segmenter steps
///   of 8 lesion-aware 64x64 crops per run (the necrotic core is learned
///   between 1000 and 2000), three seeds, seven arms.
/// - `study`: `quick` with five seeds, for the published table.
/// - `paper`: the paper's scale: 256x256, the full pix2pix generator and
///   PatchGAN, 100 GAN epochs at batch 1, a depth-4 U-Net for 50 epochs.
public struct ExperimentPreset: Codable, Equatable, Sendable {
    public var name: String
    /// Image side (slices are resized to it).
    public var side: Int
    /// Real training pairs drawn from the train split (the paper: 30).
    public var trainCount: Int
    /// Training pairs after expansion (the paper: 300).
    public var target: Int
    /// Slices left out between splits (no leakage between neighbours).
    public var gap: Int
    /// Generator down-block filters (up blocks mirror them); nil: the paper's.
    public var generatorFilters: [Int]?
    /// PatchGAN filters; nil: the paper's.
    public var discriminatorFilters: [Int]?
    public var ganEpochs: Int
    public var ganLearningRate: Float
    public var segmenterDepth: Int
    public var segmenterBaseFilters: Int
    /// Every arm trains epochs × steps per epoch gradient steps.
    public var segmenterEpochs: Int
    public var segmenterStepsPerEpoch: Int
    public var segmenterBatch: Int
    public var segmenterLearningRate: Float
    /// How every arm's segmenter trains beyond steps and rate.
    public var segmenterRecipe: SegmenterRecipe
    /// Segmenter seeds per arm (mean ± std over them).
    public var seeds: Int

    public static let tiny = ExperimentPreset(
        name: "tiny", side: 32, trainCount: 10, target: 40, gap: 1, generatorFilters: [8, 16, 32],
        discriminatorFilters: [8, 16, 16], ganEpochs: 2, ganLearningRate: 2e-4, segmenterDepth: 2,
        segmenterBaseFilters: 4, segmenterEpochs: 3, segmenterStepsPerEpoch: 10, segmenterBatch: 8,
        segmenterLearningRate: 3e-3, segmenterRecipe: .lesionAware(crop: 16), seeds: 2)

    public static let quick = ExperimentPreset(
        name: "quick", side: 128, trainCount: 30, target: 300, gap: 5, generatorFilters: [32, 64, 128, 256, 256, 256],
        discriminatorFilters: [32, 64, 128, 128], ganEpochs: 15, ganLearningRate: 2e-4, segmenterDepth: 3,
        segmenterBaseFilters: 8, segmenterEpochs: 100, segmenterStepsPerEpoch: 20, segmenterBatch: 8,
        segmenterLearningRate: 3e-3, segmenterRecipe: .lesionAware(crop: 64), seeds: 3)

    /// The quick preset with five seeds: the published table (docs/results.md).
    public static let study: ExperimentPreset = {
        var preset = quick
        preset.name = "study"
        preset.seeds = 5
        return preset
    }()

    public static let paper = ExperimentPreset(
        name: "paper", side: 256, trainCount: 30, target: 300, gap: 5, generatorFilters: nil, discriminatorFilters: nil,
        ganEpochs: 100, ganLearningRate: 1e-4, segmenterDepth: 4, segmenterBaseFilters: 32, segmenterEpochs: 50,
        segmenterStepsPerEpoch: 75, segmenterBatch: 4, segmenterLearningRate: 1e-3,
        segmenterRecipe: .lesionAware(crop: 128), seeds: 3)

    public static let all = [tiny, quick, study, paper]
}

/// The segmenter recipe of an experiment: one for every arm (fairness
/// first). docs/design.md §"Segmenter recipe" says why each part is there.
public struct SegmenterRecipe: Codable, Equatable, Sendable {
    /// Training crop side; nil: whole images.
    public var crop: Int?
    /// Share of crops centred near a pixel of a random foreground class.
    public var foregroundShare: Double
    /// Whether the rate decays by nnU-Net's poly rule (else constant).
    public var poly: Bool
    public var diceClasses: DiceClasses
    public var freezesOutputBias: Bool
    /// The U-Net's hidden activations: 0 ReLU, > 0 LeakyReLU.
    public var leakyReluSlope: Double = 0

    /// Lesion-aware crops of `crop` pixels, half of them around a pixel of
    /// a random foreground class, poly rate decay, soft Dice over every
    /// class, LeakyReLU (slope 0.1) hidden layers. The only combination
    /// tried that learns the necrotic core of `mni-lesion`
    /// (docs/design.md §2.1): with ReLU the last level's units die over the
    /// lesion and no other change wakes them.
    public static func lesionAware(crop: Int) -> SegmenterRecipe {
        SegmenterRecipe(crop: crop, foregroundShare: 0.5, poly: true, diceClasses: .all, freezesOutputBias: false,
                        leakyReluSlope: 0.1)
    }

    /// Applies the recipe to training options.
    func apply(to options: inout SegmenterTraining.Options) {
        options.crops = crop.map { CropSampling(side: $0, foregroundShare: foregroundShare) }
        options.schedule = poly ? .poly(exponent: 0.9) : .constant
        options.step.diceClasses = diceClasses
        options.step.freezesOutputBias = freezesOutputBias
    }
}

/// The arms: the same segmenter, the same number of gradient steps, trained
/// on different sets. Every expanded arm starts from the same real training
/// pairs and adds the same number of new pairs (half classic, half made by
/// the arm's synthesis, with the same plan and seeds), so two arms differ
/// only in how their synthetic half is made.
public enum ExperimentArm: String, Codable, CaseIterable, Sendable {
    /// The real training pairs alone.
    case real
    /// Real + classically augmented pairs up to the target.
    case classic
    /// Real + generator-rendered (label-edited) + classic pairs: the paper's method.
    case gan
    /// As `gan`, without the generated pairs the quality gate rejected.
    case ganGated = "gan_gated"
    /// As `gan` without label-space lesion edits: generator renders of
    /// geometrically augmented real masks only. Isolates the edits.
    case ganNoEdits = "gan_no_edits"
    /// The same label maps as `gan` (edits included), rendered by
    /// `GaussianMixtureRenderer`: is a trained GAN needed at all?
    case gmm
    /// Real pairs with another real pair's lesion pasted in (CarveMix-style),
    /// classically augmented: new lesion placements without any renderer.
    case paste
}
