import XCTest
@testable import MedaugMetrics

final class ImageSimilarityTests: XCTestCase {
    func testClosedFormCases() throws {
        let (w, h) = (16, 14)
        let texture = (0..<w * h).map { Float(sin(Double($0) * 0.7) * 0.5) }
        XCTAssertEqual(try ImageSimilarity.ssim(texture, texture, width: w, height: h, dataRange: 2), 1, accuracy: 1e-12)
        XCTAssertEqual(try ImageSimilarity.psnr(texture, texture, width: w, height: h, dataRange: 2), .infinity)
        // Constant images: SSIM = (2ab + C1)/(a² + b² + C1) exactly.
        let (a, b) = (Float(0.2), Float(-0.3)), c1 = (0.01 * 2.0) * (0.01 * 2.0)
        let expected = (2 * Double(a) * Double(b) + c1) / (Double(a * a) + Double(b * b) + c1)
        XCTAssertEqual(try ImageSimilarity.ssim(.init(repeating: a, count: w * h), .init(repeating: b, count: w * h),
                                                width: w, height: h, dataRange: 2), expected, accuracy: 1e-6)
        // PSNR of a constant error e: 10 log10(L² / e²).
        let shifted = texture.map { $0 + 0.1 }
        XCTAssertEqual(try ImageSimilarity.psnr(texture, shifted, width: w, height: h, dataRange: 2),
                       10 * log10(4 / 0.01), accuracy: 1e-3)
        // A brightness shift of non-negative intensities keeps the structure
        // term: lower than 1, far above noise. (Near zero mean the luminance
        // term collapses, which is why callers shift signed images first.)
        let positive = texture.map { $0 + 1 }
        let brighter = try ImageSimilarity.ssim(positive, positive.map { $0 + 0.3 }, width: w, height: h, dataRange: 2)
        XCTAssertLessThan(brighter, 1)
        XCTAssertGreaterThan(brighter, 0.5)
        // More noise scores lower.
        var state: UInt64 = 7
        func noise(_ amplitude: Float) -> [Float] {
            texture.map { v in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return v + amplitude * (Float(state >> 40) / Float(1 << 24) - 0.5)
            }
        }
        let mild = try ImageSimilarity.ssim(texture, noise(0.1), width: w, height: h, dataRange: 2)
        let strong = try ImageSimilarity.ssim(texture, noise(0.8), width: w, height: h, dataRange: 2)
        XCTAssertGreaterThan(mild, strong)
        XCTAssertLessThan(mild, 1)
    }

    func testBadInputs() {
        XCTAssertThrowsError(try ImageSimilarity.ssim([0, 0], [0, 0, 0], width: 2, height: 1, dataRange: 1))
        XCTAssertThrowsError(try ImageSimilarity.ssim([0, 0], [0, 0], width: 2, height: 1, dataRange: 0))
        XCTAssertThrowsError(try ImageSimilarity.psnr([0, .nan], [0, 0], width: 2, height: 1, dataRange: 1))
        // Images smaller than the window use a smaller one.
        XCTAssertEqual(try ImageSimilarity.ssim([0, 1, 0, 1], [0, 1, 0, 1], width: 2, height: 2, dataRange: 1), 1, accuracy: 1e-12)
    }
}
