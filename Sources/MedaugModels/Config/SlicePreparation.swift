/// How a segmenter's input slices were made from volumes, so that a whole
/// volume can be segmented the same way: `medaug prepare` records it in the
/// dataset manifest, `train-seg` and the experiment copy it into the
/// segmenter's config (key `"preparation"`, docs/weights-format.md).
///
/// The rule: volumes in canonical (RAS+) orientation are cut in `plane`;
/// each volume's intensities are scaled per channel from the
/// `percentiles` (low → −1, high → +1, clipped) taken over its
/// `foreground` voxels; each slice is cropped to the box of the volume's
/// foreground (all slices together) plus `cropMargin` of its size, or kept
/// whole without a margin; then padded to a square and resized to the
/// model's image size.
public struct SlicePreparation: Codable, Equatable, Sendable {
    /// Which voxels set the intensity percentiles and the crop box.
    public enum Foreground: String, Codable, Sendable, CaseIterable {
        /// The image's own foreground, no labels needed (`Foreground.mask`
        /// in MedaugImaging: non-zero voxels of a masked volume, else the
        /// voxels above Otsu's threshold): repeatable on unlabelled volumes.
        case labelFree = "label_free"
        /// The non-background labels (before 0.3.0, and the experiment's
        /// frozen MNI data): a volume without labels can only approximate it
        /// with the label-free rule.
        case labels
    }

    /// "axial", "coronal" or "sagittal".
    public var plane: String
    /// Pixel spacing (row, column) in mm of the prepared slices, as the
    /// network sees them after crop and resize (the first volume's).
    public var spacingMM: [Double]?
    /// Margin around the foreground box as a share of its size; nil: the
    /// whole slice, no crop.
    public var cropMargin: Double?
    /// Low and high percentiles (0...100).
    public var percentiles: [Double]
    public var foreground: Foreground

    enum CodingKeys: String, CodingKey {
        case plane, spacingMM = "spacing_mm", crop, normalization
    }
    enum CropKeys: String, CodingKey { case rule, margin }
    enum NormalizationKeys: String, CodingKey { case rule, percentiles, foreground }

    public static let planes = ["axial", "coronal", "sagittal"]

    public init(plane: String, spacingMM: [Double]?, cropMargin: Double?, percentiles: [Double] = [0.5, 99.5],
                foreground: Foreground = .labelFree) {
        self.plane = plane
        self.spacingMM = spacingMM
        self.cropMargin = cropMargin
        self.percentiles = percentiles
        self.foreground = foreground
    }

    /// What a segmenter without the key is taken to expect: axial slices,
    /// the whole slice, label-free 0.5/99.5 percentiles.
    public static let assumed = SlicePreparation(plane: "axial", spacingMM: nil, cropMargin: nil)

    // {"plane", "spacing_mm", "crop": {"rule": "foreground_box", "margin"} | {"rule": "none"},
    //  "normalization": {"rule": "percentiles", "percentiles": [lo, hi], "foreground"}}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        plane = try c.decode(String.self, forKey: .plane)
        spacingMM = try c.decodeIfPresent([Double].self, forKey: .spacingMM)
        let crop = try c.nestedContainer(keyedBy: CropKeys.self, forKey: .crop)
        switch try crop.decode(String.self, forKey: .rule) {
        case "none": cropMargin = nil
        case "foreground_box": cropMargin = try crop.decode(Double.self, forKey: .margin)
        case let rule:
            throw DecodingError.dataCorruptedError(forKey: .rule, in: crop,
                                                   debugDescription: "crop rule '\(rule)': expected foreground_box or none")
        }
        let normalization = try c.nestedContainer(keyedBy: NormalizationKeys.self, forKey: .normalization)
        let rule = try normalization.decode(String.self, forKey: .rule)
        guard rule == "percentiles" else {
            throw DecodingError.dataCorruptedError(forKey: .rule, in: normalization,
                                                   debugDescription: "normalization rule '\(rule)': expected percentiles")
        }
        percentiles = try normalization.decode([Double].self, forKey: .percentiles)
        foreground = try normalization.decode(Foreground.self, forKey: .foreground)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(plane, forKey: .plane)
        try c.encodeIfPresent(spacingMM, forKey: .spacingMM)
        var crop = c.nestedContainer(keyedBy: CropKeys.self, forKey: .crop)
        if let cropMargin {
            try crop.encode("foreground_box", forKey: .rule)
            try crop.encode(cropMargin, forKey: .margin)
        } else {
            try crop.encode("none", forKey: .rule)
        }
        var normalization = c.nestedContainer(keyedBy: NormalizationKeys.self, forKey: .normalization)
        try normalization.encode("percentiles", forKey: .rule)
        try normalization.encode(percentiles, forKey: .percentiles)
        try normalization.encode(foreground, forKey: .foreground)
    }

    /// Throws `ModelError.invalidConfig` naming the first bad value.
    public func validate() throws {
        func fail(_ message: String) -> ModelError { .invalidConfig("preparation: " + message) }
        guard Self.planes.contains(plane) else { throw fail("plane '\(plane)', expected axial, coronal or sagittal") }
        if let spacingMM {
            guard spacingMM.count == 2, spacingMM.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw fail("spacing_mm \(spacingMM), expected two positive sizes")
            }
        }
        if let cropMargin { guard cropMargin >= 0, cropMargin <= 10 else { throw fail("crop margin \(cropMargin), expected 0...10") } }
        guard percentiles.count == 2, percentiles[0] >= 0, percentiles[1] <= 100, percentiles[0] < percentiles[1] else {
            throw fail("percentiles \(percentiles), expected [low, high] with 0 <= low < high <= 100")
        }
    }
}
