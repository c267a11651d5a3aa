import MedaugMicroKernels
import MedaugSupport

extension Gemm {
    /// The most columns `multiplyTransposedNarrow` takes.
    static let transposedNarrowColumns = 16
    /// Rows of A per strips-kernel call (see `multiplyTransposedNarrow`).
    static let transposedNarrowDepthBlock = 32

    /// C = Aᵀ·B (+ C if `accumulate`) for A stored k×m and B (k×n) of at
    /// most 16 columns: a deep layer's input gradient (Wᵀ·dy) or transposed
    /// convolution (Wᵀ·x) over 1×1 to 4×4 pixels, where A, the weights, is
    /// by far the largest operand.
    ///
    /// OpenBLAS packs all of A first, at a few GB/s; the strips kernel over
    /// A's columns in place would read it a 128-byte piece per row at a time,
    /// a row apart (one cache miss each, never prefetched). Here Cᵀ = Bᵀ·A
    /// runs on the strips kernel 32 rows of A at a time, so that A streams
    /// row after row (32 sequential streams), the partial products summed in
    /// a scratch Cᵀ that stays in L2, then transposed into C. The threads
    /// split A's columns. Each element's value depends on k's blocks, fixed
    /// by k alone, not on the thread count.
    ///
    /// Measured on the pix2pix-256 step's four such products (2 threads,
    /// Xeon avx512, per-call medians of 12 steps), OpenBLAS → here: m 8192,
    /// k 1024: n 16 4.1 → 2.4–2.6 ms, n 4 3.9 → 1.7; k 512: n 16 1.85 →
    /// 1.3–1.4, n 4 1.8 → 0.85. Blocks of 16 rows of A ran as fast as 32;
    /// 64 and 128 slower (2.1–3.7 and 3.4–6.6 ms for the first product),
    /// more streams than the prefetcher follows. The whole step, alternating
    /// steps in one process against OpenBLAS for these products: avx512
    /// 2.8–6.5 ms faster (3 runs, faster in 28 of 42 pairs); the forced
    /// avx2 tier with OpenBLAS Haswell −5 to +9 ms (5 runs, faster in 40 of
    /// 70 pairs), about 2 ms: a gain on both, small on avx2. Up to 64
    /// columns (the 8×8-pixel layers) it lost: m 8192, k 512, n 64 3.1 →
    /// 4.1–4.6 ms, also with A's columns cut into chunks of 128 to 1024
    /// (which slowed the narrow products too).
    /// - Returns: false (C untouched) when this CPU has no strips kernel.
    static func multiplyTransposedNarrow(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>,
                                         ldc: Int, accumulate: Bool, threads: Int) -> Bool {
        guard hasColumnExactKernel else { return false }
        // Bᵀ, the strips kernel's A: n rows of k.
        let bt = CacheAligned.allocate(Float.self, capacity: n * k)
        defer { bt.deallocate() }
        for p in 0..<k {
            for j in 0..<n { bt[j * k + p] = b[p * ldb + j] }
        }
        let strips = (m + 31) / 32, parts = max(1, min(threads, strips))
        parallelFor(parts, threads: parts) { part in
            let stripRange = splitRange(strips, parts: parts, part: part)
            let first = stripRange.lowerBound * 32, width = min(m, stripRange.upperBound * 32) - first
            guard width > 0 else { return }
            let sum = CacheAligned.allocate(Float.self, capacity: 2 * n * width)
            defer { sum.deallocate() }
            let partial = sum + n * width
            for p0 in stride(from: 0, to: k, by: transposedNarrowDepthBlock) {
                let depth = min(transposedNarrowDepthBlock, k - p0)
                let target = p0 == 0 ? sum : partial
                let ran = md_sgemm_strips(Int32(n), Int32(width), Int32(depth), bt + p0, Int32(k),
                                          a + p0 * lda + first, Int32(lda), target, Int32(width))
                precondition(ran == 1, "the strips kernel refused a tier that runs it")
                if p0 > 0 { for i in 0..<n * width { sum[i] += partial[i] } }
            }
            for i in 0..<width {
                let row = c + (first + i) * ldc
                if accumulate {
                    for j in 0..<n { row[j] += sum[j * width + i] }
                } else {
                    for j in 0..<n { row[j] = sum[j * width + i] }
                }
            }
        }
        return true
    }
}
