import MedaugKernels

/// The engine's Winograd kernels run by the trainer's layers
/// (`StridedWinogradPath` and `ThreeByThreeWinogradPath` choose them).
///
/// Unlike the engine, which transforms a model's weights once, training
/// changes them every step, so every call transforms them into the
/// workspace first (`winograd_weights.c` for the 4×4 stride-2 kernels,
/// shared by the threads), unless the layer's `WeightTransformCache` is on
/// and holds them.
extension WinogradKernel {
    /// `result` = this kernel(`source`) for every image, its
    /// transformed weights and bands in `workspace`. `weights` are in file
    /// layout: OIHW for a convolution kernel, IOHW for a transposed one,
    /// transformed once for all images, or taken from `cache` when it is
    /// enabled and holds them.
    func run(on source: TrainTensor, weights: UnsafePointer<Float>, outChannels: Int, into result: TrainTensor,
             epilogue: Epilogue, workspace: Workspace, cache: WeightTransformCache? = nil, threads: Int) {
        let s = source.shape
        let weightFloats = transformedWeightCount(outChannels: outChannels, inChannels: s.c)
        let scratch = scratchCount(inChannels: s.c, outChannels: outChannels, height: s.h, width: s.w, threads: threads)
        let transform = { (u: UnsafeMutableBufferPointer<Float>) in
            self.transformWeights(weights, outChannels: outChannels, inChannels: s.c, into: u, threads: threads)
        }
        let u: UnsafePointer<Float>, bands: UnsafeMutablePointer<Float>
        if let cache, cache.isEnabled {
            u = cache.weights(for: self, count: weightFloats, transform: transform)
            bands = workspace.floats(scratch)
        } else {
            let floats = workspace.floats(weightFloats + scratch)
            transform(UnsafeMutableBufferPointer(start: floats, count: weightFloats))
            u = UnsafePointer(floats)
            bands = floats + weightFloats
        }
        for n in 0..<s.n {
            forward(input: source.image(n), inChannels: s.c, height: s.h, width: s.w, transformedWeights: u,
                    outChannels: outChannels, output: result.image(n), imageIndex: n, epilogue: epilogue,
                    scratch: bands, threads: threads)
        }
    }
}
