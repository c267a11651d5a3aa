import Foundation
import XCTest
@testable import MedaugMetrics

final class SegmentationScoresJSONTests: XCTestCase {
    /// Two 2 x 2 images, K = 3 (class 2 never occurs), one region {1, 2}.
    private func report() throws -> SegmentationScores {
        let options = MetricsOptions(regions: [try RegionDefinition(name: "tumour", classes: [1, 2])])
        var accumulator = try MetricsAccumulator(classes: 3, options: options)
        try accumulator.add(prediction: [0, 1, 1, 0], truth: [0, 1, 0, 0], width: 2, height: 2)
        try accumulator.add(prediction: [0, 0, 0, 0], truth: [0, 0, 0, 1], width: 2, height: 2)
        return try accumulator.micro()
    }

    func testEveryKeyIsWrittenWithNullsForUndefinedValues() throws {
        let data = try JSONEncoder().encode(try report())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), [
            "averaging", "images", "pixels", "classes", "smoothing", "absent_classes", "accuracy", "present",
            "per_class_images", "per_class_iou", "per_class_dice", "mean_iou", "mean_dice",
            "mean_iou_foreground", "mean_dice_foreground", "hausdorff_percentile", "hausdorff_spacing",
            "per_class_hausdorff", "per_class_hausdorff_images", "per_class_hausdorff_infinite", "regions",
        ])
        XCTAssertEqual(object["averaging"] as? String, "micro")
        XCTAssertEqual(object["absent_classes"] as? String, "excluded")
        XCTAssertEqual(object["classes"] as? Int, 3)
        XCTAssertEqual(object["present"] as? [Bool], [true, true, false])
        let dice = try XCTUnwrap(object["per_class_dice"] as? [Any])
        XCTAssertTrue(dice[2] is NSNull, "absent class 2 is null, not 0 or 1")
        XCTAssertEqual(object["hausdorff_spacing"] as? [Double], [1, 1])
        // Class 1: image 1 distance finite, image 2 truth only → infinite, counted not averaged.
        XCTAssertEqual(object["per_class_hausdorff_infinite"] as? [Int], [0, 1, 0])
        XCTAssertEqual(object["per_class_hausdorff_images"] as? [Int], [2, 1, 0])
        let regions = try XCTUnwrap(object["regions"] as? [[String: Any]])
        XCTAssertEqual(Set(regions[0].keys), ["name", "classes", "present", "images", "iou", "dice",
                                              "hausdorff", "hausdorff_images", "hausdorff_infinite"])
        XCTAssertEqual(regions[0]["classes"] as? [Int], [1, 2])
    }

    func testNullsWhenSurfaceDistancesAreOff() throws {
        var matrix = try ConfusionMatrix(classes: 2)
        try matrix.add(prediction: [0, 0], truth: [0, 0])
        let s = try SegmentationScores(matrix: matrix, options: MetricsOptions(excludeAbsentClasses: false))
        let data = try JSONEncoder().encode(s)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["hausdorff_percentile", "hausdorff_spacing", "per_class_hausdorff",
                    "per_class_hausdorff_images", "per_class_hausdorff_infinite"] {
            XCTAssertTrue(object[key] is NSNull, key)
        }
        XCTAssertEqual(object["absent_classes"] as? String, "counted_as_one")
        XCTAssertEqual(try JSONDecoder().decode(SegmentationScores.self, from: data), s)
    }

    func testRoundTrip() throws {
        let original = try report()
        let decoded = try JSONDecoder().decode(SegmentationScores.self, from: try JSONEncoder().encode(original))
        XCTAssertEqual(decoded, original)
    }

    func testDecodingRejectsInconsistentShapes() throws {
        let data = try JSONEncoder().encode(try report())
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["per_class_dice"] = [0.5, 0.5]
        XCTAssertThrowsError(try JSONDecoder().decode(
            SegmentationScores.self, from: try JSONSerialization.data(withJSONObject: object)))
        object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["absent_classes"] = "ignored"
        XCTAssertThrowsError(try JSONDecoder().decode(
            SegmentationScores.self, from: try JSONSerialization.data(withJSONObject: object)))
    }
}
