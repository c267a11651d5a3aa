import MedaugKernels
import MedaugSupport

/// 2-D transposed convolution, IOHW weights, optional bias: the adjoint of
/// `Conv2D` with the same geometry, computed as the engine computes it.
///
/// Per image, with x of shape I×(H·W) and W of shape I×(O·k·k):
/// forward cols = Wᵀ·x, y = col2im(cols) (+ b); backward dcols = im2col(dy)
/// (im2col is col2im's adjoint), dW += x·dcolsᵀ, dx = W·dcols, db += Σ dy
/// (dW added by `Parameter.addProduct`, as `Conv2D`'s).
/// Output side (H − 1)·s − 2p + k. pix2pix's 4×4 stride-2 layers from 32
/// input columns run y and dx on Winograd instead (`StridedWinogradPath`).
public final class ConvTranspose2D: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// Input channels (I).
    public let inChannels: Int
    /// Output channels (O).
    public let outChannels: Int
    /// Kernel, stride, padding (square, symmetric).
    public let geometry: ConvGeometry
    /// `<name>.weight`, IOHW `[I, O, k, k]`.
    public let weight: Parameter
    /// `<name>.bias`, `[O]`, when the layer has one.
    public let bias: Parameter?
    /// The stored tensors in weights-file order.
    public let parameters: [Parameter]
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1

    private let workspace: Workspace
    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?

    /// A transposed convolution with zero weights (see `Parameter.fillNormal`).
    /// - Parameters:
    ///   - name: tensor prefix, e.g. `up.0.convt`.
    ///   - workspace: scratch shared with the network's other layers.
    /// - Throws: `TrainerError.invalidArgument` for a non-positive channel
    ///   count, kernel or stride, or a negative padding.
    public init(name: String, inChannels: Int, outChannels: Int, geometry: ConvGeometry,
                hasBias: Bool, workspace: Workspace = Workspace()) throws(TrainerError) {
        try validateConv(name: name, inChannels, outChannels, geometry)
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.geometry = geometry
        let k = geometry.kernel
        weight = Parameter(name: "\(name).weight", shape: [inChannels, outChannels, k, k])
        bias = hasBias ? Parameter(name: "\(name).bias", shape: [outChannels]) : nil
        parameters = [weight] + (bias.map { [$0] } ?? [])
        self.workspace = workspace
    }

    /// N×O×((H − 1)·s − 2p + k)×((W − 1)·s − 2p + k).
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        try requireInput(layer: name, input, channels: inChannels)
        guard let h = geometry.transposedOutput(input.h), let w = geometry.transposedOutput(input.w) else {
            throw .shapeMismatch("'\(name)': padding \(geometry.padding) leaves no output for an input of \(input)")
        }
        return TensorShape(n: input.n, c: outChannels, h: h, w: w)
    }

    /// y = Wᵀ ⊛ x (+ b), one GEMM + col2im per image (or Winograd).
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        let shape = try outputShape(for: input.shape)
        output.resize(to: shape)
        self.input = input
        let epilogue = Epilogue(bias: bias.map { UnsafePointer($0.value.baseAddress!) })
        if let kernels = winogradKernels(input: input.shape, output: shape) {
            kernels.transposed.run(on: input, weights: weight.value.baseAddress!, outChannels: outChannels,
                                   into: output, epilogue: epilogue, workspace: workspace, threads: threads)
            return output
        }
        let depth = outChannels * geometry.kernel * geometry.kernel, pixels = input.shape.spatial
        let cols = workspace.floats(depth * pixels)
        for n in 0..<shape.n {
            Gemm.multiply(m: depth, n: pixels, k: inChannels, a: weight.value.baseAddress!, lda: depth,
                          transposeA: true, b: input.image(n), ldb: pixels, c: cols, ldc: pixels,
                          threads: threads)
            Col2im.fold(cols: cols, ldc: pixels, column: 0, channels: outChannels,
                        inHeight: input.shape.h, inWidth: input.shape.w, geometry: geometry,
                        outHeight: shape.h, outWidth: shape.w, output: output.image(n),
                        epilogue: epilogue, image: n, threads: threads)
        }
        return output
    }

    /// dx = W·im2col(dy); adds dW = x·im2col(dy)ᵀ and db = Σ dy (each only
    /// when its parameter `requiresGradient`).
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        let shape = output.shape, inShape = input.shape
        gradInput.resize(to: inShape)
        let depth = outChannels * geometry.kernel * geometry.kernel, pixels = inShape.spatial
        let winograd = winogradKernels(input: inShape, output: shape)
        let dcols = workspace.floats(depth * pixels)
        let w = UnsafePointer(weight.value.baseAddress!)
        for n in 0..<shape.n where weight.requiresGradient || winograd == nil {
            Im2col.unfold(input: gradOutput.image(n), channels: outChannels, height: shape.h, width: shape.w,
                          geometry: geometry, outHeight: inShape.h, outWidth: inShape.w,
                          cols: dcols, ldc: pixels, column: 0, threads: threads)
            if weight.requiresGradient {
                weight.addProduct(m: inChannels, n: depth, k: pixels, a: input.image(n), lda: pixels, b: dcols,
                                  ldb: pixels, deferrable: shape.n == 1, threads: threads)
            }
            guard winograd == nil else { continue }
            Gemm.multiply(m: inChannels, n: pixels, k: depth, a: w, lda: depth,
                          b: dcols, ldb: pixels, c: gradInput.image(n), ldc: pixels, threads: threads)
        }
        if let winograd {
            // dx = conv(dy, W): the IOHW weights read as OIHW.
            winograd.convolution.run(on: gradOutput, weights: w, outChannels: inChannels, into: gradInput,
                                     epilogue: Epilogue(), workspace: workspace, threads: threads)
        }
        if let bias, bias.requiresGradient {
            accumulateChannelSums(of: gradOutput, into: bias.gradient, threads: threads)
        }
        return gradInput
    }

    /// The Winograd kernels for this layer's forward pass and input
    /// gradient (`StridedWinogradPath`), or nil for GEMM + col2im.
    private func winogradKernels(input: TensorShape, output: TensorShape) -> StridedWinogradPath.Kernels? {
        guard StridedWinogradPath.fits(geometry, convolutionInput: output.h, output.w) else { return nil }
        return StridedWinogradPath.kernels(inChannels: inChannels, outChannels: outChannels, tileWidth: input.w)
    }
}
