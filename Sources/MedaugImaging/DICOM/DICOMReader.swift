import Foundation

/// Reads DICOM images (a file, or a folder holding one or more series) as
/// the same ``NIfTIVolume`` the NIfTI reader gives, so slicing, `prepare`
/// and the rest treat both alike.
///
/// ```swift
/// let volume = try DICOMReader.read(path: "study/series-3")   // a folder of slices
/// let axial = try volume.slice(.axial, index: volume.sliceCount(.axial) / 2)
/// ```
///
/// - A file: single- or multi-frame (frames become z), monochrome, 8/16/32-bit
///   signed or unsigned or float, in any transfer syntax GDCM decodes
///   (implicit/explicit little endian, explicit big endian, JPEG baseline,
///   extended and lossless, JPEG-LS, JPEG 2000, RLE, deflate).
/// - A folder: every file is read; files that are not DICOM images (text,
///   DICOMDIR, structured reports) are skipped and counted. Images are
///   grouped by SeriesInstanceUID; a folder with several series needs
///   `series` (1-based, in ``scan(path:limits:)`` order).
/// - Slices are ordered by ImagePositionPatient projected on the slice
///   normal (row × column direction), never by file name or InstanceNumber.
///   Slices of another size or orientation, two slices at one position, a
///   missing slice or uneven spacing are errors that say where.
/// - Values: stored · RescaleSlope + RescaleIntercept, per file.
/// - Geometry: PixelSpacing, ImageOrientationPatient and ImagePositionPatient
///   give the affine (converted from DICOM's LPS to NIfTI's RAS+); the slice
///   step is the measured distance between positions. A file without
///   position gets GDCM's defaults (identity orientation, origin 0).
public enum DICOMReader {
    /// What ``scan(path:limits:)`` finds: one series, summarised without
    /// identifiers (modality and geometry only).
    public struct SeriesSummary: Equatable, Sendable, CustomStringConvertible {
        /// 1-based position in the scan order (the `series` argument of ``read(path:series:limits:)``).
        public let index: Int
        /// DICOM Modality (e.g. `MR`, `CT`).
        public let modality: String
        /// Image files in the series.
        public let files: Int
        /// Columns × rows of each slice.
        public let columns: Int, rows: Int
        /// Slices (frames summed over the files).
        public let slices: Int
        public var description: String {
            "series \(index): \(modality.isEmpty ? "?" : modality), \(files) file\(files == 1 ? "" : "s"), \(columns)×\(rows)×\(slices)"
        }
    }

    /// Whether `path` looks like DICOM: a folder, a `.dcm`/`.dicom` name,
    /// or a file with the `DICM` marker at byte 128.
    public static func looksLikeDICOM(path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return path.lowercased().hasSuffix(".dcm")
        }
        if isDirectory.boolValue { return true }
        let lower = path.lowercased()
        return lower.hasSuffix(".dcm") || lower.hasSuffix(".dicom") || hasDICOMMarker(path)
    }

    /// The series under `path` (a file is one series), in the order
    /// ``read(path:series:limits:)`` numbers them.
    public static func scan(path: String, limits: DICOMLimits = .standard) throws -> [SeriesSummary] {
        summaries(try collect(path: path, pixels: false, limits: limits).series)
    }

    private static func summaries(_ series: [[DICOMFile]]) -> [SeriesSummary] {
        series.enumerated().map { offset, files in
            SeriesSummary(index: offset + 1, modality: files[0].modality, files: files.count,
                          columns: files[0].columns, rows: files[0].rows, slices: files.reduce(0) { $0 + $1.frames })
        }
    }

    /// The volume of the file or folder at `path`.
    ///
    /// - Parameter series: 1-based series number when the folder holds
    ///   several (see ``scan(path:limits:)``); nil requires exactly one.
    /// - Throws: `ImagingError` naming the file and the problem.
    public static func read(path: String, series: Int? = nil, limits: DICOMLimits = .standard) throws -> NIfTIVolume {
        try readSurveying(path: path, series: series, limits: limits).volume
    }

    /// ``read(path:series:limits:)``, the ``scan(path:limits:)`` summaries
    /// and how many files were skipped as not DICOM images (text, DICOMDIR,
    /// reports, ...), from one pass over the files.
    public static func readSurveying(path: String, series: Int? = nil, limits: DICOMLimits = .standard)
        throws -> (volume: NIfTIVolume, series: [SeriesSummary], skippedFiles: Int) {
        // One pass decodes every image (each file costs a decoder process,
        // so reading headers first and pixels second would double it); the
        // voxel cap bounds the memory of all series together.
        let found = try collect(path: path, pixels: true, limits: limits)
        let all = found.series
        let chosen: [DICOMFile]
        switch (series, all.count) {
        case (nil, 1): chosen = all[0]
        case (nil, _):
            let list = summaries(all).map(\.description).joined(separator: "; ")
            throw ImagingError.invalidArgument("'\(path)' holds \(all.count) DICOM series (\(list)); choose one by number")
        case (let n?, _):
            guard (1...all.count).contains(n) else {
                throw ImagingError.invalidArgument("series \(n) does not exist: '\(path)' holds \(all.count)")
            }
            chosen = all[n - 1]
        }
        let volume = try DICOMSeries.volume(try DICOMSeries.order(chosen, folder: path), folder: path)
        return (volume, summaries(all), found.skipped)
    }

    /// The position (first pixel centre, LPS) of every single-frame image
    /// under `path` by its SOP Instance UID, from headers only: where DICOM
    /// SEG frames that name their source image lie.
    static func instancePositions(path: String, limits: DICOMLimits = .standard) throws -> [String: SIMD3<Double>] {
        var positions: [String: SIMD3<Double>] = [:]
        for file in try collect(path: path, pixels: false, limits: limits).series.joined()
            where file.frames == 1 && file.hasPosition && !file.sopInstanceUID.isEmpty {
            positions[file.sopInstanceUID] = file.origin
        }
        return positions
    }

    /// Headers of every image under `path`, grouped by series (sorted by
    /// UID, so the order is the same on every run).
    private static func collect(path: String, pixels: Bool, limits: DICOMLimits)
        throws -> (series: [[DICOMFile]], skipped: Int) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImagingError.io(path: path, reason: "no such file or folder")
        }
        guard isDirectory.boolValue else { return ([[try DICOMFile(path: path, pixels: pixels, limits: limits)]], 0) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted() } catch {
            throw ImagingError.io(path: path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        guard names.count <= limits.maxFiles else {
            throw ImagingError.tooLarge(path: path, reason: "\(names.count) files exceed the cap of \(limits.maxFiles)")
        }
        var groups: [String: [DICOMFile]] = [:], skipped = 0, voxels = 0
        for name in names {
            let file = path + "/" + name
            var sub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &sub), !sub.boolValue else { continue }
            let header: DICOMFile
            do { header = try DICOMFile(path: file, pixels: pixels, limits: limits) } catch let error as ImagingError {
                // Not DICOM, or DICOM without an image (DICOMDIR, reports): skip.
                // A DICOM image that fails is an error: skipping it would hide a hole.
                switch error {
                case .unsupported where !hasDICOMMarker(file): skipped += 1; continue
                case .malformed where !hasDICOMMarker(file): skipped += 1; continue
                case .unsupported(_, let reason) where reason.hasPrefix("DICOM file without an image"): skipped += 1; continue
                default: throw error
                }
            }
            voxels += header.columns * header.rows * header.frames
            guard voxels <= limits.maxVoxels else {
                throw ImagingError.tooLarge(path: path, reason: "the images hold more than the cap of \(limits.maxVoxels) voxels")
            }
            groups[header.seriesUID, default: []].append(header)
        }
        guard !groups.isEmpty else {
            throw ImagingError.malformed(path: path, reason: "no DICOM image in the folder (\(skipped) other file\(skipped == 1 ? "" : "s"))")
        }
        return (groups.keys.sorted().map { groups[$0]! }, skipped)
    }

    private static func hasDICOMMarker(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return head.suffix(4).elementsEqual("DICM".utf8)
    }
}
