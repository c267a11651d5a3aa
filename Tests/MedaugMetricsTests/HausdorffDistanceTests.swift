import Foundation
import XCTest
@testable import MedaugMetrics

final class HausdorffDistanceTests: XCTestCase {
    private func mask(width: Int, height: Int, _ inside: (Int, Int) -> Bool) -> [Bool] {
        (0..<(width * height)).map { inside($0 / width, $0 % width) }
    }

    func testNumpyPercentileRule() {
        // [1, 2, 3, 4], p 95: h = 0.95·3 = 2.85 → 3 + 0.85·(4 − 3) = 3.85
        // p 10: h = 0.3 → 1 + 0.3 = 1.3; p 0 → 1; p 100 → 4; p 50: h = 1.5 → 2.5
        assertClose(numpyPercentile(ofSorted: [1, 2, 3, 4], 95), 3.85, "p95")
        assertClose(numpyPercentile(ofSorted: [1, 2, 3, 4], 10), 1.3, "p10")
        XCTAssertEqual(numpyPercentile(ofSorted: [1, 2, 3, 4], 0), 1)
        XCTAssertEqual(numpyPercentile(ofSorted: [1, 2, 3, 4], 100), 4)
        XCTAssertEqual(numpyPercentile(ofSorted: [1, 2, 3, 4], 50), 2.5)
        XCTAssertEqual(numpyPercentile(ofSorted: [7], 95), 7)
    }

    func testSurfaceIsMaskMinusCrossErosion() {
        // 4 x 5 image, mask rows 0-2, columns 1-3 (a 3 x 3 block touching the top border):
        // the centre (1, 2) has all four neighbours in the mask → interior;
        // the other 8 are surface. Row 0 is on the image border → surface.
        let m = mask(width: 5, height: 4) { y, x in y <= 2 && (1...3).contains(x) }
        XCTAssertEqual(surfacePixels(of: m, width: 5, height: 4), [1, 2, 3, 6, 8, 11, 12, 13])
        // A full image: only the border pixels are surface.
        XCTAssertEqual(surfacePixels(of: [Bool](repeating: true, count: 9), width: 3, height: 3).count, 8)
    }

    func testSinglePixelsWithAnisotropicSpacing() throws {
        // One pixel each, same row, 3 columns apart: 3 pixels; at 0.5 mm per column 1.5 mm;
        // at 2 mm per row (irrelevant here) still 1.5 mm.
        let p = mask(width: 8, height: 8) { y, x in y == 2 && x == 1 }
        let t = mask(width: 8, height: 8) { y, x in y == 2 && x == 4 }
        XCTAssertEqual(try hausdorffDistance(prediction: p, truth: t, width: 8, height: 8), 3)
        XCTAssertEqual(try hausdorffDistance(prediction: p, truth: t, width: 8, height: 8,
                                             spacing: PixelSpacing(row: 2, column: 0.5)), 1.5)
        // Two rows apart diagonally: dy 2 rows · 1.5 mm = 3, dx 4 cols · 1 mm = 4 → 5 mm.
        let q = mask(width: 8, height: 8) { y, x in y == 4 && x == 5 }
        XCTAssertEqual(try hausdorffDistance(prediction: p, truth: q, width: 8, height: 8,
                                             spacing: PixelSpacing(row: 1.5, column: 1)), 5)
    }

    func testShiftedBlockByHand() throws {
        // 6 x 6; truth rows 1-3 cols 1-3, prediction rows 1-3 cols 2-4 (shifted right by 1).
        // Prediction surface (8 pixels) to the truth surface: (1,2) 0, (1,3) 0, (1,4) 1,
        // (2,2) 1 (the truth centre (2,2) is interior), (2,4) 1, (3,2) 0, (3,3) 0, (3,4) 1
        // → sorted [0,0,0,0,1,1,1,1]; mirror-symmetric the other way.
        // p95: h = 0.95·7 = 6.65 → 1; p50: h = 3.5 → 0 + 0.5·1 = 0.5.
        let t = mask(width: 6, height: 6) { y, x in (1...3).contains(y) && (1...3).contains(x) }
        let p = mask(width: 6, height: 6) { y, x in (1...3).contains(y) && (2...4).contains(x) }
        XCTAssertEqual(try hausdorffDistance(prediction: p, truth: t, width: 6, height: 6), 1)
        XCTAssertEqual(try hausdorffDistance(prediction: p, truth: t, width: 6, height: 6, percentile: 50), 0.5)
        XCTAssertEqual(try hausdorffDistance(prediction: t, truth: t, width: 6, height: 6), 0)
    }

    func testEmptyMasksFollowMONAI() throws {
        let empty = [Bool](repeating: false, count: 16)
        var one = empty
        one[5] = true
        XCTAssertNil(try hausdorffDistance(prediction: empty, truth: empty, width: 4, height: 4))
        XCTAssertEqual(try hausdorffDistance(prediction: one, truth: empty, width: 4, height: 4), .infinity)
        XCTAssertEqual(try hausdorffDistance(prediction: empty, truth: one, width: 4, height: 4), .infinity)
    }

    func testScipyGoldenValues() throws {
        // Produced once with numpy 2.4.6 / scipy 1.17.1, MONAI's recipe
        // (edges = binary_erosion(m) ^ m; distance_transform_edt(~edges, sampling);
        // np.percentile), on the masks below (height 17, width 23):
        //   truth: 25(x−11)² + 49(y−8)² ≤ 1225 (ellipse); prediction: (x−13)² + (y−7)² ≤ 20
        //   plus a stray pixel at row 15, column 2.
        let truth = mask(width: 23, height: 17) { y, x in 25 * (x - 11) * (x - 11) + 49 * (y - 8) * (y - 8) <= 1225 }
        var prediction = mask(width: 23, height: 17) { y, x in (x - 13) * (x - 13) + (y - 7) * (y - 7) <= 20 }
        prediction[15 * 23 + 2] = true
        let golden: [(row: Double, column: Double, percentile: Double, value: Double)] = [
            (1, 1, 95, 4.055397531527947), (1, 1, 100, 5.656854249492381), (1, 1, 50, 1.0),
            (1.5, 0.7, 95, 3.176476034853718), (1.5, 0.7, 100, 5.70087712549569), (1.5, 0.7, 50, 1.5),
        ]
        for g in golden {
            let value = try hausdorffDistance(prediction: prediction, truth: truth, width: 23, height: 17,
                                              spacing: PixelSpacing(row: g.row, column: g.column),
                                              percentile: g.percentile)
            assertClose(value, g.value, "spacing \(g.row) x \(g.column), percentile \(g.percentile)")
        }
    }

    func testMatchesPairwiseReferenceOnRandomLabelMaps() throws {
        let (width, height) = (23, 17)
        let sets: [Set<Int>] = [[0], [1], [2], [3], [1, 2, 3], [1, 3]]
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            let (prediction, truth) = randomLabelMaps(width: width, height: height, classes: 4,
                                                      absent: seed == 3 ? [2] : [], rng: &rng)
            for members in sets {
                let p = prediction.map { members.contains(Int($0)) }, t = truth.map { members.contains(Int($0)) }
                for (row, column) in [(1.0, 1.0), (1.5, 0.7)] {
                    for percentile in [95.0, 100, 50] {
                        let spacing = try PixelSpacing(row: row, column: column)
                        let fast = try hausdorffDistance(prediction: prediction, truth: truth, classes: members,
                                                         width: width, height: height,
                                                         spacing: spacing, percentile: percentile)
                        let slow = referenceHausdorff(prediction: p, truth: t, width: width, height: height,
                                                      rowSpacing: row, columnSpacing: column, percentile: percentile)
                        assertClose(fast, slow, "seed \(seed) classes \(members.sorted()) spacing \(row)x\(column) "
                                    + "p\(percentile)")
                    }
                }
            }
        }
    }

    func testLargeImageIsFast() throws {
        // 256 x 256, as the paper's slices: a distance transform, not pairwise
        // search (which would be ~10⁷ pairs per direction here).
        var rng = SplitMix64(seed: 99)
        let (prediction, truth) = randomLabelMaps(width: 256, height: 256, classes: 4, rng: &rng)
        let start = Date()
        let value = try hausdorffDistance(prediction: prediction, truth: truth, classes: [1, 2, 3],
                                          width: 256, height: 256)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertNotNil(value)
        XCTAssertLessThan(seconds, 2, "HD95 at 256 x 256 took \(seconds) s")
    }

    func testRejectsBadInput() throws {
        let m = [Bool](repeating: true, count: 6)
        XCTAssertThrowsError(try hausdorffDistance(prediction: m, truth: m + [true], width: 3, height: 2)) {
            XCTAssertEqual($0 as? MetricsError, .shapeMismatch("prediction has 6 pixels, truth 7"))
        }
        XCTAssertThrowsError(try hausdorffDistance(prediction: m, truth: m, width: 4, height: 2)) {
            XCTAssertEqual($0 as? MetricsError,
                           .shapeMismatch("label maps have 6 pixels, width x height is 4 x 2 = 8"))
        }
        XCTAssertThrowsError(try hausdorffDistance(prediction: [], truth: [], width: 0, height: 5))
        for bad in [-1.0, 100.5, .nan] {
            XCTAssertThrowsError(try hausdorffDistance(prediction: m, truth: m, width: 3, height: 2, percentile: bad))
            XCTAssertThrowsError(try SurfaceDistanceOptions(percentile: bad, spacing: .unit))
        }
        for (row, column) in [(0.0, 1.0), (1.0, -2.0), (.infinity, 1.0), (1.0, .nan)] {
            XCTAssertThrowsError(try PixelSpacing(row: row, column: column)) {
                XCTAssertTrue(($0 as? MetricsError)?.description.hasPrefix("pixel spacing is") ?? false)
            }
        }
        XCTAssertThrowsError(try hausdorffDistance(prediction: [Int32](repeating: 0, count: 6),
                                                   truth: [Int32](repeating: 0, count: 6), classes: [],
                                                   width: 3, height: 2))
    }
}
