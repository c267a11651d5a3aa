import CTIFF

/// What one page (image file directory) of a TIFF file declares, read
/// without decoding any pixels.
public struct TIFFPageInfo: Hashable, Sendable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// Samples per pixel (channels).
    public var samplesPerPixel: Int
    /// Bits per sample (one value for all samples: libtiff's rule).
    public var bitsPerSample: Int
    /// How the sample bits are interpreted.
    public var sampleFormat: TIFFSampleFormat
    /// Whether samples of a pixel are interleaved or stored plane by plane.
    public var planarConfiguration: TIFFPlanarConfiguration
    /// The compression of the strips or tiles.
    public var compression: TIFFCompression
    /// How values map to colours (stored values are never converted).
    public var photometric: TIFFPhotometric
    /// The differencing applied before compression (1 none, 2 horizontal,
    /// 3 floating point); libtiff undoes it while decoding.
    public var predictor: Int
    /// Whether the data is in tiles (else strips).
    public var isTiled: Bool
    /// Tile width, or the image width for striped pages.
    public var blockWidth: Int
    /// Tile height, or rows per strip (at most `height`) for striped pages.
    /// libtiff presents one large uncompressed strip as strips of ~8 KB, so
    /// such a page shows those rows per strip, not the file's.
    public var blockHeight: Int
    /// The byte order of the file (all pages share it).
    public var byteOrder: TIFFByteOrder
    /// Depth of a volumetric (SGI ImageDepth) page; 1 for ordinary pages.
    public var depth: Int

    /// JPEG-compressed (TIFF 6 "new-style" JPEG, compression 7).
    public var isJPEG: Bool { compression.code == 7 }

    /// The sample type medaug returns for this page, or nil if the bits and
    /// sample format are not a supported pair (e.g. 16-bit float, 12-bit).
    public var sampleType: SampleType? {
        switch (sampleFormat, bitsPerSample) {
        case (.unsignedInteger, 1): return .bool
        case (.unsignedInteger, 8): return .uint8
        case (.signedInteger, 8): return .int8
        case (.unsignedInteger, 16): return .uint16
        case (.signedInteger, 16): return .int16
        case (.unsignedInteger, 32): return .uint32
        case (.signedInteger, 32): return .int32
        case (.floatingPoint, 32): return .float32
        case (.floatingPoint, 64): return .float64
        default: return nil
        }
    }
}

/// TIFF SampleFormat (tag 339).
public enum TIFFSampleFormat: Hashable, Sendable, CustomStringConvertible {
    /// 1: unsigned integers (the default).
    case unsignedInteger
    /// 2: two's complement signed integers.
    case signedInteger
    /// 3: IEEE floating point.
    case floatingPoint
    /// Any other code (void, complex, …).
    case other(Int)

    init(code: Int) {
        switch code {
        case 1: self = .unsignedInteger
        case 2: self = .signedInteger
        case 3: self = .floatingPoint
        default: self = .other(code)
        }
    }

    /// "uint", "int", "float" or "sample format N".
    public var description: String {
        switch self {
        case .unsignedInteger: return "uint"
        case .signedInteger: return "int"
        case .floatingPoint: return "float"
        case .other(let code): return "sample format \(code)"
        }
    }
}

/// TIFF PlanarConfiguration (tag 284).
public enum TIFFPlanarConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// 1: samples of a pixel interleaved (RGBRGB…).
    case contiguous
    /// 2: one plane per sample (RRR…GGG…BBB…).
    case separate

    /// "contiguous" or "separate".
    public var description: String { self == .contiguous ? "contiguous" : "separate" }
}

/// TIFF Compression (tag 259). medaug reads every compression the system's
/// libtiff decodes (`isSupported`) and writes `none` and `adobeDeflate`.
public enum TIFFCompression: Hashable, Sendable, CustomStringConvertible {
    /// 1: uncompressed.
    case none
    /// 5: LZW.
    case lzw
    /// 8: Deflate (zlib), the code in the TIFF specification supplement.
    case adobeDeflate
    /// 32946: Deflate (zlib), the older code for the same coding.
    case deflate
    /// 32773: PackBits run lengths.
    case packBits
    /// Any other code (JPEG, CCITT, ZSTD, …), read when libtiff decodes it.
    case other(Int)

    init(code: Int) {
        switch code {
        case 1: self = .none
        case 5: self = .lzw
        case 8: self = .adobeDeflate
        case 32946: self = .deflate
        case 32773: self = .packBits
        default: self = .other(code)
        }
    }

    /// The TIFF code.
    public var code: Int {
        switch self {
        case .none: return 1
        case .lzw: return 5
        case .adobeDeflate: return 8
        case .deflate: return 32946
        case .packBits: return 32773
        case .other(let code): return code
        }
    }

    /// Whether medaug decodes this compression: every codec the system's
    /// libtiff has configured (`TIFFIsCODECConfigured`: on Debian also JPEG,
    /// the CCITT fax codes, LZMA, ZSTD, WebP, JBIG, LERC, ...).
    public var isSupported: Bool {
        guard let code = UInt16(exactly: code) else { return false }
        return TIFFIsCODECConfigured(code) != 0
    }

    /// The compressions this libtiff decodes, by name, for messages.
    public static var decodable: [String] {
        guard let codecs = TIFFGetConfiguredCODECs() else { return [] }
        defer { _TIFFfree(codecs) }
        var names: [String] = []
        var codec = codecs
        while let name = codec.pointee.name {
            if TIFFIsCODECConfigured(codec.pointee.scheme) != 0 { names.append(String(cString: name)) }
            codec += 1
        }
        return names
    }

    /// "none", "lzw", "deflate", "packbits" or "compression N" (with the
    /// common names for JPEG and CCITT).
    public var description: String {
        switch self {
        case .none: return "none"
        case .lzw: return "lzw"
        case .adobeDeflate, .deflate: return "deflate"
        case .packBits: return "packbits"
        case .other(let code):
            let names = [2: "ccitt-rle", 3: "ccitt-g3", 4: "ccitt-g4", 6: "old-jpeg", 7: "jpeg",
                         34925: "lzma", 50000: "zstd", 50001: "webp", 50002: "jpeg-xl"]
            return names[code].map { "\($0) (compression \(code))" } ?? "compression \(code)"
        }
    }
}

/// TIFF PhotometricInterpretation (tag 262).
public enum TIFFPhotometric: Hashable, Sendable, CustomStringConvertible {
    /// 0: 0 is white.
    case minIsWhite
    /// 1: 0 is black (also used for multi-channel non-colour data).
    case minIsBlack
    /// 2: RGB.
    case rgb
    /// 3: palette indices.
    case palette
    /// 4: transparency mask.
    case mask
    /// 5: separated (usually CMYK).
    case separated
    /// 6: YCbCr (subsampled); read only JPEG-compressed, converted to RGB by
    /// libtiff's JPEG codec (`TIFFTAG_JPEGCOLORMODE`).
    case yCbCr
    /// Any other code.
    case other(Int)

    init(code: Int) {
        switch code {
        case 0: self = .minIsWhite
        case 1: self = .minIsBlack
        case 2: self = .rgb
        case 3: self = .palette
        case 4: self = .mask
        case 5: self = .separated
        case 6: self = .yCbCr
        default: self = .other(code)
        }
    }

    /// The TIFF name in lower case ("minisblack", "rgb", …).
    public var description: String {
        switch self {
        case .minIsWhite: return "miniswhite"
        case .minIsBlack: return "minisblack"
        case .rgb: return "rgb"
        case .palette: return "palette"
        case .mask: return "mask"
        case .separated: return "separated"
        case .yCbCr: return "ycbcr"
        case .other(let code): return "photometric \(code)"
        }
    }
}

/// The byte order of a TIFF file.
public enum TIFFByteOrder: String, Equatable, Sendable, CustomStringConvertible {
    /// "II": least significant byte first.
    case littleEndian = "little"
    /// "MM": most significant byte first.
    case bigEndian = "big"

    /// "little" or "big".
    public var description: String { rawValue }
}
