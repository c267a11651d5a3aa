import MedaugTestSupport
import XCTest
import Foundation
@testable import MedaugTrainer

final class AdamTests: XCTestCase {
    /// Two steps by hand, lr 0.1, β1 0.5, β2 0.999, ε 1e-8, gradients 0.5
    /// then −1 on a parameter starting at 1:
    /// t=1: m = 0.25, v = 0.00025, m̂ = 0.5, v̂ = 0.25 → p = 1 − 0.1·0.5/0.5 = 0.9.
    /// t=2: m = 0.125 − 0.5 = −0.375, v = 0.00024975 + 0.001 = 0.00124975,
    ///      m̂ = −0.375/0.75 = −0.5, v̂ = 0.00124975/0.001999 = 0.625188… →
    ///      p = 0.9 + 0.1·0.5/√0.625188 = 0.963236…
    func testTwoStepsByHand() throws {
        let p = Parameter(name: "w", shape: [1], initialValue: 1)
        let adam = try Adam(parameters: [p], options: AdamOptions(learningRate: 0.1, beta1: 0.5))
        p.gradient[0] = 0.5
        adam.update()
        XCTAssertEqual(Double(p.value[0]), 0.9, accuracy: 1e-6)
        p.gradient[0] = -1
        adam.update()
        let vHat = (0.999 * 0.001 * 0.25 + 0.001) / (1 - 0.999 * 0.999)
        XCTAssertEqual(Double(p.value[0]), 0.9 + 0.1 * 0.5 / (vHat.squareRoot() + 1e-8), accuracy: 1e-6)
        XCTAssertEqual(Double(p.value[0]), 0.963236, accuracy: 1e-6)
        XCTAssertEqual(adam.step, 2)
    }

    /// Exporting after k steps and restoring into a fresh optimiser continues
    /// bitwise like an uninterrupted run.
    func testRestoredStateContinuesExactly() throws {
        var rng = TestRandom(mixingSeed: 121)
        let gradients = (0..<5).map { _ in rng.normals(6) }
        let start = rng.normals(6)
        func run(_ steps: Range<Int>, from values: [Float], state: AdamState?) throws -> ([Float], AdamState) {
            let p = Parameter(name: "down.0.conv.weight", shape: [2, 3])
            try p.load(values)
            let adam = try Adam(parameters: [p], options: .paper)
            if let state { try adam.restore(state) }
            for step in steps {
                _ = p.gradient.update(from: gradients[step])
                adam.update()
            }
            return (p.values(), adam.exportState())
        }
        let (straight, _) = try run(0..<5, from: start, state: nil)
        let (half, state) = try run(0..<2, from: start, state: nil)
        XCTAssertEqual(state.step, 2)
        let (resumed, _) = try run(2..<5, from: half, state: state)
        XCTAssertEqual(resumed, straight)
    }

    func testRunningStatisticsAreNotTrainedAndStateIsChecked() throws {
        let bn = try BatchNorm2D(name: "bn", channels: 2)
        let adam = try Adam(parameters: bn.parameters)
        XCTAssertEqual(adam.parameters.map(\.name), ["bn.weight", "bn.bias"])
        XCTAssertEqual(adam.options, .paper)
        var state = adam.exportState()
        state.firstMoments["bn.bias"] = [1]
        XCTAssertThrowsError(try adam.restore(state)) {
            XCTAssertEqual($0 as? TrainerError,
                           .shapeMismatch("Adam state for 'bn.bias' has 1 and 2 values, expected 2"))
        }
        state = adam.exportState()
        state.firstMoments["other"] = [1]
        XCTAssertThrowsError(try adam.restore(state))
        XCTAssertThrowsError(try Adam(parameters: [bn.gamma, bn.gamma]))
        XCTAssertThrowsError(try Adam(parameters: [bn.gamma], options: AdamOptions(beta1: 1)))
    }

    func testZeroGradients() throws {
        let p = Parameter(name: "w", shape: [3])
        p.gradient[1] = 4
        try Adam(parameters: [p]).zeroGradients()
        XCTAssertEqual(Array(p.gradient), [0, 0, 0])
    }

    /// Threads split the update into blocks of elements: the same bits as one thread.
    func testThreadsGiveTheSameParameters() throws {
        func run(threads: Int) throws -> [Float] {
            let big = Parameter(name: "big", shape: [(1 << 20) + 77])
            let small = Parameter(name: "small", shape: [5])
            for (k, parameter) in [big, small].enumerated() {
                for i in 0..<parameter.count {
                    parameter.value[i] = Float((i * 7 + k) % 13) / 13
                    parameter.gradient[i] = Float((i * 5 + k) % 11) / 11 - 0.5
                }
            }
            for beta1: Float in [0.5, 0.9] {   // both branches of the first-moment update
                let adam = try Adam(parameters: [big, small], options: AdamOptions(learningRate: 1e-3, beta1: beta1))
                adam.threads = threads
                adam.update()
                adam.update()
            }
            return big.values() + small.values()
        }
        let one = try run(threads: 1), two = try run(threads: 2), three = try run(threads: 3)
        XCTAssertTrue(one == two && one == three, "threaded updates differ from the single-threaded one")
    }
}
