import MedaugSupport

extension Gemm {
    /// How B, the right operand of `multiplyPanels` and `multiplyBlocks`, is
    /// laid out.
    public enum RightOperand: Sendable, Equatable {
        /// Row-major k×n, rows `ldb` floats apart.
        case rowMajor(ldb: Int)
        /// Packed in strips of 32 columns (`Im2col.unfoldPacked`).
        case packed

        /// The kernels' (ldb, strip stride): B(p, j) at
        /// b + (j/32)·stripStride + p·ldb + j%32.
        func addressing(k: Int) -> (ldb: Int, stripStride: Int) {
            switch self {
            case .rowMajor(let rowStride): (rowStride, 32)
            case .packed: (32, 32 * k)
            }
        }
    }

    /// Runs `body(first, end)` on the threads for rows [first, end) of an
    /// m-row product, split in whole units of `unit` rows (a kernel's
    /// panel), at most one range per thread.
    static func splitRows(m: Int, unit: Int, threads: Int, _ body: (_ first: Int, _ end: Int) -> Void) {
        let units = (m + unit - 1) / unit
        let parts = max(1, min(threads, units))
        parallelFor(parts, threads: parts) { part in
            let range = splitRange(units, parts: parts, part: part)
            let first = range.lowerBound * unit, end = min(m, range.upperBound * unit)
            if first < end { body(first, end) }
        }
    }

    /// A layer's weights (the A of its GEMM) packed once at load for a
    /// product with few columns per image, and the column-exact kernel that
    /// reads them. Both give `multiplyColumnExact`'s bits.
    public enum Packing: CaseIterable, Sendable, Equatable {
        /// 16-row panels read with vector loads (`multiplyPanels`): for a few
        /// columns (the engine's layers of 1 to 15 pixels per image), where
        /// streaming A is the whole cost.
        case panels
        /// Cache blocks of 6-row micro-panels, broadcast (`multiplyBlocks`):
        /// for more columns (the engine's layers of 16 to 64 pixels), where
        /// the panels kernel re-reads A from L2 for every 6 columns.
        case blocks

        /// Floats the packed m×k matrix takes.
        public func count(m: Int, k: Int) -> Int {
            switch self {
            case .panels: Gemm.panelsCount(m: m, k: k)
            case .blocks: Gemm.blocksCount(m: m, k: k)
            }
        }

        /// Packs A (m×k, row-major, `lda`).
        public func pack(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, into packed: UnsafeMutablePointer<Float>) {
            switch self {
            case .panels: Gemm.packPanels(m: m, k: k, a: a, lda: lda, into: packed)
            case .blocks: Gemm.packBlocks(m: m, k: k, a: a, lda: lda, into: packed)
            }
        }

        /// Packs A given as its transpose (k×m, row-major, `ldt`).
        public func pack(m: Int, k: Int, transposed at: UnsafePointer<Float>, ldt: Int,
                         into packed: UnsafeMutablePointer<Float>) {
            switch self {
            case .panels: Gemm.packPanels(m: m, k: k, transposed: at, ldt: ldt, into: packed)
            case .blocks: Gemm.packBlocks(m: m, k: k, transposed: at, ldt: ldt, into: packed)
            }
        }

        /// C = A·B with A packed by `pack`; false (C untouched) when the
        /// tier has no kernel for this packing.
        public func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             operand: RightOperand, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) -> Bool {
            switch self {
            case .panels:
                Gemm.multiplyPanels(m: m, n: n, k: k, aPanels: a, b: b, operand: operand, c: c, ldc: ldc,
                                    threads: threads)
            case .blocks:
                Gemm.multiplyBlocks(m: m, n: n, k: k, aBlocks: a, b: b, operand: operand, c: c, ldc: ldc,
                                    threads: threads)
            }
        }

        /// The kernel family that runs this packing.
        public var family: MicroKernelFamily {
            switch self {
            case .panels: .panels
            case .blocks: .blocks
            }
        }
    }
}
