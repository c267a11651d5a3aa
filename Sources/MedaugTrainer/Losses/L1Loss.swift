/// Mean absolute error, mean over all elements: (1/M)·Σ|a − b| (the pix2pix
/// reconstruction term, weighted by α = 100 in the generator objective).
/// The gradient with respect to `prediction` is sign(a − b)/M, with the
/// subgradient 0 where a = b (as PyTorch).
public final class L1Loss {
    /// `scale`·d(loss)/d(prediction) after the last `evaluate`.
    public let gradient = TrainTensor(shape: unsizedShape)

    /// A loss with an empty gradient buffer (sized by the first `evaluate`).
    public init() {}

    /// The mean |prediction − target|; stores `scale`·gradient. The value is
    /// returned unscaled, in Double.
    /// - Throws: `TrainerError.shapeMismatch` if the shapes differ.
    public func evaluate(prediction: TrainTensor, target: TrainTensor, scale: Float = 1) throws(TrainerError) -> Double {
        guard prediction.shape == target.shape, prediction.shape.isValid else {
            throw .shapeMismatch("L1 loss: prediction is \(prediction.shape), target \(target.shape)")
        }
        gradient.resize(to: prediction.shape)
        let count = prediction.count, a = prediction.pointer, b = target.pointer, g = gradient.pointer
        let step = scale / Float(count)
        var total: Double = 0
        for i in 0..<count {
            let d = a[i] - b[i]
            total += Double(abs(d))
            g[i] = d > 0 ? step : (d < 0 ? -step : 0)
        }
        return total / Double(count)
    }
}
