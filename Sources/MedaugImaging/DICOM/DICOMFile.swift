import CDICOM
import Foundation

/// Budgets a DICOM read is checked against before pixels are decoded.
public struct DICOMLimits: Equatable, Sendable {
    /// Most voxels (columns·rows·frames, summed over a series). Default 2^28
    /// (1 GiB of `Float`), as ``NIfTILimits``.
    public var maxVoxels: Int
    /// Most files a series folder may hold. Default 100,000.
    public var maxFiles: Int

    /// Limits with the given budgets.
    public init(maxVoxels: Int = 1 << 28, maxFiles: Int = 100_000) {
        (self.maxVoxels, self.maxFiles) = (maxVoxels, maxFiles)
    }

    /// The default budget.
    public static let standard = DICOMLimits()
}

/// One DICOM file as medaug uses it: size, pixel format, rescale, geometry
/// and modality, and optionally its pixel values with the rescale applied.
///
/// Read through GDCM (the `CDICOM` target). Only these fields are copied out
/// of the header; patient, study and institution fields are never read, so
/// nothing identifying can reach a file medaug writes. The series UID is
/// kept for grouping files in memory and is never printed or written.
struct DICOMFile {
    let path: String
    let columns: Int, rows: Int, frames: Int
    let modality: String
    let photometric: String
    let transferSyntax: String
    let bitsStored: Int
    let sampleType: NIfTIDatatype
    let slope: Double, intercept: Double
    /// Column, row and frame spacing in millimetres.
    let spacing: SIMD3<Double>
    /// First pixel centre in DICOM patient coordinates (LPS).
    let origin: SIMD3<Double>
    /// Direction of increasing column index, then of increasing row index (LPS).
    let rowDirection: SIMD3<Double>, columnDirection: SIMD3<Double>
    /// Whether the file states its position and orientation.
    let hasPosition: Bool
    /// A multi-frame file's last frame position (per-frame functional groups), if stated.
    let lastOrigin: SIMD3<Double>?
    let instanceNumber: Int
    let seriesUID: String
    /// SOP Instance UID: how a DICOM SEG frame may name its source image.
    let sopInstanceUID: String
    /// `frames·rows·columns` values (column fastest) with slope and
    /// intercept applied; empty when read without pixels.
    let values: [Float]

    /// Unit normal of the image plane (row × column direction).
    var normal: SIMD3<Double> {
        let a = rowDirection, b = columnDirection
        let n = SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
        let length = (n * n).sum().squareRoot()
        return length > 0 ? n / length : SIMD3(0, 0, 1)
    }

    /// Reads `path`; `pixels: false` reads the header only.
    ///
    /// - Throws: `ImagingError.malformed` (not DICOM, truncated, bogus
    ///   lengths), `.unsupported` (no image, colour, 64-bit samples),
    ///   `.tooLarge` (over `limits.maxVoxels`), `.io` (unreadable).
    init(path: String, pixels: Bool, limits: DICOMLimits = .standard) throws {
        // GDCM may abort() on broken framing: prove the framing first (this
        // read also reports a missing, unreadable or folder path).
        try DICOMStructure.validate(path: path)
        var image = mdcm_image()
        var message = [CChar](repeating: 0, count: 512)
        let maxBytes = UInt64(limits.maxVoxels) * 8
        let status = mdcm_read(path, pixels ? 1 : 0, maxBytes, &image, &message, message.count)
        defer { mdcm_image_free(&image) }
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case Int(MDCM_OK.rawValue): break
        case Int(MDCM_ERROR_UNSUPPORTED.rawValue): throw ImagingError.unsupported(path: path, reason: reason)
        case Int(MDCM_ERROR_TOO_LARGE.rawValue): throw ImagingError.tooLarge(path: path, reason: reason)
        default: throw ImagingError.malformed(path: path, reason: reason)
        }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        self.path = path
        columns = Int(image.columns)
        rows = Int(image.rows)
        frames = Int(image.frames)
        modality = text(image.modality)
        photometric = text(image.photometric)
        transferSyntax = text(image.transfer_syntax)
        seriesUID = text(image.series_uid)
        sopInstanceUID = text(image.sop_instance_uid)
        bitsStored = Int(image.bits_stored)
        slope = image.slope
        intercept = image.intercept
        spacing = SIMD3(image.spacing.0, image.spacing.1, image.spacing.2)
        origin = SIMD3(image.origin.0, image.origin.1, image.origin.2)
        rowDirection = SIMD3(image.direction.0, image.direction.1, image.direction.2)
        columnDirection = SIMD3(image.direction.3, image.direction.4, image.direction.5)
        hasPosition = image.has_position != 0
        lastOrigin = image.has_last_origin != 0
            ? SIMD3(image.last_origin.0, image.last_origin.1, image.last_origin.2) : nil
        instanceNumber = Int(image.instance_number)
        guard let type = Self.datatype(image.sample_type) else {
            throw ImagingError.unsupported(path: path, reason: "sample type \(image.sample_type)")
        }
        sampleType = type
        guard image.samples_per_pixel == 1 else {
            throw ImagingError.unsupported(
                path: path, reason: "\(image.samples_per_pixel) samples per pixel (\(photometric)); medaug reads monochrome DICOM only")
        }
        guard photometric.hasPrefix("MONOCHROME") else {
            throw ImagingError.unsupported(path: path, reason: "photometric interpretation \(photometric); medaug reads MONOCHROME1/2 only")
        }
        let (area, areaOverflow) = columns.multipliedReportingOverflow(by: rows)
        let (count, countOverflow) = area.multipliedReportingOverflow(by: frames)
        guard !areaOverflow, !countOverflow, count <= limits.maxVoxels else {
            throw ImagingError.tooLarge(path: path, reason: "\(columns)×\(rows)×\(frames) voxels exceed the cap of \(limits.maxVoxels)")
        }
        guard slope.isFinite, intercept.isFinite, slope != 0 else {
            throw ImagingError.malformed(path: path, reason: "rescale slope \(slope) / intercept \(intercept) must be finite, slope non-zero")
        }
        values = pixels ? Self.rescaled(image, count: count, type: type, slope: slope, intercept: intercept) : []
    }

    private static func datatype(_ code: Int32) -> NIfTIDatatype? {
        switch UInt32(bitPattern: code) {
        case MDCM_UINT8.rawValue: return .uint8
        case MDCM_INT8.rawValue: return .int8
        case MDCM_UINT16.rawValue: return .uint16
        case MDCM_INT16.rawValue: return .int16
        case MDCM_UINT32.rawValue: return .uint32
        case MDCM_INT32.rawValue: return .int32
        case MDCM_FLOAT32.rawValue: return .float32
        case MDCM_FLOAT64.rawValue: return .float64
        default: return nil
        }
    }

    /// Stored samples → `stored·slope + intercept` (in Double, then Float).
    private static func rescaled(_ image: mdcm_image, count: Int, type: NIfTIDatatype,
                                 slope: Double, intercept: Double) -> [Float] {
        guard let raw = image.pixels else { return [] }
        func convert<T>(_: T.Type, _ value: (T) -> Double) -> [Float] {
            let p = raw.bindMemory(to: T.self, capacity: count)
            return (0..<count).map { Float(value(p[$0]) * slope + intercept) }
        }
        switch type {
        case .uint8: return convert(UInt8.self) { Double($0) }
        case .int8: return convert(Int8.self) { Double($0) }
        case .uint16: return convert(UInt16.self) { Double($0) }
        case .int16: return convert(Int16.self) { Double($0) }
        case .uint32: return convert(UInt32.self) { Double($0) }
        case .int32: return convert(Int32.self) { Double($0) }
        case .float32: return convert(Float.self) { Double($0) }
        default: return convert(Double.self) { $0 }
        }
    }
}
