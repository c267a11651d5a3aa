import MedaugTestSupport
import XCTest
import Foundation
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

final class ActivationLayerTests: XCTestCase {
    let activations: [Activation] = [.relu, .leakyRelu(0.2), .tanh, .sigmoid, .identity]

    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 31)
        for activation in activations {
            let layer = try ActivationLayer(activation)
            let x = rng.tensor(shape(3, 4, 5, 3), scale: 1.5)
            awayFromZero(x)  // no finite difference across the ReLU kink
            try checkLayerGradients(layer, input: x, "\(activation)")
        }
    }

    func testForwardValues() throws {
        let x = try TrainTensor(shape: shape(1, 1, 1, 4), values: [-2, -0.5, 0.5, 3])
        func run(_ a: Activation) throws -> [Float] { try ActivationLayer(a).forward(x, training: true).toArray() }
        XCTAssertEqual(try run(.relu), [0, 0, 0.5, 3])
        XCTAssertEqual(try run(.leakyRelu(0.2)), [-0.4, -0.1, 0.5, 3])
        XCTAssertEqual(try run(.tanh), [-2, -0.5, 0.5, 3].map { Float(Foundation.tanh(Double($0))) })
        let sigmoid = try run(.sigmoid)
        for (value, input) in zip(sigmoid, [-2.0, -0.5, 0.5, 3]) {
            XCTAssertEqual(Double(value), 1 / (1 + Foundation.exp(-input)), accuracy: 1e-6)
        }
    }

    func testReluGradientIsZeroAtZero() throws {
        let layer = try ActivationLayer(.relu)
        let x = try TrainTensor(shape: shape(1, 1, 1, 3), values: [-1, 0, 1])
        _ = try layer.forward(x, training: true)
        XCTAssertEqual(try layer.backward(TrainTensor(shape: x.shape, repeating: 1)).toArray(), [0, 0, 1])
        // Blocked gradients are +0 (not −0 or NaN), whatever dy holds; an odd
        // count exercises the vector loop's tail.
        let wide = try TrainTensor(shape: shape(1, 1, 1, 11), values: (0..<11).map { Float($0 % 3) - 1 })
        _ = try layer.forward(wide, training: true)
        let dy = try TrainTensor(shape: wide.shape, values: (0..<11).map { $0 == 3 ? .nan : -2 - Float($0) })
        let dx = try layer.backward(dy).toArray()
        for i in 0..<11 {
            let expected: Float = i % 3 == 2 ? -2 - Float(i) : 0
            XCTAssertEqual(dx[i].bitPattern, expected.bitPattern, "element \(i)")
        }
    }

    func testSoftmaxIsRefused() {
        XCTAssertThrowsError(try ActivationLayer(.softmax, name: "out")) {
            XCTAssertEqual($0 as? TrainerError, .invalidArgument("'out': softmax is not pointwise; use the Softmax layer"))
        }
    }
}
