import MedaugKernels
import MedaugSupport

/// A network layer with an explicit backward pass (Caffe/Darknet style).
///
/// Contract, shared by every layer:
/// - `forward` returns a tensor the layer owns and reuses: it is overwritten
///   by the next `forward`, so a caller that needs it longer copies it.
/// - The layer keeps a reference to `input` for `backward`; the caller must
///   not change the input's contents between the two calls.
/// - `backward(gradOutput)` takes d(objective)/d(output) of the last
///   forward's shape, *adds* the parameter gradients into each trainable
///   `Parameter.gradient` whose `requiresGradient` is set (two backward
///   passes accumulate, as in PyTorch), and returns d(objective)/d(input)
///   in a tensor the layer owns.
/// - Buffers are sized at the first call for a shape and reused afterwards,
///   so a step at an unchanged batch shape allocates nothing.
public protocol Layer: AnyObject {
    /// Name prefix of the layer's tensors in the weights file (e.g.
    /// `down.1.conv`), also used in error messages.
    var name: String { get }
    /// Every tensor the layer stores in the weights file, in file order
    /// (weight, bias, running_mean, running_var); empty for activations.
    var parameters: [Parameter] { get }
    /// Threads for the layer's kernels (1 = the caller's thread only).
    var threads: Int { get set }
    /// The output shape for an input of `input`.
    /// - Throws: `TrainerError.shapeMismatch` when the layer cannot take it.
    func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape
    /// Runs the layer. `training` selects batch statistics (BatchNorm) and
    /// active dropout; otherwise running statistics and no dropout.
    /// - Throws: `TrainerError.shapeMismatch` for an input it cannot take.
    func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor
    /// Differentiates the last forward: accumulates parameter gradients and
    /// returns the input gradient (NCHW, the input's shape).
    /// - Throws: `TrainerError.backwardBeforeForward`, or `.shapeMismatch`
    ///   when `gradOutput` does not have the last output's shape.
    func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor
}

extension Layer {
    /// The parameters an optimiser updates (running statistics excluded).
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for parameter in parameters { parameter.zeroGradient() } }
}

/// An empty shape for buffers that are sized at the first forward.
let unsizedShape = TensorShape(n: 0, c: 0, h: 0, w: 0)

/// Checks the gradient handed to `backward` against the saved input and the
/// last output: the common preamble of every layer's backward.
func requireBackward(layer: String, input: TrainTensor?, output: TensorShape,
                     gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
    guard let input else { throw .backwardBeforeForward(layer: layer) }
    guard gradOutput.shape == output else {
        throw .shapeMismatch("'\(layer)': output gradient is \(gradOutput.shape), the last output was \(output)")
    }
    return input
}

/// Checks the input's channel count and that it has no empty dimension.
func requireInput(layer: String, _ input: TensorShape, channels: Int) throws(TrainerError) {
    guard input.isValid, input.c == channels else {
        throw .shapeMismatch("'\(layer)': expected an input of \(channels) channels, found \(input)")
    }
}

/// sums[c] += Σ over images and pixels of tensor[n, c, ·, ·]: the bias
/// gradient of a convolution, each plane summed by `blockedSum`.
func accumulateChannelSums(of tensor: TrainTensor, into sums: UnsafeMutableBufferPointer<Float>, threads: Int) {
    let shape = tensor.shape
    let pointer = tensor.pointer
    parallelFor(shape.c, threads: threads) { c in
        var total: Double = 0
        for n in 0..<shape.n {
            let plane = pointer + n * shape.imageCount + c * shape.spatial
            total += blockedSum(plane, count: shape.spatial)
        }
        sums[c] += Float(total)
    }
}
