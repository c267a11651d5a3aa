import XCTest
@testable import MedaugMetrics

final class RegionDefinitionTests: XCTestCase {
    func testBratsPresetUsesPositionsOfLabelValues() throws {
        // label_values [0, 1, 2, 4]: value 4 (enhancing) is class index 3.
        let regions = try RegionDefinition.brats(labelValues: [0, 1, 2, 4])
        XCTAssertEqual(regions.map(\.name), ["whole_tumour", "tumour_core", "enhancing_tumour"])
        XCTAssertEqual(regions.map(\.classes), [[1, 2, 3], [1, 3], [3]])
        // Any order of values: [4, 0, 2, 1] puts 4 at 0, 2 at 2, 1 at 3.
        let shuffled = try RegionDefinition.brats(labelValues: [4, 0, 2, 1])
        XCTAssertEqual(shuffled.map(\.classes), [[3, 2, 0], [3, 0], [0]])
        // Extra values are in no region.
        XCTAssertEqual(try RegionDefinition.brats(labelValues: [0, 1, 2, 4, 7])[0].classes, [1, 2, 3])
    }

    func testBratsPresetNamesTheMissingValue() {
        XCTAssertThrowsError(try RegionDefinition.brats(labelValues: [0, 1, 2, 3])) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument(
                "BraTS regions need label value 4 (enhancing tumour); label_values are [0, 1, 2, 3]"))
        }
        XCTAssertThrowsError(try RegionDefinition.brats(labelValues: [0, 2, 4])) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument(
                "BraTS regions need label value 1 (necrotic / non-enhancing core); label_values are [0, 2, 4]"))
        }
        XCTAssertThrowsError(try RegionDefinition.brats(labelValues: [0, 1, 2, 4, 2])) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument(
                "label value 2 appears twice in label_values [0, 1, 2, 4, 2]"))
        }
    }

    func testInitRejectsEmptyOrNegative() {
        XCTAssertThrowsError(try RegionDefinition(name: "", classes: [1]))
        XCTAssertThrowsError(try RegionDefinition(name: "r", classes: [])) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("region \"r\" needs at least one class, got none"))
        }
        XCTAssertThrowsError(try RegionDefinition(name: "r", classes: [2, -1])) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("region \"r\" lists class -1; indices must be ≥ 0"))
        }
    }

    func testBratsRegionDiceByHand() throws {
        // label_values [0, 1, 2, 4] → indices 0..3. One row of 8 pixels:
        // truth       0 1 1 2 2 3 3 0
        // prediction  0 1 2 2 0 3 1 3
        // whole tumour {1,2,3}: truth pixels 1-6, prediction 1,2,3,5,6,7 → TP 5 (1,2,3,5,6),
        //   FN 1 (4), FP 1 (7) → Dice 10/12, IoU 5/7
        // tumour core {1,3}: truth 1,2,5,6; prediction 1,5,6,7 → TP 3, FN 1 (2), FP 1 (7)
        //   → Dice 6/8, IoU 3/5
        // enhancing {3}: truth 5,6; prediction 5,7 → TP 1, FN 1, FP 1 → Dice 2/4, IoU 1/3
        let truth: [Int32] = [0, 1, 1, 2, 2, 3, 3, 0]
        let prediction: [Int32] = [0, 1, 2, 2, 0, 3, 1, 3]
        let options = MetricsOptions(regions: try RegionDefinition.brats(labelValues: [0, 1, 2, 4]),
                                     surfaceDistance: nil)
        var matrix = try ConfusionMatrix(classes: 4)
        try matrix.add(prediction: prediction, truth: truth)
        let scores = try SegmentationScores(matrix: matrix, options: options)
        XCTAssertEqual(scores.regions.map(\.dice), [10.0 / 12, 6.0 / 8, 2.0 / 4])
        XCTAssertEqual(scores.regions.map(\.iou), [5.0 / 7, 3.0 / 5, 1.0 / 3])
        XCTAssertEqual(scores.regions.map(\.classes), [[1, 2, 3], [1, 3], [3]])
    }
}
