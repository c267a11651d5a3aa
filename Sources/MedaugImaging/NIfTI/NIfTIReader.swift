import CNIfTI
import Foundation

/// Budgets a NIfTI read is checked against, before anything is allocated.
public struct NIfTILimits: Equatable, Sendable {
    /// Most voxels (x·y·z·t) a file may declare. Default 2^28 (268 M: 1 GiB
    /// of `Float`; a BraTS volume is 8.9 M, an MNI 1 mm template 8.7 M).
    public var maxVoxels: Int

    /// Limits with the given budget.
    public init(maxVoxels: Int = 1 << 28) { self.maxVoxels = maxVoxels }

    /// The default budget.
    public static let standard = NIfTILimits()
}

/// Reads NIfTI-1 `.nii` and `.nii.gz` files (3-D and 4-D) with the
/// reference C library, nifticlib (Debian's libnifti2).
///
/// ```swift
/// let volume = try NIfTIReader.read(path: "brain.nii.gz")
/// let canonical = volume.canonical()          // RAS+ voxel order
/// ```
///
/// What is read: every real-valued datatype (``NIfTIDatatype``), either
/// byte order, `scl_slope`/`scl_inter` applied as nibabel applies them
/// (slope 0 or not finite: no scaling), `pixdim` as voxel sizes, and the
/// sform or qform (see ``NIfTIVolume/affineSource``). NaN and infinite
/// float voxels are kept (nifticlib's own loader would zero them).
///
/// How: medaug reads the 348-byte header through znzlib and validates it
/// itself (``ImagingError`` names the field), hands it to nifticlib
/// (`nifti_convert_nhdr2nim`) for the qform/sform matrices and
/// `nifti_mat44_to_orientation` for the axis codes, then reads the voxels
/// through znzlib in 4 MiB chunks, checking every count, converting each
/// chunk to `Float` as it arrives (peak memory: the `Float` array plus one
/// chunk). nifticlib's `nifti_image_load` is not used: it zero-fills short
/// reads and reports success.
///
/// Errors (all `ImagingError`, naming the file):
/// - `.io`: the file cannot be opened or is not a regular file.
/// - `.malformed`: bad `sizeof_hdr` or magic, `dim[0]` outside 1...7, a
///   dimension below 1, an unknown datatype code, `bitpix` that disagrees
///   with the datatype, `vox_offset` that is not a whole number ≥ 352, data
///   past the end of a `.nii` file, a `.nii.gz` too small to hold its
///   declared data (deflate expands at most 1032:1), a truncated or corrupt
///   file or gzip stream, a usable slope with a non-finite intercept, a
///   singular or non-finite affine, a `.nii.gz` that is not gzip.
/// - `.unsupported`: NIfTI-2, `.hdr`/`.img` pairs, 5-D and higher,
///   complex/RGB/float128 data, a name not ending in `.nii` or `.nii.gz`.
/// - `.tooLarge`: more voxels than `limits.maxVoxels` (or than 2^63).
///
/// Thread safety: reads share no state; call from any thread.
public enum NIfTIReader {
    /// Reads the whole file.
    ///
    /// - Parameters:
    ///   - path: a `.nii` or `.nii.gz` file (matched case-insensitively).
    ///   - limits: the voxel budget, checked before allocating.
    /// - Returns: the volume in storage order (see ``NIfTIVolume``).
    /// - Throws: `ImagingError`, see the type's documentation.
    /// - Complexity: O(file size).
    public static func read(path: String, limits: NIfTILimits = .standard) throws -> NIfTIVolume {
        silenceNIfTILibrary
        let lower = path.lowercased()
        let compressed: Bool
        if lower.hasSuffix(".nii.gz") { compressed = true } else if lower.hasSuffix(".nii") { compressed = false } else {
            throw ImagingError.unsupported(path: path, reason: "expected a .nii or .nii.gz file name")
        }
        let size = try regularFileSize(path)
        if compressed { try checkGzipMagic(path) }

        let file = try NIfTIZNZFile(path: path, mode: "rb", compressed: compressed)
        var headerBytes = [UInt8](repeating: 0, count: NIfTIHeader.size)
        try headerBytes.withUnsafeMutableBytes { try file.readExactly(into: $0, what: "the 348-byte header") }
        let header = try NIfTIHeader(bytes: headerBytes, path: path, storedBytes: size,
                                     isCompressed: compressed, limits: limits)
        let (affine, source) = try transform(of: header, path: path)

        try file.skip(header.voxelOffset - NIfTIHeader.size, what: "the header extensions before vox_offset")
        let values = try readVoxels(file, header: header)
        try file.checkCleanGzipEnd()
        return try NIfTIVolume(header: header, values: values, affine: affine, affineSource: source, path: path)
    }

    /// nifticlib prints its complaints to stderr at the default debug level
    /// 1; medaug reports problems as errors instead.
    static let silenceNIfTILibrary: Void = nifti_set_debug_level(0)

    private static func regularFileSize(_ path: String) throws -> Int {
        // Checked without blocking (znzopen would wait on a FIFO).
        let (fd, status) = try FileBytes.openRegular(path: path)
        close(fd)
        return Int(status.st_size)
    }

    /// zlib reads a file without the gzip magic as plain bytes; a `.nii.gz`
    /// that is not gzip is a mislabelled file, so it is refused as nibabel
    /// refuses it.
    private static func checkGzipMagic(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImagingError.io(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        let magic = [UInt8]((try? handle.read(upToCount: 2)) ?? Data())
        guard magic == [0x1f, 0x8b] else {
            let found = magic.isEmpty ? "an empty file" : "first bytes " + magic.map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImagingError.malformed(path: path, reason: "named .nii.gz but not gzip-compressed (\(found), expected 1f 8b)")
        }
    }

    /// The voxel-to-world affine in millimetres, chosen as nibabel chooses:
    /// sform if `sform_code` > 0, else qform if `qform_code` > 0, else the
    /// pixdim fallback. nifticlib computes the qform matrix from the
    /// quaternion (the header is given to it only after validation).
    private static func transform(of header: NIfTIHeader, path: String) throws -> (NIfTIVolume.Affine, NIfTIVolume.AffineSource) {
        var raw = nifti_1_header()
        precondition(MemoryLayout<nifti_1_header>.size == NIfTIHeader.size, "nifti1.h's header is 348 packed bytes")
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: header.bytes) }
        if header.isBigEndian != (UInt16(1).bigEndian == 1) { swap_nifti_header(&raw, 1) }
        guard let nim = nifti_convert_nhdr2nim(raw, path) else {
            throw ImagingError.malformed(path: path, reason: "nifticlib rejected the header (nifti_convert_nhdr2nim)")
        }
        defer { nifti_image_free(nim) }
        let image = nim.pointee
        guard image.nvox == header.dimensions.voxelCount, image.datatype == Int32(header.datatype.rawValue) else {
            throw ImagingError.malformed(path: path, reason: "nifticlib reads \(image.nvox) voxels of type \(image.datatype), medaug \(header.dimensions.voxelCount) of \(header.datatype.rawValue)")
        }
        var affine: NIfTIVolume.Affine
        let source: NIfTIVolume.AffineSource
        if image.sform_code > 0 {
            (affine, source) = (NIfTIVolume.Affine(image.sto_xyz), .sform(code: Int(image.sform_code)))
        } else if image.qform_code > 0 {
            (affine, source) = (NIfTIVolume.Affine(image.qto_xyz), .qform(code: Int(image.qform_code)))
        } else {
            return (pixdimFallback(header), .pixdim)
        }
        for r in 0..<3 { for c in 0..<4 { affine[r, c] *= header.unitToMillimetres } }
        return (affine, source)
    }

    /// nibabel's `shape_zoom_affine`: x flipped, voxel `(dim - 1) / 2` at the
    /// origin. Zero voxel sizes are taken as 1 (as nifticlib does) so the
    /// affine stays invertible.
    private static func pixdimFallback(_ header: NIfTIHeader) -> NIfTIVolume.Affine {
        let size = header.voxelSize.replacing(with: 1, where: header.voxelSize .== 0)
        let d = header.dimensions
        let zooms = SIMD3(-size.x, size.y, size.z)
        let centre = (SIMD3(Double(d.x), Double(d.y), Double(d.z)) - 1) / 2
        var affine = NIfTIVolume.Affine.scaling(zooms)
        for r in 0..<3 { affine[r, 3] = -centre[r] * zooms[r] }
        return affine
    }

    /// Reads `dataBytes` from the current position and converts them.
    private static func readVoxels(_ file: NIfTIZNZFile, header: NIfTIHeader) throws -> [Float] {
        let count = header.dimensions.voxelCount
        let width = header.datatype.bytesPerVoxel
        let chunkVoxels = max(1, (4 << 20) / width)
        var chunk = [UInt8](repeating: 0, count: min(count, chunkVoxels) * width)
        let converter = NIfTIVoxelConverter(datatype: header.datatype, bigEndian: header.isBigEndian,
                                       slope: header.slope, intercept: header.intercept)
        return try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            var done = 0
            while done < count {
                let n = min(chunkVoxels, count - done)
                try chunk.withUnsafeMutableBytes { raw in
                    let part = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(n * width)])
                    try file.readExactly(into: part, what: "the voxel data", soFar: done * width, total: header.dataBytes)
                    converter.convert(UnsafeRawBufferPointer(part),
                                      into: UnsafeMutableBufferPointer(rebasing: out[done..<(done + n)]))
                }
                done += n
            }
            initialized = count
        }
    }
}
