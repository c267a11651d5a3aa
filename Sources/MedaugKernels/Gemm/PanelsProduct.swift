import MedaugMicroKernels
import MedaugSupport

extension Gemm {
    /// Floats `packPanels` writes for an m×k matrix (m rounded up to 16).
    public static func panelsCount(m: Int, k: Int) -> Int { (m + 15) / 16 * 16 * k }

    /// Packs A (m×k, row-major, `lda`) into 16-row panels for `multiplyPanels`.
    public static func packPanels(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                  into panels: UnsafeMutablePointer<Float>) {
        md_pack_panels(Int32(m), Int32(k), a, Int32(lda), panels)
    }

    /// Packs A, given as its transpose Aᵀ (k×m, row-major, `ldt`: an IOHW
    /// transposed-convolution kernel is the transpose of its output-major
    /// matrix), into the panels of `packPanels`: each panel row of 16 floats
    /// is 16 consecutive floats of Aᵀ.
    public static func packPanels(m: Int, k: Int, transposed at: UnsafePointer<Float>, ldt: Int,
                                  into panels: UnsafeMutablePointer<Float>) {
        for r in 0..<((m + 15) / 16) {
            let first = 16 * r, count = min(16, m - first)
            for p in 0..<k {
                let dst = panels + (r * k + p) * 16
                dst.update(from: at + p * ldt + first, count: count)
                if count < 16 { (dst + count).update(repeating: 0, count: 16 - count) }
            }
        }
    }

    /// C[M×N] = A·B with A packed by `packPanels` (the weights of a layer
    /// whose product has few columns: its reads of A are vector loads, where
    /// the strips kernel broadcasts A one float at a time). Every element is
    /// the strips kernel's fused multiply-add chain, so the bits are
    /// `multiplyColumnExact`'s: an element's value does not depend on N, on
    /// its column's position, on the thread count or on the tier. Rows are
    /// split over the threads in groups of 4 panels (64 rows). Returns false
    /// (C untouched) when the tier has no panels kernel.
    public static func multiplyPanels(m: Int, n: Int, k: Int, aPanels: UnsafePointer<Float>,
                                      b: UnsafePointer<Float>, operand: RightOperand,
                                      c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) -> Bool {
        guard CPUTier.current.runs(.panels) else { return false }
        let (ldb, stripStride) = operand.addressing(k: k)
        splitRows(m: m, unit: 64, threads: threads) { first, end in
            let ran = md_sgemm_panels(Int32(end - first), Int32(n), Int32(k), aPanels + first * k, b, Int32(ldb),
                                      stripStride, c + first * ldc, Int32(ldc))
            precondition(ran == 1, "the panels kernel refused a tier that runs it")
        }
        return true
    }
}
