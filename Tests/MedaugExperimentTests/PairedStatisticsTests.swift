import XCTest
@testable import MedaugExperiment

/// Reference values from scipy 1.17 (`stats.ttest_rel`, `stats.t.interval`,
/// `stats.wilcoxon(zero_method="wilcox", correction=False, method="approx")`).
final class PairedStatisticsTests: XCTestCase {
    func testPairedTMatchesScipy() throws {
        let a: [Double?] = [0.71, 0.65, 0.80, 0.74, 0.69], b: [Double?] = [0.66, 0.66, 0.72, 0.70, 0.61]
        let result = try XCTUnwrap(PairedStatistics.pairedT(a, b))
        XCTAssertEqual(result.n, 5)
        XCTAssertEqual(result.meanDiff, 0.048, accuracy: 1e-12)
        // d = [0.05, -0.01, 0.08, 0.04, 0.08]: p = 0.0441274;
        // interval 0.048 ± 2.7764451 · 0.0165529454.
        XCTAssertEqual(result.p!, 0.0441274, accuracy: 2e-6)
        XCTAssertEqual(result.ci95![0], 0.048 - 2.7764451 * 0.0165529454, accuracy: 1e-6)
        XCTAssertEqual(result.ci95![1], 0.048 + 2.7764451 * 0.0165529454, accuracy: 1e-6)
    }

    func testUndefinedPairsAreLeftOutAndDegenerateCasesAreExplicit() throws {
        let result = try XCTUnwrap(PairedStatistics.pairedT([0.5, nil, 0.7], [0.4, 0.3, nil]))
        XCTAssertEqual(result.n, 1)
        XCTAssertNil(result.p)
        XCTAssertNil(result.ci95)
        XCTAssertNil(PairedStatistics.pairedT([nil], [0.3]))
        let equal = try XCTUnwrap(PairedStatistics.pairedT([0.5, 0.6], [0.4, 0.5]))
        XCTAssertEqual(equal.p, 0)
        XCTAssertEqual(equal.ci95![0], equal.ci95![1], accuracy: 1e-12)
        XCTAssertEqual(PairedStatistics.pairedT([0.5, 0.6], [0.5, 0.6])?.p, 1)
    }

    func testSignedRankMatchesScipyWithTiesAndZeros() throws {
        let a: [Double?] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        let b: [Double?] = [1.5, 1, 3, 2, 6, 4, 5, 9, 6, 12, 8, 10]
        // d = [-0.5, 1, 0, 2, -1, 2, 2, -1, 3, -2, 3, 2]: p = 0.0871611.
        let result = try XCTUnwrap(PairedStatistics.signedRank(a, b))
        XCTAssertEqual(result.p!, 0.0871611, accuracy: 2e-6)
        XCTAssertEqual(result.n, 12)
    }

    func testStudentTQuantiles() {
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 1), 12.7062047, accuracy: 1e-5)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 2), 4.3026527, accuracy: 1e-6)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 30), 2.0422725, accuracy: 1e-6)
    }
}
