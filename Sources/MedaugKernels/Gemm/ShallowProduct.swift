import MedaugMicroKernels
import MedaugSupport

extension Gemm {
    /// The deepest k that `multiply` gives to `multiplyShallow`.
    static let shallowDepth = 16

    /// C = A·Bᵀ (C overwritten) for B stored n×k with k ≤ `shallowDepth`:
    /// a weight gradient over a deep layer's few pixels (dW = dy·colsᵀ at
    /// 1×1 to 4×4 pixels), where C, the gradient, is by far the largest
    /// operand. OpenBLAS's GEMM would zero C (β = 0) and then read and write
    /// it again; the strips kernel writes every element of C once, from
    /// registers, with Bᵀ packed into strips first (k·n floats, 512 KB at
    /// most here). Each element is one fused multiply-add chain over k in
    /// order, so its bits do not depend on the thread count.
    ///
    /// Measured in the pix2pix-256 step (2 threads, Xeon avx512, six such
    /// products per step at k = 1, 4 and 16; alternating steps in one
    /// process, 3 runs of 14 pairs): with the gradients cleared lazily
    /// (`Parameter.zeroGradient`), this path made a step 2–7 ms faster than
    /// zeroing them all and accumulating (new faster in 29 of 42 pairs),
    /// while the same products on OpenBLAS with β = 0 made it 5–6 ms slower
    /// (faster in 8 of 42): OpenBLAS zeroes C in a pass of its own and
    /// packs B even at k = 1.
    /// - Returns: false (C untouched) when this CPU has no strips kernel.
    static func multiplyShallow(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                threads: Int) -> Bool {
        guard hasColumnExactKernel else { return false }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: packedStripsCount(n: n, k: k))
        defer { packed.deallocate() }
        let strips = (n + 31) / 32
        parallelFor(strips, threads: threads) { strip in
            packTransposed(b, ldb: ldb, k: k, columns: strip * 32..<min(n, strip * 32 + 32),
                           into: packed + strip * 32 * k)
        }
        // One block of 8 rows per call, so that C is written row after row.
        // A call over many rows would run each strip down all of them and
        // write C in 128-byte pieces a row apart (32 KB here), one TLB miss
        // each: measured 3 to 4 times slower than OpenBLAS.
        parallelFor((m + 7) / 8, threads: threads) { block in
            let first = block * 8, rows = min(8, m - first)
            let ran = md_sgemm_packed_strips(Int32(rows), Int32(n), Int32(k), a + first * lda, Int32(lda), packed,
                                             c + first * ldc, Int32(ldc))
            precondition(ran == 1, "the strips kernel refused a tier that runs it")
        }
        return true
    }

    /// One strip of `md_sgemm_packed_strips`'s B from B stored transposed:
    /// element (p, j) of the strip, B's column `columns.lowerBound + j`, is
    /// `b[column·ldb + p]`; columns past the range are zero.
    private static func packTransposed(_ b: UnsafePointer<Float>, ldb: Int, k: Int, columns: Range<Int>,
                                       into strip: UnsafeMutablePointer<Float>) {
        for j in 0..<32 {
            guard j < columns.count else {
                for p in 0..<k { strip[32 * p + j] = 0 }
                continue
            }
            let source = b + (columns.lowerBound + j) * ldb
            for p in 0..<k { strip[32 * p + j] = source[p] }
        }
    }
}
