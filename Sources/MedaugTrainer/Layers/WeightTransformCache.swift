import MedaugKernels

/// A layer's Winograd-transformed weights, kept across the passes of one
/// training step while its weights do not change.
///
/// pix2pix's discriminator runs each of its Winograd layers forward twice
/// (fake, real) and backward three times (the generator's adversarial
/// gradient, fake, real) per step, all with the same weights; without the
/// cache each pass transforms them again (`WinogradKernel.run(on:…)`).
/// The owner switches it on for a span in which the weights are fixed
/// (`Pix2PixStep.computeGradients` does, for the discriminator) and off
/// again before they change.
///
/// Measured in the pix2pix-256 step (2 threads, Xeon avx512, alternating
/// steps in one process, 4 runs of 14 pairs): 0–8 ms faster per step
/// (medians of the pairs' differences 0.1, 4.3, 5.2, 8.0 ms; faster in 37
/// of 56 pairs), about 1%: the discriminator's Winograd layers (down.1
/// and down.2 at 256×256) transform their weights twice per step, once per
/// kernel, instead of five times.
final class WeightTransformCache {
    /// While false nothing is kept, and switching it off forgets what was.
    var isEnabled = false {
        didSet { if !isEnabled { kept = [nil, nil] } }
    }
    /// The kernel whose transform each buffer holds: a layer runs at most
    /// two (its convolution and its transposed convolution).
    private var kept: [WinogradKernel?] = [nil, nil]
    private let buffers = [GrowableBuffer<Float>(fill: 0), GrowableBuffer<Float>(fill: 0)]

    /// `kernel`'s transformed weights (`count` floats): the kept ones, or
    /// written now by `transform` into a buffer and kept.
    func weights(for kernel: WinogradKernel, count: Int,
                 transform: (UnsafeMutableBufferPointer<Float>) -> Void) -> UnsafePointer<Float> {
        if let slot = kept.firstIndex(of: kernel) { return UnsafePointer(buffers[slot].reserve(count)) }
        // A third kernel (not in pix2pix) replaces the first.
        let slot = kept.firstIndex(of: nil) ?? 0
        let buffer = buffers[slot].reserve(count)
        transform(UnsafeMutableBufferPointer(start: buffer, count: count))
        kept[slot] = kernel
        return UnsafePointer(buffer)
    }
}
