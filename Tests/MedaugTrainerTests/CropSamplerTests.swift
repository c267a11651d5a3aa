import XCTest
@testable import MedaugImaging
@testable import MedaugTrainer

final class CropSamplerTests: XCTestCase {
    /// `count` pairs of `channels`×side×side, image value = (pair, channel,
    /// pixel) encoded, labels 0 except a 2×2 block of class 1 at (1, 1) and
    /// one pixel of class 2 at the far corner.
    func makePairs(count: Int = 3, channels: Int = 2, side: Int = 12) -> TrainingPairs {
        let intensity = DatasetManifest.IntensityMapping(stored: "float32", storedRange: [-1, 1])
        let manifest = DatasetManifest(classes: ["background", "big", "rare"], labelValues: [0, 1, 2],
                                       channels: (0..<channels).map { "c\($0)" }, spacingMM: [1, 1], intensity: intensity)
        let plane = side * side
        let images = (0..<(count * channels * plane)).map { Float($0) }
        var labels = [Int32](repeating: 0, count: count * plane)
        for n in 0..<count {
            for (y, x) in [(1, 1), (1, 2), (2, 1), (2, 2)] { labels[n * plane + y * side + x] = 1 }
            labels[n * plane + plane - 1] = 2
        }
        return TrainingPairs(manifest: manifest, split: .train, ids: (0..<count).map { "p\($0)" }, channels: channels,
                             height: side, width: side, images: images, labels: labels)
    }

    func testFillCopiesTheCropWindowOfEveryChannel() throws {
        let pairs = makePairs()
        let images = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1)), labels = LabelMap(n: 1, h: 1, w: 1)
        let origins = [(y: 0, x: 7), (y: 5, x: 2)], indices = [2, 0], side = 5
        try pairs.fill(images: images, labels: labels, indices: indices, origins: origins, side: side)
        XCTAssertEqual(images.shape, TensorShape(n: 2, c: 2, h: 5, w: 5))
        for (slot, (index, origin)) in zip(indices, origins).enumerated() {
            for c in 0..<2 { for y in 0..<side { for x in 0..<side {
                let source = ((index * 2 + c) * 12 + origin.y + y) * 12 + origin.x + x
                XCTAssertEqual(images[slot, c, y, x], pairs.images[source])
            } } }
            for y in 0..<side { for x in 0..<side {
                XCTAssertEqual(labels.pointer[(slot * side + y) * side + x], pairs.labels[(index * 12 + origin.y + y) * 12 + origin.x + x])
            } }
        }
        XCTAssertThrowsError(try pairs.fill(images: images, labels: labels, indices: [0], origins: [(y: 8, x: 0)], side: 5))
        XCTAssertThrowsError(try pairs.fill(images: images, labels: labels, indices: [3], origins: [(y: 0, x: 0)], side: 5))
    }

    /// With share 1 every crop holds a foreground pixel, and the rare class
    /// (one pixel) is drawn about as often as the big one.
    func testForegroundCropsHoldAForegroundPixelAndBalanceTheClasses() throws {
        let pairs = makePairs()
        let sampler = try CropSampler(CropSampling(side: 4, foregroundShare: 1), pairs: pairs, multiple: 4)
        var random = ShuffleRandom(seed: 7)
        var rare = 0
        let draws = 2000
        for d in 0..<draws {
            let origin = sampler.origin(of: d % 3, random: &random)
            let window = (0..<4).flatMap { y in (0..<4).map { x in pairs.labels[(origin.y + y) * 12 + origin.x + x] } }
            XCTAssertTrue(window.contains { $0 > 0 }, "crop at \(origin)")
            if window.contains(2) { rare += 1 }
        }
        XCTAssertEqual(Double(rare) / Double(draws), 0.5, accuracy: 0.05)
    }

    /// With share 0 origins are uniform over every position.
    func testUniformCropsReachEveryPosition() throws {
        let pairs = makePairs()
        let sampler = try CropSampler(CropSampling(side: 8, foregroundShare: 0), pairs: pairs, multiple: 4)
        var random = ShuffleRandom(seed: 8)
        var seen = Set<Int>()
        for _ in 0..<500 {
            let origin = sampler.origin(of: 0, random: &random)
            XCTAssertTrue((0...4).contains(origin.y) && (0...4).contains(origin.x))
            seen.insert(origin.y * 5 + origin.x)
        }
        XCTAssertEqual(seen.count, 25)
    }

    func testTheSameStreamGivesTheSameCrops() throws {
        let sampler = try CropSampler(CropSampling(side: 4, foregroundShare: 0.5), pairs: makePairs(), multiple: 2)
        var a = ShuffleRandom(seed: 9), b = ShuffleRandom(seed: 9)
        for i in 0..<50 {
            let (p, q) = (sampler.origin(of: i % 3, random: &a), sampler.origin(of: i % 3, random: &b))
            XCTAssertTrue(p == q)
        }
    }

    func testRefusesCropsThePairsOrNetworkCannotTake() {
        let pairs = makePairs()
        XCTAssertThrowsError(try CropSampler(CropSampling(side: 16, foregroundShare: 0.5), pairs: pairs, multiple: 4))
        XCTAssertThrowsError(try CropSampler(CropSampling(side: 6, foregroundShare: 0.5), pairs: pairs, multiple: 4))
        XCTAssertThrowsError(try CropSampler(CropSampling(side: 8, foregroundShare: 1.5), pairs: pairs, multiple: 4))
    }
}
