/// Choices behind a segmentation report; each one is echoed in the JSON so a
/// number never travels without the convention that produced it.
///
/// ```swift
/// var options = MetricsOptions()                  // S = 0, absent classes excluded, HD95 in pixels
/// options.regions = try RegionDefinition.brats(labelValues: [0, 1, 2, 4])
/// options.surfaceDistance = try SurfaceDistanceOptions(spacing: PixelSpacing(row: 1, column: 1))
/// ```
///
/// Defaults and why:
/// - `smoothing` 0: reported Dice is the plain overlap ratio (MONAI's
///   DiceMetric has no smoothing; Keras-style Dice *losses* add 1, which
///   inflates small structures). Absent classes are handled explicitly
///   instead (below), which is what smoothing is usually for.
/// - `excludeAbsentClasses` true: a class absent from both the truth and the
///   prediction has no IoU or Dice and is left out of the means (MONAI's
///   convention), rather than counted as 1 or 0. When false it is counted
///   as 1 in the means (MONAI's `ignore_empty=False`, and what S/S gives
///   with smoothing); per-class values stay nil either way. Note that
///   MONAI's DiceMetric(`ignore_empty=True`) also drops a class whose truth
///   is empty but which *was* predicted; here that class is present and
///   scores 0 (its false positives are errors), since only absence from
///   both is excluded.
/// - No `includeBackground` switch: every report carries both means, over
///   all classes (`mean_iou`, the paper's Mean IoU) and over classes 1..<K
///   (`mean_iou_foreground`), so the key always says which.
/// - `surfaceDistance` on with percentile 95 and unit spacing (pixels).
public struct MetricsOptions: Equatable, Sendable {
    /// Dice smoothing S in (2·TP + S)/(2·TP + FP + FN + S); finite, ≥ 0.
    /// IoU is never smoothed (docs/design.md §1 gives it without S).
    public var smoothing: Double
    /// Whether classes absent from both truth and prediction are left out of
    /// the means (true) or counted there as 1 (false).
    public var excludeAbsentClasses: Bool
    /// Merged regions scored in addition to the classes (e.g. BraTS whole
    /// tumour, tumour core, enhancing); names must be unique.
    public var regions: [RegionDefinition]
    /// Percentile Hausdorff settings, or nil to skip surface distances.
    public var surfaceDistance: SurfaceDistanceOptions?

    /// Options with the documented defaults unless given.
    public init(smoothing: Double = 0, excludeAbsentClasses: Bool = true,
                regions: [RegionDefinition] = [],
                surfaceDistance: SurfaceDistanceOptions? = SurfaceDistanceOptions()) {
        self.smoothing = smoothing
        self.excludeAbsentClasses = excludeAbsentClasses
        self.regions = regions
        self.surfaceDistance = surfaceDistance
    }

    /// Checks the options against a number of classes.
    /// - Throws: `MetricsError.invalidArgument` for a negative or non-finite
    ///   smoothing, a region class outside 0..<classes, or a repeated region name.
    public func validate(classes: Int) throws {
        guard smoothing.isFinite, smoothing >= 0 else {
            throw MetricsError.invalidArgument("smoothing is \(smoothing), expected a finite value ≥ 0")
        }
        var names = Set<String>()
        for region in regions {
            if let bad = region.classes.sorted().first(where: { $0 >= classes }) {
                throw MetricsError.invalidArgument(
                    "region \"\(region.name)\" lists class \(bad); class indices must be in 0..<\(classes)")
            }
            guard names.insert(region.name).inserted else {
                throw MetricsError.invalidArgument("region name \"\(region.name)\" is used twice")
            }
        }
    }
}

/// Settings of the percentile Hausdorff distance in reports (see
/// ``hausdorffDistance(prediction:truth:width:height:spacing:percentile:)``).
public struct SurfaceDistanceOptions: Equatable, Sendable {
    /// Percentile of the directed surface distances, 0...100 (95: HD95;
    /// 100: classic Hausdorff distance).
    public let percentile: Double
    /// Pixel size; distances are reported in its units (1 x 1: pixels).
    public let spacing: PixelSpacing

    /// HD95 in pixels.
    public init() {
        percentile = 95
        spacing = .unit
    }

    /// Custom percentile and spacing.
    /// - Throws: `MetricsError.invalidArgument` if `percentile` is outside 0...100.
    public init(percentile: Double = 95, spacing: PixelSpacing) throws {
        try validatePercentile(percentile)
        self.percentile = percentile
        self.spacing = spacing
    }
}
