/// Hyper-parameters of a pix2pix training step.
public struct Pix2PixOptions: Equatable, Sendable {
    /// α, the weight of the L1 term in the generator objective (pix2pix: 100).
    public var l1Weight: Float
    /// Adam for the generator (the paper: lr 1e-4, β1 0.5, β2 0.999).
    public var generatorAdam: AdamOptions
    /// Adam for the discriminator (the same as the generator's in the paper).
    public var discriminatorAdam: AdamOptions
    /// Keys the generator's dropout masks: step t uses `seed + t`.
    public var seed: UInt64

    /// The paper's options unless given.
    public init(l1Weight: Float = 100, generatorAdam: AdamOptions = .paper, discriminatorAdam: AdamOptions = .paper,
                seed: UInt64 = 0) {
        self.l1Weight = l1Weight
        self.generatorAdam = generatorAdam
        self.discriminatorAdam = discriminatorAdam
        self.seed = seed
    }
}

/// The losses of one pix2pix step (means over the batch, before the update).
public struct Pix2PixLosses: Equatable, Sendable {
    /// BCE(D(x, G(x)), 1): the generator's adversarial term.
    public var generatorGAN: Double
    /// L1(G(x), y), unweighted.
    public var l1: Double
    /// generatorGAN + α·l1: what the generator minimises.
    public var generatorTotal: Double
    /// BCE(D(x, y), 1) + BCE(D(x, G(x)), 0): what the discriminator minimises.
    public var discriminator: Double
    /// The real half of `discriminator`.
    public var discriminatorReal: Double
    /// The fake half of `discriminator`.
    public var discriminatorFake: Double
}

/// One pix2pix training step (docs/design.md §1; paper §2.3): the discriminator learns to
/// tell `[x, y]` from `[x, G(x)]`, the generator to fool it while staying
/// close to y in L1.
///
/// Both networks run in training mode (batch statistics, the generator's
/// dropout on: pix2pix's noise z) and the discriminator is trained on
/// logits. As in the TensorFlow tutorial the paper follows, both gradients
/// come from the same forward passes and both networks update at the end
/// of the step (PyTorch's pix2pix instead updates D first and then runs the
/// updated D again for G's gradient). Per step:
///
/// 1. fake = G(x); logits = D(x, fake).
/// 2. G's adversarial gradient: backward of BCE(logits, 1) through D to the
///    image, with D's parameters frozen (`requiresGradient` off: their
///    gradients are not computed, as TensorFlow's tape and PyTorch's
///    `set_requires_grad(netD, False)` skip them).
/// 3. D's gradient: backward of BCE(logits, 0) (fake, not propagated into
///    G), then D(x, y) forward and backward of BCE(·, 1) (real).
/// 4. G's gradient: backward of (image gradient + α·dL1) through G.
/// 5. Adam on both, unless a loss is not finite.
///
/// D runs forward twice per step (fake, then real), so its running
/// statistics take two momentum updates, fake first. Buffers are sized by
/// the first step; later steps at the same batch shape allocate nothing.
public final class Pix2PixStep {
    /// The generator G being trained.
    public let generator: GeneratorNetwork
    /// The discriminator D being trained.
    public let discriminator: DiscriminatorNetwork
    /// Adam over G's trainable parameters.
    public let generatorOptimizer: Adam
    /// Adam over D's trainable parameters.
    public let discriminatorOptimizer: Adam
    /// α and the dropout seed may be changed between steps (Adam's options
    /// live in the optimisers).
    public var options: Pix2PixOptions
    /// Steps completed (keys the next step's dropout masks); set it when
    /// resuming from a checkpoint.
    public var stepCount = 0

    private let adversarialLoss = BCEWithLogitsLoss()
    private let reconstructionLoss = L1Loss()
    /// d(G objective)/d(fake image): the adversarial part, then + α·dL1.
    private let imageGradient = TrainTensor(shape: unsizedShape)

    /// A step over `generator` and `discriminator` with fresh Adam states.
    /// Sets `generator.computesInputGradient` to false (the label map is
    /// data); each step sets and restores the discriminator's.
    /// - Throws: `TrainerError.invalidArgument` if D's condition and image
    ///   channels are not G's input and output channels, or the image sizes
    ///   differ, or α is negative or not finite, or Adam's options are out
    ///   of range.
    public init(generator: GeneratorNetwork, discriminator: DiscriminatorNetwork,
                options: Pix2PixOptions = Pix2PixOptions()) throws(TrainerError) {
        guard options.l1Weight >= 0, options.l1Weight.isFinite else {
            throw .invalidArgument("the L1 weight α must be finite and ≥ 0, found \(options.l1Weight)")
        }
        let g = generator.config.common, d = discriminator.config
        guard d.conditionChannels == g.inputChannels, d.imageChannels == g.outputChannels,
              d.common.imageSize == g.imageSize else {
            throw .invalidArgument("the discriminator takes \(d.conditionChannels) condition + \(d.imageChannels) image "
                                   + "channels at \(d.common.imageSize) px; the generator maps \(g.inputChannels) to "
                                   + "\(g.outputChannels) channels at \(g.imageSize) px")
        }
        self.generator = generator
        self.discriminator = discriminator
        self.options = options
        generatorOptimizer = try Adam(parameters: generator.parameters, options: options.generatorAdam)
        discriminatorOptimizer = try Adam(parameters: discriminator.parameters, options: options.discriminatorAdam)
        // The label map is data: no gradient with respect to it.
        generator.computesInputGradient = false
    }

    /// One step on a batch: `condition` the one-hot label maps
    /// (N×classes×S×S), `target` the real images (N×channels×S×S, [-1, 1]).
    /// Returns the losses measured before the update.
    /// - Throws: `TrainerError.shapeMismatch` for mismatched batches;
    ///   `.nonFiniteLoss` (parameters left unchanged) if a loss is NaN or ∞.
    @discardableResult
    public func step(condition: TrainTensor, target: TrainTensor) throws(TrainerError) -> Pix2PixLosses {
        let losses = try computeGradients(condition: condition, target: target)
        if !losses.generatorTotal.isFinite { throw .nonFiniteLoss(step: stepCount, loss: "generator") }
        if !losses.discriminator.isFinite { throw .nonFiniteLoss(step: stepCount, loss: "discriminator") }
        discriminatorOptimizer.update()
        generatorOptimizer.update()
        stepCount += 1
        return losses
    }

    /// Steps 1–4 without the update: both networks' gradients are left in
    /// their parameters (G's of the generator objective, D's of the
    /// discriminator objective) and the losses returned. `step` is this
    /// followed by Adam; tests use it to check the gradients.
    /// - Throws: `TrainerError.shapeMismatch` for mismatched batches.
    @discardableResult
    public func computeGradients(condition: TrainTensor, target: TrainTensor) throws(TrainerError) -> Pix2PixLosses {
        generator.dropoutSeed = options.seed &+ UInt64(stepCount)
        discriminatorOptimizer.threads = discriminator.threads
        generatorOptimizer.threads = generator.threads
        generatorOptimizer.zeroGradients()
        let fake = try generator.forward(condition, mode: .training)
        guard fake.shape == target.shape else {
            throw .shapeMismatch("pix2pix: the generator makes \(fake.shape) images, the targets are \(target.shape)")
        }

        // D's weights stay fixed until the update: its Winograd layers
        // transform them once for the step's two forward and three backward
        // passes through D.
        discriminator.reusesWeightTransforms = true
        defer { discriminator.reusesWeightTransforms = false }

        // 1–2: G's adversarial gradient through D, to the image.
        let computedInputGradient = discriminator.computesInputGradient
        defer { discriminator.computesInputGradient = computedInputGradient }
        discriminator.computesInputGradient = true
        let fakeLogits = try discriminator.forward(condition: condition, image: fake, mode: .training)
        let generatorGAN = try adversarialLoss.evaluate(logits: fakeLogits, target: 1)
        do {    // D frozen for this backward only (thrown or not)
            discriminator.setRequiresGradients(false)
            defer { discriminator.setRequiresGradients(true) }
            imageGradient.copy(from: try discriminator.backwardInputs(adversarialLoss.gradient).image)
        }

        // 3: D's gradient, fake then real; nothing flows into G.
        discriminator.computesInputGradient = false
        discriminatorOptimizer.zeroGradients()
        let discriminatorFake = try adversarialLoss.evaluate(logits: fakeLogits, target: 0)
        _ = try discriminator.backward(adversarialLoss.gradient)
        let realLogits = try discriminator.forward(condition: condition, image: target, mode: .training)
        let discriminatorReal = try adversarialLoss.evaluate(logits: realLogits, target: 1)
        _ = try discriminator.backward(adversarialLoss.gradient)

        // 4: G's gradient, adversarial + α·L1.
        let l1 = try reconstructionLoss.evaluate(prediction: fake, target: target, scale: options.l1Weight)
        let g = imageGradient.pointer, dl1 = reconstructionLoss.gradient.pointer
        for i in 0..<imageGradient.count { g[i] += dl1[i] }
        _ = try generator.backward(imageGradient)

        return Pix2PixLosses(
            generatorGAN: generatorGAN, l1: l1, generatorTotal: generatorGAN + Double(options.l1Weight) * l1,
            discriminator: discriminatorReal + discriminatorFake, discriminatorReal: discriminatorReal,
            discriminatorFake: discriminatorFake)
    }
}
