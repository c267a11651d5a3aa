/// A segmentation report: pixel accuracy, per-class IoU and Dice, their
/// means with and without the background class, merged regions and
/// percentile Hausdorff distances, for one image or a data set.
///
/// Which average is which:
/// - **micro** (`averaging == .micro`): overlap metrics from one confusion
///   matrix summed over all images, as if the data set were one big image.
/// - **macro** (`.macro`): the metric of each image, then the mean over
///   images. A class (or region) absent from an image (0 pixels in both
///   truth and prediction) is left out of that class's average for that
///   image; `perClassImages` says how many images each average has. The
///   macro `meanIoU` (and the other means) is the mean over images of each
///   image's mean over classes, skipping images where that mean is
///   undefined (MONAI's "mean" reduction).
/// - `meanIoU`/`meanDice` average over all K classes including background
///   class 0 (docs/design.md §1's Mean IoU over N classes, as the paper reports);
///   `meanIoUForeground`/`meanDiceForeground` over classes 1..<K. Absent
///   classes are left out of both unless `excludeAbsentClasses` is false,
///   then they count as 1.
/// - Hausdorff distances exist per image only, so in both micro and macro
///   reports they are means over images (see ``HausdorffSummary``).
///
/// Every mean sums its terms in ascending order, so a report does not
/// depend on the order in which images were added. Units: fractions in
/// 0...1 for accuracy, IoU and Dice (smoothing S ≥ 0 keeps Dice ≤ 1);
/// distances in units of `hausdorffSpacing`.
///
/// JSON: see `SegmentationScores+JSON.swift` (snake_case keys, every key
/// always written, undefined values as null).
public struct SegmentationScores: Equatable, Sendable {
    /// How a data set was averaged (JSON "micro" or "macro").
    public enum Averaging: String, Equatable, Sendable, Codable {
        /// Pooled confusion matrix over all pixels of all images.
        case micro
        /// Mean over images of per-image values.
        case macro
    }

    /// Micro or macro (see the type's discussion).
    public var averaging: Averaging
    /// Number of images scored.
    public var images: Int
    /// Number of pixels scored (all images).
    public var pixels: Int
    /// Dice smoothing S used.
    public var smoothing: Double
    /// Whether absent classes were left out of the means (else counted as 1).
    public var excludeAbsentClasses: Bool
    /// Correctly classified pixels / all pixels (macro: mean over images).
    public var accuracy: Double
    /// Per class: occurs in the truth or the prediction of at least one image.
    public var present: [Bool]
    /// Per class: number of images in which it is present.
    public var perClassImages: [Int]
    /// Per class IoU, nil where absent from every image.
    public var perClassIoU: [Double?]
    /// Per class Dice (smoothed by `smoothing`), nil where absent from every image.
    public var perClassDice: [Double?]
    /// Mean IoU over classes 0..<K (background included).
    public var meanIoU: Double?
    /// Mean Dice over classes 0..<K (background included).
    public var meanDice: Double?
    /// Mean IoU over classes 1..<K; nil for K = 1 or no present foreground class.
    public var meanIoUForeground: Double?
    /// Mean Dice over classes 1..<K; nil for K = 1 or no present foreground class.
    public var meanDiceForeground: Double?
    /// Percentile of the Hausdorff distances, nil when not computed.
    public var hausdorffPercentile: Double?
    /// Pixel spacing of the Hausdorff distances, nil when not computed.
    public var hausdorffSpacing: PixelSpacing?
    /// Per class Hausdorff summary, nil when not computed.
    public var perClassHausdorff: [HausdorffSummary]?
    /// Merged regions, in the order of ``MetricsOptions/regions``.
    public var regions: [RegionScores]

    /// Number of classes K.
    public var classes: Int { present.count }

    /// Micro scores of a confusion matrix, treated as one image: `images`
    /// is 1 and `perClassImages` is 1 for present classes. No Hausdorff
    /// distances (a matrix has no geometry); ``MetricsAccumulator`` adds
    /// those and the image counts.
    /// - Throws: `MetricsError` if `options` are invalid for
    ///   `matrix.classes` or the matrix is empty.
    /// - Complexity: O((1 + regions) · K²).
    public init(matrix: ConfusionMatrix, options: MetricsOptions = MetricsOptions()) throws {
        try options.validate(classes: matrix.classes)
        guard let accuracy = matrix.accuracy else {
            throw MetricsError.invalidArgument("the confusion matrix counts no pixel")
        }
        let overlaps = matrix.classOverlaps
        averaging = .micro
        images = 1
        pixels = matrix.total
        smoothing = options.smoothing
        excludeAbsentClasses = options.excludeAbsentClasses
        self.accuracy = accuracy
        present = overlaps.map(\.isPresent)
        perClassImages = present.map { $0 ? 1 : 0 }
        perClassIoU = overlaps.map(\.iou)
        perClassDice = overlaps.map { $0.dice(smoothing: options.smoothing) }
        regions = try options.regions.map { region in
            let overlap = try matrix.overlap(of: region.classes)
            return RegionScores(name: region.name, classes: region.classes.sorted(),
                                present: overlap.isPresent, images: overlap.isPresent ? 1 : 0,
                                iou: overlap.iou, dice: overlap.dice(smoothing: options.smoothing),
                                hausdorff: nil)
        }
        updateClassMeans()
    }

    /// Recomputes the four class means from the per-class values.
    mutating func updateClassMeans() {
        meanIoU = classMean(perClassIoU, from: 0)
        meanDice = classMean(perClassDice, from: 0)
        meanIoUForeground = classMean(perClassIoU, from: 1)
        meanDiceForeground = classMean(perClassDice, from: 1)
    }

    /// Mean of classes first..<K; nil values are absent classes.
    private func classMean(_ values: [Double?], from first: Int) -> Double? {
        var terms: [Double] = []
        for c in first..<max(first, values.count) {
            if let value = values[c] {
                terms.append(value)
            } else if !excludeAbsentClasses {
                terms.append(1)
            }
        }
        return orderIndependentMean(terms)
    }

    /// Combines per-image scores (each from one image, same options) into a
    /// data-set report. Micro overlap metrics come from `pooled`, the sum
    /// of the images' matrices; macro ones are means of the images' values.
    static func combining(_ perImage: [SegmentationScores], pooled: ConfusionMatrix,
                          averaging: Averaging, options: MetricsOptions) throws -> SegmentationScores {
        var report = try SegmentationScores(matrix: pooled, options: options)
        report.averaging = averaging
        report.images = perImage.count
        let k = pooled.classes
        report.perClassImages = (0..<k).map { c in perImage.reduce(0) { $0 + $1.perClassImages[c] } }
        for r in report.regions.indices {
            report.regions[r].images = perImage.reduce(0) { $0 + $1.regions[r].images }
        }
        if averaging == .macro {
            report.accuracy = orderIndependentMean(perImage.map(\.accuracy)) ?? report.accuracy
            report.perClassIoU = (0..<k).map { c in orderIndependentMean(perImage.compactMap { $0.perClassIoU[c] }) }
            report.perClassDice = (0..<k).map { c in orderIndependentMean(perImage.compactMap { $0.perClassDice[c] }) }
            report.meanIoU = orderIndependentMean(perImage.compactMap(\.meanIoU))
            report.meanDice = orderIndependentMean(perImage.compactMap(\.meanDice))
            report.meanIoUForeground = orderIndependentMean(perImage.compactMap(\.meanIoUForeground))
            report.meanDiceForeground = orderIndependentMean(perImage.compactMap(\.meanDiceForeground))
            for r in report.regions.indices {
                report.regions[r].iou = orderIndependentMean(perImage.compactMap { $0.regions[r].iou })
                report.regions[r].dice = orderIndependentMean(perImage.compactMap { $0.regions[r].dice })
            }
        }
        if let surface = options.surfaceDistance {
            report.hausdorffPercentile = surface.percentile
            report.hausdorffSpacing = surface.spacing
            report.perClassHausdorff = (0..<k).map { c in
                HausdorffSummary(combining: perImage.compactMap { $0.perClassHausdorff?[c] })
            }
            for r in report.regions.indices {
                report.regions[r].hausdorff = HausdorffSummary(
                    combining: perImage.compactMap { $0.regions[r].hausdorff })
            }
        }
        return report
    }
}

/// Scores of one merged region (see ``RegionDefinition``), averaged as the
/// report that holds it.
public struct RegionScores: Equatable, Sendable {
    /// The region's name.
    public var name: String
    /// Its class indices, ascending.
    public var classes: [Int]
    /// Occurs in the truth or prediction of at least one image.
    public var present: Bool
    /// Number of images in which it is present (the macro denominator).
    public var images: Int
    /// IoU of the region mask, nil if absent everywhere.
    public var iou: Double?
    /// Dice of the region mask (smoothed as the classes), nil if absent everywhere.
    public var dice: Double?
    /// Hausdorff summary, nil when not computed.
    public var hausdorff: HausdorffSummary?

    /// A region's scores as given.
    public init(name: String, classes: [Int], present: Bool, images: Int,
                iou: Double?, dice: Double?, hausdorff: HausdorffSummary?) {
        self.name = name
        self.classes = classes
        self.present = present
        self.images = images
        self.iou = iou
        self.dice = dice
        self.hausdorff = hausdorff
    }
}

/// Percentile Hausdorff distance of one class or region over images.
///
/// Per image the distance is a number, undefined (both masks empty) or
/// infinite (exactly one empty; MONAI returns inf). `mean` averages the
/// finite ones only; `infinite` counts the images left out for being
/// infinite, so a prediction that misses a structure entirely is visible
/// rather than silently dropped. Images with both masks empty are in
/// neither count.
public struct HausdorffSummary: Equatable, Sendable {
    /// Mean distance over the `images` images with a finite distance, nil if none.
    public var mean: Double?
    /// Number of images with a finite distance.
    public var images: Int
    /// Number of images where exactly one of truth and prediction was empty.
    public var infinite: Int

    /// A summary as given.
    public init(mean: Double?, images: Int, infinite: Int) {
        self.mean = mean
        self.images = images
        self.infinite = infinite
    }

    /// The summary of one image's distance (nil: both empty; infinity: one empty).
    init(distance: Double?) {
        switch distance {
        case .none: self.init(mean: nil, images: 0, infinite: 0)
        case .some(let d) where d.isInfinite: self.init(mean: nil, images: 0, infinite: 1)
        case .some(let d): self.init(mean: d, images: 1, infinite: 0)
        }
    }

    /// Combines one-image summaries (images ≤ 1 each) order-independently.
    init(combining perImage: [HausdorffSummary]) {
        self.init(mean: orderIndependentMean(perImage.compactMap(\.mean)),
                  images: perImage.reduce(0) { $0 + $1.images },
                  infinite: perImage.reduce(0) { $0 + $1.infinite })
    }
}

/// Arithmetic mean with the terms summed in ascending order, so the result
/// depends on the multiset of values only (not on image order); nil when
/// there is no term.
func orderIndependentMean(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    return values.sorted().reduce(0, +) / Double(values.count)
}
