import XCTest
@testable import MedaugMetrics

final class ConfusionMatrixTests: XCTestCase {
    func testCountsPairsAndRejectsBadIndices() throws {
        var m = try ConfusionMatrix(classes: 3)
        try m.add(prediction: [0, 1, 2, 2, 1], truth: [0, 1, 1, 2, 0])
        XCTAssertEqual(m[0, 0], 1)
        XCTAssertEqual(m[1, 2], 1)
        XCTAssertEqual(m[0, 1], 1)
        XCTAssertEqual(m.total, 5)
        XCTAssertThrowsError(try m.add(prediction: [3], truth: [0]))
        XCTAssertThrowsError(try m.add(prediction: [0, 0], truth: [0]))
        XCTAssertThrowsError(try ConfusionMatrix(classes: 0))
        var sum = try ConfusionMatrix(classes: 3)
        try sum.add(m)
        try sum.add(m)
        XCTAssertEqual(sum.total, 10)
    }

    func testMatrixIsUnchangedWhenAPixelIsInvalid() throws {
        var m = try ConfusionMatrix(classes: 2)
        try m.add(prediction: [0, 1], truth: [0, 1])
        let before = m
        // The bad pixel is the last one: the first two must not be counted.
        XCTAssertThrowsError(try m.add(prediction: [0, 1, 2], truth: [0, 1, 1])) { error in
            XCTAssertEqual(error as? MetricsError,
                           .invalidArgument("pixel 2: truth 1, prediction 2; class indices must be in 0..<2"))
        }
        XCTAssertThrowsError(try m.add(prediction: [0], truth: [-1]))
        XCTAssertEqual(m, before)
        XCTAssertThrowsError(try m.add(try ConfusionMatrix(classes: 3))) { error in
            XCTAssertEqual(error as? MetricsError, .shapeMismatch("matrices for 2 and 3 classes"))
        }
    }

    func testOverlapAndAccuracyByHand() throws {
        // truth      0 0 0 1 1 0
        // prediction 0 0 1 1 0 0
        // class 0: TP 3 (pixels 0,1,5), FP 1 (pixel 4), FN 1 (pixel 2), TN 1 (pixel 3)
        // class 1: TP 1 (pixel 3), FP 1 (pixel 2), FN 1 (pixel 4), TN 3
        // class 2: nowhere, TN 6
        // accuracy = diagonal 4 / 6
        var m = try ConfusionMatrix(classes: 3)
        try m.add(prediction: [0, 0, 1, 1, 0, 0], truth: [0, 0, 0, 1, 1, 0])
        XCTAssertEqual(try m.overlap(ofClass: 0),
                       OverlapCounts(truePositives: 3, falsePositives: 1, falseNegatives: 1, trueNegatives: 1))
        XCTAssertEqual(try m.overlap(ofClass: 1),
                       OverlapCounts(truePositives: 1, falsePositives: 1, falseNegatives: 1, trueNegatives: 3))
        let absent = try m.overlap(ofClass: 2)
        XCTAssertEqual(absent.trueNegatives, 6)
        XCTAssertFalse(absent.isPresent)
        XCTAssertNil(absent.iou)
        XCTAssertNil(absent.dice(smoothing: 1), "absence wins over smoothing")
        XCTAssertEqual(m.correct, 4)
        XCTAssertEqual(m.accuracy, 4.0 / 6.0)
        // class 0: IoU 3/(3+1+1) = 0.6, Dice 6/(6+1+1) = 0.75, with S = 1: 7/9
        let zero = try m.overlap(ofClass: 0)
        XCTAssertEqual(zero.iou, 0.6)
        XCTAssertEqual(zero.dice(), 0.75)
        XCTAssertEqual(zero.dice(smoothing: 1), 7.0 / 9.0)
        // region {0, 1} covers every pixel of both maps: TP 6, Dice 1.
        XCTAssertEqual(try m.overlap(of: [0, 1]),
                       OverlapCounts(truePositives: 6, falsePositives: 0, falseNegatives: 0, trueNegatives: 0))
        XCTAssertThrowsError(try m.overlap(ofClass: 3))
        XCTAssertThrowsError(try m.overlap(of: []))
        XCTAssertThrowsError(try m.overlap(of: [-1]))
        XCTAssertNil(try ConfusionMatrix(classes: 2).accuracy, "no pixels: accuracy undefined")
    }

    func testRegionOverlapMatchesPixelSets() throws {
        for seed in UInt64(1)...5 {
            var rng = SplitMix64(seed: seed)
            let (prediction, truth) = randomLabelMaps(width: 23, height: 17, classes: 4, rng: &rng)
            var m = try ConfusionMatrix(classes: 4)
            try m.add(prediction: prediction, truth: truth)
            XCTAssertEqual(m.classOverlaps, try (0..<4).map { try m.overlap(ofClass: $0) }, "seed \(seed)")
            for members: Set<Int> in [[0], [1], [2], [3], [1, 2], [1, 3], [1, 2, 3], [0, 1, 2, 3]] {
                let reference = ReferenceOverlap(prediction: prediction, truth: truth, members: members)
                let counts = try m.overlap(of: members)
                XCTAssertEqual([counts.truePositives, counts.falsePositives, counts.falseNegatives],
                               [reference.tp, reference.fp, reference.fn], "seed \(seed), members \(members)")
                XCTAssertEqual(counts.truePositives + counts.falsePositives + counts.falseNegatives
                               + counts.trueNegatives, 23 * 17)
            }
        }
    }
}
