import Foundation

/// An image's voxel grid as the annotation readers place frames and
/// contours on it: DICOM patient coordinates (LPS, millimetres) to voxel
/// indices through the inverse of the volume's RAS+ affine.
struct ImageGrid {
    let dimensions: NIfTIVolume.Dimensions
    /// Inverse of the affine's 3×3 part, row-major, and its translation.
    let inverse: [Double]
    let translation: SIMD3<Double>
    let path: String

    init(_ image: NIfTIVolume, path: String) throws {
        let a = image.affine
        let m = (0..<3).map { r in (0..<3).map { a[r, $0] } }
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        guard det != 0, det.isFinite else {
            throw ImagingError.invalidArgument("the image's affine is singular: \(a)")
        }
        let cofactor: (Int, Int) -> Double = { r, c in
            let rs = (0..<3).filter { $0 != r }, cs = (0..<3).filter { $0 != c }
            let minor = m[rs[0]][cs[0]] * m[rs[1]][cs[1]] - m[rs[0]][cs[1]] * m[rs[1]][cs[0]]
            return (r + c) % 2 == 0 ? minor : -minor
        }
        // inverse[r][c] = cofactor(c, r) / det
        inverse = (0..<9).map { cofactor($0 % 3, $0 / 3) / det }
        translation = SIMD3(a[0, 3], a[1, 3], a[2, 3])
        dimensions = image.dimensions
        self.path = path
    }

    /// Voxel coordinates this far from the origin lie off every grid (an
    /// image has at most 2³¹ voxels along an axis); within it they convert to
    /// Int without trapping.
    static let farOff = Double(1 << 31)

    /// Whether every coordinate of `v` is finite and within `farOff`.
    static func isNear(_ v: SIMD3<Double>) -> Bool {
        abs(v.x) <= farOff && abs(v.y) <= farOff && abs(v.z) <= farOff
    }

    /// "(x, y, z)" for messages.
    static func describe(_ v: SIMD3<Double>) -> String {
        "(" + [v.x, v.y, v.z].map { String(format: "%g", $0) }.joined(separator: ", ") + ")"
    }

    /// Voxel coordinates (fractional) of an LPS point.
    func voxel(ofLPS p: SIMD3<Double>) -> SIMD3<Double> {
        linear(SIMD3(-p.x, -p.y, p.z) - translation)
    }

    /// The inverse 3×3 applied to a RAS vector.
    func linear(_ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3((0..<3).map { r in inverse[3 * r] * v.x + inverse[3 * r + 1] * v.y + inverse[3 * r + 2] * v.z })
    }

    /// The voxel step of one millimetre along an LPS direction.
    func step(alongLPS d: SIMD3<Double>) -> SIMD3<Double> { linear(SIMD3(-d.x, -d.y, d.z)) }

    /// Where a frame's pixels land: voxel = origin + column·columnStep + row·rowStep.
    struct Placement {
        let origin: SIMD3<Int>, columnStep: SIMD3<Int>, rowStep: SIMD3<Int>
        let dimensions: NIfTIVolume.Dimensions

        func voxel(row: Int, column: Int) -> Int {
            let v = origin &+ columnStep &* column &+ rowStep &* row
            return v.x + dimensions.x * (v.y + dimensions.y * v.z)
        }
    }

    /// Places a frame of `rows`×`columns` pixels whose first pixel centre
    /// is `origin` (LPS): the next column lies `spacing[1]` along
    /// `orientation[0..<3]`, the next row `spacing[0]` along
    /// `orientation[3..<6]` (DICOM's Image Orientation (Patient) and Pixel
    /// Spacing), requiring it to lie on the
    /// grid: axis-aligned steps of one voxel, an integral slice, inside.
    func place(origin: [Double], orientation: [Double], spacing: [Double], rows: Int, columns: Int, what: String)
        throws -> Placement {
        let rowDirection = SIMD3(orientation[0], orientation[1], orientation[2])
        let columnDirection = SIMD3(orientation[3], orientation[4], orientation[5])
        let start = voxel(ofLPS: SIMD3(origin[0], origin[1], origin[2]))
        let alongRow = step(alongLPS: rowDirection * spacing[1]), alongColumn = step(alongLPS: columnDirection * spacing[0])
        func mismatch(_ reason: String) -> ImagingError {
            .invalidArgument("\(what) ('\(path)') does not lie on the image series' grid: \(reason)")
        }
        // Rounded as Double and checked before any conversion to Int, which
        // would trap on a NaN, an infinity or a value beyond Int (a hostile
        // file's spacing of 1e300).
        func unitAxis(_ v: SIMD3<Double>, _ name: String) throws -> SIMD3<Int> {
            let rounded = v.rounded(.toNearestOrAwayFromZero), error = v - rounded
            guard (error * error).sum() < 1e-4, abs(rounded.x) + abs(rounded.y) + abs(rounded.z) == 1 else {
                throw mismatch("one pixel along its \(name) moves \(Self.describe(v)) voxels (orientation or spacing differ)")
            }
            return SIMD3<Int>(Int(rounded.x), Int(rounded.y), Int(rounded.z))
        }
        let columnStep = try unitAxis(alongRow, "rows"), rowStep = try unitAxis(alongColumn, "columns")
        guard columnStep != rowStep, columnStep != 0 &- rowStep else { throw mismatch("its rows and columns are parallel") }
        guard Self.isNear(start) else { throw mismatch("its first pixel falls at voxel \(Self.describe(start)), far off the grid") }
        let o = SIMD3<Int>(Int(start.x.rounded()), Int(start.y.rounded()), Int(start.z.rounded()))
        let off = start - SIMD3<Double>(Double(o.x), Double(o.y), Double(o.z))
        guard abs(off.x) <= 0.05, abs(off.y) <= 0.05, abs(off.z) <= 0.05 else {
            throw mismatch("its first pixel falls at voxel \(Self.describe(start)), between voxels")
        }
        let d = SIMD3(dimensions.x, dimensions.y, dimensions.z)
        for corner in [o, o &+ columnStep &* (columns - 1), o &+ rowStep &* (rows - 1),
                       o &+ columnStep &* (columns - 1) &+ rowStep &* (rows - 1)] {
            guard corner.x >= 0, corner.y >= 0, corner.z >= 0, corner.x < d.x, corner.y < d.y, corner.z < d.z else {
                throw mismatch("it reaches voxel \(corner), outside the \(dimensions.x)×\(dimensions.y)×\(dimensions.z) grid")
            }
        }
        return Placement(origin: o, columnStep: columnStep, rowStep: rowStep, dimensions: dimensions)
    }
}
