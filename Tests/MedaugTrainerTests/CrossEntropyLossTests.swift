import MedaugTestSupport
import XCTest
import Foundation
@testable import MedaugTrainer

final class CrossEntropyLossTests: XCTestCase {
    func testValueMatchesTheDefinition() throws {
        var rng = TestRandom(mixingSeed: 101)
        let x = rng.tensor(shape(2, 4, 3, 5), scale: 2)
        let labels = rng.labels(n: 2, h: 3, w: 5, classes: 4)
        var expected: Double = 0
        for n in 0..<2 { for i in 0..<3 { for j in 0..<5 {
            let sum = (0..<4).reduce(0.0) { $0 + Foundation.exp(Double(x[n, $1, i, j])) }
            let label = Int(labels.pointer[(n * 3 + i) * 5 + j])
            expected -= Foundation.log(Foundation.exp(Double(x[n, label, i, j])) / sum)
        } } }
        XCTAssertEqual(try CrossEntropyLoss().evaluate(logits: x, labels: labels), expected / 30, accuracy: 1e-9)
        // Uniform logits: log K whatever the labels.
        XCTAssertEqual(try CrossEntropyLoss().evaluate(logits: TrainTensor(shape: x.shape, repeating: 500), labels: labels),
                       Foundation.log(4), accuracy: 1e-9)
    }

    func testGradientMatchesFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 102)
        let x = rng.tensor(shape(3, 5, 5, 7), scale: 2)
        let labels = rng.labels(n: 3, h: 5, w: 7, classes: 5)
        let loss = CrossEntropyLoss()
        try checkLossGradient({ try loss.evaluate(logits: x, labels: labels) }, gradient: loss.gradient, input: x,
                              "cross-entropy")
    }

    func testLabelsAreChecked() throws {
        let loss = CrossEntropyLoss()
        let x = TrainTensor(shape: shape(1, 3, 2, 2))
        XCTAssertThrowsError(try loss.evaluate(logits: x, labels: LabelMap(n: 1, h: 2, w: 2, labels: [0, 1, 3, 2]))) {
            XCTAssertEqual($0 as? TrainerError, .labelOutOfRange(label: 3, classes: 3))
        }
        XCTAssertThrowsError(try loss.evaluate(logits: x, labels: LabelMap(n: 1, h: 2, w: 3))) {
            XCTAssertEqual($0 as? TrainerError, .shapeMismatch("cross-entropy: logits are 1x3x2x2, labels 1x2x3"))
        }
    }
}
