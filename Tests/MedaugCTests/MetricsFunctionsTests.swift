import Foundation
import MedaugMetrics
import XCTest

/// medaug_metrics: the Swift accumulator's reports as JSON, options, errors.
final class MetricsFunctionsTests: XCTestCase {
    let (n, side, classes) = (3, 16, 3)

    func maps() -> (prediction: [Int32], truth: [Int32]) {
        let truth = TestModelFiles.labels(count: n, side: side, values: [0, 1, 2], seed: 3)
        var prediction = truth
        for i in stride(from: 0, to: prediction.count, by: 7) { prediction[i] = (prediction[i] + 1) % 3 }
        return (prediction, truth)
    }

    func json(_ lib: MedaugLibrary, _ prediction: [Int32], _ truth: [Int32], options: MetricsOptionsMirror?) throws -> [String: Any] {
        var text: UnsafeMutablePointer<CChar>?
        let copy = options
        let status = copy.map { o -> Int32 in
            var o = o
            return lib.metrics(prediction, truth, n, side, side, classes, &o, &text)
        } ?? lib.metrics(prediction, truth, n, side, side, classes, nil, &text)
        XCTAssertEqual(status, Status.ok, lib.message)
        defer { lib.stringFree(text) }
        return try JSONSerialization.jsonObject(with: Data(String(cString: try XCTUnwrap(text)).utf8)) as! [String: Any]
    }

    func testReportsEqualTheSwiftAccumulator() throws {
        let lib = try MedaugLibrary.shared()
        let (prediction, truth) = maps()
        let regions = #"[{"name": "foreground", "classes": [1, 2]}]"#
        try regions.withCString { regionsPointer in
            let options = MetricsOptionsMirror(smoothing: 1, hausdorffPercentile: 100, spacingRow: 2, spacingColumn: 0.5,
                                               regionsJSON: regionsPointer)
            let report = try json(lib, prediction, truth, options: options)
            var swiftOptions = MetricsOptions(smoothing: 1)
            swiftOptions.regions = [try RegionDefinition(name: "foreground", classes: [1, 2])]
            swiftOptions.surfaceDistance = try SurfaceDistanceOptions(percentile: 100, spacing: try PixelSpacing(row: 2, column: 0.5))
            var accumulator = try MetricsAccumulator(classes: classes, options: swiftOptions)
            let plane = side * side
            for i in 0..<n {
                try accumulator.add(prediction: Array(prediction[(i * plane)..<((i + 1) * plane)]),
                                    truth: Array(truth[(i * plane)..<((i + 1) * plane)]), width: side, height: side)
            }
            let encoder = JSONEncoder()
            for (key, scores) in [("micro", try accumulator.micro()), ("macro", try accumulator.macro())] {
                let expected = try JSONSerialization.jsonObject(with: try encoder.encode(scores)) as! NSDictionary
                XCTAssertEqual(report[key] as? NSDictionary, expected, key)
            }
            XCTAssertEqual((report["per_image"] as? [Any])?.count, n)
            let micro = report["micro"] as! [String: Any]
            XCTAssertEqual((micro["regions"] as? [[String: Any]])?.first?["name"] as? String, "foreground")
            XCTAssertEqual(micro["hausdorff_percentile"] as? Double, 100)
        }
        // Defaults: HD95, no smoothing; skip_hausdorff leaves distances out.
        let defaults = try json(lib, prediction, truth, options: nil)
        XCTAssertEqual((defaults["micro"] as! [String: Any])["hausdorff_percentile"] as? Double, 95)
        let skipped = try json(lib, prediction, truth, options: MetricsOptionsMirror(skipHausdorff: 1))
        XCTAssertTrue((skipped["micro"] as! [String: Any])["hausdorff_percentile"] is NSNull)
    }

    func testErrors() throws {
        let lib = try MedaugLibrary.shared()
        var (prediction, truth) = maps()
        var text: UnsafeMutablePointer<CChar>?
        XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, nil, nil), Status.invalidArgument)
        XCTAssertEqual(lib.metrics(nil, truth, n, side, side, classes, nil, &text), Status.invalidArgument)
        XCTAssertNil(text)
        XCTAssertEqual(lib.metrics(prediction, truth, 0, side, side, classes, nil, &text), Status.invalidArgument)
        XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, 0, nil, &text), Status.invalidArgument)
        XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, 65_536, nil, &text), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("1...1024"), lib.message)
        XCTAssertEqual(lib.metrics(prediction, truth, Int.max, side, side, classes, nil, &text), Status.invalidArgument)
        prediction[9] = 3
        XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, nil, &text), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("3"), lib.message)
        prediction[9] = 0
        truth[0] = -1
        XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, nil, &text), Status.invalidArgument)
        truth[0] = 0
        for options in [MetricsOptionsMirror(smoothing: -1), MetricsOptionsMirror(hausdorffPercentile: 101),
                        MetricsOptionsMirror(countAbsentAsOne: 2), MetricsOptionsMirror(structSize: 8)] {
            var o = options
            XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, &o, &text), Status.invalidArgument)
        }
        "[{\"name\": 1}]".withCString { bad in
            var o = MetricsOptionsMirror(regionsJSON: bad)
            XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, &o, &text), Status.invalidArgument)
            XCTAssertTrue(lib.message.contains("regions_json"), lib.message)
        }
        #"[{"name": "x", "classes": [5]}]"#.withCString { bad in
            var o = MetricsOptionsMirror(regionsJSON: bad)
            XCTAssertEqual(lib.metrics(prediction, truth, n, side, side, classes, &o, &text), Status.invalidArgument)
        }
        XCTAssertNil(text)
    }
}
