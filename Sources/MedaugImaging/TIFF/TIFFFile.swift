import CTIFF
import Foundation

/// A TIFF file open for reading (libtiff underneath).
///
/// Opening reads every page's header (``pages``) and no pixels; ``read(page:)``
/// and ``readAll()`` decode. Read: 1-bit bilevel, 8/16/32-bit unsigned,
/// 8/16/32-bit signed, 32/64-bit float; any number of channels; contiguous
/// or separate planes; strips or tiles; uncompressed, LZW, Deflate or
/// PackBits (with or without predictor); either byte order.
///
/// ```swift
/// let file = try TIFFFile.open(path: "stack.tif")
/// print(file.pages.count, file.pages[0].sampleType ?? "unsupported")
/// let image = try file.read(page: 2)
/// ```
///
/// Errors (all `ImagingError`, naming the file, with libtiff's own messages
/// appended instead of printed to stderr):
/// - `.io`: the file cannot be opened.
/// - `.malformed`: not a TIFF, truncated, a directory or strip or tile that
///   points past the end of the file, data that does not decode to its
///   declared size.
/// - `.unsupported`: a valid layout medaug does not read (JPEG, 12-bit,
///   float16, YCbCr, volumetric pages, …).
/// - `.tooLarge`: the page or file exceeds ``TIFFLimits``, detected before
///   any pixel buffer is allocated.
/// - `.invalidArgument`: a page index out of range.
///
/// Thread safety: calls are serialised by a lock (libtiff's handle is not
/// re-entrant); open one `TIFFFile` per thread to read in parallel.
public final class TIFFFile: @unchecked Sendable {
    /// The path given to ``open(path:limits:)``.
    public let path: String
    /// The budgets every read is checked against.
    public let limits: TIFFLimits
    /// Every page's header, in file order.
    public let pages: [TIFFPageInfo]
    /// The file's size in bytes when it was opened.
    public let fileSize: UInt64

    let handle: LibTIFFHandle
    private let lock = NSLock()

    /// The byte order of the file.
    public var byteOrder: TIFFByteOrder { pages[0].byteOrder }

    /// libtiff's warnings so far (unknown tags, fixed-up counts, …), at most
    /// 20; warnings never fail a read.
    public var warnings: [String] { handle.messages.warnings }

    private init(path: String, limits: TIFFLimits, pages: [TIFFPageInfo], fileSize: UInt64, handle: LibTIFFHandle) {
        self.path = path
        self.limits = limits
        self.pages = pages
        self.fileSize = fileSize
        self.handle = handle
    }

    /// Opens `path` and reads the header of every page.
    ///
    /// - Throws: `ImagingError` (`.io`, `.malformed`, `.tooLarge` for more
    ///   than `limits.maxPages` pages); see the type's documentation.
    /// - Complexity: O(pages) directory reads; no pixel data is read.
    public static func open(path: String, limits: TIFFLimits = .standard) throws -> TIFFFile {
        // Checked without blocking (libtiff's own open would wait on a FIFO).
        let (fd, status) = try FileBytes.openRegular(path: path)
        close(fd)
        let fileSize = UInt64(status.st_size)
        // "m": read with read(2), not mmap, so a file truncated while open
        // gives a read error, not SIGBUS.
        let handle = try LibTIFFHandle(path: path, mode: "rm", maxSingleAllocation: max(limits.maxBytes, 1 << 20))
        var pages: [TIFFPageInfo] = []
        while true {
            pages.append(try handle.pageInfo())
            if TIFFLastDirectory(handle.tif) != 0 { break }
            guard pages.count < limits.maxPages else {
                throw ImagingError.tooLarge(path: path, reason: "more than \(limits.maxPages) pages (limit)")
            }
            // A next-directory offset past the end of the file or a loop in
            // the chain ends up here as libtiff errors.
            guard TIFFReadDirectory(handle.tif) == 1 else {
                throw ImagingError.malformed(
                    path: path, reason: "page \(pages.count) cannot be read: its offset is past the end of the file, "
                        + "loops back, or its directory is truncated" + handle.messages.diagnosis)
            }
        }
        if !handle.messages.errors.isEmpty {
            throw ImagingError.malformed(path: path, reason: "bad header" + handle.messages.diagnosis)
        }
        return TIFFFile(path: path, limits: limits, pages: pages, fileSize: fileSize, handle: handle)
    }

    /// Decodes one page (0-based).
    ///
    /// The size budget and every strip or tile's offset and byte count are
    /// checked before the pixel buffer is allocated.
    ///
    /// - Throws: `ImagingError.invalidArgument` for a page out of range;
    ///   `.unsupported`, `.tooLarge`, `.malformed` as described on the type.
    /// - Complexity: O(channels × height × width).
    public func read(page: Int) throws -> TIFFImage {
        try checkPageIndex(page)
        lock.lock(); defer { lock.unlock() }
        return try pageReader(page).decode(limits: limits)
    }

    /// Decodes every page, in order.
    ///
    /// - Throws: as ``read(page:)``; `.tooLarge` if all pages together exceed
    ///   `limits.maxBytes` (checked before decoding any).
    /// - Complexity: O(total samples).
    public func readAll() throws -> [TIFFImage] {
        lock.lock(); defer { lock.unlock() }
        var total = 0
        for index in pages.indices {
            let reader = TIFFPageReader(handle: handle, info: pages[index], page: index, fileSize: fileSize)
            let bytes = try reader.decodedBytes(limits: limits)
            // decodedBytes is Int.max on overflow: compare before adding.
            guard bytes <= limits.maxBytes - total else {
                total = bytes > Int.max - total ? Int.max : total + bytes
                throw ImagingError.tooLarge(
                    path: path, reason: "pages 0...\(index) decode to \(total) bytes, limit \(limits.maxBytes)")
            }
            total += bytes
        }
        return try pages.indices.map { try pageReader($0).decode(limits: limits) }
    }

    /// Opens `path` and decodes one page; a shortcut for
    /// `open(path:limits:)` followed by `read(page:)`.
    public static func read(path: String, page: Int = 0, limits: TIFFLimits = .standard) throws -> TIFFImage {
        try open(path: path, limits: limits).read(page: page)
    }

    private func checkPageIndex(_ page: Int) throws {
        guard pages.indices.contains(page) else {
            throw ImagingError.invalidArgument(
                "page \(page) is out of range: '\(path)' has \(pages.count) page\(pages.count == 1 ? "" : "s") (0...\(pages.count - 1))")
        }
    }

    /// Makes `page` libtiff's current directory and returns its reader.
    private func pageReader(_ page: Int) throws -> TIFFPageReader {
        handle.messages.clearErrors()
        guard TIFFSetDirectory(handle.tif, tdir_t(page)) == 1 else {
            throw ImagingError.malformed(path: path, reason: "page \(page) cannot be read" + handle.messages.diagnosis)
        }
        let info = pages[page]
        if info.photometric == .yCbCr && info.isJPEG {
            // The JPEG codec converts YCbCr to RGB and upsamples while
            // decoding; the pseudo-tag is reset with every directory.
            try handle.setField(TIFFTAG_JPEGCOLORMODE, Int32(JPEGCOLORMODE_RGB))
        }
        return TIFFPageReader(handle: handle, info: info, page: page, fileSize: fileSize)
    }
}

extension LibTIFFHandle {
    /// The current directory's header. Tag C types follow TIFFGetField(3tiff).
    func pageInfo() throws -> TIFFPageInfo {
        guard let width = field(TIFFTAG_IMAGEWIDTH, UInt32.self), let height = field(TIFFTAG_IMAGELENGTH, UInt32.self),
              width > 0, height > 0 else {
            throw ImagingError.malformed(path: path, reason: "a page has no positive width and height" + messages.diagnosis)
        }
        let compression = TIFFCompression(code: Int(field(TIFFTAG_COMPRESSION, UInt16.self, defaulted: true) ?? 1))
        var predictor = 1
        // Predictor is a codec tag: asking for it under another compression
        // makes libtiff log an error (Defaulted) or read a foreign codec state.
        // The codecs with libtiff's predictor: LZW, Deflate, LZMA, ZSTD.
        if [.lzw, .adobeDeflate, .deflate, .other(34925), .other(50000)].contains(compression) {
            predictor = Int(field(TIFFTAG_PREDICTOR, UInt16.self) ?? 1)
        }
        let isTiled = TIFFIsTiled(tif) != 0
        let blockWidth: Int, blockHeight: Int
        if isTiled {
            blockWidth = Int(field(TIFFTAG_TILEWIDTH, UInt32.self) ?? 0)
            blockHeight = Int(field(TIFFTAG_TILELENGTH, UInt32.self) ?? 0)
        } else {
            blockWidth = Int(width)
            let rows = field(TIFFTAG_ROWSPERSTRIP, UInt32.self, defaulted: true) ?? UInt32.max
            blockHeight = Int(min(rows, height))
        }
        return TIFFPageInfo(
            width: Int(width), height: Int(height),
            samplesPerPixel: Int(field(TIFFTAG_SAMPLESPERPIXEL, UInt16.self, defaulted: true) ?? 1),
            bitsPerSample: Int(field(TIFFTAG_BITSPERSAMPLE, UInt16.self, defaulted: true) ?? 1),
            sampleFormat: TIFFSampleFormat(code: Int(field(TIFFTAG_SAMPLEFORMAT, UInt16.self, defaulted: true) ?? 1)),
            planarConfiguration: field(TIFFTAG_PLANARCONFIG, UInt16.self, defaulted: true) == 2 ? .separate : .contiguous,
            compression: compression,
            photometric: TIFFPhotometric(code: Int(field(TIFFTAG_PHOTOMETRIC, UInt16.self) ?? 1)),
            predictor: predictor,
            isTiled: isTiled, blockWidth: blockWidth, blockHeight: blockHeight,
            byteOrder: TIFFIsBigEndian(tif) != 0 ? .bigEndian : .littleEndian,
            depth: Int(field(TIFFTAG_IMAGEDEPTH, UInt32.self, defaulted: true) ?? 1))
    }
}
