import MedaugTestSupport
import XCTest
import Foundation
import MedaugKernels
import MedaugMicroKernels
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
        // A step count no run reaches (a hostile checkpoint's Int.max would trap in update's += 1).
        for step in [-1, Adam.maxStep + 1, Int.max] {
            state = adam.exportState()
            state.step = step
            XCTAssertThrowsError(try adam.restore(state)) {
                XCTAssertEqual($0 as? TrainerError, .invalidArgument("Adam state has step \(step), outside 0...\(Adam.maxStep)"))
            }
        }
        state = adam.exportState()
        state.step = Adam.maxStep
        XCTAssertNoThrow(try adam.restore(state))
        adam.update()
        XCTAssertEqual(adam.step, Adam.maxStep + 1)
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

    /// Every tier's `md_adam_update` gives the scalar loop's bits, for both
    /// moment formulas (β1 0.5 and 0.9), on counts that end between vectors,
    /// on gradients spanning zero, tiny and large values.
    func testEveryTierGivesTheScalarLoopsBits() throws {
        var rng = TestRandom(seed: 91)
        for beta1 in [Float(0.5), 0.9] {
            for count in [1, 7, 17, 33, 1001] {
                let g = rng.normals(count).enumerated().map { $0.element * ($0.offset % 3 == 0 ? 1e-6 : 3) }
                let start = (rng.normals(count), rng.normals(count), rng.normals(count).map { $0 * $0 })
                let step = md_adam_step(weight: 1 - beta1, complement: beta1, beta2: 0.999, weight2: 0.001,
                                        step_size: 2e-4, root_correction2: 0.0447, epsilon: 1e-8)
                var expected = start
                Adam.scalarUpdate(count: count, p: &expected.0, g: g, m: &expected.1, v: &expected.2, step)
                try forEachTier(running: .optimizer) { tier in
                    var got = start
                    var constants = step
                    if md_adam_update(count, &got.0, g, &got.1, &got.2, &constants) == 0 {
                        XCTAssertFalse(tier.runs(.optimizer), "\(tier) has an Adam kernel but it refused")
                        return
                    }
                    for (name, a, b) in [("p", got.0, expected.0), ("m", got.1, expected.1), ("v", got.2, expected.2)] {
                        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(tier) β1 \(beta1) count \(count) \(name)")
                    }
                }
            }
        }
    }

    /// A gradient kept as a product (`Parameter.deferGradient`) updates the
    /// parameter and its moments to the bits of the same gradient written
    /// first, over blocks that do not start at a row (1 M-element blocks of
    /// a 37 × 30001 weight), column blocks with a tail, and two threads.
    func testDeferredGradientGivesTheBitsOfTheWrittenOne() throws {
        let m = 37, n = 30001, k = 5
        var rng = TestRandom(seed: 17)
        let a = rng.normals(m * k), b = rng.normals(n * k), start = rng.normals(m * n, scale: 0.1)
        try forEachTier(running: .optimizer) { tier in
            guard ShallowProduct.isAvailable else { return }
            var states: [AdamState] = [], values: [[Float]] = []
            for writtenFirst in [false, true] {
                let p = Parameter(name: "up.0.convt.weight", shape: [m, n])
                try p.load(start)
                let adam = try Adam(parameters: [p], options: .paper)
                adam.threads = 2
                for _ in 0..<2 {
                    adam.zeroGradients()
                    XCTAssertTrue(p.deferGradient(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, threads: 2))
                    if writtenFirst { _ = p.gradient }
                    adam.update()
                }
                states.append(adam.exportState())
                values.append(p.values())
            }
            XCTAssertEqual(values[0], values[1], "\(tier)")
            XCTAssertEqual(states[0], states[1], "\(tier)")
            XCTAssertNotEqual(values[0], start)
        }
    }
}
