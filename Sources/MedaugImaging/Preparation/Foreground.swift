/// A label-free foreground of an image volume: the anatomy, told from the
/// air or padding around it without any label.
///
/// Rule: a volume with no negative value whose zeros fill at least
/// `zeroFraction` of it (a skull-stripped or masked MRI) has its non-zero
/// voxels as foreground; any other volume (a CT with air at −1000, an MRI
/// with a noise floor) the voxels above Otsu's threshold (the split of a
/// 256-bin histogram that maximises the between-class variance).
/// Non-finite voxels are never foreground.
public enum Foreground {
    /// Share of the voxels that must be exactly 0 for the non-zero rule.
    public static let zeroFraction = 0.05

    /// Whether each voxel of `values` is foreground.
    public static func mask(_ values: [Float]) -> [Bool] {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low < high else {
            return [Bool](repeating: false, count: values.count)
        }
        let zeros = finite.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        let nonZeroRule = low >= 0 && Double(zeros) >= zeroFraction * Double(finite.count)
        let threshold = nonZeroRule ? 0 : otsuThreshold(finite, low: low, high: high)
        return values.map { $0.isFinite && $0 > threshold }
    }

    /// Classes plus `name` (appended unless present) and its label value:
    /// the next class index for a dataset that stores class indices (a
    /// label map), else one above the largest stored value.
    public static func addingClass(_ name: String, to classes: [String], labelValues: [Int])
        -> (classes: [String], labelValues: [Int], value: Int) {
        if let index = classes.firstIndex(of: name) { return (classes, labelValues, labelValues[index]) }
        let value = (labelValues.max() ?? -1) + 1
        return (classes + [name], labelValues + [value], value)
    }

    /// `labels` with every voxel labelled `background` that is foreground in
    /// `image` (same grid) set to `value`: the anatomy no label covers
    /// (body outline, fat, muscle) gets a class of its own.
    public static func labellingUnlabelled(_ labels: [Int32], background: Int32, image: [Float], as value: Int32) -> [Int32] {
        precondition(labels.count == image.count, "labels and image must share a grid")
        let foreground = mask(image)
        var out = labels
        for i in out.indices where out[i] == background && foreground[i] { out[i] = value }
        return out
    }

    /// Otsu's threshold of finite `values` in [low, high] (low < high): the
    /// upper edge of the histogram bin that best splits them.
    static func otsuThreshold(_ values: [Float], low: Float, high: Float, bins: Int = 256) -> Float {
        var histogram = [Double](repeating: 0, count: bins)
        let scale = Double(bins) / (Double(high) - Double(low))
        for v in values {
            histogram[min(bins - 1, Int((Double(v) - Double(low)) * scale))] += 1
        }
        let total = Double(values.count)
        let sum = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element }
        var weightBelow = 0.0, sumBelow = 0.0, best = -1.0, split = 0
        for bin in 0..<(bins - 1) {
            weightBelow += histogram[bin]
            sumBelow += Double(bin) * histogram[bin]
            let weightAbove = total - weightBelow
            guard weightBelow > 0, weightAbove > 0 else { continue }
            let meanBelow = sumBelow / weightBelow, meanAbove = (sum - sumBelow) / weightAbove
            let between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if between > best { (best, split) = (between, bin) }
        }
        return Float(Double(low) + Double(split + 1) / scale)
    }
}
