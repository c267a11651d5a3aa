import MedaugTestSupport
import XCTest
import Foundation
@testable import MedaugTrainer

final class SoftDiceLossTests: XCTestCase {
    /// 1 − mean over classes of (2Σpt + s)/(Σp + Σt + s), from scratch.
    func naiveDice(_ x: TrainTensor, _ labels: LabelMap, smoothing s: Double) -> Double {
        let shape = x.shape
        var intersection = [Double](repeating: 0, count: shape.c), predicted = intersection, truth = intersection
        for n in 0..<shape.n { for i in 0..<shape.h { for j in 0..<shape.w {
            let exps = (0..<shape.c).map { Foundation.exp(Double(x[n, $0, i, j])) }
            let total = exps.reduce(0, +)
            let label = Int(labels.pointer[(n * shape.h + i) * shape.w + j])
            for c in 0..<shape.c {
                let p = exps[c] / total
                predicted[c] += p
                if c == label { intersection[c] += p; truth[c] += 1 }
            }
        } } }
        let ratios = (0..<shape.c).map { (2 * intersection[$0] + s) / (predicted[$0] + truth[$0] + s) }
        return 1 - ratios.reduce(0, +) / Double(shape.c)
    }

    func testValueMatchesTheDefinition() throws {
        var rng = TestRandom(mixingSeed: 111)
        let x = rng.tensor(shape(2, 4, 5, 3), scale: 2)
        let labels = rng.labels(n: 2, h: 5, w: 3, classes: 4)
        for smoothing in [0.0, 1.0] {
            XCTAssertEqual(try SoftDiceLoss(smoothing: smoothing).evaluate(logits: x, labels: labels),
                           naiveDice(x, labels, smoothing: smoothing), accuracy: 1e-6)  // float32 softmax
        }
    }

    func testGradientMatchesFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 112)
        let x = rng.tensor(shape(3, 4, 5, 7), scale: 2)
        let labels = rng.labels(n: 3, h: 5, w: 7, classes: 4)
        for smoothing in [0.0, 1.0] {
            let loss = try SoftDiceLoss(smoothing: smoothing)
            try checkLossGradient({ try loss.evaluate(logits: x, labels: labels, scale: 1) }, gradient: loss.gradient,
                                  input: x, "soft Dice, smoothing \(smoothing)")
        }
    }

    func testConfidentCorrectPredictionCostsAlmostNothing() throws {
        let labels = try LabelMap(n: 1, h: 2, w: 2, labels: [0, 1, 2, 1])
        let x = TrainTensor(shape: shape(1, 3, 2, 2), repeating: -20)
        for pixel in 0..<4 { x.pointer[Int(labels.pointer[pixel]) * 4 + pixel] = 20 }
        XCTAssertEqual(try SoftDiceLoss().evaluate(logits: x, labels: labels), 0, accuracy: 1e-6)
        XCTAssertThrowsError(try SoftDiceLoss(smoothing: -1))
    }
}
