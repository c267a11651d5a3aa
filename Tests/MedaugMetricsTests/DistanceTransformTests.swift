import XCTest
@testable import MedaugMetrics

final class DistanceTransformTests: XCTestCase {
    /// Squared distance to the nearest feature by trying every feature.
    private func bruteForce(_ features: [Bool], width: Int, height: Int, row: Double, column: Double) -> [Double] {
        let points = features.indices.filter { features[$0] }
        return (0..<(width * height)).map { i in
            points.map { j -> Double in
                let dy = Double(i / width - j / width) * row, dx = Double(i % width - j % width) * column
                return dy * dy + dx * dx
            }.min() ?? .infinity
        }
    }

    func testSingleFeatureByHand() throws {
        // 3 rows x 4 columns, feature at row 1, column 2; spacing row 2, column 0.5.
        // Pixel (0, 0): dy = 1·2 = 2, dx = 2·0.5 = 1 → 4 + 1 = 5.
        // Pixel (2, 3): dy = 2, dx = 0.5 → 4.25.
        var features = [Bool](repeating: false, count: 12)
        features[1 * 4 + 2] = true
        let d = squaredDistanceToFeatures(features, width: 4, height: 3,
                                          spacing: try PixelSpacing(row: 2, column: 0.5))
        XCTAssertEqual(d[0], 5)
        XCTAssertEqual(d[2 * 4 + 3], 4.25)
        XCTAssertEqual(d[1 * 4 + 2], 0)
    }

    func testNoFeatureGivesInfinityEverywhere() throws {
        let d = squaredDistanceToFeatures([Bool](repeating: false, count: 6), width: 3, height: 2, spacing: .unit)
        XCTAssertTrue(d.allSatisfy { $0 == .infinity })
    }

    func testMatchesBruteForceOnRandomMaps() throws {
        // Densities from one feature to most pixels, including thin images,
        // isotropic and anisotropic spacing. Exact up to rounding: 1e-12.
        let shapes = [(23, 17), (1, 9), (9, 1), (31, 5), (8, 8)]
        let spacings = [(1.0, 1.0), (1.5, 0.7), (0.3, 2.9)]
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            for (width, height) in shapes {
                for density in [0.01, 0.1, 0.5, 0.9] {
                    var features = (0..<(width * height)).map { _ in Double.random(in: 0..<1, using: &rng) < density }
                    if !features.contains(true) { features[Int.random(in: 0..<features.count, using: &rng)] = true }
                    for (row, column) in spacings {
                        let spacing = try PixelSpacing(row: row, column: column)
                        let fast = squaredDistanceToFeatures(features, width: width, height: height, spacing: spacing)
                        let slow = bruteForce(features, width: width, height: height, row: row, column: column)
                        for i in fast.indices where abs(fast[i] - slow[i]) > 1e-12 {
                            XCTFail("seed \(seed) \(width)x\(height) density \(density) spacing \(row),\(column) "
                                    + "pixel \(i): expected \(slow[i]), observed \(fast[i])")
                            return
                        }
                    }
                }
            }
        }
    }
}
