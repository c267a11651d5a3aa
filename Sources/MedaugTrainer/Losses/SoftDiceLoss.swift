import Foundation
import MedaugKernels
import MedaugSupport

/// Soft Dice loss on softmax probabilities: 1 − (1/|C|)·Σ_{c∈C} (2·Σ p_c·t_c + s) /
/// (Σ p_c + Σ t_c + s), sums over every image and pixel of the batch ("batch
/// Dice"), t the one-hot labels, s the smoothing (the metric's S,
/// docs/design.md §1). C is every class (`DiceClasses.all`), or the
/// foreground classes present in the batch's labels (`.presentForeground`,
/// as nnU-Net's batch Dice without background): a rare lesion class then
/// weighs as much as the brain around it whenever it is there, and a
/// class absent from the batch adds no term (cross-entropy alone penalises
/// predicting it).
///
/// Gradient: with D_c the class's ratio, U_c = Σp_c + Σt_c + s and
/// I_c = 2·Σp_c·t_c + s, d loss/d p_c = −(2·t_c·U_c − I_c)/(|C|·U_c²) for
/// c ∈ C (0 otherwise), then through the softmax: dx_c = p_c·(g_c − Σ_j g_j·p_j).
/// With no class in C (a batch of background only, `.presentForeground`) the
/// loss and its gradient are 0.
public final class SoftDiceLoss {
    /// The smoothing s added to numerator and denominator.
    public let smoothing: Double
    /// Which classes the mean runs over.
    public let classes: DiceClasses
    /// `scale`·d(loss)/d(logits) after the last `evaluate`.
    public let gradient = TrainTensor(shape: unsizedShape)
    /// Softmax of the last logits (N×K×H×W).
    public let probabilities = TrainTensor(shape: unsizedShape)
    /// Per class: Σp·t, Σp, Σt, then the gradient's two coefficients.
    private let sums = GrowableBuffer<Double>(fill: 0)

    /// - Throws: `TrainerError.invalidArgument` for a negative smoothing.
    public init(smoothing: Double = 1, classes: DiceClasses = .all) throws(TrainerError) {
        guard smoothing >= 0 else { throw .invalidArgument("Dice smoothing must be ≥ 0, found \(smoothing)") }
        self.smoothing = smoothing
        self.classes = classes
    }

    /// The soft Dice loss of `logits` (N×K×H×W) against `labels` (N×H×W class
    /// indices); stores `scale`·gradient. The value is unscaled, in Double.
    /// - Throws: `TrainerError.shapeMismatch` if N, H, W differ;
    ///   `.labelOutOfRange` for a label outside 0..<K.
    public func evaluate(logits: TrainTensor, labels: LabelMap, scale: Float = 1) throws(TrainerError) -> Double {
        try validateLabels(labels, for: logits.shape, loss: "soft Dice")
        let shape = logits.shape, k = shape.c, s = smoothing
        probabilities.copy(from: logits)
        gradient.resize(to: shape)
        let p = probabilities.pointer, g = gradient.pointer, t = labels.pointer
        for n in 0..<shape.n {
            Pointwise.softmax(p + n * shape.imageCount, channels: k, pixels: shape.spatial, stride: shape.spatial)
        }
        // sums: [0, k) Σp·t, [k, 2k) Σp, [2k, 3k) Σt.
        let sum = sums.reserve(3 * k)
        sum.update(repeating: 0, count: 3 * k)
        forEachPixel(shape) { n, base, pixel in
            let label = Int(t[n * shape.spatial + pixel])
            sum[label] += Double(p[base + label * shape.spatial])
            sum[2 * k + label] += 1
            for c in 0..<k { sum[k + c] += Double(p[base + c * shape.spatial]) }
        }
        let foregroundOnly = classes == .presentForeground
        func isSelected(_ c: Int) -> Bool { !foregroundOnly || (c > 0 && sum[2 * k + c] > 0) }
        let selectedCount = (0..<k).reduce(0) { $0 + (isSelected($1) ? 1 : 0) }
        guard selectedCount > 0 else {
            gradient.pointer.update(repeating: 0, count: gradient.count)
            return 0
        }
        var meanRatio: Double = 0
        let count = Double(selectedCount)
        for c in 0..<k {
            let intersection = 2 * sum[c] + s, union = sum[k + c] + sum[2 * k + c] + s
            guard isSelected(c) else { sum[c] = 0; sum[k + c] = 0; continue }
            meanRatio += union > 0 ? intersection / union : 1
            // Reuse the slots: d/dp_c = a_c·t_c + b_c, a_c = −2/(|C|·U), b_c = I/(|C|·U²).
            sum[c] = union > 0 ? -2 / (count * union) : 0
            sum[k + c] = union > 0 ? intersection / (count * union * union) : 0
        }
        let factor = Double(scale)
        forEachPixel(shape) { n, base, pixel in
            let label = Int(t[n * shape.spatial + pixel])
            var dot: Double = 0
            for c in 0..<k {
                let dp = sum[k + c] + (c == label ? sum[c] : 0)
                dot += dp * Double(p[base + c * shape.spatial])
            }
            for c in 0..<k {
                let dp = sum[k + c] + (c == label ? sum[c] : 0)
                let probability = Double(p[base + c * shape.spatial])
                g[base + c * shape.spatial] = Float(factor * probability * (dp - dot))
            }
        }
        return 1 - meanRatio / count
    }
}

/// The classes a soft Dice loss averages over.
public enum DiceClasses: String, Codable, CaseIterable, Sendable {
    /// Every class, the background included (the paper's metric).
    case all
    /// The foreground classes (index ≥ 1) the batch's labels contain.
    case presentForeground = "present_foreground"
}

/// Calls `body(image, base, pixel)` for every pixel, where `base` is the
/// offset of the pixel's channel-0 element (channel c at base + c·H·W).
@inline(__always)
func forEachPixel(_ shape: TensorShape, _ body: (Int, Int, Int) -> Void) {
    for n in 0..<shape.n {
        for pixel in 0..<shape.spatial { body(n, n * shape.imageCount + pixel, pixel) }
    }
}
