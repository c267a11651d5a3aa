import XCTest
@testable import MedaugMetrics

final class MetricsOptionsTests: XCTestCase {
    func testDefaults() {
        let options = MetricsOptions()
        XCTAssertEqual(options.smoothing, 0)
        XCTAssertTrue(options.excludeAbsentClasses)
        XCTAssertEqual(options.regions, [])
        XCTAssertEqual(options.surfaceDistance?.percentile, 95)
        XCTAssertEqual(options.surfaceDistance?.spacing, .unit)
        XCTAssertNoThrow(try options.validate(classes: 1))
    }

    func testRejectsBadSmoothing() {
        for bad in [-1.0, .nan, .infinity] {
            XCTAssertThrowsError(try MetricsOptions(smoothing: bad).validate(classes: 3)) {
                XCTAssertEqual(($0 as? MetricsError)?.description,
                               "smoothing is \(bad), expected a finite value ≥ 0")
            }
        }
    }

    func testRejectsRegionsThatDoNotFitTheClasses() throws {
        let wide = try RegionDefinition(name: "tumour", classes: [1, 4])
        XCTAssertThrowsError(try MetricsOptions(regions: [wide]).validate(classes: 4)) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument(
                "region \"tumour\" lists class 4; class indices must be in 0..<4"))
        }
        XCTAssertNoThrow(try MetricsOptions(regions: [wide]).validate(classes: 5))
        let twice = [try RegionDefinition(name: "a", classes: [1]), try RegionDefinition(name: "a", classes: [2])]
        XCTAssertThrowsError(try MetricsOptions(regions: twice).validate(classes: 3)) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("region name \"a\" is used twice"))
        }
    }

    func testSurfaceDistanceOptions() throws {
        let options = try SurfaceDistanceOptions(percentile: 100, spacing: PixelSpacing(row: 2, column: 0.5))
        XCTAssertEqual(options.percentile, 100)
        XCTAssertEqual(options.spacing.row, 2)
        XCTAssertEqual(options.spacing.column, 0.5)
        XCTAssertThrowsError(try SurfaceDistanceOptions(percentile: 101, spacing: .unit)) {
            XCTAssertEqual($0 as? MetricsError, .invalidArgument("Hausdorff percentile is 101.0, expected 0...100"))
        }
    }
}
