import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class BatchNorm2DTests: XCTestCase {
    func makeLayer(channels: Int, rng: inout TestRandom) throws -> BatchNorm2D {
        let layer = try BatchNorm2D(name: "down.1.bn", channels: channels)
        try layer.gamma.load(rng.normals(channels, scale: 0.5).map { $0 + 1 })
        try layer.beta.load(rng.normals(channels, scale: 0.5))
        try layer.runningMean.load(rng.normals(channels, scale: 0.5))
        try layer.runningVariance.load((0..<channels).map { _ in 0.5 + rng.uniform() })
        return layer
    }

    func testTrainingGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 21)
        for s in [shape(2, 3, 5, 7), shape(3, 4, 3, 2), shape(1, 5, 2, 3)] {
            let layer = try makeLayer(channels: s.c, rng: &rng)
            // Shifted, scaled input so μ and σ² are not trivially 0 and 1.
            let x = rng.tensor(s, scale: 2)
            for i in 0..<x.count { x.pointer[i] += 0.7 }
            try checkLayerGradients(layer, input: x, training: true, "BatchNorm2D training \(s)")
        }
    }

    func testEvalGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 22)
        let layer = try makeLayer(channels: 4, rng: &rng)
        try checkLayerGradients(layer, input: rng.tensor(shape(2, 4, 5, 3)), training: false, "BatchNorm2D eval")
    }

    func testEvalForwardMatchesNaiveFormula() throws {
        var rng = TestRandom(mixingSeed: 23)
        let layer = try makeLayer(channels: 5, rng: &rng)
        let x = rng.tensor(shape(3, 5, 4, 7))
        let y = try layer.forward(x, training: false)
        let (g, b) = (layer.gamma.values(), layer.beta.values())
        let (mean, variance) = (layer.runningMean.values(), layer.runningVariance.values())
        var worst: Double = 0
        for n in 0..<3 { for c in 0..<5 { for i in 0..<4 { for j in 0..<7 {
            let expected = (Double(x[n, c, i, j]) - Double(mean[c])) / (Double(variance[c]) + 1e-5).squareRoot()
                * Double(g[c]) + Double(b[c])
            worst = max(worst, abs(expected - Double(y[n, c, i, j])))
        } } } }
        XCTAssertLessThan(worst, 1e-5)
    }

    func testTrainingForwardNormalisesWithBatchStatistics() throws {
        var rng = TestRandom(mixingSeed: 24)
        let layer = try makeLayer(channels: 3, rng: &rng)
        let x = rng.tensor(shape(2, 3, 5, 7), scale: 3)
        let y = try layer.forward(x, training: true)
        let (mean, variance) = Naive.channelStatistics(x)
        let (g, b) = (layer.gamma.values(), layer.beta.values())
        var worst: Double = 0
        for n in 0..<2 { for c in 0..<3 { for i in 0..<5 { for j in 0..<7 {
            let expected = (Double(x[n, c, i, j]) - mean[c]) / (variance[c] + 1e-5).squareRoot() * Double(g[c])
                + Double(b[c])
            worst = max(worst, abs(expected - Double(y[n, c, i, j])))
        } } } }
        XCTAssertLessThan(worst, 1e-5)
    }

    /// PyTorch: new = (1 − m)·old + m·batch, the variance unbiased (M/(M − 1)).
    func testRunningStatisticsFollowPyTorch() throws {
        var rng = TestRandom(mixingSeed: 25)
        let layer = try BatchNorm2D(name: "bn", channels: 4, epsilon: 1e-3, momentum: 0.3)
        var expectedMean = [Double](repeating: 0, count: 4), expectedVariance = [Double](repeating: 1, count: 4)
        for _ in 0..<3 {
            let x = rng.tensor(shape(3, 4, 5, 2), scale: 2)
            for i in 0..<x.count { x.pointer[i] += 1.5 }
            _ = try layer.forward(x, training: true)
            let (mean, variance) = Naive.channelStatistics(x)
            let m = 30.0
            for c in 0..<4 {
                expectedMean[c] = 0.7 * expectedMean[c] + 0.3 * mean[c]
                expectedVariance[c] = 0.7 * expectedVariance[c] + 0.3 * variance[c] * m / (m - 1)
            }
        }
        _ = try layer.forward(rng.tensor(shape(1, 4, 3, 3)), training: false)  // eval leaves them alone
        for c in 0..<4 {
            XCTAssertEqual(Double(layer.runningMean.value[c]), expectedMean[c], accuracy: 1e-5)
            XCTAssertEqual(Double(layer.runningVariance.value[c]), expectedVariance[c], accuracy: 1e-5)
        }
    }

    func testNamesAndErrors() throws {
        let layer = try BatchNorm2D(name: "up.0.bn", channels: 2)
        XCTAssertEqual(layer.parameters.map(\.name),
                       ["up.0.bn.weight", "up.0.bn.bias", "up.0.bn.running_mean", "up.0.bn.running_var"])
        XCTAssertEqual(layer.trainableParameters.map(\.name), ["up.0.bn.weight", "up.0.bn.bias"])
        XCTAssertEqual(layer.gamma.values(), [1, 1])
        XCTAssertEqual(layer.runningVariance.values(), [1, 1])
        XCTAssertThrowsError(try layer.forward(TrainTensor(shape: shape(1, 2, 1, 1)), training: true)) {
            XCTAssertEqual($0 as? TrainerError,
                           .shapeMismatch("'up.0.bn': training needs more than one value per channel, found 1x2x1x1"))
        }
        XCTAssertNoThrow(try layer.forward(TrainTensor(shape: shape(1, 2, 1, 1)), training: false))
        XCTAssertThrowsError(try BatchNorm2D(name: "bad", channels: 2, momentum: 1.5))
    }
}
