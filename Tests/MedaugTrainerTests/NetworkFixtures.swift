import MedaugTestSupport
import Foundation
import XCTest
import MedaugModels
@testable import MedaugTrainer

/// Tiny configurations of the three networks (every layer kind present,
/// seconds in a debug build) and the whole-network gradient check.
enum TinyNetworks {
    static let classes = ["background", "lesion"]

    /// 16×16, two down blocks of 3 and 4 filters, 2 classes → 1 channel;
    /// dropout in the innermost up block only (so both kinds of up block
    /// are built).
    static func generatorConfig(convBias: Bool = false, batchnormFirstBlock: Bool = false,
                                batchnormUpBlocks: Bool = true, dropoutUpBlocks: Int = 1) -> GeneratorConfig {
        var g = GeneratorConfig.paper(imageSize: 16, classes: classes, labelValues: [0, 1], channelNames: ["T1"])
        g.downFilters = [3, 4]
        g.upFilters = [4, 3]
        g.bottleneckFilters = 4
        g.dropoutUpBlocks = dropoutUpBlocks
        g.common.convBias = convBias
        g.batchnormFirstBlock = batchnormFirstBlock
        g.batchnormUpBlocks = batchnormUpBlocks
        return g
    }

    /// 16×16 `[2 classes, 1 channel]` → 3×3 logits, filters 3 and 4.
    static func discriminatorConfig(convBias: Bool = false, batchnormFirstBlock: Bool = false) -> DiscriminatorConfig {
        var d = DiscriminatorConfig.paper(imageSize: 16, classes: classes, labelValues: [0, 1], channelNames: ["T1"])
        d.filters = [3, 4]
        d.common.convBias = convBias
        d.batchnormFirstBlock = batchnormFirstBlock
        return d
    }

    /// 8×8, 1 channel → 2 classes, depth 2, 2 base filters.
    static func segmenterConfig(convBias: Bool = false, imageSize: Int = 8, depth: Int = 2,
                                baseFilters: Int = 2) -> SegmenterConfig {
        var s = SegmenterConfig.standard(imageSize: imageSize, classes: classes, labelValues: [0, 1],
                                         channelNames: ["T1"], depth: depth, baseFilters: baseFilters)
        s.common.convBias = convBias
        return s
    }

    /// One-hot label maps of random classes, N×classes×S×S.
    static func oneHot(_ labels: LabelMap, classes: Int) -> TrainTensor {
        let tensor = TrainTensor(shape: TensorShape(n: labels.n, c: classes, h: labels.h, w: labels.w))
        let spatial = labels.h * labels.w
        for n in 0..<labels.n {
            for p in 0..<spatial {
                tensor.pointer[(n * classes + Int(labels.pointer[n * spatial + p])) * spatial + p] = 1
            }
        }
        return tensor
    }

    /// Weights large enough that every layer shapes the output: convs
    /// N(0, `scale`²), BatchNorm γ, β and running statistics away from 1, 0.
    static func randomize(_ network: TrainableNetwork, seed: UInt64, scale: Float = 0.3) {
        network.initialize(seed: seed, standardDeviation: scale)
        perturbBatchNorm(network, seed: seed)
        var rng = TestRandom(mixingSeed: seed &+ 7)
        for parameter in network.parameters where TensorRole.of(parameter.name) == .convBias {
            for i in 0..<parameter.count { parameter.value[i] = 0.2 * rng.normal() }
        }
    }

    /// γ in [0.5, 1.5], β N(0, 0.2²), running mean N(0, 0.3²), running
    /// variance in [0.3, 1.3]: BatchNorm far from the identity in both modes.
    /// (γ > 0 and a small β keep every ReLU channel alive: a channel dead
    /// over the whole batch, then revived by a parameter step, is a kink
    /// amplified by 1/√ε that no finite difference can straddle.)
    static func perturbBatchNorm(_ network: TrainableNetwork, seed: UInt64) {
        var rng = TestRandom(mixingSeed: seed &+ 13)
        for parameter in network.parameters {
            for i in 0..<parameter.count {
                switch TensorRole.of(parameter.name) {
                case .bnWeight: parameter.value[i] = 0.5 + rng.uniform()
                case .bnBias: parameter.value[i] = 0.2 * rng.normal()
                case .bnMean: parameter.value[i] = 0.3 * rng.normal()
                case .bnVariance: parameter.value[i] = 0.3 + rng.uniform()
                case .convWeight, .convBias: break
                }
            }
        }
    }
}

/// Whole-network finite-difference check: J = Σ r·forward(x) in Double for
/// a fixed random r; backward(r) must give dJ/dx and dJ/dθ at `samples`
/// random coordinates of the input and of every trainable tensor, relative
/// error ‖a − n‖/max(‖a‖, ‖n‖) over one tensor's samples below 1e-2.
///
/// In float32 no single eps suits a whole network. Every ReLU, LeakyReLU
/// and max-pool window is a kink, and with a few hundred of them (BatchNorm
/// over few pixels amplifying each) a parameter meets one every few 1e-4:
/// a central difference straddling one is off by O(1), so smaller eps is
/// better. But J carries ~1e-7 relative round-off, which swamps small
/// gradients (a discriminator's input gradient is ~30× below its logits')
/// unless eps is large. So a tensor is measured at eps 1e-3, then 3e-3 and
/// 1e-2 (round-off), then 3e-4 and 1e-4 (kinks), stopping at the first that
/// agrees: a wrong gradient agrees at none, since both error sources shrink
/// in their direction and a bug does not. MEDAUG_GRADCHECK_VERBOSE prints
/// every attempt.
///
/// Conv biases directly before a batch-statistics BatchNorm have a zero
/// gradient (the batch mean absorbs them), which a relative check cannot
/// test: check training mode on networks without block biases. Keep the
/// networks minimal: at 8×8, batch 2, depth 2 a segmenter has kinks closer
/// than 1e-4.
func checkNetworkGradients(_ network: TrainableNetwork, input: TrainTensor, mode: ForwardMode, samples: Int = 4,
                           seed: UInt64, tolerance: Double = 1e-2, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = TestRandom(mixingSeed: seed)
    let output = try network.forward(input, mode: mode)
    let projection = rng.tensor(output.shape)
    let objective = { () throws -> Double in
        let y = try network.forward(input, mode: mode)
        return dot(y.pointer, projection.pointer, count: y.count)
    }
    network.zeroGradients()
    _ = try objective()
    let inputGradient = try network.backward(projection).toArray()
    let parameterGradients = network.trainableParameters.map { Array($0.gradient) }

    func check(_ name: String, values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float]) throws {
        try checkSampledGradient(of: objective, name: name, values: values, count: count, analytic: analytic,
                                 samples: samples, rng: &rng, tolerance: tolerance, what, file: file, line: line)
    }
    try check("input", values: input.pointer, count: input.count, analytic: inputGradient)
    for (parameter, analytic) in zip(network.trainableParameters, parameterGradients) {
        try check(parameter.name, values: parameter.value.baseAddress!, count: parameter.count, analytic: analytic)
    }
}

/// The sampled check of one tensor against any scalar objective (see
/// `checkNetworkGradients` for the eps ladder): `samples` random
/// coordinates of `values`, central differences of `objective`, compared
/// with `analytic` (the gradient snapshotted before any objective call).
func checkSampledGradient(of objective: () throws -> Double, name: String, values: UnsafeMutablePointer<Float>,
                          count: Int, analytic: [Float], samples: Int, rng: inout TestRandom,
                          tolerance: Double = 1e-2, _ what: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
    var indices = Set<Int>()
    while indices.count < min(samples, count) { indices.insert(Int(rng.next() % UInt64(count))) }
    let sorted = indices.sorted()
    let a = sorted.map { Double(analytic[$0]) }
    let verbose = ProcessInfo.processInfo.environment["MEDAUG_GRADCHECK_VERBOSE"] != nil
    var n: [Double] = []
    for eps: Float in [1e-3, 3e-3, 1e-2, 3e-4, 1e-4] {
        n = try sorted.map { try numericGradient(of: objective, wrt: values + $0, count: 1, eps: eps)[0] }
        let error = relativeError(a, n).error
        if verbose { print("gradcheck \(what): \(name) eps \(eps) relative error \(error)") }
        if error < tolerance { break }
    }
    assertGradient(a, n, tolerance: tolerance, "\(what): \(name) at \(sorted)", file: file, line: line)
}

/// Checks sampled coordinates of every trainable parameter of `network`
/// against `objective`, given the gradients snapshotted beforehand.
func checkParameterGradients(of objective: () throws -> Double, network: TrainableNetwork, analytic: [[Float]],
                             samples: Int = 3, seed: UInt64, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = TestRandom(mixingSeed: seed)
    for (parameter, gradient) in zip(network.trainableParameters, analytic) {
        try checkSampledGradient(of: objective, name: parameter.name, values: parameter.value.baseAddress!,
                                 count: parameter.count, analytic: gradient, samples: samples, rng: &rng, what,
                                 file: file, line: line)
    }
}

/// Tiny synthetic training sets where the answer is known.
enum SyntheticData {
    /// `count` one-image label maps of `size`×`size`: class 1 inside a random
    /// disc (radius a quarter to a third of the side), class 0 outside.
    static func discMaps(count: Int, size: Int, seed: UInt64) -> [LabelMap] {
        var rng = TestRandom(mixingSeed: seed)
        return (0..<count).map { _ in
            let side = Float(size)
            let radius = side * (0.25 + 0.1 * rng.uniform())
            let cy = radius + rng.uniform() * (side - 2 * radius), cx = radius + rng.uniform() * (side - 2 * radius)
            var labels = [Int32](repeating: 0, count: size * size)
            for y in 0..<size {
                for x in 0..<size {
                    let dy = Float(y) + 0.5 - cy, dx = Float(x) + 0.5 - cx
                    if dy * dy + dx * dx <= radius * radius { labels[y * size + x] = 1 }
                }
            }
            return try! LabelMap(n: 1, h: size, w: size, labels: labels)
        }
    }

    /// The image a label map determines: +0.8 on class 1, −0.8 elsewhere.
    static func image(for map: LabelMap) -> TrainTensor {
        let tensor = TrainTensor(shape: TensorShape(n: 1, c: 1, h: map.h, w: map.w))
        for i in 0..<map.count { tensor.pointer[i] = map.pointer[i] == 1 ? 0.8 : -0.8 }
        return tensor
    }

    /// A two-texture image: horizontal stripes (rows alternating ±0.6) on
    /// class 1, vertical stripes on class 0, plus N(0, `noise`²) per pixel.
    /// Both textures have mean 0 and the same variance, so only the local
    /// pattern tells the classes apart.
    static func texturedImage(for map: LabelMap, noise: Float, meanShift: Float = 0, rng: inout TestRandom) -> TrainTensor {
        let tensor = TrainTensor(shape: TensorShape(n: 1, c: 1, h: map.h, w: map.w))
        for y in 0..<map.h {
            for x in 0..<map.w {
                let i = y * map.w + x
                let stripe: Float = map.pointer[i] == 1 ? (y % 2 == 0 ? 0.6 : -0.6) + meanShift : (x % 2 == 0 ? 0.6 : -0.6)
                tensor.pointer[i] = stripe + noise * rng.normal()
            }
        }
        return tensor
    }
}
