/// Percentile clipping and scaling of image intensities, per channel.
///
/// The low/high percentiles are taken over the pixels inside `mask` (e.g.
/// the non-background labels, or the whole image), so a large black border
/// does not set the scale. Values map linearly: low percentile → -1, high →
/// +1, clipped outside.
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
    /// percentile over the selected pixels (all pixels if none selected).
    public func bounds(_ values: ArraySlice<Float>, selected: [Bool]?) -> (low: Float, high: Float) {
        var chosen: [Float] = []
        if let selected {
            for (value, keep) in zip(values, selected) where keep { chosen.append(value) }
        }
        if chosen.isEmpty { chosen = Array(values) }
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
            let span = high > low ? high - low : 1
            for i in range { image[i] = min(max((image[i] - low) / span * 2 - 1, -1), 1) }
            used.append((low, high))
        }
        return used
    }
}
