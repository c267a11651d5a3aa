import MedaugMicroKernels
import MedaugSupport

extension Gemm {
    /// Floats `packBlocks` writes for an m×k matrix (m·k: nothing is padded;
    /// the layout's own count, `md_blocks_count`).
    public static func blocksCount(m: Int, k: Int) -> Int { md_blocks_count(Int32(m), Int32(k)) }

    /// Packs A (m×k, row-major, `lda`) for `multiplyBlocks`: cache blocks of
    /// 6-row micro-panels, in the order the kernel reads them.
    public static func packBlocks(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                  into blocks: UnsafeMutablePointer<Float>) {
        md_pack_blocks(Int32(m), Int32(k), a, lda, 1, blocks)
    }

    /// Packs A, given as its transpose Aᵀ (k×m, row-major, `ldt`: an IOHW
    /// transposed-convolution kernel), into the layout of `packBlocks`.
    public static func packBlocks(m: Int, k: Int, transposed at: UnsafePointer<Float>, ldt: Int,
                                  into blocks: UnsafeMutablePointer<Float>) {
        md_pack_blocks(Int32(m), Int32(k), at, 1, ldt, blocks)
    }

    /// C[M×N] = A·B with A packed by `packBlocks` (the weights of a layer
    /// whose product has a few dozen to a few hundred columns: A is
    /// broadcast, and each float of it serves up to 64 columns from
    /// registers, where the panels kernel's vector loads of A serve at most
    /// 6). Every element is the strips kernel's fused multiply-add chain,
    /// so the bits are `multiplyColumnExact`'s and `multiplyPanels`'s.
    /// Rows are split over the threads by 6-row micro-panels. Returns false
    /// (C untouched) when the tier has no blocks kernel.
    public static func multiplyBlocks(m: Int, n: Int, k: Int, aBlocks: UnsafePointer<Float>,
                                      b: UnsafePointer<Float>, operand: RightOperand,
                                      c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) -> Bool {
        guard CPUTier.current.runs(.blocks) else { return false }
        let (ldb, stripStride) = operand.addressing(k: k)
        splitRows(m: m, unit: 6, threads: threads) { first, end in
            let ran = md_sgemm_blocks(Int32(m), Int32(n), Int32(k), Int32(first), Int32(end), aBlocks, b, Int32(ldb),
                                      stripStride, c, Int32(ldc))
            precondition(ran == 1, "the blocks kernel refused a tier that runs it")
        }
        return true
    }
}
