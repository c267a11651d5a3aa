/// Label values ↔ class indices, region presets, and the tissue map derived
/// from the MNI template (docs/design.md §4).
public enum LabelMapping {
    /// Class index of every stored label value (`labelValues[i]` ↦ i).
    /// - Throws: `ImagingError.invalidArgument` naming the first value that
    ///   is not a known label and where it is.
    public static func classIndices(_ labels: [Int32], labelValues: [Int], source: String) throws -> [Int32] {
        var lookup: [Int32: Int32] = [:]
        for (index, value) in labelValues.enumerated() { lookup[Int32(value)] = Int32(index) }
        var out = [Int32](repeating: 0, count: labels.count)
        for (i, value) in labels.enumerated() {
            guard let index = lookup[value] else {
                throw ImagingError.invalidArgument("\(source): label value \(value) at pixel \(i) is not one of \(labelValues)")
            }
            out[i] = index
        }
        return out
    }

    /// Named merged regions (BraTS convention: 1 necrotic/non-enhancing
    /// core, 2 oedema, 4 enhancing tumour).
    public enum Region: String, CaseIterable, Sendable {
        case wholeTumour = "whole-tumour", tumourCore = "tumour-core", enhancing
        /// The stored label values the region unites.
        public var labelValues: Set<Int32> {
            switch self {
            case .wholeTumour: return [1, 2, 4]
            case .tumourCore: return [1, 4]
            case .enhancing: return [4]
            }
        }
    }

    /// A binary label map (0 outside, 1 inside) of a region.
    public static func region(_ region: Region, of labels: [Int32]) -> [Int32] {
        labels.map { region.labelValues.contains($0) ? 1 : 0 }
    }

    /// The four-class tissue map of the MNI ICBM152 template: 0 background
    /// (outside the brain: T1 intensity ≤ `brainThreshold`, as the template
    /// is skull-stripped), else the most probable of 1 other tissue/CSF
    /// (probability 1 − GM − WM), 2 grey matter, 3 white matter (ties go to
    /// the lower class).
    public static func tissueClasses(t1: [Float], greyMatter: [Float], whiteMatter: [Float],
                                     brainThreshold: Float) throws -> [Int32] {
        guard t1.count == greyMatter.count, t1.count == whiteMatter.count else {
            throw ImagingError.invalidArgument("T1 (\(t1.count)), GM (\(greyMatter.count)) and WM (\(whiteMatter.count)) volumes differ in size")
        }
        return (0..<t1.count).map { i in
            guard t1[i] > brainThreshold else { return 0 }
            let gm = greyMatter[i], wm = whiteMatter[i], other = 1 - gm - wm
            if other >= gm && other >= wm { return 1 }
            return gm >= wm ? 2 : 3
        }
    }
}
