import MedaugTestSupport
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class SegmenterNetworkTests: XCTestCase {
    /// Training mode (no block biases, see `checkNetworkGradients`) at depth
    /// 2 with and without the softmax, eval mode with block biases at depth
    /// 1. Sizes are minimal on purpose: every ReLU and max-pool window is a
    /// kink, and at 8×8 with batch 2 a parameter meets one every ~3e-4,
    /// closer than any float32 central difference can resolve.
    func testWholeNetworkGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 321)
        let network = try SegmenterNetwork(config: TinyNetworks.segmenterConfig(imageSize: 8, depth: 2, baseFilters: 2))
        TinyNetworks.randomize(network, seed: 9)
        let x = rng.tensor(shape(1, 1, 8, 8))
        try checkNetworkGradients(network, input: x, mode: .training, seed: 322, "segmenter training (logits)")
        let withSoftmax = ForwardMode(batchStatistics: true, dropout: true, probabilities: true)
        try checkNetworkGradients(network, input: x, mode: withSoftmax, seed: 323, "segmenter training (softmax)")
        let biased = try SegmenterNetwork(config: TinyNetworks.segmenterConfig(convBias: true, imageSize: 4, depth: 1,
                                                                             baseFilters: 3))
        TinyNetworks.randomize(biased, seed: 10)
        try checkNetworkGradients(biased, input: rng.tensor(shape(3, 1, 4, 4)), mode: .inference, seed: 324,
                                  "segmenter eval")
    }

    func testProbabilitiesSumToOne() throws {
        var rng = TestRandom(mixingSeed: 325)
        let network = try SegmenterNetwork(config: TinyNetworks.segmenterConfig())
        TinyNetworks.randomize(network, seed: 10)
        let y = try network.forward(rng.tensor(shape(2, 1, 8, 8)), mode: .inference)
        XCTAssertEqual(y.shape, shape(2, 2, 8, 8))
        for n in 0..<2 { for i in 0..<8 { for j in 0..<8 {
            XCTAssertEqual(y[n, 0, i, j] + y[n, 1, i, j], 1, accuracy: 1e-6)
        } } }
        XCTAssertThrowsError(try network.forward(TrainTensor(shape: shape(1, 1, 6, 6)), training: true))
    }
}
