#if canImport(Glibc)
import Glibc
#endif
import MedaugImaging

/// Copies `values` into a malloc'ed buffer the caller frees with
/// `medaug_buffer_free`.
func mallocCopy<Element>(_ values: [Element], _ what: String) throws -> UnsafeMutablePointer<Element> {
    let bytes = values.count * MemoryLayout<Element>.stride
    guard let raw = malloc(max(1, bytes)) else {
        throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(bytes) bytes for \(what)")
    }
    let buffer = raw.bindMemory(to: Element.self, capacity: max(1, values.count))
    _ = UnsafeMutableBufferPointer(start: buffer, count: values.count).update(fromContentsOf: values)
    return buffer
}

/// TIFF budgets from MEDAUG_LIMIT_IMAGE_PIXELS: a page of at most that many
/// pixels, 4 channels of 8 bytes, and all pages together at most 32 such.
func imageLimits() -> TIFFLimits {
    let pixels = Limits.value(.imagePixels)
    return TIFFLimits(maxPixels: pixels, maxBytes: pixels * 32)
}

@_cdecl("medaug_buffer_free")
public func medaug_buffer_free(_ buffer: UnsafeMutableRawPointer?) {
    free(buffer)
}

@_cdecl("medaug_image_page_count")
public func medaug_image_page_count(_ path: UnsafePointer<CChar>?, _ pages: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_image_page_count") {
        let out = try Arguments.required(pages, "pages")
        out.pointee = UInt(try TIFFFile.open(path: try Arguments.string(path, "path"), limits: imageLimits()).pages.count)
    }
}

/// Page `page` of the TIFF at `path` (both image readers).
private func readPage(_ path: UnsafePointer<CChar>?, _ page: UInt) throws -> TIFFImage {
    let file = try TIFFFile.open(path: try Arguments.string(path, "path"), limits: imageLimits())
    guard page < UInt(file.pages.count) else {
        throw ABIFailure.invalid("page is \(page); '\(file.path)' has \(file.pages.count) page(s)")
    }
    return try file.read(page: Int(page))
}

@_cdecl("medaug_image_read")
public func medaug_image_read(_ path: UnsafePointer<CChar>?, _ page: UInt, _ pixels: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?,
                              _ channels: UnsafeMutablePointer<UInt>?, _ height: UnsafeMutablePointer<UInt>?,
                              _ width: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_image_read") {
        let out = try Arguments.required(pixels, "pixels")
        out.pointee = nil
        let (c, h, w) = (try Arguments.required(channels, "channels"), try Arguments.required(height, "height"),
                         try Arguments.required(width, "width"))
        let image = try readPage(path, page)
        out.pointee = try mallocCopy(image.floatValues(), "the pixels")
        (c.pointee, h.pointee, w.pointee) = (UInt(image.channels), UInt(image.height), UInt(image.width))
    }
}

@_cdecl("medaug_image_read_samples")
public func medaug_image_read_samples(_ path: UnsafePointer<CChar>?, _ page: UInt,
                                      _ samples: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                      _ sampleType: UnsafeMutablePointer<Int32>?,
                                      _ channels: UnsafeMutablePointer<UInt>?, _ height: UnsafeMutablePointer<UInt>?,
                                      _ width: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_image_read_samples") {
        let out = try Arguments.required(samples, "samples")
        out.pointee = nil
        let type = try Arguments.required(sampleType, "sample_type")
        let (c, h, w) = (try Arguments.required(channels, "channels"), try Arguments.required(height, "height"),
                         try Arguments.required(width, "width"))
        let image = try readPage(path, page)
        // MEDAUG_SAMPLE_* codes of the header, by the page's stored type.
        let (buffer, code): (UnsafeMutableRawPointer, Int32)
        switch image.pixels {
        case .bool(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v.map { $0 ? UInt8(1) : 0 }, "the samples")), 9)
        case .uint8(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 1)
        case .int8(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 4)
        case .uint16(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 2)
        case .int16(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 5)
        case .uint32(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 6)
        case .int32(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 7)
        case .float32(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 3)
        case .float64(let v): (buffer, code) = (UnsafeMutableRawPointer(try mallocCopy(v, "the samples")), 8)
        }
        out.pointee = buffer
        type.pointee = code
        (c.pointee, h.pointee, w.pointee) = (UInt(image.channels), UInt(image.height), UInt(image.width))
    }
}

@_cdecl("medaug_image_write")
public func medaug_image_write(_ path: UnsafePointer<CChar>?, _ pixels: UnsafePointer<Float>?, _ pages: UInt,
                               _ height: UInt, _ width: UInt, _ sampleType: Int32) -> Int32 {
    serve("medaug_image_write") {
        let target = try Arguments.string(path, "path")
        let count = try Arguments.imageElements(pages, height, width)
        let values = try finiteArray(try Arguments.required(pixels, "pixels"), count: count, "pixels")
        let plane = count / Int(pages)
        let images = try (0..<Int(pages)).map { page -> TIFFImage in
            let slice = Array(values[(page * plane)..<((page + 1) * plane)])
            let data: PixelData
            switch sampleType {
            case 0, 3: data = .float32(slice)
            case 1: data = .uint8(try integers(slice, page: page, in: 0...255).map(UInt8.init))
            case 2: data = .uint16(try integers(slice, page: page, in: 0...65535).map(UInt16.init))
            default:
                throw ABIFailure.invalid("sample_type is \(sampleType), expected MEDAUG_SAMPLE_FLOAT32 (0 or 3), _UINT8 (1) or _UINT16 (2)")
            }
            return try TIFFImage(width: Int(width), height: Int(height), channels: 1, pixels: data)
        }
        try TIFFWriter.write(images: images, to: target, compression: .deflate)
    }
}

/// Rounded values of an integer page, refusing any outside `range`.
private func integers(_ values: [Float], page: Int, in range: ClosedRange<Int>) throws -> [Int] {
    try values.enumerated().map { index, value in
        // Checked as Float first: a finite value beyond Int (1e20) would trap in the conversion.
        let rounded = value.rounded()
        guard rounded >= Float(range.lowerBound), rounded <= Float(range.upperBound) else {
            throw ABIFailure.invalid("pixel \(index) of page \(page) is \(value), outside \(range.lowerBound)...\(range.upperBound) of the sample type")
        }
        return Int(rounded)
    }
}
