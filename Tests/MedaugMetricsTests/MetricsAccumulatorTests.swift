import XCTest
@testable import MedaugMetrics

final class MetricsAccumulatorTests: XCTestCase {
    func testMicroAndMacroDifferOnACraftedExample() throws {
        // K = 2, two 2 x 2 images (row-major).
        // A: truth 1 1 1 1, prediction 1 1 1 1 → class 1 Dice 1, IoU 1; class 0 absent.
        // B: truth 0 0 0 1, prediction 0 0 0 0 → class 0 TP 3 FP 1: Dice 6/7, IoU 3/4;
        //    class 1 TP 0 FN 1: Dice 0, IoU 0.
        // micro (pooled): class 0 TP 3 FP 1 → Dice 6/7, IoU 3/4;
        //                 class 1 TP 4 FN 1 → Dice 8/9, IoU 4/5;
        //                 mean Dice (6/7 + 8/9)/2 = 55/63; foreground 8/9.
        // macro: class 0 only in B → 6/7; class 1 (1 + 0)/2 = 1/2;
        //        per-image mean Dice A 1 (class 0 excluded), B (6/7 + 0)/2 = 3/7 → (1 + 3/7)/2 = 5/7;
        //        foreground (1 + 0)/2 = 1/2. Accuracy: micro 7/8, macro (4/4 + 3/4)/2 = 7/8.
        // HD95 class 0: A both empty (not counted), B: prediction surface [0,0,0,1] → p95 h = 2.85
        //   → 0.85, other way all 0 → 0.85. Class 1: A 0, B truth only → infinite.
        var accumulator = try MetricsAccumulator(classes: 2)
        try accumulator.add(prediction: [1, 1, 1, 1], truth: [1, 1, 1, 1], width: 2, height: 2)
        try accumulator.add(prediction: [0, 0, 0, 0], truth: [0, 0, 0, 1], width: 2, height: 2)
        let micro = try accumulator.micro(), macro = try accumulator.macro()
        XCTAssertEqual(micro.averaging, .micro)
        XCTAssertEqual(macro.averaging, .macro)
        XCTAssertEqual(micro.images, 2)
        XCTAssertEqual(micro.pixels, 8)
        XCTAssertEqual(micro.perClassDice, [6.0 / 7.0, 8.0 / 9.0])
        XCTAssertEqual(micro.perClassIoU, [0.75, 0.8])
        assertClose(micro.meanDice, 55.0 / 63.0, "micro mean Dice")
        XCTAssertEqual(micro.meanDiceForeground, 8.0 / 9.0)
        XCTAssertEqual(macro.perClassDice, [6.0 / 7.0, 0.5])
        XCTAssertEqual(macro.perClassIoU, [0.75, 0.5])
        XCTAssertEqual(macro.perClassImages, [1, 2])
        assertClose(macro.meanDice, 5.0 / 7.0, "macro mean Dice")
        XCTAssertEqual(macro.meanDiceForeground, 0.5)
        XCTAssertEqual(micro.accuracy, 7.0 / 8.0)
        XCTAssertEqual(macro.accuracy, 7.0 / 8.0)
        for report in [micro, macro] {
            let hd = try XCTUnwrap(report.perClassHausdorff)
            assertClose(hd[0].mean, 0.85, "class 0 HD95")
            XCTAssertEqual(hd[0].images, 1)
            XCTAssertEqual(hd[0].infinite, 0)
            XCTAssertEqual(hd[1], HausdorffSummary(mean: 0, images: 1, infinite: 1))
        }
        XCTAssertEqual(accumulator.imageScores[0].present, [false, true])
        XCTAssertEqual(accumulator.imageScores[1].perClassDice, [6.0 / 7.0, 0])
    }

    func testMatchesReferenceOnRandomDataSets() throws {
        let (width, height, k) = (23, 17, 4)
        let regionSets: [Set<Int>] = [[1, 2, 3], [1, 3], [3]]
        let regions = try zip(["whole_tumour", "tumour_core", "enhancing_tumour"], regionSets)
            .map { try RegionDefinition(name: $0, classes: $1) }
        for seed in UInt64(1)...4 {
            for (row, column) in [(1.0, 1.0), (1.5, 0.7)] {
                var rng = SplitMix64(seed: seed)
                let options = MetricsOptions(
                    regions: regions,
                    surfaceDistance: try SurfaceDistanceOptions(spacing: PixelSpacing(row: row, column: column)))
                var accumulator = try MetricsAccumulator(classes: k, options: options)
                var references: [ReferenceImageScores] = []
                var allPrediction: [Int32] = [], allTruth: [Int32] = []
                for image in 0..<4 {
                    // Image 2 never shows class 3, so class 3 has fewer macro terms.
                    let (p, t) = randomLabelMaps(width: width, height: height, classes: k,
                                                 absent: image == 2 ? [3] : [], rng: &rng)
                    try accumulator.add(prediction: p, truth: t, width: width, height: height)
                    references.append(ReferenceImageScores(
                        prediction: p, truth: t, width: width, height: height, classes: k, regions: regionSets,
                        smoothing: 0, rowSpacing: row, columnSpacing: column))
                    allPrediction += p
                    allTruth += t
                }
                let context = "seed \(seed) spacing \(row)x\(column)"
                // Micro: one big image (geometry irrelevant for overlaps).
                let pooled = ReferenceImageScores(prediction: allPrediction, truth: allTruth, width: width,
                                                  height: height * 4, classes: k, regions: [], smoothing: 0)
                let micro = try accumulator.micro()
                assertClose(micro.accuracy, pooled.accuracy, context + " micro accuracy")
                for c in 0..<k {
                    assertClose(micro.perClassDice[c], pooled.dice[c], context + " micro Dice \(c)")
                    assertClose(micro.perClassIoU[c], pooled.iou[c], context + " micro IoU \(c)")
                }
                assertClose(micro.meanDice, referenceClassMean(pooled.dice, from: 0, excludeAbsent: true), context)
                assertClose(micro.meanIoUForeground, referenceClassMean(pooled.iou, from: 1, excludeAbsent: true),
                            context)
                // Macro: mean over images where defined.
                let macro = try accumulator.macro()
                assertClose(macro.accuracy, referenceMean(references.map(\.accuracy)), context + " macro accuracy")
                for c in 0..<k {
                    assertClose(macro.perClassDice[c], referenceMean(references.compactMap { $0.dice[c] }),
                                context + " macro Dice \(c)")
                    assertClose(macro.perClassIoU[c], referenceMean(references.compactMap { $0.iou[c] }),
                                context + " macro IoU \(c)")
                    XCTAssertEqual(macro.perClassImages[c], references.filter { $0.dice[c] != nil }.count, context)
                }
                assertClose(macro.meanDice, referenceMean(references.compactMap {
                    referenceClassMean($0.dice, from: 0, excludeAbsent: true) }), context + " macro mean Dice")
                assertClose(macro.meanIoUForeground, referenceMean(references.compactMap {
                    referenceClassMean($0.iou, from: 1, excludeAbsent: true) }), context + " macro fg IoU")
                for (i, _) in regionSets.enumerated() {
                    assertClose(macro.regions[i].dice, referenceMean(references.compactMap { $0.regionDice[i] }),
                                context + " macro region \(i)")
                }
                // Hausdorff: mean over images with a finite distance, both reports.
                for report in [micro, macro] {
                    for c in 0..<k {
                        let values = references.compactMap { $0.classHausdorff[c] }
                        let summary = try XCTUnwrap(report.perClassHausdorff?[c])
                        assertClose(summary.mean, referenceMean(values.filter(\.isFinite)), context + " HD class \(c)")
                        XCTAssertEqual(summary.infinite, values.filter(\.isInfinite).count, context)
                    }
                    for i in regionSets.indices {
                        let values = references.compactMap { $0.regionHausdorff[i] }
                        assertClose(report.regions[i].hausdorff?.mean, referenceMean(values.filter(\.isFinite)),
                                    context + " HD region \(i)")
                    }
                }
            }
        }
    }

    func testReportsDoNotDependOnImageOrder() throws {
        var rng = SplitMix64(seed: 11)
        let pairs = (0..<6).map { _ in randomLabelMaps(width: 23, height: 17, classes: 4, rng: &rng) }
        let options = MetricsOptions(regions: try RegionDefinition.brats(labelValues: [0, 1, 2, 4]))
        var forward = try MetricsAccumulator(classes: 4, options: options)
        var backward = forward
        for pair in pairs { try forward.add(prediction: pair.prediction, truth: pair.truth, width: 23, height: 17) }
        for pair in pairs.reversed() {
            try backward.add(prediction: pair.prediction, truth: pair.truth, width: 23, height: 17)
        }
        // Bitwise equal, not merely close.
        XCTAssertEqual(try forward.micro(), try backward.micro())
        XCTAssertEqual(try forward.macro(), try backward.macro())
        // Merging two halves gives the same reports too.
        var firstHalf = try MetricsAccumulator(classes: 4, options: options), secondHalf = firstHalf
        for pair in pairs.prefix(3) {
            try firstHalf.add(prediction: pair.prediction, truth: pair.truth, width: 23, height: 17)
        }
        for pair in pairs.suffix(3) {
            try secondHalf.add(prediction: pair.prediction, truth: pair.truth, width: 23, height: 17)
        }
        try secondHalf.merge(firstHalf)
        XCTAssertEqual(secondHalf.count, 6)
        XCTAssertEqual(try secondHalf.macro(), try forward.macro())
        XCTAssertThrowsError(try secondHalf.merge(try MetricsAccumulator(classes: 3)))
    }

    func testRejectsBadImagesAndAddsNothing() throws {
        var accumulator = try MetricsAccumulator(classes: 3)
        XCTAssertThrowsError(try accumulator.micro()) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("no image was added; a report needs at least one"))
        }
        XCTAssertThrowsError(try accumulator.add(prediction: [0, 1], truth: [0], width: 2, height: 1)) {
            XCTAssertEqual($0 as? MetricsError, .shapeMismatch("prediction has 2 pixels, truth 1"))
        }
        XCTAssertThrowsError(try accumulator.add(prediction: [0, 1], truth: [0, 1], width: 3, height: 1)) {
            XCTAssertEqual($0 as? MetricsError, .shapeMismatch(
                "label maps have 2 pixels, width x height is 3 x 1 = 3"))
        }
        XCTAssertThrowsError(try accumulator.add(prediction: [0, 3], truth: [0, 1], width: 2, height: 1)) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument(
                "pixel 1: truth 1, prediction 3; class indices must be in 0..<3"))
        }
        XCTAssertThrowsError(try accumulator.add(prediction: [], truth: [], width: 0, height: 0))
        XCTAssertEqual(accumulator.count, 0)
        XCTAssertEqual(accumulator.pooled.total, 0)
        XCTAssertThrowsError(try MetricsAccumulator(classes: 0))
        XCTAssertThrowsError(try MetricsAccumulator(
            classes: 3, options: MetricsOptions(regions: try RegionDefinition.brats(labelValues: [0, 1, 2, 4]))))
    }

    func testSurfaceDistancesCanBeSwitchedOff() throws {
        var accumulator = try MetricsAccumulator(classes: 2, options: MetricsOptions(surfaceDistance: nil))
        try accumulator.add(prediction: [0, 1], truth: [1, 1], width: 2, height: 1)
        XCTAssertNil(try accumulator.macro().perClassHausdorff)
        XCTAssertNil(try accumulator.micro().hausdorffPercentile)
    }
}
