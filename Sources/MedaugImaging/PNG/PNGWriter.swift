import CPNG
import Foundation

/// 8-bit PNG pictures (sample grids, previews) written through libpng's
/// simplified `png_image` API, which reports errors as return values, never
/// by `longjmp` through Swift frames.
public enum PNGWriter {
    /// Pixel layouts: one gray byte or three RGB bytes per pixel.
    public enum Format: Sendable {
        case gray, rgb
        var channels: Int { self == .gray ? 1 : 3 }
        var libpngFormat: UInt32 { self == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB) }
    }

    /// Largest side accepted: PNG allows 2^31 − 1, but a picture larger
    /// than this is a mistake, not a preview.
    public static let maxSide = 1 << 16

    /// The PNG bytes of `pixels` (row-major, `format.channels` bytes a pixel).
    /// - Throws: `ImagingError.invalidArgument` for a size that does not
    ///   match or is out of range; `.io` if libpng fails (with its message).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, format: Format) throws -> Data {
        guard (1...maxSide).contains(width), (1...maxSide).contains(height) else {
            throw ImagingError.invalidArgument("a PNG of \(width)x\(height) pixels: sides must be in 1...\(maxSide)")
        }
        guard pixels.count == width * height * format.channels else {
            throw ImagingError.invalidArgument(
                "\(pixels.count) bytes for a \(width)x\(height) \(format) PNG, expected \(width * height * format.channels)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format.libpngFormat
        let stride = Int32(width * format.channels)
        // First call with no buffer: libpng reports the size it needs.
        var size = 0
        let measured = pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, stride, nil)
        }
        guard measured != 0, size > 0 else { throw failure(&image) }
        var data = Data(count: size)
        let written = data.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, stride, nil)
            }
        }
        guard written != 0 else { throw failure(&image) }
        png_image_free(&image)
        return data.prefix(size)
    }

    /// Writes `pixels` as a PNG file at `path`, atomically (temporary file
    /// and rename: readers see the old file or the new one).
    public static func write(_ pixels: [UInt8], width: Int, height: Int, format: Format, to path: String) throws {
        let data = try encode(pixels, width: width, height: height, format: format)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImagingError.io(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    private static func failure(_ image: inout png_image) -> ImagingError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        png_image_free(&image)
        return .io(path: "<png>", reason: "libpng: \(message)")
    }
}
