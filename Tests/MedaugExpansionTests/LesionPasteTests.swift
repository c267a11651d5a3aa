import XCTest
@testable import MedaugExpansion
@testable import MedaugImaging

final class LesionPasteTests: XCTestCase {
    /// The phantom's map with an image whose every pixel value is unique
    /// (pair-specific offset), so a pasted pixel's origin can be traced.
    func pair(lesionAt centre: (Int, Int)?, offset: Float, channels: Int = 2) throws -> ImagePair {
        let plane = Phantom.side * Phantom.side
        let image = (0..<(channels * plane)).map { offset + Float($0) / Float(4 * channels * plane) }
        return try ImagePair(channels: channels, height: Phantom.side, width: Phantom.side, image: image,
                             mask: Phantom.map(lesionAt: centre))
    }

    func testPastedLesionLandsOnAnatomyOffTheOwnLesionWithTheDonorsPixels() throws {
        let target = try pair(lesionAt: (14, 20), offset: 0), donor = try pair(lesionAt: (26, 22), offset: 0.5)
        let donorLesion = Set(donor.mask.indices.filter { [7, 8].contains(donor.mask[$0]) })
        let plane = Phantom.side * Phantom.side
        var pasted = 0
        for seed in 0..<20 {
            var random = SplitMix64(seed: UInt64(seed))
            guard let out = Phantom.editor.paste(into: target, from: donor, random: &random) else { continue }
            pasted += 1
            for p in 0..<plane where out.mask[p] != target.mask[p] {
                // Only anatomy is overwritten, never background or the own lesion.
                XCTAssertTrue([1, 2].contains(target.mask[p]), "pixel \(p) was \(target.mask[p])")
                XCTAssertTrue([7, 8].contains(out.mask[p]))
            }
            XCTAssertEqual(Set(out.mask.indices.filter { target.mask[$0] == 7 || target.mask[$0] == 8 }.map { out.mask[$0] }),
                           [7, 8], "the own lesion is kept")
            for p in 0..<plane where out.mask[p] != target.mask[p] || out.image[p] != target.image[p] {
                // The image under every pasted label comes from one donor lesion pixel, in every channel.
                let source = donorLesion.first { donor.image[$0] == out.image[p] }
                XCTAssertNotNil(source, "pixel \(p)")
                if let source {
                    XCTAssertEqual(out.mask[p], donor.mask[source])
                    XCTAssertEqual(out.image[plane + p], donor.image[plane + source])
                }
            }
            XCTAssertGreaterThan(out.mask.filter { $0 == 8 }.count, target.mask.filter { $0 == 8 }.count)
        }
        XCTAssertGreaterThan(pasted, 15, "the phantom has room for a pasted lesion")
    }

    func testNoDonorLesionOrNoRoomGivesNil() throws {
        var random = SplitMix64(seed: 1)
        let target = try pair(lesionAt: (14, 20), offset: 0)
        XCTAssertNil(Phantom.editor.paste(into: target, from: try pair(lesionAt: nil, offset: 0.5), random: &random))
        var crowded = target
        crowded.mask = crowded.mask.map { $0 == 0 ? 0 : 8 }   // all lesion: no anatomy left
        XCTAssertNil(Phantom.editor.paste(into: crowded, from: try pair(lesionAt: (26, 22), offset: 0.5), random: &random))
    }
}
