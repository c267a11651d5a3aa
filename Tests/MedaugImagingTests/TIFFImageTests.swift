import XCTest
@testable import MedaugImaging

/// TIFFImage, PixelData and ValueSummary: sizes, conversions and summaries
/// (no files involved).
final class TIFFImageTests: XCTestCase {
    func testInitChecksTheValueCount() throws {
        let image = try TIFFImage(width: 3, height: 2, channels: 1, pixels: .uint8([1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(image.shape, [1, 2, 3])
        XCTAssertEqual(image.sampleType, .uint8)
        XCTAssertThrowsError(try TIFFImage(width: 3, height: 2, channels: 2, pixels: .uint8([1, 2, 3]))) { error in
            XCTAssertEqual(error as? ImagingError, .invalidArgument("TIFF image has 3 values, expected 2×2×3"))
        }
        XCTAssertThrowsError(try TIFFImage(width: 0, height: 2, channels: 1, pixels: .uint8([])))
        XCTAssertThrowsError(try TIFFImage(width: .max, height: .max, channels: 1, pixels: .uint8([])))
    }

    func testFloatValuesAreUnscaled() {
        XCTAssertEqual(PixelData.uint8([0, 255]).floatValues(), [0, 255])
        XCTAssertEqual(PixelData.int16([-32768, 7]).floatValues(), [-32768, 7])
        XCTAssertEqual(PixelData.bool([true, false]).floatValues(), [1, 0])
        XCTAssertEqual(PixelData.float64([0.5, 1e300]).floatValues(), [0.5, .infinity])
        XCTAssertEqual(PixelData.uint32([16_777_217]).floatValues(), [16_777_216])  // nearest Float
    }

    func testSummarySkipsAndCountsNaN() {
        let summary = PixelData.float32([1, .nan, 3, -2]).summary()
        XCTAssertEqual([summary.min, summary.max, summary.mean], [-2, 3, 2.0 / 3.0])
        XCTAssertEqual([summary.count, summary.nanCount], [4, 1])
        let empty = PixelData.float32([.nan]).summary()
        XCTAssertTrue(empty.min.isNaN && empty.max.isNaN && empty.mean.isNaN)
    }

    func testMeanSurvivesExtremeValues() {
        // A plain Double sum loses 1 and 2 next to 3.4e38 and returns 0.
        let summary = PixelData.float32([.greatestFiniteMagnitude, 1, 2, -.greatestFiniteMagnitude]).summary()
        XCTAssertEqual(summary.mean, 0.75)
    }

    func testMergedSummaryEqualsTheSummaryOfAllValues() {
        let a = PixelData.uint16([1, 2, 3, 65535]), b = PixelData.uint16([0, 10])
        let merged = a.summary().merged(with: b.summary())
        let whole = PixelData.uint16([1, 2, 3, 65535, 0, 10]).summary()
        XCTAssertEqual(merged.min, whole.min)
        XCTAssertEqual(merged.max, whole.max)
        XCTAssertEqual(merged.mean, whole.mean, accuracy: 1e-12)
        XCTAssertEqual(merged.count, 6)
        let withNaNOnly = PixelData.float32([.nan]).summary().merged(with: b.summary())
        XCTAssertEqual([withNaNOnly.min, withNaNOnly.max, withNaNOnly.mean], [0, 10, 5])
    }

    func testSampleTypeSizes() {
        XCTAssertEqual(SampleType.allCases.map(\.bitsPerSample), [1, 8, 8, 16, 16, 32, 32, 32, 64])
        XCTAssertEqual(SampleType.bool.bytesPerSample, 1)
        XCTAssertEqual(SampleType.float64.bytesPerSample, 8)
    }
}
