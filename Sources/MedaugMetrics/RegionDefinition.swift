/// A merged region: the union of some classes, scored as one binary mask
/// (a pixel belongs to the region when its class index is in `classes`).
///
/// Brain-tumour papers report Dice and HD95 on such regions rather than on
/// the raw labels. `classes` holds class *indices* (positions in the
/// manifest's `label_values`), not stored label values;
/// ``brats(labelValues:)`` does that translation.
///
/// ```swift
/// // label_values [0, 1, 2, 4]: index 3 holds BraTS label 4.
/// let regions = try RegionDefinition.brats(labelValues: [0, 1, 2, 4])
/// regions[0].classes   // [1, 2, 3]: whole tumour
/// ```
public struct RegionDefinition: Equatable, Hashable, Sendable {
    /// Name used as the region's key in reports (e.g. "whole_tumour").
    public let name: String
    /// Class indices whose union is the region; non-empty, all ≥ 0.
    public let classes: Set<Int>

    /// A region named `name` made of `classes`.
    /// - Throws: `MetricsError.invalidArgument` for an empty name, no
    ///   classes, or a negative class index. Indices above the number of
    ///   classes are caught by ``MetricsOptions/validate(classes:)``.
    public init(name: String, classes: Set<Int>) throws {
        guard !name.isEmpty else {
            throw MetricsError.invalidArgument("a region needs a name, got an empty string")
        }
        guard !classes.isEmpty else {
            throw MetricsError.invalidArgument("region \"\(name)\" needs at least one class, got none")
        }
        if let bad = classes.sorted().first, bad < 0 {
            throw MetricsError.invalidArgument("region \"\(name)\" lists class \(bad); indices must be ≥ 0")
        }
        self.name = name
        self.classes = classes
    }

    /// The three BraTS evaluation regions, by the label convention of BraTS
    /// 2012–2021 (1 necrotic / non-enhancing core, 2 oedema, 4 enhancing):
    /// - "whole_tumour": labels {1, 2, 4}
    /// - "tumour_core": labels {1, 4}
    /// - "enhancing_tumour": label {4}
    ///
    /// Each label value becomes its position in `labelValues` (class index
    /// i ⇔ `labelValues[i]`, as in the dataset manifest). Other values
    /// (background 0, anything extra) belong to no region.
    /// - Throws: `MetricsError.invalidArgument` if 1, 2 or 4 is missing or
    ///   any value appears twice (the mapping would be ambiguous).
    public static func brats(labelValues: [Int]) throws -> [RegionDefinition] {
        var indexOf: [Int: Int] = [:]
        for (i, value) in labelValues.enumerated() {
            guard indexOf[value] == nil else {
                throw MetricsError.invalidArgument(
                    "label value \(value) appears twice in label_values \(labelValues)")
            }
            indexOf[value] = i
        }
        let roles = [(1, "necrotic / non-enhancing core"), (2, "oedema"), (4, "enhancing tumour")]
        for (value, role) in roles where indexOf[value] == nil {
            throw MetricsError.invalidArgument(
                "BraTS regions need label value \(value) (\(role)); label_values are \(labelValues)")
        }
        let core = indexOf[1]!, oedema = indexOf[2]!, enhancing = indexOf[4]!
        return [
            try RegionDefinition(name: "whole_tumour", classes: [core, oedema, enhancing]),
            try RegionDefinition(name: "tumour_core", classes: [core, enhancing]),
            try RegionDefinition(name: "enhancing_tumour", classes: [enhancing]),
        ]
    }
}
