import MedaugSupport
import COpenBLAS
import MedaugMicroKernels
import Dispatch

/// Single-precision matrix multiply on OpenBLAS, split over the caller's
/// thread count by the engine rather than by OpenBLAS.
///
/// OpenBLAS 0.3.21's thread count is process-wide (`openblas_set_num_threads`),
/// so two sessions with different thread counts, or two sessions running at
/// once, cannot each set it. medaug therefore pins OpenBLAS to one thread and
/// splits every GEMM itself into `threads` independent single-threaded GEMMs
/// over disjoint column (or row) blocks of C. Each element of C is computed by
/// exactly one call with the full K loop, so its value does not depend on how
/// C was split.
public enum Gemm {
    /// Pins OpenBLAS to one thread and fixes its kernel choice, once per
    /// process, before the first multiply.
    private static let pinOpenBLAS: Void = {
        CoreSelection.apply()
        openblas_set_num_threads(1)
    }()

    /// The OpenBLAS kernels in use and how they were chosen.
    public static var backendDescription: String {
        _ = pinOpenBLAS
        return "OpenBLAS \(CoreSelection.summary)"
    }

    /// C[M×N] = op(A)·op(B) (+ C if `accumulate`), row-major.
    ///
    /// - Parameters:
    ///   - transposeA: A is stored as K×M (row-major) and used transposed.
    ///   - a: A, with leading dimension `lda` (K, or M when transposed).
    ///   - b: B as K×N, leading dimension `ldb` (stored N×K and used
    ///     transposed when `transposeB`, as backward passes need).
    ///   - c: C as M×N, leading dimension `ldc`.
    ///   - threads: number of independent GEMMs to split the work into.
    /// Complexity: O(M·N·K).
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false,
        threads: Int = 1
    ) {
        _ = pinOpenBLAS
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate {
                for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
            }
            return
        }
        if n <= 32 && !transposeA && !transposeB && !accumulate && CPUTier.current.runs(.strips) {
            multiplyNarrow(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, threads: threads)
            return
        }
        if n == 1 && transposeA {
            multiplyVector(m: m, k: k, a: a, lda: lda, x: b, incx: transposeB ? 1 : ldb, y: c, incy: ldc,
                           accumulate: accumulate, threads: threads)
            return
        }
        if transposeA && !transposeB && n <= transposedNarrowColumns
            && multiplyTransposedNarrow(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                                        accumulate: accumulate, threads: threads) {
            return
        }
        if !accumulate && transposeB && !transposeA && k <= ShallowProduct.maximumDepth
            && multiplyShallow(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, threads: threads) {
            return
        }
        if k == 1 && accumulate {
            addOuterProduct(m: m, n: n, x: a, incx: transposeA ? 1 : lda, y: b, incy: transposeB ? ldb : 1,
                            c: c, ldc: ldc, threads: threads)
            return
        }
        let beta: Float = accumulate ? 1 : 0
        let transA = transposeA ? CblasTrans : CblasNoTrans
        let transB = transposeB ? CblasTrans : CblasNoTrans
        // Each part packs the whole of the operand it does not split, so split
        // the dimension whose other operand is smaller: rows of C (A = weights)
        // when M ≥ N, columns (B = im2col or input) otherwise. Never into blocks
        // so thin that the micro-kernel runs mostly on its tail.
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
                            1, a, Int32(lda), bBlock, Int32(ldb), beta,
                            c + cols.lowerBound, Int32(ldc))
            }
        } else {
            parallelFor(rowParts, threads: threads) { part in
                let rows = splitRange(m, parts: rowParts, part: part)
                // Row block of A: rows of A, or columns of Aᵀ's storage.
                let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
                cblas_sgemm(CblasRowMajor, transA, transB, Int32(rows.count), Int32(n), Int32(k),
                            1, aBlock, Int32(lda), b, Int32(ldb), beta,
                            c + rows.lowerBound * ldc, Int32(ldc))
            }
        }
    }

    /// y = Aᵀ·x (+ y), A stored k×m: one column of C from transposed weights
    /// (a transposed convolution or an input gradient over a single pixel).
    /// OpenBLAS's GEMM would first copy the whole of A into packed panels;
    /// its matrix–vector product streams A once (measured on the paper
    /// generator's 8192×512 weights, one thread, cold caches: 0.46 against
    /// 1.58 ms). Rows of y are split over the threads.
    static func multiplyVector(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                               incx: Int, y: UnsafeMutablePointer<Float>, incy: Int, accumulate: Bool,
                               threads: Int) {
        // β = 0 would scale y by zero, which keeps a NaN already there.
        if !accumulate { for i in 0..<m { y[i * incy] = 0 } }
        let parts = max(1, min(threads, m / 64))
        parallelFor(parts, threads: parts) { part in
            let rows = splitRange(m, parts: parts, part: part)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(rows.count), 1, a + rows.lowerBound, Int32(lda),
                        x, Int32(incx), 1, y + rows.lowerBound * incy, Int32(incy))
        }
    }

    /// C += x·yᵀ (m×n): a product over k = 1, e.g. a weight gradient over a
    /// single pixel. A rank-1 update reads and writes C once and packs
    /// nothing (measured on 512×8192, one thread, cold caches: 0.72 against
    /// 0.99 ms as a GEMM). Rows of C are split over the threads.
    static func addOuterProduct(m: Int, n: Int, x: UnsafePointer<Float>, incx: Int, y: UnsafePointer<Float>,
                                incy: Int, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        let parts = max(1, min(threads, m / 8))
        parallelFor(parts, threads: parts) { part in
            let rows = splitRange(m, parts: parts, part: part)
            cblas_sger(CblasRowMajor, Int32(rows.count), Int32(n), 1, x + rows.lowerBound * incx, Int32(incx),
                       y, Int32(incy), c + rows.lowerBound * ldc, Int32(ldc))
        }
    }

    /// C = A·B for B of at most 32 columns (a deep layer's few pixels at
    /// batch 1): A, the weights, is far larger than B and C, so the product
    /// is bound by streaming A from memory once. medaug's strips kernel reads
    /// A in place, 8 rows at a time, with B in L1; OpenBLAS would first copy A
    /// into packed panels (measured on the paper generator's 512-channel
    /// layers at 1×1 to 4×4 pixels: 15–30% faster).
    static func multiplyNarrow(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               threads: Int) {
        let ran = multiplyColumnExact(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                                      threads: threads)
        precondition(ran, "the strips kernel refused a tier that runs it")
    }

    /// Whether `multiplyColumnExact` runs on this CPU.
    public static var hasColumnExactKernel: Bool { CPUTier.current.runs(.strips) }

    /// C[M×N] = A·B (row-major, C overwritten) where every element of C is
    /// one fused multiply-add chain over k in order, so its bits depend on
    /// its row of A and column of B only: not on N, on the column's
    /// position, or on the thread count. This is what lets the engine put
    /// several images' columns into one GEMM and still give each image the
    /// bits it gets alone (OpenBLAS blocks k and picks edge kernels by
    /// position, so its results move in the last bit with N). Runs medaug's
    /// strips kernel with rows of C split over the threads in blocks of 8.
    /// Returns false (C untouched) when this CPU has no such kernel.
    public static func multiplyColumnExact(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>,
                                           ldc: Int, threads: Int) -> Bool {
        guard hasColumnExactKernel else { return false }
        forRowBlocks(m, threads: threads) { first, count in
            let ran = md_sgemm_strips(Int32(count), Int32(n), Int32(k), a + first * lda, Int32(lda), b,
                                      Int32(ldb), c + first * ldc, Int32(ldc))
            precondition(ran == 1, "the strips kernel refused a tier that runs it")
        }
        return true
    }

    /// As `multiplyColumnExact`, with B packed in strips of 32 columns
    /// (`Im2col.unfoldPacked`, `Im2col.writePacked`): the same bits, but a
    /// wide B is read strip by strip from contiguous memory instead of 32
    /// floats per row at a large stride (which thrashes cache sets and the
    /// TLB; measured: grouped convolutions at batch 8 lost their gain).
    public static func multiplyColumnExact(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                           packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                           ldc: Int, threads: Int) -> Bool {
        guard hasColumnExactKernel else { return false }
        forRowBlocks(m, threads: threads) { first, count in
            let ran = md_sgemm_packed_strips(Int32(count), Int32(n), Int32(k), a + first * lda, Int32(lda), packedB,
                                             c + first * ldc, Int32(ldc))
            precondition(ran == 1, "the strips kernel refused a tier that runs it")
        }
        return true
    }

    /// Splits `0..<m` into blocks of 8 rows over the threads: `body(first,
    /// count)` once per thread that has rows.
    private static func forRowBlocks(_ m: Int, threads: Int, _ body: (Int, Int) -> Void) {
        let blocks = (m + 7) / 8
        let parts = max(1, min(threads, blocks))
        parallelFor(parts, threads: parts) { part in
            let rows = splitRange(blocks, parts: parts, part: part)
            let first = rows.lowerBound * 8, count = min(m, rows.upperBound * 8) - first
            if count > 0 { body(first, count) }
        }
    }

    /// Floats a packed-strips B of k×n needs (n rounded up to 32).
    public static func packedStripsCount(n: Int, k: Int) -> Int { (n + 31) / 32 * 32 * k }

    /// C[M×N] = A·B on one thread with medaug's AVX-512 kernel, B packed in
    /// strips of 32 columns (`Im2col.unfoldPacked`). Faster than OpenBLAS
    /// when M is small (the output channels of a convolution tile), since it
    /// packs nothing. Returns false (C untouched) when the CPU lacks AVX-512F.
    public static func multiplyPackedStrips(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        md_sgemm_packed_strips(Int32(m), Int32(n), Int32(k), a, Int32(lda), packedB, c, Int32(ldc)) == 1
    }

    /// Peak single-precision GEMM throughput of this machine in GFLOP/s,
    /// measured on a square `size` multiply split over `threads`.
    public static func measurePeak(size: Int = 1024, threads: Int, repeats: Int = 5) -> Double {
        let count = size * size
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<count { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            multiply(m: size, n: size, k: size, a: a, lda: size, b: b, ldb: size,
                     c: c, ldc: size, threads: threads)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        return 2 * Double(size) * Double(size) * Double(size) / best / 1e9
    }
}
