/// Hyper-parameters of a segmenter training step.
public struct SegmenterStepOptions: Equatable, Sendable {
    /// Adam's options. The paper gives none for its U-Net; the default is
    /// Adam's usual lr 1e-3, β1 0.9, β2 0.999 (Keras and PyTorch).
    public var adam: AdamOptions
    /// Weight of the soft Dice term (the cross-entropy's is 1).
    public var diceWeight: Float
    /// Dice smoothing s (docs/design.md §1's S).
    public var diceSmoothing: Double
    /// The classes the soft Dice term averages over (`SoftDiceLoss`).
    public var diceClasses: DiceClasses
    /// Keep the output convolution's bias at its initial 0. With a bias, a
    /// pixel whose last-level ReLUs are all off is still assigned a class
    /// (the one with the largest bias); a small U-Net can then learn a whole
    /// lesion as "all off", where no gradient reaches the earlier layers
    /// again, and never separate the lesion's classes.
    public var freezesOutputBias = false

    /// Options with the defaults above unless given.
    public init(adam: AdamOptions = AdamOptions(), diceWeight: Float = 1, diceSmoothing: Double = 1,
                diceClasses: DiceClasses = .all) {
        self.adam = adam
        self.diceWeight = diceWeight
        self.diceSmoothing = diceSmoothing
        self.diceClasses = diceClasses
    }
}

/// The losses of one segmenter step (before the update).
public struct SegmenterLosses: Equatable, Sendable {
    /// Mean pixel cross-entropy.
    public var crossEntropy: Double
    /// Soft Dice loss, 1 − mean over the option's classes.
    public var dice: Double
    /// crossEntropy + diceWeight·dice: what the step minimises.
    public var total: Double
}

/// One segmenter training step: cross-entropy + soft Dice on the softmax of
/// the logits (the network runs without its softmax), then Adam.
///
/// Buffers are sized by the first step; later steps at the same batch shape
/// allocate nothing.
public final class SegmenterStep {
    /// The network being trained.
    public let segmenter: SegmenterNetwork
    /// Adam over its trainable parameters.
    public let optimizer: Adam
    /// Weight of the Dice term; may change between steps.
    public var diceWeight: Float
    /// Steps completed.
    public internal(set) var stepCount = 0
    /// `SegmenterStepOptions.freezesOutputBias`.
    public let freezesOutputBias: Bool
    private let outputBias: Parameter?

    private let crossEntropy = CrossEntropyLoss()
    private let dice: SoftDiceLoss
    private let logitGradient = TrainTensor(shape: unsizedShape)

    /// A step over `segmenter` with a fresh Adam state. Sets
    /// `segmenter.computesInputGradient` to false (the image is data).
    /// - Throws: `TrainerError.invalidArgument` for options out of range.
    public init(segmenter: SegmenterNetwork, options: SegmenterStepOptions = SegmenterStepOptions()) throws(TrainerError) {
        guard options.diceWeight >= 0, options.diceWeight.isFinite else {
            throw .invalidArgument("Dice weight must be finite and ≥ 0, found \(options.diceWeight)")
        }
        self.segmenter = segmenter
        optimizer = try Adam(parameters: segmenter.parameters, options: options.adam)
        dice = try SoftDiceLoss(smoothing: options.diceSmoothing, classes: options.diceClasses)
        diceWeight = options.diceWeight
        freezesOutputBias = options.freezesOutputBias
        outputBias = segmenter.parameters.first { $0.name == "out.conv.bias" }
        segmenter.computesInputGradient = false
    }

    /// One step on `images` (N×channels×S×S, [-1, 1]) against `labels`
    /// (N×S×S class indices). Returns the losses before the update.
    /// - Throws: `TrainerError.shapeMismatch` or `.labelOutOfRange` for bad
    ///   labels; `.nonFiniteLoss` (parameters unchanged) for a NaN or ∞ loss.
    @discardableResult
    public func step(images: TrainTensor, labels: LabelMap) throws(TrainerError) -> SegmenterLosses {
        let losses = try computeGradients(images: images, labels: labels)
        guard losses.total.isFinite else { throw .nonFiniteLoss(step: stepCount, loss: "segmenter") }
        optimizer.update()
        stepCount += 1
        return losses
    }

    /// The step without the update: the gradient of cross-entropy +
    /// diceWeight·Dice is left in the segmenter's parameters.
    /// - Throws: as `step`, except for non-finite losses (returned as is).
    @discardableResult
    public func computeGradients(images: TrainTensor, labels: LabelMap) throws(TrainerError) -> SegmenterLosses {
        optimizer.threads = segmenter.threads
        optimizer.zeroGradients()
        let logits = try segmenter.forward(images, mode: .training)
        let crossEntropyValue = try crossEntropy.evaluate(logits: logits, labels: labels)
        let diceValue = try dice.evaluate(logits: logits, labels: labels, scale: diceWeight)
        logitGradient.resize(to: logits.shape)
        let g = logitGradient.pointer, a = crossEntropy.gradient.pointer, b = dice.gradient.pointer
        for i in 0..<logitGradient.count { g[i] = a[i] + b[i] }
        _ = try segmenter.backward(logitGradient)
        if freezesOutputBias { outputBias?.zeroGradient() }
        return SegmenterLosses(crossEntropy: crossEntropyValue, dice: diceValue,
                               total: crossEntropyValue + Double(diceWeight) * diceValue)
    }
}
