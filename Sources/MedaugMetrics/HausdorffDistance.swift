/// Physical size of one pixel: `row` is the distance between adjacent rows
/// (the vertical step), `column` between adjacent columns, in millimetres,
/// or 1 x 1 for distances in pixels. The dataset manifest's `spacing_mm` is
/// `[row, col]` in the same order.
public struct PixelSpacing: Equatable, Hashable, Sendable {
    /// Vertical step (between rows), > 0.
    public let row: Double
    /// Horizontal step (between columns), > 0.
    public let column: Double

    /// Distances in pixels.
    public static let unit = PixelSpacing(checkedRow: 1, column: 1)

    /// A spacing of `row` x `column`.
    /// - Throws: `MetricsError.invalidArgument` unless both are finite and > 0.
    public init(row: Double, column: Double) throws {
        guard row.isFinite, column.isFinite, row > 0, column > 0 else {
            throw MetricsError.invalidArgument(
                "pixel spacing is (row \(row), column \(column)); both must be finite and > 0")
        }
        self.init(checkedRow: row, column: column)
    }

    private init(checkedRow row: Double, column: Double) {
        self.row = row
        self.column = column
    }
}

/// Percentile Hausdorff distance (HD95 by default) between two binary masks
/// of one 2-D image, as MONAI's `compute_hausdorff_distance(percentile: 95,
/// directed: false)` defines it.
///
/// 1. Surfaces: a surface pixel is a pixel of the mask with at least one
///    4-neighbour (up, down, left, right) outside the mask or outside the
///    image, i.e. `mask XOR binary_erosion(mask)` with scipy's default
///    cross-shaped element and zero border, as MONAI computes it.
/// 2. Directed distances: from each surface pixel of the prediction to the
///    nearest surface pixel of the truth, and from each truth surface pixel
///    to the nearest prediction surface pixel (Euclidean, with `spacing`),
///    by an exact distance transform (O(pixels), no pairwise search).
/// 3. Result: max(P(pred → truth), P(truth → pred)), where P is the
///    `percentile`-th percentile with numpy's default "linear" rule: sort
///    the n distances into d[0...n-1], h = (p / 100)·(n - 1), result
///    d[⌊h⌋] + (h - ⌊h⌋)·(d[⌊h⌋+1] - d[⌊h⌋]) (evaluated as numpy does).
///    `percentile` 100 gives the classic Hausdorff distance.
///
/// Edge cases, following MONAI: both masks empty → nil (MONAI: NaN);
/// exactly one empty → `+infinity` (MONAI: inf). Aggregated reports leave
/// both out of means and count the infinite ones (see ``HausdorffSummary``).
///
/// ```swift
/// // Two 1-pixel masks 3 columns apart at 0.5 mm columns: 1.5 mm.
/// try hausdorffDistance(prediction: p, truth: t, width: 8, height: 8,
///                       spacing: PixelSpacing(row: 1, column: 0.5))
/// ```
/// - Parameters:
///   - prediction, truth: row-major masks, `index = row * width + column`.
///   - width, height: image size, both ≥ 1, `width * height == mask count`.
///   - spacing: pixel size; distances come out in its units.
///   - percentile: in 0...100.
/// - Throws: `MetricsError.shapeMismatch` for masks of the wrong size,
///   `.invalidArgument` for a bad size or percentile.
/// - Complexity: O(width · height + s log s) for s surface pixels.
public func hausdorffDistance(
    prediction: [Bool], truth: [Bool], width: Int, height: Int,
    spacing: PixelSpacing = .unit, percentile: Double = 95
) throws -> Double? {
    try validateImage(width: width, height: height, pixels: prediction.count, other: truth.count)
    try validatePercentile(percentile)
    return surfaceHausdorff(prediction: prediction, truth: truth, width: width, height: height,
                            spacing: spacing, percentile: percentile)
}

/// Percentile Hausdorff distance of a class or merged region of two label
/// maps: each map becomes the binary mask "class index is in `classes`",
/// then as ``hausdorffDistance(prediction:truth:width:height:spacing:percentile:)``
/// (same surfaces, percentile rule and empty-mask results).
/// - Throws: as the mask version, and `MetricsError.invalidArgument` if
///   `classes` is empty.
public func hausdorffDistance(
    prediction: [Int32], truth: [Int32], classes: Set<Int>, width: Int, height: Int,
    spacing: PixelSpacing = .unit, percentile: Double = 95
) throws -> Double? {
    guard !classes.isEmpty else {
        throw MetricsError.invalidArgument("a region needs at least one class, got none")
    }
    try validateImage(width: width, height: height, pixels: prediction.count, other: truth.count)
    try validatePercentile(percentile)
    return surfaceHausdorff(
        prediction: prediction.map { classes.contains(Int($0)) },
        truth: truth.map { classes.contains(Int($0)) },
        width: width, height: height, spacing: spacing, percentile: percentile)
}

/// Checks an image size and that both maps have width x height pixels.
func validateImage(width: Int, height: Int, pixels: Int, other: Int) throws {
    guard width >= 1, height >= 1, width <= Int(Int32.max), height <= Int(Int32.max) else {
        throw MetricsError.invalidArgument("image size is \(width) x \(height), expected both ≥ 1")
    }
    guard pixels == other else {
        throw MetricsError.shapeMismatch("prediction has \(pixels) pixels, truth \(other)")
    }
    guard pixels == width * height else {
        throw MetricsError.shapeMismatch(
            "label maps have \(pixels) pixels, width x height is \(width) x \(height) = \(width * height)")
    }
}

/// Checks a percentile is in 0...100.
func validatePercentile(_ percentile: Double) throws {
    guard percentile >= 0, percentile <= 100 else {
        throw MetricsError.invalidArgument("Hausdorff percentile is \(percentile), expected 0...100")
    }
}

/// The distance itself, on validated input (see the public functions).
func surfaceHausdorff(
    prediction: [Bool], truth: [Bool], width: Int, height: Int, spacing: PixelSpacing, percentile: Double
) -> Double? {
    let predictionSurface = surfacePixels(of: prediction, width: width, height: height)
    let truthSurface = surfacePixels(of: truth, width: width, height: height)
    switch (predictionSurface.isEmpty, truthSurface.isEmpty) {
    case (true, true): return nil
    case (true, false), (false, true): return .infinity
    case (false, false): break
    }
    let toTruth = directedDistances(from: predictionSurface, to: truthSurface,
                                    width: width, height: height, spacing: spacing)
    let toPrediction = directedDistances(from: truthSurface, to: predictionSurface,
                                         width: width, height: height, spacing: spacing)
    return max(numpyPercentile(ofSorted: toTruth, percentile),
               numpyPercentile(ofSorted: toPrediction, percentile))
}

/// Indices (ascending) of the surface pixels of `mask`: mask pixels with a
/// 4-neighbour outside the mask or on the image border.
func surfacePixels(of mask: [Bool], width: Int, height: Int) -> [Int] {
    var surface: [Int] = []
    for y in 0..<height {
        for x in 0..<width where mask[y * width + x] {
            let i = y * width + x
            let interior = y > 0 && y < height - 1 && x > 0 && x < width - 1
                && mask[i - width] && mask[i + width] && mask[i - 1] && mask[i + 1]
            if !interior { surface.append(i) }
        }
    }
    return surface
}

/// Sorted distances from each pixel of `source` to the nearest pixel of
/// `target` (both non-empty index lists).
func directedDistances(from source: [Int], to target: [Int], width: Int, height: Int,
                       spacing: PixelSpacing) -> [Double] {
    var features = [Bool](repeating: false, count: width * height)
    for i in target { features[i] = true }
    let squared = squaredDistanceToFeatures(features, width: width, height: height, spacing: spacing)
    return source.map { squared[$0].squareRoot() }.sorted()
}

/// numpy.percentile(values, p) with the default method "linear", on values
/// already sorted ascending (non-empty). numpy evaluates the interpolation
/// from the lower end below gamma 0.5 and from the upper end at or above
/// it; we do the same so results match numpy bit for bit.
func numpyPercentile(ofSorted values: [Double], _ p: Double) -> Double {
    let n = values.count
    let virtualIndex = Double(n - 1) * (p / 100)
    let lower = min(max(Int(virtualIndex.rounded(.down)), 0), n - 1)
    let upper = min(lower + 1, n - 1)
    let gamma = virtualIndex - Double(lower)
    let a = values[lower], b = values[upper]
    let difference = b - a
    return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
}
