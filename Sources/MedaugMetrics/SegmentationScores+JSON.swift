/// JSON form of a report. Every key is always written (undefined values are
/// `null`, never omitted), so consumers can index without guessing. Example
/// (micro, K = 3, one region, HD95 in pixels):
///
/// ```json
/// {"averaging": "micro", "images": 2, "pixels": 800, "classes": 3,
///  "smoothing": 0, "absent_classes": "excluded",
///  "accuracy": 0.9,
///  "present": [true, true, false], "per_class_images": [2, 1, 0],
///  "per_class_iou": [0.9, 0.5, null], "per_class_dice": [0.95, 0.67, null],
///  "mean_iou": 0.7, "mean_dice": 0.81,
///  "mean_iou_foreground": 0.5, "mean_dice_foreground": 0.67,
///  "hausdorff_percentile": 95, "hausdorff_spacing": [1, 1],
///  "per_class_hausdorff": [1.0, 2.5, null],
///  "per_class_hausdorff_images": [2, 1, 0], "per_class_hausdorff_infinite": [0, 0, 0],
///  "regions": [{"name": "tumour", "classes": [1, 2], "present": true, "images": 1,
///               "iou": 0.5, "dice": 0.67, "hausdorff": 2.5,
///               "hausdorff_images": 1, "hausdorff_infinite": 0}]}
/// ```
///
/// - `absent_classes`: "excluded" or "counted_as_one" (``MetricsOptions/excludeAbsentClasses``).
/// - `hausdorff_*` and `per_class_hausdorff*`: null when surface distances
///   were not computed; `hausdorff_spacing` is `[row, column]`.
/// - No value is ever NaN or infinite (JSON has neither): an infinite
///   per-image distance is counted in `*_hausdorff_infinite`, not averaged.
extension SegmentationScores: Codable {
    private enum Key: String, CodingKey {
        case averaging, images, pixels, classes, smoothing
        case absentClasses = "absent_classes"
        case accuracy, present
        case perClassImages = "per_class_images"
        case perClassIoU = "per_class_iou"
        case perClassDice = "per_class_dice"
        case meanIoU = "mean_iou"
        case meanDice = "mean_dice"
        case meanIoUForeground = "mean_iou_foreground"
        case meanDiceForeground = "mean_dice_foreground"
        case hausdorffPercentile = "hausdorff_percentile"
        case hausdorffSpacing = "hausdorff_spacing"
        case perClassHausdorff = "per_class_hausdorff"
        case perClassHausdorffImages = "per_class_hausdorff_images"
        case perClassHausdorffInfinite = "per_class_hausdorff_infinite"
        case regions
    }

    private static let excludedName = "excluded", countedName = "counted_as_one"

    /// Writes the JSON shape above.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(averaging, forKey: .averaging)
        try c.encode(images, forKey: .images)
        try c.encode(pixels, forKey: .pixels)
        try c.encode(classes, forKey: .classes)
        try c.encode(smoothing, forKey: .smoothing)
        try c.encode(excludeAbsentClasses ? Self.excludedName : Self.countedName, forKey: .absentClasses)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(present, forKey: .present)
        try c.encode(perClassImages, forKey: .perClassImages)
        try c.encode(perClassIoU, forKey: .perClassIoU)
        try c.encode(perClassDice, forKey: .perClassDice)
        // encode(Optional) rather than encodeIfPresent: nil is written as null.
        try c.encode(meanIoU, forKey: .meanIoU)
        try c.encode(meanDice, forKey: .meanDice)
        try c.encode(meanIoUForeground, forKey: .meanIoUForeground)
        try c.encode(meanDiceForeground, forKey: .meanDiceForeground)
        try c.encode(hausdorffPercentile, forKey: .hausdorffPercentile)
        try c.encode(hausdorffSpacing.map { [$0.row, $0.column] }, forKey: .hausdorffSpacing)
        try c.encode(perClassHausdorff?.map(\.mean), forKey: .perClassHausdorff)
        try c.encode(perClassHausdorff?.map(\.images), forKey: .perClassHausdorffImages)
        try c.encode(perClassHausdorff?.map(\.infinite), forKey: .perClassHausdorffInfinite)
        try c.encode(regions, forKey: .regions)
    }

    /// Reads the JSON shape above.
    /// - Throws: `DecodingError` for a missing key, a wrong type, per-class
    ///   arrays whose length is not `classes`, or an unknown `averaging` or
    ///   `absent_classes` name.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let k = try c.decode(Int.self, forKey: .classes)
        func perClass<T: Decodable>(_ type: T.Type, _ key: Key) throws -> [T] {
            let values = try c.decode([T].self, forKey: key)
            guard values.count == k else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(values.count) values, expected \(k) (classes)")
            }
            return values
        }
        averaging = try c.decode(Averaging.self, forKey: .averaging)
        images = try c.decode(Int.self, forKey: .images)
        pixels = try c.decode(Int.self, forKey: .pixels)
        smoothing = try c.decode(Double.self, forKey: .smoothing)
        switch try c.decode(String.self, forKey: .absentClasses) {
        case Self.excludedName: excludeAbsentClasses = true
        case Self.countedName: excludeAbsentClasses = false
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .absentClasses, in: c,
                debugDescription: "\"\(other)\", expected \"\(Self.excludedName)\" or \"\(Self.countedName)\"")
        }
        accuracy = try c.decode(Double.self, forKey: .accuracy)
        present = try perClass(Bool.self, .present)
        perClassImages = try perClass(Int.self, .perClassImages)
        perClassIoU = try perClass(Double?.self, .perClassIoU)
        perClassDice = try perClass(Double?.self, .perClassDice)
        meanIoU = try c.decodeIfPresent(Double.self, forKey: .meanIoU)
        meanDice = try c.decodeIfPresent(Double.self, forKey: .meanDice)
        meanIoUForeground = try c.decodeIfPresent(Double.self, forKey: .meanIoUForeground)
        meanDiceForeground = try c.decodeIfPresent(Double.self, forKey: .meanDiceForeground)
        hausdorffPercentile = try c.decodeIfPresent(Double.self, forKey: .hausdorffPercentile)
        if let pair = try c.decodeIfPresent([Double].self, forKey: .hausdorffSpacing) {
            guard pair.count == 2, let spacing = try? PixelSpacing(row: pair[0], column: pair[1]) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .hausdorffSpacing, in: c, debugDescription: "\(pair), expected [row, column] > 0")
            }
            hausdorffSpacing = spacing
        } else {
            hausdorffSpacing = nil
        }
        if try c.decodeNil(forKey: .perClassHausdorff) {
            perClassHausdorff = nil
        } else {
            let means = try perClass(Double?.self, .perClassHausdorff)
            let counts = try perClass(Int.self, .perClassHausdorffImages)
            let infinite = try perClass(Int.self, .perClassHausdorffInfinite)
            perClassHausdorff = (0..<k).map {
                HausdorffSummary(mean: means[$0], images: counts[$0], infinite: infinite[$0])
            }
        }
        regions = try c.decode([RegionScores].self, forKey: .regions)
    }
}

/// JSON object of one region (keys as in the example on ``SegmentationScores``).
extension RegionScores: Codable {
    private enum Key: String, CodingKey {
        case name, classes, present, images, iou, dice, hausdorff
        case hausdorffImages = "hausdorff_images"
        case hausdorffInfinite = "hausdorff_infinite"
    }

    /// Writes the region object; every key present, null when undefined.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .name)
        try c.encode(classes, forKey: .classes)
        try c.encode(present, forKey: .present)
        try c.encode(images, forKey: .images)
        try c.encode(iou, forKey: .iou)
        try c.encode(dice, forKey: .dice)
        try c.encode(hausdorff?.mean, forKey: .hausdorff)
        try c.encode(hausdorff?.images, forKey: .hausdorffImages)
        try c.encode(hausdorff?.infinite, forKey: .hausdorffInfinite)
    }

    /// Reads the region object.
    /// - Throws: `DecodingError` for a missing key or a wrong type.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        name = try c.decode(String.self, forKey: .name)
        classes = try c.decode([Int].self, forKey: .classes)
        present = try c.decode(Bool.self, forKey: .present)
        images = try c.decode(Int.self, forKey: .images)
        iou = try c.decodeIfPresent(Double.self, forKey: .iou)
        dice = try c.decodeIfPresent(Double.self, forKey: .dice)
        if let counted = try c.decodeIfPresent(Int.self, forKey: .hausdorffImages) {
            hausdorff = HausdorffSummary(
                mean: try c.decodeIfPresent(Double.self, forKey: .hausdorff), images: counted,
                infinite: try c.decode(Int.self, forKey: .hausdorffInfinite))
        } else {
            hausdorff = nil
        }
    }
}
