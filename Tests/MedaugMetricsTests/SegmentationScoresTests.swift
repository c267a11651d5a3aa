import XCTest
@testable import MedaugMetrics

final class SegmentationScoresTests: XCTestCase {
    // truth      0 0 0 1 1 0
    // prediction 0 0 1 1 0 0        K = 3, class 2 absent from both.
    // class 0: TP 3, FP 1, FN 1 → IoU 3/5 = 0.6, Dice 6/8 = 0.75
    // class 1: TP 1, FP 1, FN 1 → IoU 1/3,       Dice 2/4 = 0.5
    // accuracy 4/6
    private let truth: [Int32] = [0, 0, 0, 1, 1, 0]
    private let prediction: [Int32] = [0, 0, 1, 1, 0, 0]

    private func scores(_ options: MetricsOptions) throws -> SegmentationScores {
        var matrix = try ConfusionMatrix(classes: 3)
        try matrix.add(prediction: prediction, truth: truth)
        return try SegmentationScores(matrix: matrix, options: options)
    }

    func testHandExampleWithAbsentClassExcluded() throws {
        let s = try scores(MetricsOptions())
        XCTAssertEqual(s.averaging, .micro)
        XCTAssertEqual(s.images, 1)
        XCTAssertEqual(s.pixels, 6)
        XCTAssertEqual(s.classes, 3)
        XCTAssertEqual(s.accuracy, 4.0 / 6.0)
        XCTAssertEqual(s.present, [true, true, false])
        XCTAssertEqual(s.perClassImages, [1, 1, 0])
        XCTAssertEqual(s.perClassIoU, [0.6, 1.0 / 3.0, nil])
        XCTAssertEqual(s.perClassDice, [0.75, 0.5, nil])
        // Means over the present classes only: IoU (0.6 + 1/3)/2, Dice (0.75 + 0.5)/2 = 0.625;
        // foreground: class 1 alone.
        assertClose(s.meanIoU, (0.6 + 1.0 / 3.0) / 2, "mean IoU")
        XCTAssertEqual(s.meanDice, 0.625)
        XCTAssertEqual(s.meanIoUForeground, 1.0 / 3.0)
        XCTAssertEqual(s.meanDiceForeground, 0.5)
        XCTAssertNil(s.perClassHausdorff, "a matrix has no geometry")
        XCTAssertNil(s.hausdorffPercentile)
    }

    func testAbsentClassCountedAsOneWhenAsked() throws {
        let s = try scores(MetricsOptions(excludeAbsentClasses: false))
        // Per-class values stay nil; the means count class 2 as 1:
        // IoU (0.6 + 1/3 + 1)/3, Dice (0.75 + 0.5 + 1)/3 = 0.75,
        // foreground IoU (1/3 + 1)/2 = 2/3, Dice (0.5 + 1)/2 = 0.75.
        XCTAssertEqual(s.perClassDice, [0.75, 0.5, nil])
        assertClose(s.meanIoU, (0.6 + 1.0 / 3.0 + 1) / 3, "mean IoU")
        assertClose(s.meanDice, 0.75, "mean Dice")
        assertClose(s.meanIoUForeground, 2.0 / 3.0, "foreground IoU")
        assertClose(s.meanDiceForeground, 0.75, "foreground Dice")
    }

    func testSmoothingAppliesToDiceOnly() throws {
        let s = try scores(MetricsOptions(smoothing: 1))
        // class 0: (6 + 1)/(8 + 1) = 7/9; class 1: (2 + 1)/(4 + 1) = 3/5; IoU unchanged.
        XCTAssertEqual(s.perClassDice, [7.0 / 9.0, 3.0 / 5.0, nil])
        XCTAssertEqual(s.perClassIoU, [0.6, 1.0 / 3.0, nil])
        XCTAssertEqual(s.smoothing, 1)
    }

    func testSingleClassAndEmptyMatrix() throws {
        var one = try ConfusionMatrix(classes: 1)
        try one.add(prediction: [0, 0], truth: [0, 0])
        let s = try SegmentationScores(matrix: one)
        XCTAssertEqual(s.meanDice, 1)
        XCTAssertNil(s.meanDiceForeground, "K = 1 has no foreground class")
        XCTAssertNil(s.meanIoUForeground)
        XCTAssertThrowsError(try SegmentationScores(matrix: try ConfusionMatrix(classes: 2))) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("the confusion matrix counts no pixel"))
        }
        XCTAssertThrowsError(try SegmentationScores(matrix: one, options: MetricsOptions(smoothing: -1)))
    }

    func testMatchesReferenceOnRandomMaps() throws {
        for seed in UInt64(1)...8 {
            var rng = SplitMix64(seed: seed)
            let absent: Set<Int> = seed % 3 == 0 ? [3] : []
            let (p, t) = randomLabelMaps(width: 23, height: 17, classes: 4, absent: absent, rng: &rng)
            for smoothing in [0.0, 1.0] {
                for exclude in [true, false] {
                    let regions: [Set<Int>] = [[1, 2, 3], [1, 3], [3]]
                    let options = MetricsOptions(
                        smoothing: smoothing, excludeAbsentClasses: exclude,
                        regions: try regions.enumerated().map { try RegionDefinition(name: "r\($0)", classes: $1) })
                    var matrix = try ConfusionMatrix(classes: 4)
                    try matrix.add(prediction: p, truth: t)
                    let s = try SegmentationScores(matrix: matrix, options: options)
                    let r = ReferenceImageScores(prediction: p, truth: t, width: 23, height: 17, classes: 4,
                                                 regions: regions, smoothing: smoothing)
                    let context = "seed \(seed) S \(smoothing) exclude \(exclude)"
                    assertClose(s.accuracy, r.accuracy, context + " accuracy")
                    for c in 0..<4 {
                        assertClose(s.perClassIoU[c], r.iou[c], context + " IoU \(c)")
                        assertClose(s.perClassDice[c], r.dice[c], context + " Dice \(c)")
                        XCTAssertEqual(s.present[c], r.iou[c] != nil, context)
                    }
                    assertClose(s.meanIoU, referenceClassMean(r.iou, from: 0, excludeAbsent: exclude), context)
                    assertClose(s.meanDice, referenceClassMean(r.dice, from: 0, excludeAbsent: exclude), context)
                    assertClose(s.meanIoUForeground, referenceClassMean(r.iou, from: 1, excludeAbsent: exclude), context)
                    assertClose(s.meanDiceForeground, referenceClassMean(r.dice, from: 1, excludeAbsent: exclude),
                                context)
                    for i in regions.indices {
                        assertClose(s.regions[i].iou, r.regionIoU[i], context + " region \(i) IoU")
                        assertClose(s.regions[i].dice, r.regionDice[i], context + " region \(i) Dice")
                    }
                    if !absent.isEmpty { XCTAssertFalse(s.present[3], context) }
                }
            }
        }
    }
}
