import XCTest
@testable import MedaugReports

final class LineChartTests: XCTestCase {
    func testTicksAreRoundAndCoverTheRange() {
        let small = LineChart.niceTicks(low: 0.03, high: 0.71)
        XCTAssertEqual(small.count, 5)
        for (tick, expected) in zip(small, [0, 0.2, 0.4, 0.6, 0.8]) { XCTAssertEqual(tick, expected, accuracy: 1e-12) }
        XCTAssertEqual(LineChart.label(small[3]), "0.6")
        let ticks = LineChart.niceTicks(low: 12, high: 130)
        XCTAssertEqual(ticks.first, 0)
        XCTAssertGreaterThanOrEqual(ticks.last!, 130)
    }

    func testSeriesBecomePolylinesSplitAtGapsWithEscapedNames() {
        let chart = LineChart(title: "GAN <run>", panels: [
            .init(title: "L1", series: [.init(name: "train", values: [0.7, 0.5, 0.3]),
                                        .init(name: "val & co", values: [0.8, nil, 0.4, .nan, 0.2])]),
        ])
        let svg = chart.svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains("GAN &lt;run&gt;") && svg.contains("val &amp; co"))
        // train: one polyline of 3 points; val: three single points (gaps at nil and NaN).
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 1)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 3)
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))
    }
}
