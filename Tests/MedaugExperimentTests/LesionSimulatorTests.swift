import XCTest
import MedaugImaging
@testable import MedaugExperiment

final class LesionSimulatorTests: XCTestCase {
    /// A 64-pixel phantom brain: white matter core, grey matter ring, CSF
    /// rim, on background; intensities as a T1 in [-1, 1].
    func phantom(side: Int = 64) throws -> ImagePair {
        var image = [Float](repeating: -1, count: side * side), mask = [Int32](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let r = (Double((y - side / 2) * (y - side / 2) + (x - side / 2) * (x - side / 2))).squareRoot() / Double(side)
                let (value, label): (Float, Int32) = r < 0.3 ? (0.7, 7) : r < 0.4 ? (0.2, 6) : r < 0.45 ? (-0.5, 5) : (-1, 0)
                image[y * side + x] = value
                mask[y * side + x] = label
            }
        }
        return try ImagePair(channels: 1, height: side, width: side, image: image, mask: mask)
    }

    func mean(_ pair: ImagePair, _ label: Int32) -> Float? {
        let values = pair.mask.indices.filter { pair.mask[$0] == label }.map { pair.image[$0] }
        return values.isEmpty ? nil : values.reduce(0, +) / Float(values.count)
    }

    func testLesionsAreNestedOnTissueWithPlausibleIntensities() throws {
        let base = try phantom()
        var withCore = 0
        for seed in 0..<20 as Range<UInt64> {
            let lesioned = try LesionSimulator().simulate(base, seed: seed)
            let counts = [1, 2, 4].map { v in lesioned.mask.filter { $0 == Int32(v) }.count }
            XCTAssertGreaterThan(counts[1], 0, "seed \(seed): oedema")
            XCTAssertGreaterThan(counts[2], 0, "seed \(seed): enhancing rim")
            if counts[0] > 0 { withCore += 1 }
            for i in base.mask.indices where base.mask[i] == 0 {
                XCTAssertEqual(lesioned.mask[i], 0, "seed \(seed): the background is never relabelled")
            }
            let oedema = try XCTUnwrap(mean(lesioned, 2)), rim = try XCTUnwrap(mean(lesioned, 4))
            let wm = try XCTUnwrap(mean(lesioned, 7))
            XCTAssertLessThan(oedema, wm - 0.2, "seed \(seed): oedema darker than white matter")
            XCTAssertGreaterThan(rim, oedema + 0.3, "seed \(seed): the rim is bright")
            XCTAssertGreaterThan(rim, wm - 0.1, "seed \(seed): the rim about as bright as white matter or brighter")
            if let core = mean(lesioned, 1) { XCTAssertLessThan(core, oedema, "seed \(seed): necrosis darkest") }
            XCTAssertTrue(lesioned.image.allSatisfy { (-1...1).contains($0) })
        }
        XCTAssertGreaterThan(withCore, 10, "most lesions have a necrotic core")
        // Seeded: the same seed, the same lesion; another seed, another place.
        XCTAssertEqual(try LesionSimulator().simulate(base, seed: 3), try LesionSimulator().simulate(base, seed: 3))
        XCTAssertNotEqual(try LesionSimulator().simulate(base, seed: 3).mask, try LesionSimulator().simulate(base, seed: 4).mask)
    }
}
