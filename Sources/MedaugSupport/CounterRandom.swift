/// A counter-based random generator: the value for a given (key, counter)
/// never depends on the order of calls, so dropout masks come out bitwise the
/// same whatever the thread count or the order images are processed in.
///
/// It is SplitMix64's finaliser applied to `key ⊕ counter·golden`; SplitMix64
/// passes BigCrush for sequential counters, which is what we feed it.
public struct CounterRandom: Sendable {
    public let key: UInt64

    /// Makes a generator whose stream is fixed by `seed` and `stream` (for
    /// example the seed of a call and the index of a layer).
    public init(seed: UInt64, stream: UInt64) {
        key = CounterRandom.mix(seed &+ CounterRandom.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits for `counter`.
    @inlinable
    public func bits(_ counter: UInt64) -> UInt64 {
        CounterRandom.mix(key ^ (counter &* 0xD1B5_4A32_D192_ED03))
    }

    /// A uniform float in [0, 1) for `counter` (24 random mantissa bits).
    @inlinable
    public func uniform(_ counter: UInt64) -> Float {
        Float(bits(counter) >> 40) * (1.0 / 16_777_216.0)
    }
}
