import XCTest
@testable import MedaugExpansion

final class GaussianMixtureRendererTests: XCTestCase {
    let side = Phantom.side

    /// Without bias, blur and noise each label's pixels sit around its own
    /// drawn mean; labels get different means, and the same seed repeats.
    func testLabelsKeepDistinctRandomMeans() throws {
        var renderer = GaussianMixtureRenderer()
        (renderer.maxBiasCoefficient, renderer.maxNoise, renderer.blurSigmaPixels) = (0, 0, 0...0)
        let mask = Phantom.map(lesionAt: (20, 20))
        let (image, draws) = try renderer.render(mask, channels: 1, height: side, width: side, seed: 5)
        let values: [Int32] = [0, 1, 2, 7, 8]
        XCTAssertEqual(Set(draws.intensities[0].keys), Set(values))
        for value in values {
            let pixels = mask.indices.filter { mask[$0] == value }.map { Double(image[$0]) }
            let mean = pixels.reduce(0, +) / Double(pixels.count)
            let drawn = draws.intensities[0][value]!
            XCTAssertEqual(mean, min(1, max(-1, drawn.mean)), accuracy: 3 * drawn.std / Double(pixels.count).squareRoot() + 0.02,
                           "label \(value)")
        }
        let means = values.map { draws.intensities[0][$0]!.mean }
        XCTAssertEqual(Set(means).count, values.count)
        // Other seeds draw other means.
        let other = try renderer.render(mask, channels: 1, height: side, width: side, seed: 6).draws
        XCTAssertNotEqual(other.intensities[0][1]!.mean, draws.intensities[0][1]!.mean)
    }

    /// One label everywhere, no noise or blur: the image is the mean times a
    /// bias field; smooth means the second differences between neighbours
    /// are a small fraction of the field's range (white noise of the same
    /// range would give about the range itself).
    func testTheBiasFieldIsSmooth() throws {
        var renderer = GaussianMixtureRenderer()
        (renderer.maxStandardDeviation, renderer.maxNoise, renderer.blurSigmaPixels) = (0, 0, 0...0)
        renderer.meanRange = 0...0
        let mask = [Int32](repeating: 3, count: side * side)
        for seed in 0..<10 as Range<UInt64> {
            let (image, _) = try renderer.render(mask, channels: 1, height: side, width: side, seed: seed)
            let range = image.max()! - image.min()!
            var curvature: Float = 0
            for y in 1..<(side - 1) {
                for x in 1..<(side - 1) {
                    let at = { (dy: Int, dx: Int) in image[(y + dy) * self.side + x + dx] }
                    curvature = max(curvature, abs(at(0, -1) - 2 * at(0, 0) + at(0, 1)), abs(at(-1, 0) - 2 * at(0, 0) + at(1, 0)))
                }
            }
            XCTAssertGreaterThan(range, 0.01, "seed \(seed): a field, not a constant")
            XCTAssertLessThan(curvature, 0.05 * range, "seed \(seed): range \(range)")
        }
    }

    func testTheSameSeedGivesTheSameImage() throws {
        let mask = Phantom.map(lesionAt: (14, 20))
        let a = try GaussianMixtureRenderer().render(mask, channels: 2, height: side, width: side, seed: 9).image
        let b = try GaussianMixtureRenderer().render(mask, channels: 2, height: side, width: side, seed: 9).image
        let c = try GaussianMixtureRenderer().render(mask, channels: 2, height: side, width: side, seed: 10).image
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertTrue(a.allSatisfy { (-1...1).contains($0) })
    }
}
