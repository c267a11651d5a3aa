import MedaugKernels
import MedaugSupport

/// 2-D convolution, OIHW weights, optional bias, on im2col + OpenBLAS GEMMs.
///
/// Per image, with cols = im2col(x) of shape (C·k·k)×(outH·outW):
/// forward y = W·cols (+ b); backward dW += dy·colsᵀ, db += Σ dy,
/// dx = col2im(Wᵀ·dy). dW is added by `Parameter.addProduct`: after
/// `zeroGradients` the first image's overwrites, and a batch of one over at
/// most 16 pixels is kept as a product for Adam.
/// im2col is recomputed in backward into the shared `Workspace` rather than
/// kept per image: it is cheap next to the GEMMs and would otherwise be the
/// largest saved activation (k² times the input).
/// pix2pix's 4×4 stride-2 layers from 32 output columns run y and dx on
/// Winograd instead (`StridedWinogradPath`, which has the measurement), so
/// do the U-Net segmenter's 3×3 layers from 32 columns and 32 channels
/// (`ThreeByThreeWinogradPath`), and other stride-1 layers the engine would
/// run on its direct kernel (the segmenter's narrower 3×3 layers) run y and
/// dx on that kernel (`DirectConvolutionPath`); the 3×3 layers' dW runs on
/// medaug's kernel on avx512 (`DirectConvolutionPath.fitsWeightGradient`),
/// every other dW on GEMM.
public final class Conv2D: Layer {
    /// Tensor-name prefix and the name used in error messages.
    public let name: String
    /// Input channels (C).
    public let inChannels: Int
    /// Output channels (O).
    public let outChannels: Int
    /// Kernel, stride, padding (square, symmetric).
    public let geometry: ConvGeometry
    /// `<name>.weight`, OIHW `[O, C, k, k]`.
    public let weight: Parameter
    /// `<name>.bias`, `[O]`, when the layer has one.
    public let bias: Parameter?
    /// The stored tensors in weights-file order.
    public let parameters: [Parameter]
    /// Threads for the kernels; 1 runs on the caller's thread.
    public var threads = 1
    /// When false, `backward` skips the input gradient (a network's first
    /// layer, whose input is data) and returns zeros.
    public var computesInputGradient = true

    /// While true, the 4×4 stride-2 Winograd path transforms the weights
    /// once and reuses them in later passes; the owner guarantees that the
    /// weights do not change meanwhile, and sets it false (which forgets
    /// them) before they do. (The 3×3 path transforms every pass: its
    /// input gradient's kernel is the forward pass's, on flipped weights.)
    public var reusesWeightTransforms: Bool {
        get { weightTransforms.isEnabled }
        set { weightTransforms.isEnabled = newValue }
    }

    private let workspace: Workspace
    private let weightTransforms = WeightTransformCache()
    private let output = TrainTensor(shape: unsizedShape)
    private let gradInput = TrainTensor(shape: unsizedShape)
    private var input: TrainTensor?
    private let flippedWeights = GrowableBuffer<Float>(fill: 0)

    /// A convolution with zero weights (see `Parameter.fillNormal`).
    /// - Parameters:
    ///   - name: tensor prefix, e.g. `down.0.conv`.
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
        weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, k, k])
        bias = hasBias ? Parameter(name: "\(name).bias", shape: [outChannels]) : nil
        parameters = [weight] + (bias.map { [$0] } ?? [])
        self.workspace = workspace
    }

    /// N×O×(⌊(H + 2p − k)/s⌋ + 1)×(⌊(W + 2p − k)/s⌋ + 1).
    public func outputShape(for input: TensorShape) throws(TrainerError) -> TensorShape {
        try requireInput(layer: name, input, channels: inChannels)
        guard let h = geometry.convOutput(input.h), let w = geometry.convOutput(input.w) else {
            throw .shapeMismatch("'\(name)': a \(geometry.kernel)x\(geometry.kernel) kernel with padding "
                                 + "\(geometry.padding) does not fit an input of \(input)")
        }
        return TensorShape(n: input.n, c: outChannels, h: h, w: w)
    }

    /// y = W ⊛ x (+ b), one im2col + GEMM per image (or Winograd).
    public func forward(_ input: TrainTensor, training: Bool) throws(TrainerError) -> TrainTensor {
        let shape = try outputShape(for: input.shape)
        output.resize(to: shape)
        self.input = input
        let w = weight.value.baseAddress!, epilogue = Epilogue(bias: bias.map { UnsafePointer($0.value.baseAddress!) })
        if let kernels = winogradKernels(input: input.shape, output: shape) {
            kernels.convolution.run(on: input, weights: w, outChannels: outChannels, into: output, epilogue: epilogue,
                                    workspace: workspace, cache: weightTransforms, threads: threads)
            return output
        }
        if let kernel = ThreeByThreeWinogradPath.kernel(geometry, inChannels: inChannels, outChannels: outChannels,
                                                         width: shape.w) {
            kernel.run(on: input, weights: w, outChannels: outChannels, into: output, epilogue: epilogue,
                       workspace: workspace, threads: threads)
            return output
        }
        if DirectConvolutionPath.fits(geometry, inChannels: inChannels, outWidth: shape.w) {
            DirectConvolutionPath.run(on: input, weights: w, outChannels: outChannels, geometry: geometry,
                                      into: output, epilogue: epilogue, threads: threads)
            return output
        }
        let depth = inChannels * geometry.kernel * geometry.kernel, pixels = shape.spatial
        let cols = geometry.isPointwise ? nil : workspace.floats(depth * pixels)
        for n in 0..<shape.n {
            let source = unfold(input, image: n, into: cols, outShape: shape)
            Gemm.multiply(m: outChannels, n: pixels, k: depth, a: w, lda: depth,
                          b: source, ldb: pixels, c: output.image(n), ldc: pixels, threads: threads)
            if let bias { addBias(bias.value, to: output.image(n), channels: outChannels, spatial: pixels) }
        }
        return output
    }

    /// dx = col2im(Wᵀ·dy); adds dW = dy·colsᵀ and db = Σ dy (each only when
    /// its parameter `requiresGradient`; im2col is then skipped too).
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> TrainTensor {
        let input = try requireBackward(layer: name, input: input, output: output.shape, gradOutput: gradOutput)
        let shape = output.shape, inShape = input.shape
        gradInput.resize(to: inShape)
        let depth = inChannels * geometry.kernel * geometry.kernel, pixels = shape.spatial
        let inputPath = inputGradientPath(input: inShape, output: shape)
        let directWeights = weight.requiresGradient
            && DirectConvolutionPath.fitsWeightGradient(geometry, inChannels: inChannels, outWidth: shape.w)
        let gemmWeights = weight.requiresGradient && !directWeights
        let gemmInput = inputPath == .gemm
        let cols = geometry.isPointwise || !(gemmWeights || gemmInput) ? nil : workspace.floats(depth * pixels)
        let w = UnsafePointer(weight.value.baseAddress!)
        for n in 0..<shape.n {
            let dy = UnsafePointer(gradOutput.image(n))
            if directWeights {
                ConvolutionWeightGradient.accumulate(
                    input: input.image(n), inChannels: inChannels, height: inShape.h, width: inShape.w,
                    gradOutput: dy, outChannels: outChannels, geometry: geometry, outHeight: shape.h,
                    outWidth: shape.w, into: weight.gradient.baseAddress!, threads: threads)
            }
            if gemmWeights {
                let source = unfold(input, image: n, into: cols, outShape: shape)
                weight.addProduct(m: outChannels, n: depth, k: pixels, a: dy, lda: pixels, b: source, ldb: pixels,
                                  deferrable: shape.n == 1, threads: threads)
            }
            guard gemmInput else { continue }
            guard let cols else {
                Gemm.multiply(m: inChannels, n: pixels, k: outChannels, a: w, lda: depth, transposeA: true,
                              b: dy, ldb: pixels, c: gradInput.image(n), ldc: pixels, threads: threads)
                continue
            }
            // The columns (consumed by the weight GEMM, if any) hold dcols now.
            Gemm.multiply(m: depth, n: pixels, k: outChannels, a: w, lda: depth, transposeA: true,
                          b: dy, ldb: pixels, c: cols, ldc: pixels, threads: threads)
            Col2im.fold(cols: cols, ldc: pixels, column: 0, channels: inChannels,
                        inHeight: shape.h, inWidth: shape.w, geometry: geometry,
                        outHeight: inShape.h, outWidth: inShape.w, output: gradInput.image(n),
                        epilogue: Epilogue(), image: n, threads: threads)
        }
        switch inputPath {
        case .stridedWinograd(let kernel):
            // dx = convTranspose(dy, W): the OIHW weights read as IOHW.
            kernel.run(on: gradOutput, weights: w, outChannels: inChannels, into: gradInput, epilogue: Epilogue(),
                       workspace: workspace, cache: weightTransforms, threads: threads)
        case .threeByThreeWinograd(let kernel):
            kernel.run(on: gradOutput, weights: flipWeights(), outChannels: inChannels, into: gradInput,
                       epilogue: Epilogue(), workspace: workspace, threads: threads)
        case .direct:
            DirectConvolutionPath.run(on: gradOutput, weights: flipWeights(), outChannels: inChannels,
                                      geometry: DirectConvolutionPath.gradientGeometry(geometry), into: gradInput,
                                      epilogue: Epilogue(), threads: threads)
        case .none, .gemm:
            break
        }
        if let bias, bias.requiresGradient {
            accumulateChannelSums(of: gradOutput, into: bias.gradient, threads: threads)
        }
        if !computesInputGradient { gradInput.fill(0) }
        return gradInput
    }

    /// How `backward` computes dx: the forward pass's rules, asked of the
    /// input-gradient convolution.
    private enum InputGradientPath: Equatable {
        /// Not at all (`computesInputGradient` is off).
        case none
        /// The transposed kernel of `StridedWinogradPath`.
        case stridedWinograd(WinogradKernel)
        /// `ThreeByThreeWinogradPath`'s kernel, on the flipped weights.
        case threeByThreeWinograd(WinogradKernel)
        /// `DirectConvolutionPath`, on the flipped weights.
        case direct
        /// Wᵀ·dy on GEMM, then col2im (pointwise: no col2im).
        case gemm
    }

    /// W̃, the weights of dx = conv(dy, W̃) for a stride-1 layer: W flipped,
    /// its channel axes swapped (`DirectConvolutionPath.flipWeights`).
    private func flipWeights() -> UnsafeMutablePointer<Float> {
        let k = geometry.kernel, flipped = flippedWeights.reserve(outChannels * inChannels * k * k)
        DirectConvolutionPath.flipWeights(weight.value.baseAddress!, outChannels: outChannels, inChannels: inChannels,
                                          kernel: k, into: flipped)
        return flipped
    }

    private func inputGradientPath(input: TensorShape, output: TensorShape) -> InputGradientPath {
        guard computesInputGradient else { return .none }
        if let kernels = winogradKernels(input: input, output: output) { return .stridedWinograd(kernels.transposed) }
        if let kernel = ThreeByThreeWinogradPath.kernel(geometry, inChannels: outChannels, outChannels: inChannels,
                                                        width: input.w) {
            return .threeByThreeWinograd(kernel)
        }
        if DirectConvolutionPath.fitsInputGradient(geometry, outChannels: outChannels, inWidth: input.w) {
            return .direct
        }
        return .gemm
    }

    /// The Winograd kernels for this layer's forward pass and input
    /// gradient (`StridedWinogradPath`), or nil for im2col + GEMM.
    private func winogradKernels(input: TensorShape, output: TensorShape) -> StridedWinogradPath.Kernels? {
        guard StridedWinogradPath.fits(geometry, convolutionInput: input.h, input.w) else { return nil }
        return StridedWinogradPath.kernels(inChannels: inChannels, outChannels: outChannels, tileWidth: output.w)
    }

    /// The GEMM's B operand for image `n`: its im2col columns in `cols`, or
    /// the image itself for a pointwise kernel.
    private func unfold(_ input: TrainTensor, image n: Int, into cols: UnsafeMutablePointer<Float>?,
                        outShape: TensorShape) -> UnsafePointer<Float> {
        guard let cols else { return UnsafePointer(input.image(n)) }
        Im2col.unfold(input: input.image(n), channels: inChannels, height: input.shape.h, width: input.shape.w,
                      geometry: geometry, outHeight: outShape.h, outWidth: outShape.w,
                      cols: cols, ldc: outShape.spatial, column: 0, threads: threads)
        return UnsafePointer(cols)
    }
}

/// The checks shared by `Conv2D` and `ConvTranspose2D`.
func validateConv(name: String, _ inChannels: Int, _ outChannels: Int,
                  _ geometry: ConvGeometry) throws(TrainerError) {
    guard inChannels > 0, outChannels > 0 else {
        throw .invalidArgument("'\(name)': channel counts must be positive, found \(inChannels) in, \(outChannels) out")
    }
    guard geometry.kernel > 0, geometry.stride > 0, geometry.padding >= 0 else {
        throw .invalidArgument("'\(name)': kernel and stride must be positive and padding non-negative, found "
                               + "kernel \(geometry.kernel), stride \(geometry.stride), padding \(geometry.padding)")
    }
}

/// plane c of `data` += bias[c], for `channels` planes of `spatial` floats.
func addBias(_ bias: UnsafeMutableBufferPointer<Float>, to data: UnsafeMutablePointer<Float>,
             channels: Int, spatial: Int) {
    for c in 0..<channels {
        let plane = data + c * spatial, value = bias[c]
        for i in 0..<spatial { plane[i] += value }
    }
}
