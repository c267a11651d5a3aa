import Foundation

/// The learning rate of each step of a run, from the base rate.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// nnU-Net's "poly" decay: base·(1 − t/T)^exponent at step t of T (0.9 in
    /// nnU-Net), ending near 0: the last steps settle the weights instead of
    /// bouncing between the minibatches' minima, which with 30 training
    /// images decides whether a small lesion class is kept.
    case poly(exponent: Double)
    /// `poly` after a linear warm-up from 0 over the first `warmup` steps
    /// (Goyal et al. 2017): Adam's first updates at the full rate, with
    /// moments estimated from a handful of batches, can push every ReLU of
    /// a small U-Net's last level negative over the lesions, and nothing
    /// then brings them back.
    case warmupPoly(warmup: Int, exponent: Double)
    /// pix2pix's schedule (Isola et al. 2017, its code's `linear` policy):
    /// the base rate for the first `(1 − decayShare)` of the steps, then a
    /// linear decay to 0 over the rest.
    case linearDecay(decayShare: Double)

    /// The rate of step `step` (0-based) of `total`.
    public func learningRate(base: Float, step: Int, of total: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .poly(let exponent):
            let progress = min(1, Double(max(0, step)) / Double(max(1, total)))
            return base * Float(pow(1 - progress, exponent))
        case .warmupPoly(let warmup, let exponent):
            guard step >= warmup else { return base * Float(step + 1) / Float(max(1, warmup)) }
            return LearningRateSchedule.poly(exponent: exponent).learningRate(base: base, step: step, of: total)
        case .linearDecay(let decayShare):
            let decaySteps = Double(max(1, total)) * min(1, max(0, decayShare))
            let start = Double(max(1, total)) - decaySteps
            guard Double(step) >= start, decaySteps > 0 else { return base }
            return base * Float(max(0, 1 - (Double(step) - start) / decaySteps))
        }
    }
}
