/// Label values from a file's samples, which may be floats: label TIFFs
/// and NIfTI volumes are often stored as float32.
public enum LabelSamples {
    /// `values` rounded by `rule` as Int32 label values.
    ///
    /// - Throws: `ImagingError.malformed` naming `path` and the first sample
    ///   that is NaN, infinite or beyond Int32 once rounded (a conversion to
    ///   Int32 would trap on it).
    public static func int32(_ values: [Float], rounding rule: FloatingPointRoundingRule,
                             path: String) throws(ImagingError) -> [Int32] {
        var labels = [Int32]()
        labels.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            let rounded = value.rounded(rule)
            // Both bounds are exact in Float; NaN fails the comparison.
            guard rounded >= -2_147_483_648, rounded < 2_147_483_648 else {
                throw .malformed(path: path, reason: "label value \(value) at voxel \(index) is not an integer label "
                                 + "(labels must be finite and within Int32)")
            }
            labels.append(Int32(rounded))
        }
        return labels
    }
}
