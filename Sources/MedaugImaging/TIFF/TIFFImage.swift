/// One page of a TIFF file, decoded: the stored values in their own type.
///
/// Layout: channel-planar [channels][height][width] whatever the file's
/// planar configuration; a grayscale page has one channel, RGB three.
/// Values are exactly as stored: no photometric inversion (a MinIsWhite
/// page keeps its stored 0 and 1), no scaling, no palette lookup.
///
/// ```swift
/// let file = try TIFFFile.open(path: "ct.tif")
/// let slice = try file.read(page: 0)            // e.g. uint16, 1 × 512 × 512
/// let values = slice.pixels.floatValues()       // scale explicitly afterwards
/// ```
public struct TIFFImage: Equatable, Sendable {
    /// Columns, ≥ 1.
    public let width: Int
    /// Rows, ≥ 1.
    public let height: Int
    /// Samples per pixel, ≥ 1.
    public let channels: Int
    /// The values, `channels * height * width` of them, [C][H][W].
    public let pixels: PixelData

    /// The type of the stored samples.
    public var sampleType: SampleType { pixels.sampleType }

    /// The shape as [channels, height, width].
    public var shape: [Int] { [channels, height, width] }

    /// Makes an image from channel-planar values.
    ///
    /// - Throws: `ImagingError.invalidArgument` if a size is below 1 or
    ///   `pixels.count` is not `channels * height * width`.
    public init(width: Int, height: Int, channels: Int, pixels: PixelData) throws {
        guard width >= 1, height >= 1, channels >= 1 else {
            throw ImagingError.invalidArgument(
                "TIFF image size \(channels)×\(height)×\(width) (channels×height×width) must be positive")
        }
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        let (expected, overflow2) = product.multipliedReportingOverflow(by: channels)
        guard !overflow, !overflow2, pixels.count == expected else {
            throw ImagingError.invalidArgument(
                "TIFF image has \(pixels.count) values, expected \(channels)×\(height)×\(width)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The samples as `Float` without scaling; see ``PixelData/floatValues()``.
    public func floatValues() -> [Float] { pixels.floatValues() }
}

/// Size budgets that keep a forged header from making medaug allocate
/// without bound. Checked before any pixel buffer is allocated.
public struct TIFFLimits: Equatable, Sendable {
    /// Largest width × height of one page. Default 8192 × 8192.
    public var maxPixels: Int
    /// Largest decoded size in bytes of one read: one page for
    /// ``TIFFFile/read(page:)``, all pages together for
    /// ``TIFFFile/readAll()``. Default 2 GiB (8192 × 8192, 4 channels,
    /// float64).
    public var maxBytes: Int
    /// Most pages a file may have. Default 65,536.
    public var maxPages: Int

    /// Limits with the given budgets (defaults large enough for 8k × 8k).
    public init(maxPixels: Int = 8192 * 8192, maxBytes: Int = 8192 * 8192 * 4 * 8, maxPages: Int = 65_536) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
        self.maxPages = maxPages
    }

    /// The default budgets.
    public static let standard = TIFFLimits()
}
