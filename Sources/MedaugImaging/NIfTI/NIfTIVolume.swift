import CNIfTI

/// A 3-D or 4-D NIfTI-1 volume in memory: voxel values, grid and the
/// voxel-to-world transform.
///
/// Layout: ``values`` is `x` fastest, then `y`, `z`, `t` (the file's storage
/// order, NIfTI's and nibabel's Fortran order): voxel (i, j, k, t) is at
/// `i + x·(j + y·(k + z·t))`. Values are the stored numbers with
/// `scl_slope`/`scl_inter` applied (see ``NIfTIDatatype`` for the precision
/// kept). Lengths are millimetres; world coordinates are RAS+ (x to the
/// patient's right, y anterior, z superior), as NIfTI defines them.
///
/// The storage order is whatever the file had; ``axisCodes`` says which way
/// each stored axis points, ``canonical()`` reorders the voxels to RAS+ and
/// ``slice(_:index:volume:)`` cuts a named anatomical plane in one fixed
/// viewing orientation whatever the storage order.
///
/// ```swift
/// let volume = try NIfTIReader.read(path: "t1.nii.gz")
/// print(volume.dimensions, volume.axisCodes)          // 197×233×189×1 RAS
/// let mid = volume.sliceCount(.axial) / 2
/// let axial = try volume.slice(.axial, index: mid)     // top = anterior
/// ```
public struct NIfTIVolume: Equatable, Sendable {
    /// Grid size: `x`, `y`, `z` voxels and `t` volumes (1 for 3-D).
    public struct Dimensions: Equatable, Hashable, Sendable, CustomStringConvertible {
        /// Voxels along the first stored axis (NIfTI `dim[1]`).
        public var x: Int
        /// Voxels along the second stored axis (`dim[2]`).
        public var y: Int
        /// Voxels along the third stored axis (`dim[3]`, 1 for 2-D files).
        public var z: Int
        /// Volumes (`dim[4]`, 1 for 3-D files).
        public var t: Int

        /// Creates dimensions; see ``NIfTIVolume/init(dimensions:values:voxelSize:affine:affineSource:datatype:timeStep:)``
        /// for the checks.
        public init(x: Int, y: Int, z: Int, t: Int = 1) {
            (self.x, self.y, self.z, self.t) = (x, y, z, t)
        }

        /// Voxels in one 3-D volume, `x·y·z`.
        public var spatialCount: Int { x * y * z }
        /// Voxels in all volumes, `x·y·z·t`.
        public var voxelCount: Int { x * y * z * t }
        /// `"x×y×z×t"`.
        public var description: String { "\(x)×\(y)×\(z)×\(t)" }
    }

    /// Where ``affine`` came from, with the header's `NIFTI_XFORM_*` code
    /// (1 scanner, 2 aligned, 3 Talairach, 4 MNI 152, 5 other template).
    public enum AffineSource: Equatable, Sendable {
        /// The sform (`srow_x/y/z`), used when `sform_code` > 0.
        case sform(code: Int)
        /// The qform (quaternion, offsets, pixdim, qfac), used when
        /// `sform_code` ≤ 0 and `qform_code` > 0.
        case qform(code: Int)
        /// Neither code set: nibabel's fallback from `pixdim`, x flipped and
        /// the grid centred on the origin (`diag(-dx, dy, dz)`, origin at
        /// voxel `(dim - 1) / 2`), so files read the same here and in nibabel.
        case pixdim
    }

    /// The `scl_slope` and `scl_inter` that were applied to the stored
    /// values (slope 1, intercept 0 when the file has none).
    public struct Scaling: Equatable, Sendable {
        /// Multiplier: value = stored × slope + intercept.
        public var slope: Double
        /// Offset added after the slope.
        public var intercept: Double
        /// No scaling.
        public static let identity = Scaling(slope: 1, intercept: 0)
        /// Creates a scaling.
        public init(slope: Double, intercept: Double) { (self.slope, self.intercept) = (slope, intercept) }
    }

    /// The grid size.
    public let dimensions: Dimensions
    /// Voxel values after scaling, `x` fastest (see the type's layout note).
    public let values: [Float]
    /// Voxel size in millimetres along the stored x, y, z axes: the
    /// header's `pixdim[1...3]` magnitudes converted from `xyzt_units`
    /// (unit code 0, unknown, is read as millimetres, as nibabel writes it).
    public let voxelSize: SIMD3<Double>
    /// Time between volumes, `pixdim[4]` as stored (0 for 3-D files).
    public let timeStep: Double
    /// Voxel (i, j, k) to world millimetres (RAS+); see ``affineSource``.
    public let affine: Affine
    /// Which header transform ``affine`` is: the sform when `sform_code` > 0,
    /// else the qform when `qform_code` > 0, else a pixdim fallback, the
    /// order nibabel's `get_best_affine` uses.
    public let affineSource: AffineSource
    /// The stored voxel type (`.float32` for volumes made in memory).
    public let datatype: NIfTIDatatype
    /// The scaling applied to the stored values.
    public let scaling: Scaling
    /// Where each stored axis points, one letter per axis from `RLAPSI`:
    /// `"RAS"` means +x runs to the patient's right, +y anterior, +z
    /// superior; `"LPS"` is DICOM's order. Computed from ``affine`` by
    /// nifticlib's `nifti_mat44_to_orientation` (the closest axis-aligned
    /// orientation, so an oblique affine gets the nearest codes).
    public let axisCodes: String

    /// Stored axis feeding each canonical axis (R, A, S), and whether it runs
    /// the opposite way; derived from ``axisCodes``.
    let canonicalAxes: [(stored: Int, flipped: Bool)]

    /// A volume made in memory (to write it, or to slice it).
    ///
    /// - Parameters:
    ///   - dimensions: every size at least 1.
    ///   - values: `dimensions.voxelCount` values, `x` fastest.
    ///   - voxelSize: positive, finite millimetres.
    ///   - affine: voxel to world millimetres; finite, non-singular.
    /// - Throws: `ImagingError.invalidArgument` naming the first problem.
    public init(dimensions: Dimensions, values: [Float], voxelSize: SIMD3<Double>, affine: Affine,
                affineSource: AffineSource = .sform(code: 2), datatype: NIfTIDatatype = .float32,
                timeStep: Double = 0) throws {
        let d = dimensions
        guard d.x >= 1, d.y >= 1, d.z >= 1, d.t >= 1 else {
            throw ImagingError.invalidArgument("volume dimensions \(d) must all be at least 1")
        }
        let (count, overflow) = d.spatialCount.multipliedReportingOverflow(by: d.t)
        guard !overflow, values.count == count else {
            throw ImagingError.invalidArgument("volume \(d) needs \(overflow ? "too many" : String(count)) values, got \(values.count)")
        }
        guard (0..<3).allSatisfy({ voxelSize[$0] > 0 && voxelSize[$0].isFinite }) else {
            let sizes = [voxelSize.x, voxelSize.y, voxelSize.z].map { "\($0)" }.joined(separator: " × ")
            throw ImagingError.invalidArgument("voxel size \(sizes) mm must be positive and finite")
        }
        let codes = try Self.orientationCodes(of: affine)
        self.dimensions = d
        self.values = values
        self.voxelSize = voxelSize
        self.timeStep = timeStep
        self.affine = affine
        self.affineSource = affineSource
        self.datatype = datatype
        self.scaling = .identity
        self.axisCodes = codes
        self.canonicalAxes = Self.canonicalAxes(codes)
    }

    /// The reader's initialiser: the header was validated, so only the
    /// affine can still be wrong (and is reported as a malformed file).
    init(header: NIfTIHeader, values: [Float], affine: Affine, affineSource: AffineSource, path: String) throws {
        let codes: String
        do { codes = try Self.orientationCodes(of: affine) } catch let error as ImagingError {
            throw ImagingError.malformed(path: path, reason: "\(affineSource) \(error.description)")
        }
        dimensions = header.dimensions
        self.values = values
        voxelSize = header.voxelSize
        timeStep = header.timeStep
        self.affine = affine
        self.affineSource = affineSource
        datatype = header.datatype
        scaling = Scaling(slope: header.slope, intercept: header.intercept)
        axisCodes = codes
        canonicalAxes = Self.canonicalAxes(codes)
    }

    /// A copy with other values and grid (for ``canonical()``).
    init(reoriented source: NIfTIVolume, dimensions: Dimensions, values: [Float], voxelSize: SIMD3<Double>, affine: Affine) {
        self.dimensions = dimensions
        self.values = values
        self.voxelSize = voxelSize
        self.timeStep = source.timeStep
        self.affine = affine
        self.affineSource = source.affineSource
        self.datatype = source.datatype
        self.scaling = source.scaling
        self.axisCodes = "RAS"
        self.canonicalAxes = Self.canonicalAxes("RAS")
    }

    /// The value at stored voxel (x, y, z) of volume t.
    ///
    /// - Precondition: every index is within ``dimensions``.
    public subscript(x: Int, y: Int, z: Int, t: Int = 0) -> Float {
        let d = dimensions
        precondition((0..<d.x).contains(x) && (0..<d.y).contains(y) && (0..<d.z).contains(z) && (0..<d.t).contains(t),
                     "voxel (\(x), \(y), \(z), \(t)) is outside \(d)")
        return values[x + d.x * (y + d.y * (z + d.z * t))]
    }

    /// Same grid, values (`Float` equality, so NaN voxels never compare
    /// equal), voxel size, time step, affine, affine source, datatype and
    /// scaling. ``axisCodes`` follows from the affine.
    public static func == (a: NIfTIVolume, b: NIfTIVolume) -> Bool {
        a.dimensions == b.dimensions && a.values == b.values && a.voxelSize == b.voxelSize
            && a.timeStep == b.timeStep && a.affine == b.affine && a.affineSource == b.affineSource
            && a.datatype == b.datatype && a.scaling == b.scaling
    }

    /// nifticlib's closest orientation of `affine`, as three letters.
    ///
    /// - Throws: `ImagingError.invalidArgument` for a non-finite or singular
    ///   affine, for which no orientation exists.
    static func orientationCodes(of affine: Affine) throws -> String {
        guard affine.elements.allSatisfy(\.isFinite) else {
            throw ImagingError.invalidArgument("affine \(affine) has non-finite entries")
        }
        let lengths = affine.columnLengths
        let det = affine.determinant3x3
        // Relative test: a legitimately tiny voxel (0.01 mm) must not look
        // singular, a rank-deficient matrix must.
        guard lengths.min() > 0, abs(det) > 1e-6 * lengths.x * lengths.y * lengths.z else {
            throw ImagingError.invalidArgument("affine \(affine) is singular (no voxel-to-world orientation)")
        }
        var i: Int32 = 0, j: Int32 = 0, k: Int32 = 0
        nifti_mat44_to_orientation(affine.mat44, &i, &j, &k)
        let letters: [Int32: Character] = [
            NIFTI_L2R: "R", NIFTI_R2L: "L", NIFTI_P2A: "A", NIFTI_A2P: "P", NIFTI_I2S: "S", NIFTI_S2I: "I",
        ]
        guard let a = letters[i], let b = letters[j], let c = letters[k] else {
            throw ImagingError.invalidArgument("affine \(affine) has no orientation (nifticlib codes \(i), \(j), \(k))")
        }
        return String([a, b, c])
    }

    /// For canonical axis R, A, S: the stored axis that points along it
    /// (or against it: flipped).
    static func canonicalAxes(_ codes: String) -> [(stored: Int, flipped: Bool)] {
        let letters = Array(codes)
        let pairs: [(Character, Character)] = [("R", "L"), ("A", "P"), ("S", "I")]
        return pairs.map { positive, negative in
            if let axis = letters.firstIndex(of: positive) { return (axis, false) }
            return (letters.firstIndex(of: negative)!, true)
        }
    }
}
