import MedaugMicroKernels
import MedaugSupport

/// C[m×n] = A·Bᵀ for B stored n×k with k ≤ `maximumDepth`, kept as its
/// operands (A copied, Bᵀ packed into the strips kernel's layout) and
/// written when and where it is needed: whole (`write`), or a block at a
/// time (`writeBlock`), which lets an optimiser consume a weight gradient
/// without it ever being stored (`Adam`).
///
/// Such products are the weight gradients of a deep layer's few pixels
/// (dW = dy·colsᵀ at 1×1 to 4×4 pixels), where C, the gradient, is by far
/// the largest operand. Every element is one fused multiply-add chain over
/// k in order (the strips kernel's), so its bits do not depend on how C is
/// cut into blocks or threads. Buffers grow to the largest product seen
/// and are then reused.
public final class ShallowProduct {
    /// The deepest k kept.
    public static let maximumDepth = 16

    /// Rows of C.
    public private(set) var m = 0
    /// Columns of C.
    public private(set) var n = 0
    /// The depth of the product.
    public private(set) var k = 0
    private var a: UnsafeMutablePointer<Float>?
    private var aCapacity = 0
    private var packed: UnsafeMutablePointer<Float>?
    private var packedCapacity = 0

    /// An empty product; `keep` fills it.
    public init() {}

    deinit {
        a?.deallocate()
        packed?.deallocate()
    }

    /// Whether this CPU has the strips kernel the product runs on.
    public static var isAvailable: Bool { Gemm.hasColumnExactKernel }

    /// Keeps C = A·Bᵀ: A is m×k (leading dimension `lda`), B is stored n×k
    /// (`ldb`). Both are copied, so they may change afterwards.
    /// - Returns: false (nothing kept) when k exceeds `maximumDepth` or the
    ///   CPU has no strips kernel.
    public func keep(m: Int, n: Int, k: Int, a source: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, threads: Int) -> Bool {
        guard Self.isAvailable, m > 0, n > 0, (1...Self.maximumDepth).contains(k) else { return false }
        self.m = m
        self.n = n
        self.k = k
        let a = Self.reserve(&self.a, &aCapacity, m * k)
        for row in 0..<m { (a + row * k).update(from: source + row * lda, count: k) }
        let packed = Self.reserve(&self.packed, &packedCapacity, Gemm.packedStripsCount(n: n, k: k))
        let strips = (n + 31) / 32
        parallelFor(strips, threads: threads) { strip in
            Self.packTransposed(b, ldb: ldb, k: k, columns: strip * 32..<min(n, strip * 32 + 32),
                                into: packed + strip * 32 * k)
        }
        return true
    }

    /// Writes all of C (leading dimension `ldc`), rows split over the threads.
    public func write(into c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        // One block of 8 rows per call, so that C is written row after row.
        // A call over many rows would run each strip down all of them and
        // write C in 128-byte pieces a row apart (32 KB for the generator's
        // layers), one TLB miss each: measured 3 to 4 times slower than
        // OpenBLAS.
        parallelFor((m + 7) / 8, threads: threads) { block in
            let rows = block * 8..<min(m, block * 8 + 8)
            writeBlock(rows: rows, columns: 0..<n, into: c + rows.lowerBound * ldc, ldc: ldc)
        }
    }

    /// Writes C[rows, columns] to `c` (its first element at `c`, leading
    /// dimension `ldc`), on the caller's thread. `columns` must start at a
    /// multiple of 32 (a strip boundary).
    public func writeBlock(rows: Range<Int>, columns: Range<Int>, into c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= m && columns.lowerBound >= 0
                     && columns.upperBound <= n && columns.lowerBound % 32 == 0, "block outside the product")
        guard !rows.isEmpty, !columns.isEmpty, let a, let packed else { return }
        let ran = md_sgemm_packed_strips(Int32(rows.count), Int32(columns.count), Int32(k), a + rows.lowerBound * k,
                                         Int32(k), packed + columns.lowerBound * k, c, Int32(ldc))
        precondition(ran == 1, "the strips kernel refused a tier that runs it")
    }

    private static func reserve(_ buffer: inout UnsafeMutablePointer<Float>?, _ capacity: inout Int,
                                _ count: Int) -> UnsafeMutablePointer<Float> {
        if let buffer, count <= capacity { return buffer }
        buffer?.deallocate()
        let fresh = CacheAligned.allocate(Float.self, capacity: count)
        buffer = fresh
        capacity = count
        return fresh
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

extension Gemm {
    /// C = A·Bᵀ (C overwritten) for B stored n×k with k ≤
    /// `ShallowProduct.maximumDepth`, on the strips kernel: C is written
    /// once, from registers, where OpenBLAS's GEMM would zero it (β = 0) in
    /// a pass of its own and then read and write it again.
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
        let product = ShallowProduct()
        guard product.keep(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, threads: threads) else { return false }
        product.write(into: c, ldc: ldc, threads: threads)
        return true
    }
}
