/// The fields of a 348-byte NIfTI-1 header that the reader relies on,
/// validated before nifticlib sees the header and before any voxel buffer
/// is allocated.
///
/// Why medaug checks the header itself: nifticlib 3.0.1 accepts headers
/// that would make it allocate or read nonsense. It reads a file with a bad
/// `sizeof_hdr` or magic as ANALYZE 7.5, turns a negative `dim` into 1,
/// lets the voxel count wrap around 2^64, takes a NaN `vox_offset` as 348,
/// and `nifti_image_load` zero-fills a short or truncated read and reports
/// success (a warning on stderr only). So every field that sizes or places
/// the data is checked here, with a message naming the field.
struct NIfTIHeader {
    /// Size of the NIfTI-1 header; the data of a `.nii` file starts after
    /// it and a 4-byte extension flag, at `vox_offset` ≥ 352.
    static let size = 348

    /// The header bytes in the file's byte order (for nifticlib).
    let bytes: [UInt8]
    /// Whether the file is big-endian (detected from `sizeof_hdr`).
    let isBigEndian: Bool
    /// `dim[1...4]`, missing dimensions as 1.
    let dimensions: NIfTIVolume.Dimensions
    /// The stored voxel type.
    let datatype: NIfTIDatatype
    /// `pixdim[1...3]` magnitudes converted to millimetres, and `pixdim[4]`.
    let voxelSize: SIMD3<Double>
    let timeStep: Double
    /// Multiplier from the file's spatial unit to millimetres.
    let unitToMillimetres: Double
    /// Byte offset of the first voxel.
    let voxelOffset: Int
    /// Bytes of voxel data (`voxelCount × bytesPerVoxel`).
    let dataBytes: Int
    /// The scaling to apply (`scl_slope`, `scl_inter`), (1, 0) when the
    /// header says none.
    let slope: Double
    let intercept: Double

    /// Parses and validates `bytes` (the first 348 bytes of the file).
    ///
    /// `storedBytes` is the file's size; `isCompressed` says whether that is
    /// the size of a gzip stream, which bounds the uncompressed size by
    /// deflate's largest ratio instead of equalling it.
    /// - Throws: `ImagingError.malformed`, `.unsupported` or `.tooLarge`.
    init(bytes: [UInt8], path: String, storedBytes: Int, isCompressed: Bool, limits: NIfTILimits) throws {
        precondition(bytes.count == NIfTIHeader.size, "the caller reads exactly 348 bytes")
        func fail(_ reason: String) -> ImagingError { .malformed(path: path, reason: reason) }
        self.bytes = bytes

        // Byte order: nibabel and the standard both detect it from sizeof_hdr.
        let little = HeaderBytes(bytes: bytes, isBigEndian: false)
        let big = HeaderBytes(bytes: bytes, isBigEndian: true)
        if little.int32(at: 0) == 348 { isBigEndian = false } else if big.int32(at: 0) == 348 { isBigEndian = true } else {
            let found = little.int32(at: 0)
            if found == 540 || big.int32(at: 0) == 540 {
                throw ImagingError.unsupported(path: path, reason: "sizeof_hdr is 540: a NIfTI-2 file; medaug reads NIfTI-1")
            }
            throw fail("sizeof_hdr is \(found), expected 348 (not a NIfTI-1 header)")
        }
        let h = isBigEndian ? big : little

        let magic = Array(bytes[344..<348])
        if magic == Array("ni1\0".utf8) {
            throw ImagingError.unsupported(path: path, reason: "magic 'ni1': a .hdr/.img pair; medaug reads single-file .nii and .nii.gz")
        }
        guard magic == Array("n+1\0".utf8) else {
            throw fail("magic is \(magic.map { String(format: "%02x", $0) }.joined(separator: " ")), expected 'n+1\\0' (6e 2b 31 00)")
        }

        // Dimensions: dim[0] = rank; each used dim at least 1; 5-D and up refused.
        let rank = Int(h.int16(at: 40))
        guard (1...7).contains(rank) else { throw fail("dim[0] is \(rank), expected 1 to 7") }
        var dims = [Int](repeating: 1, count: 8)
        for i in 1...rank {
            let d = Int(h.int16(at: 40 + 2 * i))
            guard d >= 1 else { throw fail("dim[\(i)] is \(d); every dim[1...dim[0]] must be at least 1") }
            dims[i] = d
        }

        // Voxel type and its size.
        let code = h.int16(at: 70)
        if let problem = NIfTIDatatype.problem(withCode: code) {
            throw problem.isKnown ? ImagingError.unsupported(path: path, reason: problem.reason) : fail(problem.reason)
        }
        datatype = NIfTIDatatype(rawValue: code)!
        let bitpix = Int(h.int16(at: 72))
        guard bitpix == 8 * datatype.bytesPerVoxel else {
            throw fail("bitpix is \(bitpix), but datatype \(datatype.name) has \(8 * datatype.bytesPerVoxel) bits")
        }

        // Size: overflow and the budget first, so nothing is allocated for a
        // header that asks for 2^45 voxels.
        var count = 1
        for d in dims[1...7] {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw ImagingError.tooLarge(path: path, reason: "dim \(dims[1...rank].map(String.init).joined(separator: "×")) overflows a 64-bit voxel count")
            }
            count = product
        }
        if let extra = (5...7).first(where: { dims[$0] > 1 }) {
            throw ImagingError.unsupported(path: path, reason: "dim[\(extra)] is \(dims[extra]); medaug reads 3-D and 4-D volumes")
        }
        dimensions = NIfTIVolume.Dimensions(x: dims[1], y: dims[2], z: dims[3], t: dims[4])
        guard count <= limits.maxVoxels else {
            throw ImagingError.tooLarge(path: path, reason: "\(dimensions) is \(count) voxels, limit \(limits.maxVoxels)")
        }
        let (bytesNeeded, bytesOverflow) = count.multipliedReportingOverflow(by: datatype.bytesPerVoxel)
        guard !bytesOverflow else {   // only reachable with a limit near Int.max
            throw ImagingError.tooLarge(path: path, reason: "\(dimensions) × \(datatype.bytesPerVoxel) bytes overflows a 64-bit size")
        }
        dataBytes = bytesNeeded

        // Where the data is, and whether the file can hold it.
        let offset = Double(h.float32(at: 108))
        guard offset.isFinite, offset == offset.rounded(), offset >= 352, offset <= Double(Int32.max) else {
            throw fail("vox_offset is \(offset), expected a whole number of bytes ≥ 352")
        }
        voxelOffset = Int(offset)
        let (needed, neededOverflow) = voxelOffset.addingReportingOverflow(dataBytes)
        guard !neededOverflow else {
            throw ImagingError.tooLarge(path: path, reason: "vox_offset + \(dataBytes) data bytes overflows a 64-bit size")
        }
        if isCompressed {
            // Deflate expands by at most 1032:1, so a small gzip file cannot
            // hold a large volume: refuse before allocating for it.
            let bound = storedBytes.multipliedReportingOverflow(by: 1032)
            if !bound.overflow && needed > bound.partialValue {
                throw fail("header needs \(needed) uncompressed bytes, but a \(storedBytes)-byte gzip file holds at most \(bound.partialValue) (deflate's 1032:1 limit)")
            }
        } else if needed > storedBytes {
            throw fail("data needs bytes \(voxelOffset)..<\(needed) (vox_offset + \(dimensions) × \(datatype.bytesPerVoxel) bytes), but the file has \(storedBytes) bytes")
        }

        // Scaling, as nibabel reads it: slope 0 or not finite means none; a
        // usable slope with a non-finite intercept is an error.
        let slope = Double(h.float32(at: 112)), inter = Double(h.float32(at: 116))
        if slope == 0 || !slope.isFinite {
            (self.slope, intercept) = (1, 0)
        } else {
            guard inter.isFinite else { throw fail("scl_slope is \(slope) but scl_inter is \(inter)") }
            (self.slope, intercept) = (slope, inter)
        }

        // Units: 0 (unknown, nibabel's default) is read as millimetres.
        switch bytes[123] & 0x07 {
        case 1: unitToMillimetres = 1000
        case 3: unitToMillimetres = 0.001
        default: unitToMillimetres = 1
        }
        let pixdim = (1...4).map { Double(h.float32(at: 76 + 4 * $0)) }
        guard pixdim[0...2].allSatisfy(\.isFinite) else {
            throw fail("pixdim[1...3] is \(pixdim[0...2].map { $0 }), expected finite voxel sizes")
        }
        voxelSize = SIMD3(abs(pixdim[0]), abs(pixdim[1]), abs(pixdim[2])) * unitToMillimetres
        timeStep = pixdim[3].isFinite ? abs(pixdim[3]) : 0
    }
}

/// Reads little- or big-endian fields out of the header bytes.
struct HeaderBytes {
    let bytes: [UInt8]
    let isBigEndian: Bool

    func uint32(at offset: Int) -> UInt32 {
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        return isBigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    func int32(at offset: Int) -> Int32 { Int32(bitPattern: uint32(at: offset)) }

    func int16(at offset: Int) -> Int16 {
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
        return Int16(bitPattern: isBigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))
    }

    func float32(at offset: Int) -> Float { Float(bitPattern: uint32(at: offset)) }
}
