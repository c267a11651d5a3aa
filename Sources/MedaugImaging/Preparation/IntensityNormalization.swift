/// Percentile clipping and scaling of image intensities, per channel.
///
/// The low/high percentiles are taken over the finite pixels inside `mask`
/// (e.g. the non-background labels, or the whole image), so a large black
/// border does not set the scale. Values map linearly: low percentile → -1,
/// high → +1, clipped outside; NaN (a volume's "no data" outside a brain
/// mask, as SPM and FSL write) maps to -1, the background's end, and ±∞ to
/// ±1.
public struct IntensityNormalization: Equatable, Sendable {
    public var lowPercentile: Double
    public var highPercentile: Double

    public init(lowPercentile: Double = 0.5, highPercentile: Double = 99.5) throws {
        guard lowPercentile >= 0, highPercentile <= 100, lowPercentile < highPercentile else {
            throw ImagingError.invalidArgument("percentiles [\(lowPercentile), \(highPercentile)] must satisfy 0 <= low < high <= 100")
        }
        self.lowPercentile = lowPercentile
        self.highPercentile = highPercentile
    }

    /// The (low, high) values of one channel: numpy's linear-interpolation
    /// percentile over the selected finite pixels (all finite pixels if none
    /// is selected; (0, 0) if no pixel is finite).
    public func bounds(_ values: ArraySlice<Float>, selected: [Bool]?) -> (low: Float, high: Float) {
        var chosen: [Float] = []
        if let selected {
            for (value, keep) in zip(values, selected) where keep && value.isFinite { chosen.append(value) }
        }
        if chosen.isEmpty { chosen = values.filter(\.isFinite) }
        guard !chosen.isEmpty else { return (0, 0) }
        chosen.sort()
        func percentile(_ p: Double) -> Float {
            let position = p / 100 * Double(chosen.count - 1)
            let i = Int(position), f = Float(position - Double(i))
            return i + 1 < chosen.count ? chosen[i] * (1 - f) + chosen[i + 1] * f : chosen[i]
        }
        return (percentile(lowPercentile), percentile(highPercentile))
    }

    /// Scales every channel of `image` ([channels][pixels]) to [-1, 1] with
    /// bounds computed over `selected` pixels; returns the bounds used.
    public func normalise(_ image: inout [Float], channels: Int, selected: [Bool]?) -> [(low: Float, high: Float)] {
        let plane = image.count / max(1, channels)
        var used: [(Float, Float)] = []
        for c in 0..<channels {
            let range = (c * plane)..<((c + 1) * plane)
            let (low, high) = bounds(image[range], selected: selected)
            for i in range { image[i] = Self.scale(image[i], low: low, high: high) }
            used.append((low, high))
        }
        return used
    }

    /// One value mapped to [-1, 1]: `low` → -1, `high` → +1 (a span of 1
    /// when high ≤ low), clipped; NaN → -1.
    @inline(__always)
    public static func scale(_ value: Float, low: Float, high: Float) -> Float {
        let span = high > low ? high - low : 1
        return value.isNaN ? -1 : min(max((value - low) / span * 2 - 1, -1), 1)
    }
}
