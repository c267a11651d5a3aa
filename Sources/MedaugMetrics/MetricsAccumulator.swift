/// Scores a data set image by image, then reports micro and macro averages.
///
/// ```swift
/// var options = MetricsOptions()
/// options.regions = try RegionDefinition.brats(labelValues: [0, 1, 2, 4])
/// var accumulator = try MetricsAccumulator(classes: 4, options: options)
/// for (prediction, truth) in pairs {   // [Int32] class indices, row-major 256 x 256
///     try accumulator.add(prediction: prediction, truth: truth, width: 256, height: 256)
/// }
/// let report = try accumulator.macro()          // BraTS-style per-case means
/// let json = try JSONEncoder().encode(report)
/// ```
///
/// Memory: one K x K matrix and one ``SegmentationScores`` per image.
/// Results depend only on the set of images added, not their order (counts
/// are integers; every mean sums in ascending order). Not thread-safe: use
/// one accumulator per thread and `merge` them.
public struct MetricsAccumulator: Sendable {
    /// Number of classes K (indices 0..<K, 0 = background).
    public let classes: Int
    /// The options every image is scored with.
    public let options: MetricsOptions
    /// Sum of every image's confusion matrix (the micro basis).
    public private(set) var pooled: ConfusionMatrix
    /// Each image's own scores (a micro report of that image alone), in the
    /// order added: the rows of a per-case table.
    public private(set) var imageScores: [SegmentationScores] = []

    /// An empty accumulator.
    /// - Throws: `MetricsError.invalidArgument` for `classes` outside
    ///   1...65536 or options invalid for `classes`.
    public init(classes: Int, options: MetricsOptions = MetricsOptions()) throws {
        pooled = try ConfusionMatrix(classes: classes)
        try options.validate(classes: classes)
        self.classes = classes
        self.options = options
    }

    /// Number of images added.
    public var count: Int { imageScores.count }

    /// Scores one image and adds it.
    ///
    /// Layout: row-major, `index = row * width + column`, `height` rows; the
    /// same for both maps. Values are class indices 0..<K (map stored label
    /// values to indices first).
    /// - Returns: the image's own scores (also kept in `imageScores`).
    /// - Throws: `MetricsError.shapeMismatch` if the maps differ in length
    ///   or are not width x height; `.invalidArgument` for a class index
    ///   outside 0..<K or a size < 1. Nothing is added when it throws.
    /// - Complexity: O(pixels · (P + regions) + (1 + regions) · K²) with P
    ///   classes present in the image; O(pixels + (1 + regions) · K²) with
    ///   surface distances off.
    @discardableResult
    public mutating func add(prediction: [Int32], truth: [Int32], width: Int, height: Int) throws
        -> SegmentationScores
    {
        try validateImage(width: width, height: height, pixels: prediction.count, other: truth.count)
        var matrix = try ConfusionMatrix(classes: classes)
        try matrix.add(prediction: prediction, truth: truth)
        var scores = try SegmentationScores(matrix: matrix, options: options)
        if let surface = options.surfaceDistance {
            // Class and region masks are formed per image; a region's mask
            // is the union of its classes' masks.
            func summary(_ members: Set<Int>) -> HausdorffSummary {
                HausdorffSummary(distance: surfaceHausdorff(
                    prediction: prediction.map { members.contains(Int($0)) },
                    truth: truth.map { members.contains(Int($0)) },
                    width: width, height: height, spacing: surface.spacing, percentile: surface.percentile))
            }
            scores.hausdorffPercentile = surface.percentile
            scores.hausdorffSpacing = surface.spacing
            // Absent from both maps means both masks are empty: nil without
            // building masks, so large K costs nothing for unused classes.
            let none = HausdorffSummary(distance: nil)
            scores.perClassHausdorff = (0..<classes).map { scores.present[$0] ? summary([$0]) : none }
            for (r, region) in options.regions.enumerated() {
                scores.regions[r].hausdorff = scores.regions[r].present ? summary(region.classes) : none
            }
        }
        try pooled.add(matrix)
        imageScores.append(scores)
        return scores
    }

    /// Adds every image of another accumulator (e.g. one per thread).
    /// - Throws: `MetricsError.shapeMismatch` if classes or options differ.
    public mutating func merge(_ other: MetricsAccumulator) throws {
        guard other.classes == classes, other.options == options else {
            throw MetricsError.shapeMismatch(
                "accumulators for \(classes) and \(other.classes) classes, options equal: \(other.options == options)")
        }
        try pooled.add(other.pooled)
        imageScores += other.imageScores
    }

    /// The micro report: overlap metrics from the pooled confusion matrix;
    /// Hausdorff distances as means over images.
    /// - Throws: `MetricsError.invalidArgument` if no image was added.
    public func micro() throws -> SegmentationScores {
        try report(.micro)
    }

    /// The macro report: every metric per image, then the mean over images
    /// (absent classes left out of their class's average for that image).
    /// - Throws: `MetricsError.invalidArgument` if no image was added.
    public func macro() throws -> SegmentationScores {
        try report(.macro)
    }

    private func report(_ averaging: SegmentationScores.Averaging) throws -> SegmentationScores {
        guard !imageScores.isEmpty else {
            throw MetricsError.invalidArgument("no image was added; a report needs at least one")
        }
        return try SegmentationScores.combining(imageScores, pooled: pooled, averaging: averaging, options: options)
    }
}
