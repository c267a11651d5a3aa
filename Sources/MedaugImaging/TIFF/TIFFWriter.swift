import CTIFF
import Foundation

/// Compression of the strips ``TIFFWriter`` writes.
public enum TIFFWriteCompression: String, Sendable, CaseIterable {
    /// Uncompressed.
    case none
    /// Deflate (zlib, TIFF code 8) with the horizontal predictor for
    /// integers and the floating-point predictor for float32: lossless, and
    /// read by libtiff, tifffile and ImageJ.
    case deflate
}

/// Writes TIFF files atomically (libtiff underneath).
///
/// Each ``TIFFImage`` becomes one page. Sample types: uint8, uint16 and
/// float32. One channel is written as MinIsBlack; three as RGB with
/// interleaved samples (what viewers expect); any other count as MinIsBlack
/// with one plane per channel and the extra channels marked "unspecified"
/// (tifffile reads those as [C][H][W]). Files above ~3.5 GiB of samples are
/// written as BigTIFF.
///
/// ```swift
/// try TIFFWriter.write(images: [slice0, slice1], to: "out/stack.tif", compression: .deflate)
/// ```
///
/// Atomicity: the pages go to a temporary file in the destination folder,
/// which is flushed to disk and renamed over `path`; on any failure the
/// temporary file is removed and `path` is left as it was.
public enum TIFFWriter {
    /// The sample types ``write(images:to:compression:)`` accepts.
    public static let writableSampleTypes: Set<SampleType> = [.uint8, .uint16, .float32]

    /// Writes `images` as the pages of `path`, replacing it if it exists.
    ///
    /// - Throws: `ImagingError.invalidArgument` for no images or an
    ///   unwritable sample type; `.io` if the folder is missing or not
    ///   writable, the disk is full, or libtiff fails (its messages appended).
    /// - Complexity: O(total samples); memory beyond the images: one strip
    ///   of about 64 KiB.
    public static func write(images: [TIFFImage], to path: String, compression: TIFFWriteCompression = .none) throws {
        guard !images.isEmpty else { throw ImagingError.invalidArgument("no images to write to '\(path)'") }
        for (index, image) in images.enumerated() where !writableSampleTypes.contains(image.sampleType) {
            throw ImagingError.invalidArgument(
                "page \(index) of '\(path)' is \(image.sampleType); medaug writes TIFF as uint8, uint16 or float32")
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().path
            + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let totalBytes = images.reduce(0) { $0 + $1.pixels.count * $1.sampleType.bytesPerSample }
        // Classic TIFF offsets are 32-bit; leave room for directories.
        let mode = totalBytes > (7 << 29) ? "w8" : "w"
        let handle: LibTIFFHandle
        do {
            handle = try LibTIFFHandle(path: temporary, mode: mode, maxSingleAllocation: Int.max)
        } catch {
            unlink(temporary)   // in case libtiff created it before failing
            if case ImagingError.io(_, let reason) = error { throw ImagingError.io(path: path, reason: reason) }
            throw error
        }
        do {
            for image in images { try writePage(image, handle: handle, compression: compression, path: path) }
            guard handle.messages.errors.isEmpty else {
                throw ImagingError.io(path: path, reason: "libtiff failed" + handle.messages.diagnosis)
            }
            guard fsync(TIFFFileno(handle.tif)) == 0 else {
                throw ImagingError.io(path: path, reason: String(cString: strerror(errno)))
            }
            handle.close()
            guard rename(temporary, path) == 0 else {
                throw ImagingError.io(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            handle.close()
            unlink(temporary)
            throw error
        }
    }

    /// Writes one image; a shortcut for `write(images: [image], …)`.
    public static func write(image: TIFFImage, to path: String, compression: TIFFWriteCompression = .none) throws {
        try write(images: [image], to: path, compression: compression)
    }

    private static func writePage(_ image: TIFFImage, handle: LibTIFFHandle, compression: TIFFWriteCompression, path: String) throws {
        let type = image.sampleType
        let size = type.bytesPerSample
        let interleaved = image.channels == 3
        let rowBytes = image.width * (interleaved ? 3 : 1) * size
        // ~64 KiB strips: large enough for Deflate to work well, small enough
        // to keep the copy we hand to libtiff (its predictor edits in place).
        let rowsPerStrip = min(image.height, max(1, 65_536 / rowBytes))
        try handle.setField(TIFFTAG_IMAGEWIDTH, UInt32(image.width))
        try handle.setField(TIFFTAG_IMAGELENGTH, UInt32(image.height))
        // uint16 tags travel as C int (default argument promotion).
        try handle.setField(TIFFTAG_BITSPERSAMPLE, Int32(type.bitsPerSample))
        try handle.setField(TIFFTAG_SAMPLESPERPIXEL, Int32(image.channels))
        try handle.setField(TIFFTAG_SAMPLEFORMAT, Int32(type.isFloatingPoint ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT))
        try handle.setField(TIFFTAG_PHOTOMETRIC, Int32(interleaved ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK))
        try handle.setField(TIFFTAG_PLANARCONFIG, Int32(interleaved ? PLANARCONFIG_CONTIG : PLANARCONFIG_SEPARATE))
        if image.channels > 1 && !interleaved {
            var extra = [UInt16](repeating: UInt16(EXTRASAMPLE_UNSPECIFIED), count: image.channels - 1)
            try extra.withUnsafeMutableBufferPointer { try handle.setField(TIFFTAG_EXTRASAMPLES, Int32($0.count), $0.baseAddress!) }
        }
        try handle.setField(TIFFTAG_ROWSPERSTRIP, UInt32(rowsPerStrip))
        if compression == .deflate {
            try handle.setField(TIFFTAG_COMPRESSION, Int32(COMPRESSION_ADOBE_DEFLATE))
            // The Predictor tag exists only once the codec is set.
            try handle.setField(TIFFTAG_PREDICTOR, Int32(type.isFloatingPoint ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL))
        } else {
            try handle.setField(TIFFTAG_COMPRESSION, Int32(COMPRESSION_NONE))
        }
        let stripsPerPlane = (image.height + rowsPerStrip - 1) / rowsPerStrip
        let planes = interleaved ? 1 : image.channels
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: rowsPerStrip * rowBytes, alignment: 16)
        defer { scratch.deallocate() }
        try withRawBytes(image.pixels) { samples in
            for plane in 0..<planes {
                for strip in 0..<stripsPerPlane {
                    let firstRow = strip * rowsPerStrip
                    let rows = min(rowsPerStrip, image.height - firstRow)
                    if interleaved {
                        interleave(samples, image: image, rows: firstRow..<(firstRow + rows), size: size, into: scratch)
                    } else {
                        let start = (plane * image.height + firstRow) * image.width * size
                        scratch.copyMemory(from: samples.baseAddress! + start, byteCount: rows * rowBytes)
                    }
                    let written = TIFFWriteEncodedStrip(
                        handle.tif, UInt32(plane * stripsPerPlane + strip), scratch, tmsize_t(rows * rowBytes))
                    guard written == tmsize_t(rows * rowBytes) else {
                        throw ImagingError.io(path: path, reason: "writing strip \(strip) failed" + handle.messages.diagnosis)
                    }
                }
            }
        }
        guard TIFFWriteDirectory(handle.tif) == 1 else {
            throw ImagingError.io(path: path, reason: "writing the page directory failed" + handle.messages.diagnosis)
        }
    }

    /// [3][H][W] → rows of RGBRGB…, for the rows of one strip.
    private static func interleave(
        _ samples: UnsafeRawBufferPointer, image: TIFFImage, rows: Range<Int>, size: Int, into target: UnsafeMutableRawPointer
    ) {
        switch size {
        case 1: interleave(UInt8.self, samples, image: image, rows: rows, into: target)
        case 2: interleave(UInt16.self, samples, image: image, rows: rows, into: target)
        default: interleave(UInt32.self, samples, image: image, rows: rows, into: target)
        }
    }

    /// Moves samples as raw bits of their width (float32 as UInt32).
    private static func interleave<T: FixedWidthInteger>(
        _: T.Type, _ samples: UnsafeRawBufferPointer, image: TIFFImage, rows: Range<Int>, into target: UnsafeMutableRawPointer
    ) {
        let plane = image.height * image.width
        let source = samples.baseAddress!
        var out = 0
        for y in rows {
            for x in 0..<image.width {
                let at = y * image.width + x
                for channel in 0..<3 {
                    let value = source.load(fromByteOffset: (channel * plane + at) * MemoryLayout<T>.size, as: T.self)
                    target.storeBytes(of: value, toByteOffset: out * MemoryLayout<T>.size, as: T.self)
                    out += 1
                }
            }
        }
    }

    private static func withRawBytes<R>(_ pixels: PixelData, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch pixels {
        case .uint8(let v): return try v.withUnsafeBytes(body)
        case .uint16(let v): return try v.withUnsafeBytes(body)
        case .float32(let v): return try v.withUnsafeBytes(body)
        case .bool(let v): return try v.withUnsafeBytes(body)
        case .int8(let v): return try v.withUnsafeBytes(body)
        case .int16(let v): return try v.withUnsafeBytes(body)
        case .uint32(let v): return try v.withUnsafeBytes(body)
        case .int32(let v): return try v.withUnsafeBytes(body)
        case .float64(let v): return try v.withUnsafeBytes(body)
        }
    }
}
