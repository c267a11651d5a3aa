import Foundation
import MedaugMicroKernels

/// A pointwise (or, for softmax, per-pixel across channels) nonlinearity.
public enum Activation: Equatable, Sendable, CustomStringConvertible {
    case identity
    case relu
    /// LeakyReLU with the given negative slope.
    case leakyRelu(Float)
    case tanh
    case sigmoid
    /// Softmax over the channel axis at every pixel.
    case softmax

    public var description: String {
        switch self {
        case .identity: return "identity"
        case .relu: return "relu"
        case .leakyRelu(let slope): return "leaky_relu(\(slope))"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .softmax: return "softmax"
        }
    }

    /// True when act(c·x) = c·act(x) for c > 0, so inverted dropout (a
    /// positive scale or zero) commutes with it and can run in either order.
    public var isPositivelyHomogeneous: Bool {
        switch self {
        case .identity, .relu, .leakyRelu: return true
        case .tanh, .sigmoid, .softmax: return false
        }
    }
}

/// Pointwise kernels. Each switch is hoisted out of the loop so the loop body
/// is straight-line code the compiler vectorises.
public enum Pointwise {
    /// data[i] = act(data[i]·scale + shift) for `count` elements (softmax is
    /// not pointwise and is rejected by the caller; here it acts as identity).
    @inlinable
    public static func affineActivate(
        _ data: UnsafeMutablePointer<Float>, count: Int,
        scale: Float, shift: Float, activation: Activation
    ) {
        switch activation {
        case .identity, .softmax:
            if scale == 1 && shift == 0 { return }
            for i in 0..<count { data[i] = data[i] * scale + shift }
        case .relu:
            for i in 0..<count { data[i] = max(data[i] * scale + shift, 0) }
        case .leakyRelu(let slope):
            for i in 0..<count {
                let v = data[i] * scale + shift
                data[i] = v > 0 ? v : v * slope
            }
        case .tanh:
            // Vectorised when the CPU allows (an output layer's 65k pixels
            // took ~1.5 ms through Foundation.tanh, one at a time).
            if md_affine_activate(data, count, scale, shift, MD_ACTIVATION_TANH) == 1 { return }
            for i in 0..<count { data[i] = Foundation.tanh(data[i] * scale + shift) }
        case .sigmoid:
            if md_affine_activate(data, count, scale, shift, MD_ACTIVATION_SIGMOID) == 1 { return }
            for i in 0..<count { data[i] = 1 / (1 + Foundation.exp(-(data[i] * scale + shift))) }
        }
    }

    /// Softmax over the channel axis for `pixels` pixels whose channel planes
    /// are `stride` floats apart (NCHW for one image); max-subtracted so large
    /// logits cannot overflow.
    public static func softmax(_ data: UnsafeMutablePointer<Float>, channels: Int, pixels: Int, stride: Int) {
        guard channels > 0 else { return }
        if md_softmax_channels(data, Int32(channels), pixels, stride) == 1 { return }
        for p in 0..<pixels {
            var peak = -Float.infinity
            for c in 0..<channels { peak = max(peak, data[c * stride + p]) }
            var sum: Float = 0
            for c in 0..<channels {
                let e = Foundation.exp(data[c * stride + p] - peak)
                data[c * stride + p] = e
                sum += e
            }
            let inverse = 1 / sum
            for c in 0..<channels { data[c * stride + p] *= inverse }
        }
    }

    /// classes[p] = the channel of the largest value at pixel p, for
    /// `channels` planes of `pixels` floats (NCHW for one image): the first
    /// of equal maxima, and a NaN never displaces an earlier channel. A
    /// segmenter's label map from its logits or probabilities (the engine's
    /// `segment`, the trainer's validation and samples). Plane by plane, so
    /// every read is contiguous.
    public static func argmaxChannels(_ data: UnsafePointer<Float>, channels: Int, pixels: Int,
                                      into classes: UnsafeMutablePointer<Int32>) {
        classes.update(repeating: 0, count: pixels)
        guard channels > 1 else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, pixels)) { buffer in
            let best = buffer.baseAddress!
            best.update(from: data, count: pixels)
            for c in 1..<channels {
                let plane = data + c * pixels
                for p in 0..<pixels where plane[p] > best[p] {
                    best[p] = plane[p]
                    classes[p] = Int32(c)
                }
            }
        }
    }
}
