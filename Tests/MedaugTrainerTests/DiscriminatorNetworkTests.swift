import MedaugTestSupport
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class DiscriminatorNetworkTests: XCTestCase {
    /// Training mode (no block biases, see `checkNetworkGradients`) with
    /// and without the sigmoid, eval mode with block biases.
    func testWholeNetworkGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 311)
        let x = rng.tensor(shape(2, 3, 16, 16))
        let network = try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig())
        TinyNetworks.randomize(network, seed: 7)
        try checkNetworkGradients(network, input: x, mode: .training, seed: 312, "discriminator training (logits)")
        let withSigmoid = ForwardMode(batchStatistics: true, dropout: true, probabilities: true)
        try checkNetworkGradients(network, input: x, mode: withSigmoid, seed: 313, "discriminator training (sigmoid)")
        let biased = try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig(convBias: true))
        TinyNetworks.randomize(biased, seed: 7)
        try checkNetworkGradients(biased, input: x, mode: .inference, seed: 314, "discriminator eval")
    }

    /// Logits in training, their sigmoid with `probabilities`; the paired
    /// forward concatenates `[condition, image]` and splits the gradient.
    func testLogitsProbabilitiesAndPairedInputs() throws {
        var rng = TestRandom(mixingSeed: 315)
        let network = try DiscriminatorNetwork(config: TinyNetworks.discriminatorConfig())
        TinyNetworks.randomize(network, seed: 8)
        let condition = rng.tensor(shape(2, 2, 16, 16)), image = rng.tensor(shape(2, 1, 16, 16))
        let joined = try Concat().forward(condition, image)
        let logits = try network.forward(joined, mode: .inference.with(probabilities: false)).toArray()
        let probabilities = try network.forward(joined, mode: .inference).toArray()
        XCTAssertEqual(logits.count, 2 * 3 * 3)
        for (l, p) in zip(logits, probabilities) { XCTAssertEqual(p, 1 / (1 + exp(-l)), accuracy: 1e-6) }
        let paired = try network.forward(condition: condition, image: image, mode: .inference).toArray()
        XCTAssertEqual(paired, probabilities)

        let gradient = rng.tensor(shape(2, 1, 3, 3))
        let (dCondition, dImage) = try network.backwardInputs(gradient)
        let whole = try network.backward(gradient)
        XCTAssertEqual(dCondition.shape, condition.shape)
        XCTAssertEqual(dImage.shape, image.shape)
        let split = try Concat().forward(dCondition, dImage).toArray()
        XCTAssertEqual(split, whole.toArray())
        XCTAssertThrowsError(try network.forward(condition: image, image: condition, mode: .training))
    }
}

extension ForwardMode {
    /// This mode with `probabilities` replaced.
    func with(probabilities: Bool) -> ForwardMode {
        ForwardMode(batchStatistics: batchStatistics, dropout: dropout, probabilities: probabilities)
    }
}
