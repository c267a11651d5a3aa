import MedaugSupport
import Foundation

/// Per-channel normalisation applied right after a GEMM.
public enum ChannelNormalization {
    case none
    /// y = x·scale[c] + shift[c]: eval-mode BatchNorm that was not folded
    /// into the weights (used by unoptimised reference graphs).
    case affine(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>)
    /// Per-image, per-channel statistics over H×W (InstanceNorm / BatchNorm at
    /// batch 1 in training mode): y = (x − μ)/√(σ² + ε)·scale[c] + shift[c].
    case instance(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, epsilon: Float)
}

/// Inverted dropout with a counter-based mask: element `e` of image `n` is
/// kept when `uniform(counter) >= rate` and then scaled by 1/(1 − rate).
/// The engine's epilogue and the trainer's `Dropout` layer both draw it
/// here, so a generator drops the same elements in either.
public struct DropoutMask {
    public let rate: Float
    public let random: CounterRandom
    /// 1/(1 − rate), the scale of kept elements.
    public let keepScale: Float
    /// uniform(counter) = draw·2⁻²⁴ exactly, for the draw's 24 bits, so
    /// uniform < rate exactly when draw < ⌈rate·2²⁴⌉.
    @usableFromInline let threshold: UInt64

    public init(rate: Float, random: CounterRandom) {
        self.rate = rate
        self.random = random
        keepScale = 1 / (1 - rate)
        threshold = UInt64((rate * 16_777_216).rounded(.up))
    }

    /// 1 when element `counter` is kept, 0 when dropped, compared as
    /// integers without a branch: a random share `rate` of the elements is
    /// dropped, so a branch mispredicts about every other element at 0.5
    /// (measured in the trainer: the pix2pix step's dropout went from 2.7%
    /// to 0.6%).
    @inlinable
    public func kept(_ counter: UInt64) -> UInt8 {
        let draw = random.bits(counter) >> 40
        return UInt8(truncatingIfNeeded: ((draw &- threshold) >> 63) ^ 1)
    }

    /// `kept == 1 ? value·keepScale : +0` through a bit mask, which the
    /// compiler vectorises; the same bits as the branch.
    @inlinable
    public func apply(_ value: Float, kept: UInt8) -> Float {
        Float(bitPattern: (value * keepScale).bitPattern & (0 &- UInt32(kept)))
    }
}

/// Everything that happens to a GEMM's output before anyone reads it, in one
/// pass per channel (ncnn's "activation at the store"): bias, normalisation,
/// dropout, activation. Softmax spans channels and runs once all channels of
/// an image are written.
///
/// The pointers refer to weights owned by the model, which outlives every run.
public struct Epilogue {
    public var bias: UnsafePointer<Float>?
    public var normalization: ChannelNormalization
    public var dropout: DropoutMask?
    public var activation: Activation

    public init(bias: UnsafePointer<Float>? = nil, normalization: ChannelNormalization = .none,
                dropout: DropoutMask? = nil, activation: Activation = .identity) {
        self.bias = bias
        self.normalization = normalization
        self.dropout = dropout
        self.activation = activation
    }

    /// True when applying it changes nothing.
    public var isIdentity: Bool {
        if bias != nil || dropout != nil { return false }
        if case .none = normalization, activation == .identity { return true }
        return false
    }

    /// Applies everything except softmax to channel `channel` (`spatial`
    /// contiguous floats) of image `image`, which has `channels` channels.
    @inlinable
    public func apply(to data: UnsafeMutablePointer<Float>, channel: Int, channels: Int,
                      spatial: Int, image: Int) {
        var scale: Float = 1
        var shift: Float = bias?[channel] ?? 0
        switch normalization {
        case .none:
            break
        case .affine(let s, let t):
            scale = s[channel]
            shift = shift * scale + t[channel]
        case .instance(let s, let t, let epsilon):
            // Two-pass statistics in Double: H×W sums of up to 65k floats.
            var sum: Double = 0
            for i in 0..<spatial { sum += Double(data[i]) }
            let mean = sum / Double(spatial) + Double(shift)
            var squares: Double = 0
            for i in 0..<spatial {
                let d = Double(data[i]) + Double(shift) - mean
                squares += d * d
            }
            let variance = squares / Double(spatial)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            let k = Double(s[channel]) * inverse
            // One pixel normalises to exactly 0 (its own mean): the output is
            // the BatchNorm shift. The folded form x·k + (b − mean)·k would
            // leave a rounding residue of x·k, amplified by 1/√ε (the
            // TensorFlow tutorial's 1×1 innermost block).
            scale = spatial == 1 ? 0 : Float(k)
            shift = spatial == 1 ? t[channel] : Float((Double(shift) - mean) * k + Double(t[channel]))
        }
        store(data, count: spatial, scale: scale, shift: shift,
              counter: UInt64((image * channels + channel) * spatial))
    }

    /// True when every output element depends only on its own input element
    /// (no per-channel statistics, no softmax), so the epilogue may run on
    /// any slice of a plane, e.g. a tile right after its GEMM.
    public var isElementwise: Bool {
        if case .instance = normalization { return false }
        return activation != .softmax
    }

    /// Applies an elementwise epilogue (see `isElementwise`) to elements
    /// `range` of channel `channel` of image `image`, whose plane holds
    /// `spatial` elements; `data` points at element `range.lowerBound`.
    @inlinable
    public func apply(toSlice data: UnsafeMutablePointer<Float>, range: Range<Int>, channel: Int,
                      channels: Int, spatial: Int, image: Int) {
        var scale: Float = 1
        var shift: Float = bias?[channel] ?? 0
        if case .affine(let s, let t) = normalization {
            scale = s[channel]
            shift = shift * scale + t[channel]
        }
        store(data, count: range.count, scale: scale, shift: shift,
              counter: UInt64((image * channels + channel) * spatial + range.lowerBound))
    }

    /// data[i] = act(dropout(data[i]·scale + shift)); dropout's mask for
    /// element i is keyed by `counter + i`.
    @inlinable
    func store(_ data: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float, counter: UInt64) {
        guard let dropout else {
            Pointwise.affineActivate(data, count: count, scale: scale, shift: shift, activation: activation)
            return
        }
        let positive = activation.isPositivelyHomogeneous
        Pointwise.affineActivate(data, count: count, scale: scale, shift: shift,
                                 activation: positive ? activation : .identity)
        for i in 0..<count { data[i] = dropout.apply(data[i], kept: dropout.kept(counter + UInt64(i))) }
        if !positive { Pointwise.affineActivate(data, count: count, scale: 1, shift: 0, activation: activation) }
    }

    /// Applies the epilogue to one image's `channels` planes, in parallel over
    /// channels, then softmax if asked.
    public func apply(toImage data: UnsafeMutablePointer<Float>, channels: Int, spatial: Int,
                      image: Int, threads: Int) {
        if !isIdentity {
            parallelFor(channels, threads: spatial >= 256 ? threads : 1) { c in
                apply(to: data + c * spatial, channel: c, channels: channels, spatial: spatial, image: image)
            }
        }
        if activation == .softmax {
            parallelFor(threads, threads: threads) { part in
                let pixels = splitRange(spatial, parts: threads, part: part)
                guard !pixels.isEmpty else { return }
                Pointwise.softmax(data + pixels.lowerBound, channels: channels, pixels: pixels.count, stride: spatial)
            }
        }
    }
}
