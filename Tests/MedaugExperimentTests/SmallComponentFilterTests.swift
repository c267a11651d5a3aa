import XCTest
@testable import MedaugExperiment

/// The validated post-processing: small 8-connected components take the
/// label around them, and `choose` keeps a minimum only where it raises the
/// validation mean Dice.
final class SmallComponentFilterTests: XCTestCase {
    /// A `rows`-line picture, one digit per pixel.
    func map(_ rows: [String]) -> (labels: [Int32], width: Int, height: Int) {
        (rows.joined().map { Int32(String($0))! }, rows[0].count, rows.count)
    }

    func testSmallComponentsTakeTheMostCommonLabelAroundThem() {
        let (labels, w, h) = map([
            "111111222",
            "133111222",
            "111114222",
            "111111222",
            "555511111",
            "555511111",
        ])
        var filter = SmallComponentFilter(classes: 6)
        filter.minimumPixels[3] = 3      // the two 3s go; ring: all 1
        filter.minimumPixels[4] = 2      // the single 4 touches 1 ×5 and 2 ×3: 1
        filter.minimumPixels[5] = 8      // eight 5s stay
        let result = filter.apply(to: labels, width: w, height: h)
        XCTAssertEqual(result, map([
            "111111222",
            "111111222",
            "111111222",
            "111111222",
            "555511111",
            "555511111",
        ]).labels)
        filter.minimumPixels[5] = 9      // now they go; they touch 1 only
        XCTAssertEqual(filter.apply(to: labels, width: w, height: h).filter { $0 == 5 }.count, 0)
    }

    func testDiagonalNeighboursAreOneComponentAndAloneMeansBackground() {
        let (labels, w, h) = map(["300", "030", "003"])
        var filter = SmallComponentFilter(classes: 4)
        filter.minimumPixels[3] = 3
        XCTAssertEqual(filter.apply(to: labels, width: w, height: h), labels, "three diagonal pixels are one component of 3")
        filter.minimumPixels[3] = 4
        XCTAssertEqual(filter.apply(to: labels, width: w, height: h), Array(repeating: 0, count: 9))
        let (whole, ww, wh) = map(["33", "33"])
        filter.minimumPixels[3] = 5
        XCTAssertEqual(filter.apply(to: whole, width: ww, height: wh), [0, 0, 0, 0], "nothing touches it: background")
        XCTAssertTrue(SmallComponentFilter(classes: 4).isIdentity)
    }

    /// Class 2 has spurious specks the truth does not hold: filtered. Class 1
    /// has small components that are right: left alone.
    func testChooseKeepsOnlyMinimumsThatRaiseValidationDice() throws {
        let truth = map([
            "00000000",
            "01000000",
            "00000000",
            "00000110",
            "00000110",
            "00000000",
        ])
        let prediction = map([
            "00000000",
            "01000020",
            "00000000",
            "02000110",
            "00000110",
            "00000000",
        ])
        let filter = try SmallComponentFilter.choose(predictions: [prediction.labels], truth: [truth.labels],
                                                 width: truth.width, height: truth.height, classes: 3)
        XCTAssertEqual(filter.minimumPixels, [0, 0, 4], "the smallest candidate that removes the specks, only for class 2")
        let after = try SmallComponentFilter.meanDice([filter.apply(to: prediction.labels, width: 8, height: 6)], [truth.labels], classes: 3)
        XCTAssertEqual(after, 1, accuracy: 1e-12)
        XCTAssertLessThan(try SmallComponentFilter.meanDice([prediction.labels], [truth.labels], classes: 3), 0.7)
        let perfect = try SmallComponentFilter.choose(predictions: [truth.labels], truth: [truth.labels], width: 8, height: 6, classes: 3)
        XCTAssertTrue(perfect.isIdentity)
    }
}
