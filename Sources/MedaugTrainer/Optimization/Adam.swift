import Foundation
import MedaugKernels
import MedaugMicroKernels
import MedaugSupport

/// Adam's hyper-parameters.
public struct AdamOptions: Equatable, Sendable {
    /// Step size (lr).
    public var learningRate: Float
    /// Decay of the first-moment average (β1).
    public var beta1: Float
    /// Decay of the second-moment average (β2).
    public var beta2: Float
    /// Added to √v̂ in the denominator (ε).
    public var epsilon: Float

    /// Options with PyTorch's defaults unless given.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// The paper's settings (docs/design.md §1; paper §2.4): lr 1e-4, β1 0.5, β2 0.999 (not
    /// given in the paper: the Keras and PyTorch default), ε 1e-8.
    public static let paper = AdamOptions(learningRate: 1e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8)
}

/// Everything Adam carries between steps, by parameter name, so a checkpoint
/// restores training exactly.
public struct AdamState: Equatable, Sendable {
    /// Steps taken (t; bias corrections use β^t).
    public var step: Int
    /// First-moment averages m, by parameter name.
    public var firstMoments: [String: [Float]]
    /// Second-moment averages v, by parameter name.
    public var secondMoments: [String: [Float]]

    /// A state of `step` steps with the given moments.
    public init(step: Int, firstMoments: [String: [Float]], secondMoments: [String: [Float]]) {
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}

/// Adam with bias correction, PyTorch's `torch.optim.Adam` semantics (no
/// weight decay, no AMSGrad), step t = 1, 2, …:
/// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// p ← p − (lr/(1 − β1^t))·m/(√v/√(1 − β2^t) + ε).
/// The bias corrections are computed in Double, the per-element update in
/// Float, as PyTorch does for float32 parameters; m is updated as PyTorch's
/// `lerp_(g, 1 − β1)` rounds (two formulas, switching at weight 0.5).
///
/// Moments are allocated once at creation; `update` allocates nothing. The
/// update is elementwise, so splitting it over `threads` (in blocks of
/// elements) gives bitwise the same parameters. It runs on the micro-kernel
/// `md_adam_update` where the CPU tier has one (the scalar loop here is 3×
/// slower: 87 against 26 ms for the paper's 57 M parameters on AVX-512 and
/// 2 threads, a fifth of a training step), with the same bits on every tier.
public final class Adam {
    /// The trainable parameters it updates, in the order given.
    public let parameters: [Parameter]
    /// Hyper-parameters; may be changed between steps (e.g. a schedule).
    public var options: AdamOptions
    /// Steps taken so far.
    public private(set) var step = 0
    /// The largest step count a restored state may have: 2⁴⁰, centuries of
    /// steps, far below where `update`'s `step += 1` would overflow.
    public static let maxStep = 1 << 40
    /// Threads for `update` (the paper generator has 54 million parameters:
    /// one pass reads and writes about 1 GB).
    public var threads = 1
    private let moments: [(m: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>)]
    /// `update`'s work units: at most 1 M elements of one parameter each.
    private let blocks: [(parameter: Int, range: Range<Int>)]

    /// An optimiser for the trainable ones among `parameters` (running
    /// statistics are skipped), with zero moments.
    /// - Throws: `TrainerError.invalidArgument` for a duplicate name, or
    ///   options outside lr > 0, 0 ≤ β < 1, ε > 0.
    public init(parameters: [Parameter], options: AdamOptions = .paper) throws(TrainerError) {
        let trainable = parameters.filter(\.isTrainable)
        var seen = Set<String>()
        for parameter in trainable where !seen.insert(parameter.name).inserted {
            throw .invalidArgument("parameter '\(parameter.name)' is given to Adam twice")
        }
        guard options.learningRate > 0, (0..<1).contains(options.beta1), (0..<1).contains(options.beta2),
              options.epsilon > 0 else {
            throw .invalidArgument("Adam expects lr > 0, 0 ≤ β1, β2 < 1, ε > 0; found \(options)")
        }
        self.parameters = trainable
        self.options = options
        blocks = trainable.enumerated().flatMap { index, parameter in
            stride(from: 0, to: parameter.count, by: 1 << 20).map { (index, $0..<min(parameter.count, $0 + (1 << 20))) }
        }
        moments = trainable.map { parameter in
            let m = CacheAligned.allocateBuffer(Float.self, capacity: parameter.count)
            let v = CacheAligned.allocateBuffer(Float.self, capacity: parameter.count)
            m.initialize(repeating: 0)
            v.initialize(repeating: 0)
            return (m, v)
        }
    }

    deinit {
        for (m, v) in moments {
            m.deallocate()
            v.deallocate()
        }
    }

    /// Sets every parameter's gradient to zero (before the next backward).
    /// Lazily (`Parameter.zeroGradient`): the weight-gradient GEMMs then
    /// overwrite instead of adding, and the rest is zeroed when read. A
    /// memory pass over the generator's 218 MB of gradients took 13 ms of a
    /// 630 ms pix2pix-256 step on a 2-core Xeon, and most of those
    /// gradients are written whole by the step's first backward anyway.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// One Adam step from the accumulated gradients (which it leaves as is).
    public func update() {
        step += 1
        let b1 = options.beta1, b2 = options.beta2, eps = options.epsilon
        let correction1 = 1 - Foundation.pow(Double(b1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(b2), Double(step))
        let stepSize = Float(Double(options.learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let weight = Float(1 - Double(b1)), weight2 = Float(1 - Double(b2))
        var constants = md_adam_step(weight: weight, complement: 1 - weight, beta2: b2, weight2: weight2,
                                     step_size: stepSize, root_correction2: rootCorrection2, epsilon: eps)
        let blocks = self.blocks, moments = self.moments, parameters = self.parameters
        // Taken here, not in the threads: reading a cleared gradient zeroes it.
        let gradients = parameters.map { $0.gradientSource() }
        withUnsafePointer(to: &constants) { constants in
            parallelFor(blocks.count, threads: threads) { b in
                let (index, range) = blocks[b]
                let m = moments[index].m.baseAddress! + range.lowerBound
                let v = moments[index].v.baseAddress! + range.lowerBound
                let p = parameters[index].value.baseAddress! + range.lowerBound
                switch gradients[index] {
                case .values(let gradient):
                    let g = gradient.baseAddress! + range.lowerBound
                    if md_adam_update(range.count, p, g, m, v, constants) == 0 {
                        Adam.scalarUpdate(count: range.count, p: p, g: g, m: m, v: v, constants.pointee)
                    }
                case .product(let product):
                    Adam.update(range, of: product, p: p, m: m, v: v, constants)
                }
            }
        }
    }

    /// The update of elements `range` of a parameter whose gradient is
    /// `product` (its row-major m×n values), with `p`, `m` and `v` at the
    /// range's first element. The gradient is written 8 rows × 512 columns
    /// at a time into a block on the stack and consumed from there, so it
    /// is never stored: the paper generator's 34 M weights over 1 to 16
    /// pixels would otherwise write 134 MB of gradients per step, with a
    /// read of every line first, and read them back here. The same values
    /// as writing the product and updating from it.
    static func update(_ range: Range<Int>, of product: ShallowProduct, p: UnsafeMutablePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       _ step: UnsafePointer<md_adam_step>) {
        let n = product.n, width = 512
        let rows = range.lowerBound / n..<(range.upperBound + n - 1) / n
        withUnsafeTemporaryAllocation(byteCount: 8 * width * MemoryLayout<Float>.stride,
                                      alignment: CacheAligned.lineBytes) { raw in
            let block = raw.baseAddress!.bindMemory(to: Float.self, capacity: 8 * width)
            for first in stride(from: rows.lowerBound, to: rows.upperBound, by: 8) {
                let blockRows = first..<min(rows.upperBound, first + 8)
                for column in stride(from: 0, to: n, by: width) {
                    let columns = column..<min(n, column + width)
                    product.writeBlock(rows: blockRows, columns: columns, into: block, ldc: width)
                    for row in blockRows {
                        // This row's part of the block that lies in `range`.
                        let start = row * n + column
                        let lower = max(start, range.lowerBound), upper = min(start + columns.count, range.upperBound)
                        guard lower < upper else { continue }
                        let g = block + (row - first) * width + (lower - start), offset = lower - range.lowerBound
                        if md_adam_update(upper - lower, p + offset, g, m + offset, v + offset, step) == 0 {
                            scalarUpdate(count: upper - lower, p: p + offset, g: g, m: m + offset, v: v + offset,
                                         step.pointee)
                        }
                    }
                }
            }
        }
    }

    /// The update on one thread without SIMD: the reference every tier of
    /// `md_adam_update` matches bitwise.
    static func scalarUpdate(count: Int, p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
                             m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, _ s: md_adam_step) {
        let weight = s.weight, complement = s.complement, b2 = s.beta2, weight2 = s.weight2
        let stepSize = s.step_size, rootCorrection2 = s.root_correction2, eps = s.epsilon
        // Two loops rather than a branch per element.
        if weight < 0.5 {
            for i in 0..<count {
                m[i] += weight * (g[i] - m[i])
                v[i] = v[i] * b2 + weight2 * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
            }
        } else {
            for i in 0..<count {
                m[i] = g[i] - (g[i] - m[i]) * complement
                v[i] = v[i] * b2 + weight2 * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
            }
        }
    }

    /// The step count and moments (allocates; for checkpoints).
    public func exportState() -> AdamState {
        var first: [String: [Float]] = [:], second: [String: [Float]] = [:]
        for (index, parameter) in parameters.enumerated() {
            first[parameter.name] = Array(moments[index].m)
            second[parameter.name] = Array(moments[index].v)
        }
        return AdamState(step: step, firstMoments: first, secondMoments: second)
    }

    /// Restores a state saved by `exportState`, so the next `update` continues
    /// exactly where that run left off.
    /// - Throws: `TrainerError.invalidArgument` for a negative step or a
    ///   missing or extra parameter; `.shapeMismatch` for a wrong length.
    public func restore(_ state: AdamState) throws(TrainerError) {
        guard (0...Self.maxStep).contains(state.step) else {
            throw .invalidArgument("Adam state has step \(state.step), outside 0...\(Self.maxStep)")
        }
        let names = Set(parameters.map(\.name))
        if let extra = Set(state.firstMoments.keys).union(state.secondMoments.keys).subtracting(names).sorted().first {
            throw .invalidArgument("Adam state has moments for '\(extra)', which this optimiser does not train")
        }
        for parameter in parameters {
            guard let m = state.firstMoments[parameter.name], let v = state.secondMoments[parameter.name] else {
                throw .invalidArgument("Adam state has no moments for '\(parameter.name)'")
            }
            guard m.count == parameter.count, v.count == parameter.count else {
                throw .shapeMismatch("Adam state for '\(parameter.name)' has \(m.count) and \(v.count) values, "
                                     + "expected \(parameter.count)")
            }
        }
        for (index, parameter) in parameters.enumerated() {
            _ = moments[index].m.update(from: state.firstMoments[parameter.name]!)
            _ = moments[index].v.update(from: state.secondMoments[parameter.name]!)
        }
        step = state.step
    }
}
