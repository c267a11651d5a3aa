import XCTest
import MedaugImaging
@testable import MedaugTrainer

/// The GAN's paired augmentation moves an image and its label map together,
/// keeps the label set, depends only on (seed, step, slot), and is pix2pix's
/// jitter: a zoom by 286/256 and a shift that never shows the border.
final class PairAugmentationTests: XCTestCase {
    /// Two 24×20 pairs whose image is a function of the label (class k ↦
    /// k/2 − 1), with blocks of classes 0–3.
    func makeBatch() -> (TrainTensor, LabelMap) {
        let (h, w) = (24, 20)
        let labels = LabelMap(n: 2, h: h, w: w)
        let images = TrainTensor(shape: TensorShape(n: 2, c: 1, h: h, w: w))
        for n in 0..<2 {
            for y in 0..<h {
                for x in 0..<w {
                    let k = Int32((y / 6 + x / 5 + n) % 4)
                    labels.pointer[(n * h + y) * w + x] = k
                    images.pointer[(n * h + y) * w + x] = Float(k) / 2 - 1
                }
            }
        }
        return (images, labels)
    }

    func augmented(seed: UInt64, step: Int) throws -> (images: [Float], labels: [Int32]) {
        let (images, labels) = makeBatch()
        try PairAugmentation.apply(try Augmenter(pipeline: PairAugmentation.pix2pixJitter), images: images, labels: labels,
                                   seed: seed, step: step)
        return (Array(images.buffer), Array(UnsafeBufferPointer(start: labels.pointer, count: labels.n * labels.h * labels.w)))
    }

    func testImageAndLabelsMoveTogether() throws {
        let (h, w) = (24, 20)
        var moved = 0
        for step in 0..<8 {
            let (images, labels) = try augmented(seed: 3, step: step)
            XCTAssertTrue(Set(labels).isSubset(of: [0, 1, 2, 3]))
            let original = makeBatch().0
            if withExtendedLifetime(original, { Array(original.buffer) }) != images { moved += 1 }
            // Where a pixel's 3×3 neighbourhood has one label, the bilinear
            // image there is that label's intensity.
            for n in 0..<2 {
                for y in 1..<(h - 1) {
                    for x in 1..<(w - 1) {
                        let k = labels[(n * h + y) * w + x]
                        let uniform = (-1...1).allSatisfy { dy in (-1...1).allSatisfy { dx in labels[(n * h + y + dy) * w + x + dx] == k } }
                        if uniform { XCTAssertEqual(images[(n * h + y) * w + x], Float(k) / 2 - 1, accuracy: 1e-5) }
                    }
                }
            }
        }
        XCTAssertEqual(moved, 8, "the jitter zooms every batch")
    }

    func testTheSameSeedStepAndSlotGiveTheSameTransform() throws {
        let a = try augmented(seed: 3, step: 5), b = try augmented(seed: 3, step: 5)
        XCTAssertEqual(a.images, b.images)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertNotEqual(try augmented(seed: 3, step: 6).images, a.images)
        XCTAssertNotEqual(try augmented(seed: 4, step: 5).images, a.images)
    }

    /// pix2pix's numbers, and the window stays inside the zoomed content: on
    /// a ramp across the columns, every step between neighbouring output
    /// columns is the zoomed one (256/286); a border, repeated by the edge
    /// mode, would show as steps of 0. (At the largest shift the outermost
    /// column may reach 0.05 pixel past the content's last pixel centre.)
    func testTheJitterIsPix2PixsAndNeverShowsTheBorder() throws {
        let operations = PairAugmentation.pix2pixJitter.operations
        XCTAssertEqual(operations.map(\.kind), [.zoom, .shift, .flip])
        XCTAssertEqual(operations[0].range, [286.0 / 256, 286.0 / 256])
        XCTAssertEqual(operations[1].range[1], (286.0 / 256 - 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(operations[2].probability, 0.5)
        let side = 64
        let augmenter = try Augmenter(pipeline: PairAugmentation.pix2pixJitter)
        var mirrored = 0
        for step in 0..<40 {
            let images = TrainTensor(shape: TensorShape(n: 1, c: 1, h: side, w: side))
            let labels = LabelMap(n: 1, h: side, w: side)
            for y in 0..<side { for x in 0..<side { images.pointer[y * side + x] = Float(x) } }
            try PairAugmentation.apply(augmenter, images: images, labels: labels, seed: 1, step: step)
            let row = Array(images.buffer[0..<side])
            if row[1] < row[0] { mirrored += 1 }
            for x in 1..<side {
                let difference = abs(row[x] - row[x - 1])
                if x >= 2 && x < side - 1 { XCTAssertEqual(difference, Float(256.0 / 286), accuracy: 1e-3) }
                XCTAssertGreaterThan(difference, 0.8, "a border shows at column \(x)")
            }
        }
        XCTAssertTrue((8...32).contains(mirrored), "mirrored \(mirrored) of 40")
    }
}
