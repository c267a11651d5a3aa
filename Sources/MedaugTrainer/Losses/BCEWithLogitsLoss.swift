import Foundation

/// Binary cross-entropy on logits, mean over all elements, computed stably:
/// ℓ(x, y) = max(x, 0) − x·y + log(1 + e^(−|x|)), which never exponentiates a
/// positive number (PyTorch's `BCEWithLogitsLoss`). d ℓ/dx = σ(x) − y.
///
/// The PatchGAN discriminator is trained on its logits with this loss (its
/// sigmoid output is for inference only).
public final class BCEWithLogitsLoss {
    /// `scale`·d(loss)/d(logits) after the last `evaluate`, the logits' shape.
    public let gradient = TrainTensor(shape: unsizedShape)

    /// A loss with an empty gradient buffer (sized by the first `evaluate`).
    public init() {}

    /// The mean loss of `logits` against per-element `targets` in [0, 1];
    /// stores `scale`·gradient. The value is returned unscaled, in Double.
    /// - Throws: `TrainerError.shapeMismatch` if the shapes differ.
    public func evaluate(logits: TrainTensor, targets: TrainTensor, scale: Float = 1) throws(TrainerError) -> Double {
        guard logits.shape == targets.shape, logits.shape.isValid else {
            throw .shapeMismatch("binary cross-entropy: logits are \(logits.shape), targets \(targets.shape)")
        }
        return compute(logits, targets: targets.pointer, constant: 0, scale: scale)
    }

    /// The mean loss of `logits` against one target for every element (1 for
    /// "real", 0 for "fake" in the GAN losses), with no target tensor.
    /// - Throws: `TrainerError.shapeMismatch` for an empty tensor.
    public func evaluate(logits: TrainTensor, target: Float, scale: Float = 1) throws(TrainerError) -> Double {
        guard logits.shape.isValid else { throw .shapeMismatch("binary cross-entropy: empty logits \(logits.shape)") }
        return compute(logits, targets: nil, constant: target, scale: scale)
    }

    private func compute(_ logits: TrainTensor, targets: UnsafePointer<Float>?, constant: Float, scale: Float) -> Double {
        gradient.resize(to: logits.shape)
        let count = logits.count, x = logits.pointer, g = gradient.pointer
        let factor = Double(scale) / Double(count)
        var total: Double = 0
        for i in 0..<count {
            let v = Double(x[i]), y = Double(targets?[i] ?? constant)
            let softplus = Foundation.log1p(Foundation.exp(-abs(v)))
            total += max(v, 0) - v * y + softplus
            // σ(v) without overflow: e^v/(1 + e^v) for v < 0.
            let sigmoid = v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
            g[i] = Float((sigmoid - y) * factor)
        }
        return total / Double(count)
    }
}
