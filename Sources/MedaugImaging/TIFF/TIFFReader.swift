import CTIFF
import Foundation

/// Decodes the current directory of a libtiff handle into a ``TIFFImage``.
///
/// Strips and tiles are both "blocks": a rectangle of `blockWidth ×
/// blockHeight` pixels of one plane (separate) or all planes (contiguous),
/// numbered plane-major then row-major, which is libtiff's numbering
/// (TIFFComputeStrip / TIFFComputeTile). Each block is decoded with
/// TIFFReadEncodedStrip/Tile into one scratch buffer and scattered into
/// the channel-planar output; libtiff has already undone the predictor,
/// the fill order and the byte order.
struct TIFFPageReader {
    let handle: LibTIFFHandle
    let info: TIFFPageInfo
    let page: Int
    let fileSize: UInt64

    private var path: String { handle.path }
    private var isContiguous: Bool { info.planarConfiguration == .contiguous || info.samplesPerPixel == 1 }
    private var planes: Int { isContiguous ? 1 : info.samplesPerPixel }
    private var samplesPerBlockPixel: Int { isContiguous ? info.samplesPerPixel : 1 }
    private var blocksAcross: Int { (info.width + info.blockWidth - 1) / info.blockWidth }
    private var blocksDown: Int { (info.height + info.blockHeight - 1) / info.blockHeight }
    private var blockKind: String { info.isTiled ? "tile" : "strip" }

    /// Bytes of one decoded block row (rows are padded to whole bytes).
    private var blockRowBytes: Int { (info.blockWidth * samplesPerBlockPixel * info.bitsPerSample + 7) / 8 }

    /// The sample type, or the reason the page is not read.
    func sampleType() throws -> SampleType {
        let name = "page \(page)"
        guard let type = info.sampleType else {
            throw ImagingError.unsupported(
                path: path, reason: "\(name) has \(info.bitsPerSample)-bit \(info.sampleFormat) samples")
        }
        guard info.compression.isSupported else {
            throw ImagingError.unsupported(
                path: path, reason: "\(name) uses \(info.compression), which this system's libtiff does not decode "
                    + "(it decodes: \(TIFFCompression.decodable.joined(separator: ", ")))")
        }
        guard info.photometric != .yCbCr || info.isJPEG else {
            throw ImagingError.unsupported(
                path: path, reason: "\(name) is YCbCr (subsampled colour) with \(info.compression); medaug reads YCbCr only JPEG-compressed")
        }
        guard type != .bool || info.samplesPerPixel == 1 else {
            throw ImagingError.unsupported(
                path: path, reason: "\(name) has 1-bit samples with \(info.samplesPerPixel) per pixel")
        }
        guard info.depth == 1 else {
            throw ImagingError.unsupported(path: path, reason: "\(name) is volumetric (image depth \(info.depth))")
        }
        guard info.blockWidth >= 1, info.blockHeight >= 1 else {
            throw ImagingError.malformed(
                path: path, reason: "\(name) has \(blockKind) size \(info.blockWidth)×\(info.blockHeight)")
        }
        return type
    }

    /// The decoded size in bytes, after checking the sample type and the
    /// pixel budget; overflow counts as over budget.
    func decodedBytes(limits: TIFFLimits) throws -> Int {
        let type = try sampleType()
        let (pixels, o1) = info.width.multipliedReportingOverflow(by: info.height)
        guard !o1, pixels <= limits.maxPixels else {
            throw ImagingError.tooLarge(
                path: path, reason: "page \(page) is \(info.width)×\(info.height) pixels, limit \(limits.maxPixels)")
        }
        let (samples, o2) = pixels.multipliedReportingOverflow(by: info.samplesPerPixel)
        let (bytes, o3) = samples.multipliedReportingOverflow(by: type.bytesPerSample)
        guard !o2, !o3 else { return Int.max }
        return bytes
    }

    /// Checks everything a forged header could lie about, then decodes.
    func decode(limits: TIFFLimits) throws -> TIFFImage {
        let type = try sampleType()
        let bytes = try decodedBytes(limits: limits)
        guard bytes <= limits.maxBytes else {
            throw ImagingError.tooLarge(path: path, reason: "page \(page) decodes to \(bytes) bytes, limit \(limits.maxBytes)")
        }
        let scratchBytes = try checkBlocks(limits: limits)
        let count = info.width * info.height * info.samplesPerPixel
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 16)
        defer { scratch.deallocate() }
        func fill<T>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                try decodeBlocks(into: UnsafeMutableRawPointer(buffer.baseAddress!), scratch: scratch, type: type)
                initialized = count
            }
        }
        let pixels: PixelData
        switch type {
        case .bool: pixels = .bool(try fill(Bool.self))
        case .uint8: pixels = .uint8(try fill(UInt8.self))
        case .int8: pixels = .int8(try fill(Int8.self))
        case .uint16: pixels = .uint16(try fill(UInt16.self))
        case .int16: pixels = .int16(try fill(Int16.self))
        case .uint32: pixels = .uint32(try fill(UInt32.self))
        case .int32: pixels = .int32(try fill(Int32.self))
        case .float32: pixels = .float32(try fill(Float.self))
        case .float64: pixels = .float64(try fill(Double.self))
        }
        return try TIFFImage(width: info.width, height: info.height, channels: info.samplesPerPixel, pixels: pixels)
    }

    /// Checks the block count and sizes against libtiff's and every block's
    /// offset and byte count against the file size; returns the scratch
    /// size (one full block).
    private func checkBlocks(limits: TIFFLimits) throws -> Int {
        let tif = handle.tif
        // Tiles may be larger than the image; a forged tile size must not
        // make the scratch buffer the allocation the budget did not see.
        let (blockPixels, o1) = info.blockWidth.multipliedReportingOverflow(by: info.blockHeight)
        let (scratchBytes, o2) = blockRowBytes.multipliedReportingOverflow(by: info.blockHeight)
        guard !o1, !o2, blockPixels <= max(limits.maxPixels, 1), scratchBytes <= limits.maxBytes else {
            throw ImagingError.tooLarge(
                path: path, reason: "page \(page) has \(info.blockWidth)×\(info.blockHeight) \(blockKind)s")
        }
        let libtiffRowBytes = info.isTiled ? TIFFTileRowSize64(tif) : TIFFScanlineSize64(tif)
        let libtiffCount = Int(info.isTiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif))
        let expectedCount = blocksAcross * blocksDown * planes
        guard libtiffRowBytes == UInt64(blockRowBytes), libtiffCount == expectedCount else {
            throw ImagingError.unsupported(
                path: path, reason: "page \(page): libtiff sees \(libtiffCount) \(blockKind)s of \(libtiffRowBytes)-byte rows, "
                    + "expected \(expectedCount) of \(blockRowBytes)" + handle.messages.diagnosis)
        }
        for block in 0..<expectedCount {
            var failed: Int32 = 0
            let offset = TIFFGetStrileOffsetWithErr(tif, UInt32(block), &failed)
            let byteCount = failed == 0 ? TIFFGetStrileByteCountWithErr(tif, UInt32(block), &failed) : 0
            guard failed == 0 else {
                throw ImagingError.malformed(
                    path: path, reason: "page \(page): \(blockKind) \(block) has no offset or byte count" + handle.messages.diagnosis)
            }
            guard offset <= fileSize, byteCount <= fileSize - offset else {
                throw ImagingError.malformed(
                    path: path, reason: "truncated or bad offset: page \(page) \(blockKind) \(block) spans bytes "
                        + "\(offset)..<\(offset &+ byteCount), past the end of the file (\(fileSize) bytes)")
            }
            if info.compression == .none && byteCount < UInt64(expectedBytes(block: block)) {
                throw ImagingError.malformed(
                    path: path, reason: "truncated: page \(page) \(blockKind) \(block) holds \(byteCount) bytes, "
                        + "expected \(expectedBytes(block: block))")
            }
        }
        return scratchBytes
    }

    /// Decoded bytes libtiff returns for `block`: a whole tile (edge tiles are
    /// padded), or only the image rows of a strip (the last one is short).
    private func expectedBytes(block: Int) -> Int {
        if info.isTiled { return blockRowBytes * info.blockHeight }
        let firstRow = (block % blocksDown) * info.blockHeight
        return blockRowBytes * min(info.blockHeight, info.height - firstRow)
    }

    private func decodeBlocks(into output: UnsafeMutableRawPointer, scratch: UnsafeMutableRawPointer, type: SampleType) throws {
        let blocksPerPlane = blocksAcross * blocksDown
        for block in 0..<(blocksPerPlane * planes) {
            let expected = expectedBytes(block: block)
            let decoded = Int(info.isTiled
                ? TIFFReadEncodedTile(handle.tif, UInt32(block), scratch, tmsize_t(expected))
                : TIFFReadEncodedStrip(handle.tif, UInt32(block), scratch, tmsize_t(expected)))
            guard decoded == expected, handle.messages.errors.isEmpty else {
                let what = decoded < 0 ? "cannot be decoded" : "decodes to \(decoded) bytes, expected \(expected)"
                throw ImagingError.malformed(
                    path: path, reason: "truncated or corrupt data: page \(page) \(blockKind) \(block) \(what)"
                        + handle.messages.diagnosis)
            }
            let plane = block / blocksPerPlane
            let x0 = (block % blocksPerPlane % blocksAcross) * info.blockWidth
            let y0 = (block % blocksPerPlane / blocksAcross) * info.blockHeight
            let region = BlockRegion(
                x0: x0, y0: y0, plane: plane,
                columns: min(info.blockWidth, info.width - x0), rows: min(info.blockHeight, info.height - y0))
            if type == .bool {
                unpackBits(scratch, region, into: output)
                continue
            }
            switch type.bytesPerSample {
            case 1: scatter(UInt8.self, scratch, region, into: output)
            case 2: scatter(UInt16.self, scratch, region, into: output)
            case 4: scatter(UInt32.self, scratch, region, into: output)
            default: scatter(UInt64.self, scratch, region, into: output)
            }
        }
    }

    /// Where a decoded block lands in the image.
    private struct BlockRegion {
        var x0: Int, y0: Int, plane: Int, columns: Int, rows: Int
    }

    /// Copies a block's samples (any type of the same width `T`, moved as
    /// raw bits) into the [C][H][W] output, de-interleaving contiguous ones.
    private func scatter<T: FixedWidthInteger>(
        _: T.Type, _ block: UnsafeMutableRawPointer, _ region: BlockRegion, into output: UnsafeMutableRawPointer
    ) {
        let size = MemoryLayout<T>.size
        let samples = samplesPerBlockPixel
        for row in 0..<region.rows {
            let source = UnsafeRawPointer(block + row * blockRowBytes)
            for sample in 0..<samples {
                let channel = isContiguous ? sample : region.plane
                let target = output + ((channel * info.height + region.y0 + row) * info.width + region.x0) * size
                if samples == 1 {
                    target.copyMemory(from: source, byteCount: region.columns * size)
                    continue
                }
                for x in 0..<region.columns {
                    let value = source.loadUnaligned(fromByteOffset: (x * samples + sample) * size, as: T.self)
                    target.storeBytes(of: value, toByteOffset: x * size, as: T.self)
                }
            }
        }
    }

    /// Expands 1-bit samples (most significant bit first: libtiff applies
    /// FillOrder) into `Bool`s.
    private func unpackBits(_ block: UnsafeMutableRawPointer, _ region: BlockRegion, into output: UnsafeMutableRawPointer) {
        for row in 0..<region.rows {
            let source = UnsafeRawPointer(block + row * blockRowBytes)
            let target = output + (region.y0 + row) * info.width + region.x0
            for x in 0..<region.columns {
                let bit = (source.load(fromByteOffset: x >> 3, as: UInt8.self) >> (7 - UInt8(x & 7))) & 1
                target.storeBytes(of: bit != 0, toByteOffset: x, as: Bool.self)
            }
        }
    }
}
