import XCTest
@testable import MedaugExpansion

/// Synthetic anatomy: a disk of tissue 1 inside a ring of tissue 2 on
/// background 0, and optionally a nested lesion: core 7 inside rim 8.
enum Phantom {
    static let side = 40

    static func map(lesionAt centre: (Int, Int)?) -> [Int32] {
        (0..<side * side).map { index in
            let (y, x) = (Double(index / side), Double(index % side))
            let r = ((y - 20) * (y - 20) + (x - 20) * (x - 20)).squareRoot()
            if let centre {
                let l = ((y - Double(centre.0)) * (y - Double(centre.0)) + (x - Double(centre.1)) * (x - Double(centre.1))).squareRoot()
                if l <= 1.5 { return 7 }
                if l <= 3.5 { return 8 }
            }
            return r <= 12 ? 1 : r <= 17 ? 2 : 0
        }
    }

    static let editor = LabelEditor(editValues: [7, 8], backgroundValue: 0)

    static func centroid(of map: [Int32], values: Set<Int32>) -> (Double, Double) {
        let hits = map.indices.filter { values.contains(map[$0]) }
        return (Double(hits.map { $0 / side }.reduce(0, +)) / Double(hits.count),
                Double(hits.map { $0 % side }.reduce(0, +)) / Double(hits.count))
    }
}

final class LabelEditorTests: XCTestCase {
    func testRemovingARegionFillsItWithTheSurroundingAnatomy() {
        let filled = Phantom.editor.removingRegion(from: Phantom.map(lesionAt: (20, 20)), side: Phantom.side)
        XCTAssertEqual(filled, Phantom.map(lesionAt: nil), "a lesion inside tissue 1 becomes tissue 1")
        // On the border between two tissues, each hole pixel takes a neighbouring tissue.
        let border = Phantom.editor.removingRegion(from: Phantom.map(lesionAt: (20, 33)), side: Phantom.side)
        XCTAssertFalse(border.contains(7) || border.contains(8))
        XCTAssertEqual(border[20 * Phantom.side + 31], 1)
        XCTAssertEqual(border[20 * Phantom.side + 35], 2)
    }

    func testEditsPlaceTheWholeNestedLesionOnAnatomyOnly() {
        let original = Phantom.map(lesionAt: (20, 20))
        var kinds: [LabelEditor.Kind: Int] = [:]
        var moved = 0
        for seed in 0..<40 as Range<UInt64> {
            var random = SplitMix64(seed: seed)
            guard let (edited, kind) = Phantom.editor.edit(original, donor: nil, side: Phantom.side, random: &random) else {
                return XCTFail("seed \(seed): no placement found")
            }
            kinds[kind, default: 0] += 1
            let coreCount = edited.filter { $0 == 7 }.count, rimCount = edited.filter { $0 == 8 }.count
            XCTAssertGreaterThan(coreCount, 0, "the core survives")
            XCTAssertGreaterThan(rimCount, coreCount, "the rim surrounds it")
            for index in edited.indices where edited[index] == 7 || edited[index] == 8 {
                XCTAssertNotEqual(original[index], 0, "seed \(seed): lesion pixel \(index) on background")
            }
            // Nothing but the lesion and (for a move) the old site changes.
            let background = edited.indices.filter { edited[$0] == 0 }
            XCTAssertEqual(background, original.indices.filter { original[$0] == 0 }, "background unchanged")
            if kind == .move {
                let before = Phantom.centroid(of: original, values: [7, 8]), after = Phantom.centroid(of: edited, values: [7, 8])
                if abs(before.0 - after.0) + abs(before.1 - after.1) > 3 { moved += 1 }
            } else {
                XCTAssertEqual(edited[20 * Phantom.side + 20], 7, "a copy keeps the original lesion")
            }
        }
        XCTAssertGreaterThan(kinds[.move] ?? 0, 5)
        XCTAssertGreaterThan(kinds[.copy] ?? 0, 5)
        XCTAssertGreaterThan(moved, (kinds[.move] ?? 0) / 2, "most moves go somewhere else")
    }

    func testMapsWithoutALesionGetTheDonorsAndTheSameSeedGivesTheSameMap() {
        let healthy = Phantom.map(lesionAt: nil), donor = Phantom.map(lesionAt: (14, 24))
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        let first = Phantom.editor.edit(healthy, donor: donor, side: Phantom.side, random: &a)
        let second = Phantom.editor.edit(healthy, donor: donor, side: Phantom.side, random: &b)
        XCTAssertEqual(first?.kind, .copy)
        XCTAssertEqual(first?.map, second?.map)
        XCTAssertTrue(first?.map.contains(7) ?? false)
        var c = SplitMix64(seed: 1)
        XCTAssertNil(Phantom.editor.edit(healthy, donor: nil, side: Phantom.side, random: &c), "nothing to place")
        let noAnatomy = [Int32](repeating: 0, count: Phantom.side * Phantom.side)
        XCTAssertNil(Phantom.editor.edit(noAnatomy, donor: donor, side: Phantom.side, random: &c), "nowhere to place it")
    }
}
