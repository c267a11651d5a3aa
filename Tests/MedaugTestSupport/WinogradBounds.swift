import MedaugKernels

extension WinogradKernel {
    /// Relative error a layer on this kernel may show against the plain
    /// convolution, in the kernel tests and in a whole graph whose layers
    /// run on it. F(4×4, 3×3)'s transforms reach 8 and 1/24 (points 0, ±1,
    /// ±2) and round ten times more than F(2×2, 3×3) (`WinogradF43`): the
    /// 24-pixel test segmenter, all F(4×4, 3×3) on avx2, ended 1.17e-5 from
    /// its unfused graph (reference GEMMs on OpenBLAS's Haswell kernels, as
    /// on an AVX2-only host); on avx512 it keeps F(2×2, 3×3) and stays under
    /// 1e-5. Both stay well inside the 1e-4 parity bound against ONNX Runtime.
    public var testErrorBound: Float { self == .f43 ? 2e-5 : 1e-5 }
}
