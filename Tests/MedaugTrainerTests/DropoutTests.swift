import MedaugTestSupport
import XCTest
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

final class DropoutTests: XCTestCase {
    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 51)
        let layer = try Dropout(name: "up.0.dropout", rate: 0.3, stream: 7)
        layer.seed = 1234
        try checkLayerGradients(layer, input: rng.tensor(shape(2, 3, 5, 7)), "Dropout")
    }

    /// Same mask rule as the engine's `Epilogue` dropout: flat index i is
    /// dropped when uniform(i) < rate, kept values scaled by 1/(1 − rate).
    func testMaskIsTheEnginesInvertedCounterMask() throws {
        // Rates whose threshold (rate·2²⁴) is and is not a whole number.
        for rate: Float in [0.0625, 0.5, 0.9, 0.1 + 1e-8] {
            let layer = try Dropout(name: "d", rate: rate, stream: 5)
            layer.seed = 12
            let y = try layer.forward(TrainTensor(shape: shape(2, 3, 7, 9), repeating: 1), training: true)
            let random = CounterRandom(seed: 12, stream: 5)
            for i in 0..<y.count {
                XCTAssertEqual(y.pointer[i], random.uniform(UInt64(i)) < rate ? 0 : 1 / (1 - rate), "rate \(rate)")
            }
        }
        let layer = try Dropout(name: "d", rate: 0.3, stream: 3)
        layer.seed = 99
        let x = TrainTensor(shape: shape(3, 4, 6, 5), repeating: 2)
        let y = try layer.forward(x, training: true)
        let random = CounterRandom(seed: 99, stream: 3)
        var dropped = 0
        for i in 0..<y.count {
            let expected: Float = random.uniform(UInt64(i)) < 0.3 ? 0 : 2 / 0.7
            XCTAssertEqual(y.pointer[i], expected)
            if y.pointer[i] == 0 { dropped += 1 }
        }
        XCTAssertEqual(Double(dropped) / Double(y.count), 0.3, accuracy: 0.08)

        // The engine's fused epilogue draws the same mask for image n.
        let plane = shape(1, 4, 6, 5)
        var engine = [Float](repeating: 2, count: plane.count)
        let epilogue = Epilogue(dropout: DropoutMask(rate: 0.3, random: random))
        engine.withUnsafeMutableBufferPointer {
            epilogue.apply(toImage: $0.baseAddress!, channels: 4, spatial: 30, image: 2, threads: 1)
        }
        XCTAssertEqual(engine, Array(y.buffer[(2 * plane.count)...]))
    }

    func testEvalIsIdentityAndBackwardUsesTheForwardSeed() throws {
        var rng = TestRandom(mixingSeed: 52)
        let layer = try Dropout(name: "d", rate: 0.5, stream: 0)
        let x = rng.tensor(shape(2, 3, 4, 4))
        XCTAssertEqual(try layer.forward(x, training: false).toArray(), x.toArray())
        XCTAssertEqual(try layer.backward(x).toArray(), x.toArray())
        layer.seed = 5
        let y = try layer.forward(x, training: true).toArray()
        layer.seed = 6  // changed between forward and backward
        let ones = TrainTensor(shape: x.shape, repeating: 1)
        let dx = try layer.backward(ones).toArray()
        for i in 0..<y.count { XCTAssertEqual(dx[i] == 0, y[i] == 0) }
        layer.seed = 6
        XCTAssertNotEqual(try layer.forward(x, training: true).toArray(), y)
    }

    func testRateIsChecked() {
        XCTAssertThrowsError(try Dropout(name: "d", rate: 1, stream: 0)) {
            XCTAssertEqual($0 as? TrainerError, .invalidArgument("'d': dropout rate must be in [0, 1), found 1.0"))
        }
    }
}
