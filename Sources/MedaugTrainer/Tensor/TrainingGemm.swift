import COpenBLAS
import MedaugKernels

/// C = op(A)·op(B) on OpenBLAS with either operand transposed, split over
/// threads the way `Gemm.multiply` splits (independent single-threaded GEMMs
/// over disjoint blocks of C, each with the full K loop, so results do not
/// depend on the split).
///
/// Backward passes need `Bᵀ` (weight gradient = gradOut·colsᵀ), which
/// `Gemm.multiply` does not offer; this calls cblas_sgemm directly, after
/// `Gemm` has pinned OpenBLAS to one thread and chosen its kernels.
enum TrainingGemm {
    /// Forces `Gemm`'s one-time OpenBLAS setup before our first cblas call.
    private static let pinned: Void = { _ = Gemm.backendDescription }()

    /// C[M×N] = op(A)[M×K]·op(B)[K×N] (+ C if `accumulate`), row-major.
    /// A is stored M×K (K×M when `transposeA`), B K×N (N×K when `transposeB`).
    /// Complexity: O(M·N·K).
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false, threads: Int = 1
    ) {
        _ = pinned
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        let beta: Float = accumulate ? 1 : 0
        let transA = transposeA ? CblasTrans : CblasNoTrans
        let transB = transposeB ? CblasTrans : CblasNoTrans
        var columnParts = min(threads, max(1, n / 16))
        var rowParts = min(threads, max(1, m / 8))
        if m >= n, rowParts > 1 { columnParts = 1 } else if columnParts > 1 { rowParts = 1 }
        if threads <= 1 || (columnParts <= 1 && rowParts <= 1) {
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        if columnParts >= rowParts {
            parallelFor(columnParts, threads: threads) { part in
                let cols = splitRange(n, parts: columnParts, part: part)
                // Columns of op(B): columns of B, or rows of its storage.
                let bBlock = transposeB ? b + cols.lowerBound * ldb : b + cols.lowerBound
                cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(cols.count), Int32(k),
                            1, a, Int32(lda), bBlock, Int32(ldb), beta, c + cols.lowerBound, Int32(ldc))
            }
        } else {
            parallelFor(rowParts, threads: threads) { part in
                let rows = splitRange(m, parts: rowParts, part: part)
                // Rows of op(A): rows of A, or columns of its storage.
                let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
                cblas_sgemm(CblasRowMajor, transA, transB, Int32(rows.count), Int32(n), Int32(k),
                            1, aBlock, Int32(lda), b, Int32(ldb), beta, c + rows.lowerBound * ldc, Int32(ldc))
            }
        }
    }
}
