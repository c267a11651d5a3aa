import MedaugTestSupport
import XCTest
import MedaugKernels
import MedaugSupport
@testable import MedaugTrainer

/// A miniature pix2pix-style block chain sharing one workspace:
/// conv 4/2/1 → BatchNorm → LeakyReLU → ConvTranspose 4/2/1 → Dropout →
/// ReLU → concat with the input → conv 1x1 (bias) → L1 against a target.
final class TinyNetwork {
    let workspace = Workspace()
    let down: Conv2D, norm: BatchNorm2D, leaky: ActivationLayer
    let up: ConvTranspose2D, dropout: Dropout, relu: ActivationLayer
    let concat = Concat(), head: Conv2D, loss = L1Loss()
    var layers: [Layer] { [down, norm, leaky, up, dropout, relu, head] }
    /// d(loss)/d(input): the down path's plus the skip connection's.
    let inputGradient = TrainTensor(shape: TensorShape(n: 0, c: 0, h: 0, w: 0))
    /// Storage addresses of every tensor the last step produced.
    var addresses: [UnsafeMutablePointer<Float>] = []

    init(channels: Int, seed: UInt64) throws {
        let g = ConvGeometry(kernel: 4, stride: 2, padding: 1)
        down = try Conv2D(name: "down.0.conv", inChannels: channels, outChannels: 5, geometry: g, hasBias: false,
                          workspace: workspace)
        norm = try BatchNorm2D(name: "down.0.bn", channels: 5)
        leaky = try ActivationLayer(.leakyRelu(0.2))
        up = try ConvTranspose2D(name: "up.0.convt", inChannels: 5, outChannels: 4, geometry: g, hasBias: false,
                                 workspace: workspace)
        dropout = try Dropout(name: "up.0.dropout", rate: 0.3, stream: 0)
        relu = try ActivationLayer(.relu)
        head = try Conv2D(name: "out.conv", inChannels: 4 + channels, outChannels: 2,
                          geometry: ConvGeometry(kernel: 1, stride: 1, padding: 0), hasBias: true,
                          workspace: workspace)
        for layer in [down, up, head] as [Layer] { layer.parameters[0].fillNormal(seed: seed, standardDeviation: 0.3) }
    }

    /// Forward and backward; returns the loss.
    @discardableResult
    func step(_ x: TrainTensor, target: TrainTensor) throws -> Double {
        addresses.removeAll(keepingCapacity: true)
        var h = x
        for layer in [down, norm, leaky, up, dropout, relu] as [Layer] {
            h = try layer.forward(h, training: true)
            addresses.append(h.pointer)
        }
        let joined = try concat.forward(h, x)
        let y = try head.forward(joined, training: true)
        let value = try loss.evaluate(prediction: y, target: target)
        var g = try head.backward(loss.gradient)
        let (first, second) = try concat.backward(g)
        g = first
        addresses += [joined.pointer, y.pointer, loss.gradient.pointer, second.pointer]
        for layer in [relu, dropout, up, leaky, norm, down] as [Layer] {
            g = try layer.backward(g)
            addresses.append(g.pointer)
        }
        inputGradient.copy(from: g)
        for i in 0..<inputGradient.count { inputGradient.pointer[i] += second.pointer[i] }
        addresses.append(workspace.floats(0))
        return value
    }
}

final class LayerTests: XCTestCase {
    /// After the first step every activation, gradient and scratch buffer
    /// keeps its address: they are sized once and reused, never reallocated.
    func testStepsAfterTheFirstReuseEveryBuffer() throws {
        var rng = TestRandom(mixingSeed: 141)
        let network = try TinyNetwork(channels: 3, seed: 1)
        let adam = try Adam(parameters: network.layers.flatMap(\.parameters))
        let x = rng.tensor(shape(2, 3, 8, 6)), target = rng.tensor(shape(2, 2, 8, 6))
        func trainingStep(_ seed: UInt64) throws -> Double {
            adam.zeroGradients()
            network.dropout.seed = seed
            let loss = try network.step(x, target: target)
            adam.update()
            return loss
        }
        XCTAssertTrue(try trainingStep(1).isFinite)
        let first = network.addresses, capacity = network.workspace.capacity
        XCTAssertEqual(first.count, 17)
        XCTAssertEqual(Set(first).count, 17, "each layer owns its buffers")
        for seed in 2...4 {
            XCTAssertTrue(try trainingStep(UInt64(seed)).isFinite)
            XCTAssertEqual(network.addresses, first, "step \(seed)")
            XCTAssertEqual(network.workspace.capacity, capacity, "step \(seed)")
        }
    }

    /// The chain composes: d(loss)/d(input), summed over the down path and
    /// the skip, and every parameter gradient of the whole network match
    /// central differences of the loss.
    func testComposedGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 142)
        let network = try TinyNetwork(channels: 3, seed: 2)
        network.dropout.seed = 11
        let x = rng.tensor(shape(2, 3, 6, 10)), target = rng.tensor(shape(2, 2, 6, 10), scale: 3)
        for layer in network.layers { layer.zeroGradients() }
        try network.step(x, target: target)
        // Snapshot every gradient first: each objective() call below runs
        // backward too and keeps adding into the parameter gradients.
        let parameters = network.layers.flatMap(\.trainableParameters)
        let analytic = parameters.map { Array($0.gradient).map(Double.init) }
        let analyticInput = network.inputGradient.toArray().map(Double.init)
        let objective = { () throws -> Double in try network.step(x, target: target) }
        assertGradient(analyticInput, try numericGradient(of: objective, wrt: x.pointer, count: x.count, eps: 1e-3),
                       tolerance: 1e-2, "network input (down path + skip)")
        for (parameter, gradient) in zip(parameters, analytic) {
            let numeric = try numericGradient(of: objective, wrt: parameter.value.baseAddress!,
                                              count: parameter.count, eps: 1e-3)
            assertGradient(gradient, numeric, tolerance: 1e-2, "network \(parameter.name)")
        }
    }

    func testTrainableParametersAndZeroGradients() throws {
        let bn = try BatchNorm2D(name: "bn", channels: 3)
        bn.gamma.gradient[0] = 1
        bn.zeroGradients()
        XCTAssertEqual(Array(bn.gamma.gradient), [0, 0, 0])
        XCTAssertEqual((bn as Layer).trainableParameters.count, 2)
        XCTAssertTrue(try ActivationLayer(.tanh).parameters.isEmpty)
    }
}
