import MedaugTestSupport
import XCTest
import Foundation
@testable import MedaugTrainer

final class SoftDiceLossTests: XCTestCase {
    /// 1 − mean over classes of (2Σpt + s)/(Σp + Σt + s), from scratch.
    /// With `presentForeground`, the mean runs over classes ≥ 1 the labels hold.
    func naiveDice(_ x: TrainTensor, _ labels: LabelMap, smoothing s: Double, presentForeground: Bool = false) -> Double {
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
        let chosen = (0..<shape.c).filter { !presentForeground || ($0 > 0 && truth[$0] > 0) }
        let ratios = chosen.map { (2 * intersection[$0] + s) / (predicted[$0] + truth[$0] + s) }
        return 1 - ratios.reduce(0, +) / Double(chosen.count)
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

    /// Labels 0, 1 and 3 of 5 classes: the mean runs over classes 1 and 3.
    func testPresentForegroundAveragesOverTheForegroundClassesPresent() throws {
        var rng = TestRandom(mixingSeed: 113)
        let x = rng.tensor(shape(2, 5, 4, 3), scale: 2)
        let labels = rng.labels(n: 2, h: 4, w: 3, classes: 4)
        for i in 0..<labels.count where labels.pointer[i] == 2 { labels.pointer[i] = 0 }
        for smoothing in [0.0, 1.0] {
            let loss = try SoftDiceLoss(smoothing: smoothing, classes: .presentForeground)
            XCTAssertEqual(try loss.evaluate(logits: x, labels: labels),
                           naiveDice(x, labels, smoothing: smoothing, presentForeground: true), accuracy: 1e-6)
            XCTAssertNotEqual(try loss.evaluate(logits: x, labels: labels), naiveDice(x, labels, smoothing: smoothing), accuracy: 1e-3)
            try checkLossGradient({ try loss.evaluate(logits: x, labels: labels, scale: 1) }, gradient: loss.gradient,
                                  input: x, "present-foreground soft Dice, smoothing \(smoothing)")
        }
    }

    func testPresentForegroundOnABackgroundOnlyBatchIsZero() throws {
        var rng = TestRandom(mixingSeed: 114)
        let x = rng.tensor(shape(1, 3, 2, 2), scale: 2)
        let labels = try LabelMap(n: 1, h: 2, w: 2, labels: [0, 0, 0, 0])
        let loss = try SoftDiceLoss(classes: .presentForeground)
        XCTAssertEqual(try loss.evaluate(logits: x, labels: labels, scale: 1), 0)
        XCTAssertTrue((0..<loss.gradient.count).allSatisfy { loss.gradient.pointer[$0] == 0 })
    }

    func testConfidentCorrectPredictionCostsAlmostNothing() throws {
        let labels = try LabelMap(n: 1, h: 2, w: 2, labels: [0, 1, 2, 1])
        let x = TrainTensor(shape: shape(1, 3, 2, 2), repeating: -20)
        for pixel in 0..<4 { x.pointer[Int(labels.pointer[pixel]) * 4 + pixel] = 20 }
        XCTAssertEqual(try SoftDiceLoss().evaluate(logits: x, labels: labels), 0, accuracy: 1e-6)
        XCTAssertThrowsError(try SoftDiceLoss(smoothing: -1))
    }
}
