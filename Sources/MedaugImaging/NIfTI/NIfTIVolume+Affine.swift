import CNIfTI

extension NIfTIVolume {
    /// A 4×4 voxel-to-world matrix (row-major, last row `0 0 0 1`):
    /// world (x, y, z) in millimetres, RAS+, = `M · (i, j, k, 1)`.
    ///
    /// ```swift
    /// let a = try NIfTIVolume.Affine(rowMajor: [2, 0, 0, -90,  0, 2, 0, -126,  0, 0, 2, -72])
    /// a.world(ofVoxel: SIMD3(45, 63, 36))   // (0, 0, 0)
    /// ```
    public struct Affine: Equatable, Sendable, CustomStringConvertible {
        /// The 16 entries, row-major.
        public private(set) var elements: [Double]

        /// An affine from 12 (three rows, `0 0 0 1` implied) or 16 row-major
        /// entries.
        ///
        /// - Throws: `ImagingError.invalidArgument` for another count or a
        ///   last row other than `0 0 0 1`.
        public init(rowMajor values: [Double]) throws {
            switch values.count {
            case 12: elements = values + [0, 0, 0, 1]
            case 16:
                guard Array(values[12...]) == [0, 0, 0, 1] else {
                    throw ImagingError.invalidArgument("affine's last row is \(Array(values[12...])), expected [0, 0, 0, 1]")
                }
                elements = values
            default:
                throw ImagingError.invalidArgument("an affine needs 12 or 16 row-major values, got \(values.count)")
            }
        }

        /// The scaling affine `diag(dx, dy, dz)` with the origin at voxel 0.
        public static func scaling(_ voxelSize: SIMD3<Double>) -> Affine {
            var a = Affine(unchecked: [Double](repeating: 0, count: 16))
            (a[0, 0], a[1, 1], a[2, 2], a[3, 3]) = (voxelSize.x, voxelSize.y, voxelSize.z, 1)
            return a
        }

        init(unchecked elements: [Double]) { self.elements = elements }

        /// nifticlib's float matrix, converted exactly to `Double`.
        init(_ m: mat44) {
            var values = [Double](repeating: 0, count: 16)
            withUnsafeBytes(of: m.m) { raw in
                for (i, v) in raw.bindMemory(to: Float.self).enumerated() { values[i] = Double(v) }
            }
            values[12...] = [0, 0, 0, 1]
            self.elements = values
        }

        /// The entry at `row`, `column` (0-based).
        public subscript(row: Int, column: Int) -> Double {
            get { elements[4 * row + column] }
            set { elements[4 * row + column] = newValue }
        }

        /// World millimetres of a (possibly fractional) voxel index.
        public func world(ofVoxel v: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3((0..<3).map { r in self[r, 0] * v.x + self[r, 1] * v.y + self[r, 2] * v.z + self[r, 3] })
        }

        /// Length of each of the first three columns: the distance in
        /// millimetres between neighbouring voxels along stored i, j, k.
        public var columnLengths: SIMD3<Double> {
            SIMD3((0..<3).map { c in (0..<3).map { self[$0, c] * self[$0, c] }.reduce(0, +).squareRoot() })
        }

        /// `self · other` (apply `other` first).
        public func concatenating(_ other: Affine) -> Affine {
            var out = Affine(unchecked: [Double](repeating: 0, count: 16))
            for r in 0..<4 {
                for c in 0..<4 { out[r, c] = (0..<4).map { self[r, $0] * other[$0, c] }.reduce(0, +) }
            }
            return out
        }

        /// Determinant of the upper-left 3×3 block (the voxel volume, signed).
        var determinant3x3: Double {
            let a = self
            return a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
        }

        /// The matrix as nifticlib's `mat44` (rounded to `Float`).
        var mat44: CNIfTI.mat44 {
            var m = CNIfTI.mat44()
            withUnsafeMutableBytes(of: &m.m) { raw in
                let floats = raw.bindMemory(to: Float.self)
                for i in 0..<16 { floats[i] = Float(elements[i]) }
            }
            return m
        }

        /// Rows as `[[a, b, c, d], …]`.
        public var description: String {
            "[" + (0..<4).map { r in "[" + (0..<4).map { "\(self[r, $0])" }.joined(separator: ", ") + "]" }
                .joined(separator: ", ") + "]"
        }
    }
}
