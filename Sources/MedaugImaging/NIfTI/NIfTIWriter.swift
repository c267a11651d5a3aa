import CNIfTI
import Foundation

/// Writes 3-D NIfTI-1 files (`.nii`, or gzip-compressed `.nii.gz`): label
/// volumes and outputs.
///
/// ```swift
/// let labels = try NIfTIVolume(dimensions: .init(x: 197, y: 233, z: 189), values: classIDs,
///                              voxelSize: SIMD3(1, 1, 1), affine: t1.affine)
/// try NIfTIWriter.write(labels, to: "labels.nii.gz", as: .uint8)
/// ```
///
/// What is written: the header is built by nifticlib (`nifti_make_new_nim`,
/// `nifti_mat44_to_quatern`, `nifti_convert_nim2nhdr`), little-endian,
/// `vox_offset` 352, no extensions, `xyzt_units` millimetres, no scaling
/// (`scl_slope` 1, `scl_inter` 0), the values as the chosen datatype. The
/// affine is kept: the sform holds it exactly (to `Float` precision); the
/// qform holds it too when its columns are orthogonal (a qform cannot
/// express shear; otherwise `qform_code` is 0). Both codes are the
/// volume's ``NIfTIVolume/affineSource`` code, or 2 (aligned) for a pixdim
/// fallback. `pixdim[1...3]` are the affine's column lengths, as nibabel
/// writes them.
///
/// Atomic: the file is written beside the target under a temporary name
/// and renamed over it only when complete, so a reader never sees half a
/// file and a failed write leaves any previous file in place.
public enum NIfTIWriter {
    /// Writes `volume` to `path`.
    ///
    /// - Parameters:
    ///   - volume: a 3-D volume, or a 4-D one (`dimensions.t > 1`, e.g. class
    ///     probabilities) written as float32.
    ///   - path: ends in `.nii` or `.nii.gz` (case-insensitive; `.gz` compresses).
    ///   - datatype: `.uint8`, `.int16`, `.uint16` or `.float32`. For the
    ///     integer types every value must be a whole number in the type's
    ///     range (no silent rounding or clipping of labels).
    /// - Throws: `ImagingError.invalidArgument` (4-D volume, other datatype
    ///   or extension, a value the datatype cannot hold, naming the first
    ///   such voxel), `ImagingError.io` (cannot create, write or rename).
    /// - Complexity: O(voxels).
    public static func write(_ volume: NIfTIVolume, to path: String, as datatype: NIfTIDatatype) throws {
        guard volume.dimensions.t == 1 || datatype == .float32 else {
            throw ImagingError.invalidArgument("NIfTIWriter writes 4-D volumes as float32 only; \(path) would get \(volume.dimensions) \(datatype.name)")
        }
        guard datatype.isWritable else {
            throw ImagingError.invalidArgument("NIfTIWriter writes uint8, int16, uint16 or float32, not \(datatype.name)")
        }
        let lower = path.lowercased()
        let compressed = lower.hasSuffix(".nii.gz")
        guard compressed || lower.hasSuffix(".nii") else {
            throw ImagingError.invalidArgument("NIfTI output '\(path)' must end in .nii or .nii.gz")
        }
        NIfTIReader.silenceNIfTILibrary
        let data = try encode(volume, as: datatype, path: path)
        let header = try makeHeader(volume, datatype: datatype, path: path)

        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do {
            let file = try NIfTIZNZFile(path: temporary, mode: "wb", compressed: compressed)
            try header.withUnsafeBytes { try file.write($0) }
            try [UInt8](repeating: 0, count: 4).withUnsafeBytes { try file.write($0) }   // no extensions
            try data.withUnsafeBytes { try file.write($0) }
            let status = file.close()
            guard status == 0 else { throw ImagingError.io(path: temporary, reason: "closing failed (status \(status))") }
            guard rename(temporary, path) == 0 else {
                throw ImagingError.io(path: path, reason: "rename from temporary file failed: \(String(cString: strerror(errno)))")
            }
        } catch ImagingError.io(let failed, let reason) where failed == temporary {
            unlink(temporary)
            throw ImagingError.io(path: path, reason: "writing the temporary file \(temporary) failed: \(reason)")
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The values as little-endian bytes of `datatype`.
    private static func encode(_ volume: NIfTIVolume, as datatype: NIfTIDatatype, path: String) throws -> [UInt8] {
        let values = volume.values
        if let range = datatype.integerRange,
           let bad = values.firstIndex(where: { !range.contains(Double($0)) || $0 != $0.rounded() }) {
            let d = volume.dimensions
            let (x, y, z) = (bad % d.x, bad / d.x % d.y, bad / (d.x * d.y))
            throw ImagingError.invalidArgument("voxel (\(x), \(y), \(z)) is \(values[bad]), which \(datatype.name) cannot hold exactly (writing \(path))")
        }
        var bytes = [UInt8](repeating: 0, count: values.count * datatype.bytesPerVoxel)
        bytes.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { source in
                // One loop per type: the range check above makes every conversion exact.
                switch datatype {
                case .uint8: store(source, into: raw) { UInt8($0) }
                case .int16: store(source, into: raw) { Int16($0).littleEndian }
                case .uint16: store(source, into: raw) { UInt16($0).littleEndian }
                default: store(source, into: raw) { $0.bitPattern.littleEndian }
                }
            }
        }
        return bytes
    }

    private static func store<T>(_ source: UnsafeBufferPointer<Float>, into raw: UnsafeMutableRawBufferPointer,
                                 _ convert: (Float) -> T) {
        let out = raw.bindMemory(to: T.self)
        for i in source.indices { out[i] = convert(source[i]) }
    }

    /// The 348 header bytes, built by nifticlib from a `nifti_image`.
    private static func makeHeader(_ volume: NIfTIVolume, datatype: NIfTIDatatype, path: String) throws -> [UInt8] {
        let d = volume.dimensions
        guard [d.x, d.y, d.z, d.t].allSatisfy({ $0 <= Int(Int16.max) }) else {
            throw ImagingError.invalidArgument("NIfTI-1 dimensions are at most 32767; volume is \(d)")
        }
        let dims: [Int32] = [d.t > 1 ? 4 : 3, Int32(d.x), Int32(d.y), Int32(d.z), Int32(d.t), 1, 1, 1]
        guard let nim = nifti_make_new_nim(dims, Int32(datatype.rawValue), 0) else {
            throw ImagingError.io(path: path, reason: "nifti_make_new_nim failed")
        }
        defer { nifti_image_free(nim) }

        let affine = volume.affine
        let code: Int32
        switch volume.affineSource {
        case .sform(let c), .qform(let c): code = Int32(c > 0 ? c : 2)
        case .pixdim: code = 2
        }
        let zooms = affine.columnLengths
        nim.pointee.dx = Float(zooms.x)
        nim.pointee.dy = Float(zooms.y)
        nim.pointee.dz = Float(zooms.z)
        withUnsafeMutableBytes(of: &nim.pointee.pixdim) { raw in
            let p = raw.bindMemory(to: Float.self)
            (p[0], p[1], p[2], p[3], p[4]) = (1, Float(zooms.x), Float(zooms.y), Float(zooms.z), 1)
        }
        nim.pointee.xyz_units = NIFTI_UNITS_MM
        nim.pointee.scl_slope = 1
        nim.pointee.scl_inter = 0
        nim.pointee.iname_offset = 352
        nim.pointee.sform_code = code
        nim.pointee.sto_xyz = affine.mat44
        if isOrthogonal(affine) {
            var q = [Float](repeating: 0, count: 10)   // b c d, x y z, dx dy dz, qfac
            q.withUnsafeMutableBufferPointer { p in
                nifti_mat44_to_quatern(affine.mat44, &p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &p[6], &p[7], &p[8], &p[9])
            }
            nim.pointee.qform_code = code
            (nim.pointee.quatern_b, nim.pointee.quatern_c, nim.pointee.quatern_d) = (q[0], q[1], q[2])
            (nim.pointee.qoffset_x, nim.pointee.qoffset_y, nim.pointee.qoffset_z) = (q[3], q[4], q[5])
            nim.pointee.qfac = q[9]
        } else {
            nim.pointee.qform_code = 0
        }
        withUnsafeMutableBytes(of: &nim.pointee.descrip) { raw in
            raw.copyBytes(from: Array("medaug".utf8))
        }

        var header = nifti_convert_nim2nhdr(nim)
        let bytes = withUnsafeBytes(of: &header) { [UInt8]($0) }
        guard bytes.count == 348, Array(bytes[344..<348]) == Array("n+1\0".utf8) else {
            throw ImagingError.io(path: path, reason: "nifticlib built an unexpected header (\(bytes.count) bytes)")
        }
        return bytes
    }

    /// Whether the affine's columns are orthogonal (to `Float` precision),
    /// so that a qform (rotation, zooms, offsets) represents it.
    private static func isOrthogonal(_ a: NIfTIVolume.Affine) -> Bool {
        let lengths = a.columnLengths
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            let dot = (0..<3).map { a[$0, i] * a[$0, j] }.reduce(0, +)
            if abs(dot) > 1e-5 * lengths[i] * lengths[j] { return false }
        }
        return true
    }
}
