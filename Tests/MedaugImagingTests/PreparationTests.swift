import XCTest
@testable import MedaugImaging

final class PreparationTests: XCTestCase {
    func testResizeKeepsAspectAndPadsWithBackground() throws {
        // 4 rows × 8 columns of 1 mm → 16×16: content 8 rows × 16 columns, centred.
        let slice = Slice(channels: 1, height: 4, width: 8, image: (0..<32).map(Float.init),
                          labels: (0..<32).map { Int32($0 % 8 < 4 ? 1 : 2) }, spacing: (1, 1))
        let out = try Resize.toSquare(slice, side: 16, imageFill: -1, labelFill: 0)
        XCTAssertEqual(out.spacing.row, 0.5)
        XCTAssertEqual(out.labels[0], 0, "padding is background")
        XCTAssertEqual(out.image[0], -1)
        XCTAssertEqual(out.labels[4 * 16 + 0], 1, "first content row starts at row 4")
        XCTAssertEqual(out.labels[4 * 16 + 15], 2)
        XCTAssertEqual(out.labels[3 * 16 + 8], 0)
        XCTAssertEqual(Set(out.labels), [0, 1, 2], "nearest neighbour invents no label")
        // Anisotropic pixels: 2 mm rows, 1 mm columns, 4×8 → extent 8 mm × 8 mm: fills the square.
        let aniso = Slice(channels: 1, height: 4, width: 8, image: [Float](repeating: 3, count: 32),
                          labels: [Int32](repeating: 1, count: 32), spacing: (2, 1))
        let square = try Resize.toSquare(aniso, side: 8, imageFill: 0, labelFill: 0)
        XCTAssertEqual(Set(square.labels), [1])
        XCTAssertTrue(square.image.allSatisfy { $0 == 3 })
    }

    func testPercentileNormalisationMatchesNumpy() throws {
        // numpy.percentile([1..10], [10, 90]) = [1.9, 9.1]
        let normalisation = try IntensityNormalization(lowPercentile: 10, highPercentile: 90)
        let (low, high) = normalisation.bounds(ArraySlice((1...10).map(Float.init)), selected: nil)
        XCTAssertEqual(low, 1.9, accuracy: 1e-5)
        XCTAssertEqual(high, 9.1, accuracy: 1e-5)
        var image: [Float] = [0, 5, 10, 100]
        _ = normalisation.normalise(&image, channels: 1, selected: [false, true, true, false])
        XCTAssertEqual(image, [-1, -1, 1, 1])
        XCTAssertThrowsError(try IntensityNormalization(lowPercentile: 50, highPercentile: 10))
    }

    /// NaN is "no data": no percentile counts it, it maps to -1; ±∞ clip.
    func testNonFiniteValuesCountForNoPercentileAndMapToTheEnds() throws {
        let normalisation = try IntensityNormalization(lowPercentile: 10, highPercentile: 90)
        let values: [Float] = [.nan, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, .infinity, -.infinity]
        let (low, high) = normalisation.bounds(ArraySlice(values), selected: nil)
        XCTAssertEqual(low, 1.9, accuracy: 1e-5)
        XCTAssertEqual(high, 9.1, accuracy: 1e-5)
        // Selected but not finite: the finite selected ones; none finite selected: all finite ones.
        let selected = values.map { !$0.isFinite || $0 >= 5 }
        XCTAssertEqual(normalisation.bounds(ArraySlice(values), selected: selected).low, 5.5, accuracy: 1e-5)
        let onlyNonFinite = values.map { !$0.isFinite }
        XCTAssertEqual(normalisation.bounds(ArraySlice(values), selected: onlyNonFinite).low, 1.9, accuracy: 1e-5)
        XCTAssertEqual(normalisation.bounds(ArraySlice([Float.nan, .infinity]), selected: nil).low, 0)
        var image = values
        _ = normalisation.normalise(&image, channels: 1, selected: nil)
        XCTAssertEqual(image[0], -1)
        XCTAssertEqual(Array(image.suffix(2)), [1, -1])
        XCTAssertTrue(image.allSatisfy { $0 >= -1 && $0 <= 1 })
        XCTAssertEqual(IntensityNormalization.scale(.nan, low: 0, high: 0), -1)
        XCTAssertEqual(IntensityNormalization.scale(0.5, low: 0, high: 0), 0)     // a span of 1
    }

    func testSplitsByPositionLeaveGaps() throws {
        let splits = try SplitPlanner.byPosition(slices: 40, fractions: .init(validation: 0.2, test: 0.2), gap: 3)
        let train = splits.indices.filter { splits[$0] == .train }
        let val = splits.indices.filter { splits[$0] == .val }
        let test = splits.indices.filter { splits[$0] == .test }
        XCTAssertEqual(val.first! - train.last!, 4, "three slices left out between train and val")
        XCTAssertEqual(test.first! - val.last!, 4)
        XCTAssertEqual(train.count + val.count + test.count, 34)
        XCTAssertThrowsError(try SplitPlanner.byPosition(slices: 5, fractions: .init(), gap: 3))
        let volumes = SplitPlanner.byVolume(count: 10, fractions: .init(), seed: 1)
        XCTAssertEqual(volumes, SplitPlanner.byVolume(count: 10, fractions: .init(), seed: 1))
        XCTAssertEqual(volumes.filter { $0 == .test }.count, 2)
        let subset = SplitPlanner.subset(Array(0..<100), count: 30, seed: 7)
        XCTAssertEqual(subset.count, 30)
        XCTAssertEqual(Set(subset).count, 30)
        XCTAssertEqual(subset, SplitPlanner.subset(Array(0..<100), count: 30, seed: 7))
        XCTAssertNotEqual(subset, SplitPlanner.subset(Array(0..<100), count: 30, seed: 8))
    }

    func testLabelMappingAndRegions() throws {
        XCTAssertEqual(try LabelMapping.classIndices([0, 4, 2, 1], labelValues: [0, 1, 2, 4], source: "m.tif"), [0, 3, 2, 1])
        XCTAssertThrowsError(try LabelMapping.classIndices([3], labelValues: [0, 1, 2, 4], source: "m.tif")) { error in
            XCTAssertTrue("\(error)".contains("label value 3 at pixel 0"), "\(error)")
        }
        XCTAssertEqual(LabelMapping.region(.tumourCore, of: [0, 1, 2, 4]), [0, 1, 0, 1])
        let tissue = try LabelMapping.tissueClasses(t1: [0, 50, 50, 50], greyMatter: [0.9, 0.1, 0.6, 0.2],
                                                    whiteMatter: [0, 0.1, 0.3, 0.7], brainThreshold: 10)
        XCTAssertEqual(tissue, [0, 1, 2, 3])
    }
}
