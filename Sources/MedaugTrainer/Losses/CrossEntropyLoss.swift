import Foundation

/// Cross-entropy over classes from logits with integer targets, mean over
/// pixels: (1/(N·H·W))·Σ −log softmax(x)[label] (PyTorch's `CrossEntropyLoss`
/// on NCHW logits). Gradient (softmax(x) − onehot(label))/(N·H·W). The
/// log-sum-exp is max-subtracted and computed in Double.
public final class CrossEntropyLoss {
    /// `scale`·d(loss)/d(logits) after the last `evaluate`.
    public let gradient = TrainTensor(shape: unsizedShape)
    /// One pixel's exp(x_c − max), per class.
    private let exps = GrowableBuffer<Double>(fill: 0)

    /// A loss with an empty gradient buffer (sized by the first `evaluate`).
    public init() {}

    /// The mean cross-entropy of `logits` (N×K×H×W) against `labels`
    /// (N×H×W class indices in 0..<K); stores `scale`·gradient.
    /// - Throws: `TrainerError.shapeMismatch` if N, H, W differ;
    ///   `.labelOutOfRange` for a label outside 0..<K.
    public func evaluate(logits: TrainTensor, labels: LabelMap, scale: Float = 1) throws(TrainerError) -> Double {
        try validateLabels(labels, for: logits.shape, loss: "cross-entropy")
        let shape = logits.shape
        gradient.resize(to: shape)
        let x = logits.pointer, g = gradient.pointer, t = labels.pointer
        let pixels = shape.n * shape.spatial
        let factor = Double(scale) / Double(pixels)
        var total: Double = 0
        let exps = self.exps.reserve(shape.c)
        for n in 0..<shape.n {
            for p in 0..<shape.spatial {
                let base = n * shape.imageCount + p, label = Int(t[n * shape.spatial + p])
                var peak = -Double.infinity
                for c in 0..<shape.c { peak = max(peak, Double(x[base + c * shape.spatial])) }
                // Each exp once: the sum and the probabilities use the same values.
                var sum: Double = 0
                for c in 0..<shape.c {
                    let e = Foundation.exp(Double(x[base + c * shape.spatial]) - peak)
                    exps[c] = e
                    sum += e
                }
                total += peak + Foundation.log(sum) - Double(x[base + label * shape.spatial])
                for c in 0..<shape.c {
                    let probability = exps[c] / sum
                    g[base + c * shape.spatial] = Float((probability - (c == label ? 1 : 0)) * factor)
                }
            }
        }
        return total / Double(pixels)
    }
}

/// Checks that `labels` covers the logits' images and pixels and that every
/// label is a class index in 0..<C.
func validateLabels(_ labels: LabelMap, for shape: TensorShape, loss: String) throws(TrainerError) {
    guard shape.isValid, labels.n == shape.n, labels.h == shape.h, labels.w == shape.w else {
        throw .shapeMismatch("\(loss): logits are \(shape), labels \(labels.n)x\(labels.h)x\(labels.w)")
    }
    for i in 0..<labels.count where labels.pointer[i] < 0 || Int(labels.pointer[i]) >= shape.c {
        throw .labelOutOfRange(label: Int(labels.pointer[i]), classes: shape.c)
    }
}
