import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class PlaneSumsTests: XCTestCase {
    /// The three lane-blocked sums against Double loops, on counts around
    /// the 8-lane step and the 256-value block (tails, one block, several),
    /// with a mean far from zero so a one-pass variance would lose digits.
    func testSumsMatchDoubleLoops() {
        var rng = TestRandom(seed: 77)
        for count in [0, 1, 7, 8, 9, 255, 256, 257, 1000, 65_536 + 3] {
            let x = rng.normals(count).map { 300 + $0 }, dy = rng.normals(count)
            let mean = x.reduce(0) { $0 + Double($1) } / Double(max(count, 1))
            let (mu, inverse): (Float, Float) = (Float(mean), 0.7)
            var sum: Double = 0, squares: Double = 0, sumDy: Double = 0, sumDyXhat: Double = 0
            for i in 0..<count {
                sum += Double(x[i])
                squares += (Double(x[i]) - Double(mu)) * (Double(x[i]) - Double(mu))
                sumDy += Double(dy[i])
                sumDyXhat += Double(dy[i]) * (Double(x[i]) - Double(mu)) * Double(inverse)
            }
            x.withUnsafeBufferPointer { x in
                dy.withUnsafeBufferPointer { dy in
                    let x = x.baseAddress!, dy = dy.baseAddress!
                    let scale = Double(count).squareRoot() + 1
                    XCTAssertEqual(blockedSum(x, count: count), sum, accuracy: 1e-7 * (abs(sum) + 1), "\(count)")
                    XCTAssertEqual(blockedSquaredDeviations(x, count: count, from: mu), squares,
                                   accuracy: 1e-6 * max(squares, 1), "\(count)")
                    let sums = blockedGradientSums(dy, x, count: count, mean: mu, inverseDeviation: inverse)
                    XCTAssertEqual(sums.sumDy, sumDy, accuracy: 1e-6 * scale, "\(count)")
                    // x − μ is rounded to Float first, as BatchNorm's x̂ is.
                    XCTAssertEqual(sums.sumDyXhat, sumDyXhat, accuracy: 1e-4 * scale, "\(count)")
                }
            }
        }
    }

    /// The order is fixed: a sum does not depend on where the plane starts
    /// in memory (aligned or not), only on its values.
    func testSumsDoNotDependOnAlignment() {
        var rng = TestRandom(seed: 78)
        let values = rng.normals(1001)
        let shifted = [0] + values
        values.withUnsafeBufferPointer { a in
            shifted.withUnsafeBufferPointer { b in
                XCTAssertEqual(blockedSum(a.baseAddress!, count: 1001), blockedSum(b.baseAddress! + 1, count: 1001))
                XCTAssertEqual(blockedSquaredDeviations(a.baseAddress!, count: 1001, from: 0.3),
                               blockedSquaredDeviations(b.baseAddress! + 1, count: 1001, from: 0.3))
            }
        }
    }
}
