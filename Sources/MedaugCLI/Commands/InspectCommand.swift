import ArgumentParser
import Foundation
import MedaugImaging

/// `medaug inspect`: what a user needs to trust an image file before
/// training on it (shape, sample type, layout, value range as stored).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an image file's shape, sample type, layout and range of stored values.",
        discussion: """
        Values are summarised exactly as stored, without scaling; NaN values are counted, not summarised, \
        float32 minima and maxima print in their shortest float32 form, and in JSON a non-finite min, max or \
        mean is null. The shape is [channels, height, width], with a leading \
        page axis when all pages of a multi-page file are summarised together.
        Examples:
          medaug inspect slice.tif
          medaug inspect stack.tif --page 3 --json
          medaug inspect t1.nii.gz --plane coronal --slice 100 --json
          medaug inspect dicom/series-folder --series 2
        NIfTI values are reported after scl_slope/scl_inter, DICOM values after RescaleSlope/RescaleIntercept, \
        with the voxel size and orientation. A DICOM folder is read as series (slices ordered by \
        ImagePositionPatient); only geometry and the modality are shown from its headers.
        """)

    @Argument(help: "Image file (.tif, .tiff, .nii, .nii.gz, DICOM) or a folder of DICOM files.")
    var file: String
    @Option(help: "Page to inspect, from 0 (default: all pages if they share shape and sample type, else page 0).")
    var page: Int?
    @Option(help: "DICOM folder with several series: which one, from 1 (default 1; all are listed).")
    var series: Int?
    @Option(help: "NIfTI/DICOM: summarise one slice in this plane (axial, coronal or sagittal) instead of the volume.")
    var plane: String?
    @Option(help: "NIfTI/DICOM: the slice index in --plane (RAS order: inferior→superior, posterior→anterior, left→right).")
    var slice: Int?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let page, page < 0 { throw ValidationError("--page must be 0 or more, got \(page)") }
        if let plane, NIfTIVolume.Plane(rawValue: plane) == nil {
            throw ValidationError("--plane must be axial, coronal or sagittal, got '\(plane)'")
        }
        if let series, series < 1 { throw ValidationError("--series must be 1 or more, got \(series)") }
        guard (plane == nil) == (slice == nil) else { throw ValidationError("--plane and --slice go together") }
    }

    func run() throws {
        let report: InspectReport
        do {
            switch ImageFileFormat(path: file) {
            case .tiff:
                report = try InspectReport.tiff(path: file, page: page)
            case .nifti:
                report = try InspectReport.nifti(path: file, plane: plane.flatMap(NIfTIVolume.Plane.init), slice: slice)
            case .dicom:
                report = try InspectReport.dicom(path: file, series: series, plane: plane.flatMap(NIfTIVolume.Plane.init),
                                                 slice: slice)
            case nil:
                throw CLIError("'\(file)': unknown image format (medaug inspect reads .tif, .tiff, .nii, .nii.gz and DICOM files and folders)")
            }
        } catch let error as ImagingError {
            throw CLIError(error.description)
        }
        print(json ? report.jsonText : report.text)
    }
}

/// Image file formats `inspect` knows, chosen by file extension. A new
/// format adds a case here and a branch in `InspectCommand.run`.
enum ImageFileFormat {
    case tiff, nifti, dicom

    init?(path: String) {
        if VolumeReader.isNIfTI(path) { self = .nifti; return }
        switch (path as NSString).pathExtension.lowercased() {
        case "tif", "tiff": self = .tiff
        default:
            // A folder, a .dcm name or the DICM marker (many DICOM files have no extension).
            guard DICOMReader.looksLikeDICOM(path: path) else { return nil }
            self = .dicom
        }
    }
}

/// One value of the report, printable as text and as JSON.
enum ReportValue {
    case integer(Int)
    case number(Double, dtype: SampleType)
    case string(String)
    case boolean(Bool)
    case integers([Int])
    case null

    var text: String {
        switch self {
        case .string(let s): return s
        case .null: return "-"
        case .number(let v, _) where !v.isFinite: return String(describing: v)
        default: return json
        }
    }

    var json: String {
        switch self {
        case .integer(let v): return String(v)
        case .number(let v, let dtype):
            // JSON has no NaN or infinity.
            guard v.isFinite else { return "null" }
            if !dtype.isFloatingPoint && v == v.rounded() && abs(v) < 1e18 { return String(Int64(v)) }
            // A float32 minimum prints as the float32 the file holds (0.1, not 0.10000000149011612).
            return dtype == .float32 ? String(describing: Float(v)) : String(describing: v)
        case .string(let s):
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        case .boolean(let v): return v ? "true" : "false"
        case .integers(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .null: return "null"
        }
    }
}

/// What `inspect` prints, as ordered key/value pairs (the same keys in text
/// and JSON; the JSON starts with shape, dtype, min, max, mean).
struct InspectReport {
    var entries: [(key: String, value: ReportValue)] = []

    var text: String { entries.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n") }
    var jsonText: String { "{" + entries.map { "\"\($0.key)\": \($0.value.json)" }.joined(separator: ", ") + "}" }

    /// Reads page `page` (or all pages when they share shape and sample
    /// type, else page 0) and summarises the stored values.
    static func tiff(path: String, page: Int?) throws -> InspectReport {
        let file = try TIFFFile.open(path: path)
        let pages = file.pages
        let allPages = page == nil && pages.count > 1 && pages.allSatisfy {
            $0.width == pages[0].width && $0.height == pages[0].height
                && $0.samplesPerPixel == pages[0].samplesPerPixel && $0.sampleType == pages[0].sampleType
        }
        let chosen = allPages ? Array(pages.indices) : [page ?? 0]
        // One page in memory at a time: a stack larger than the read budget can still be inspected.
        let first = try file.read(page: chosen[0])
        var summary = first.pixels.summary()
        for index in chosen.dropFirst() { summary = summary.merged(with: try file.read(page: index).pixels.summary()) }
        let dtype = first.sampleType
        let infos = chosen.map { pages[$0] }
        func distinct(_ name: (TIFFPageInfo) -> String) -> ReportValue {
            var seen: [String] = []
            for info in infos where !seen.contains(name(info)) { seen.append(name(info)) }
            return .string(seen.joined(separator: ","))
        }

        var report = InspectReport()
        report.entries = [
            ("shape", .integers(allPages ? [chosen.count] + first.shape : first.shape)),
            ("dtype", .string(dtype.rawValue)),
            ("min", .number(summary.min, dtype: dtype)),
            ("max", .number(summary.max, dtype: dtype)),
            ("mean", .number(summary.mean, dtype: .float64)),
            ("nan_count", .integer(summary.nanCount)),
            ("axes", .string(allPages ? "PCYX" : "CYX")),
            ("format", .string("tiff")),
            ("file", .string(path)),
            ("pages", .integer(pages.count)),
            ("page", allPages ? .string("all") : .integer(chosen[0])),
            ("endianness", .string(file.byteOrder.description)),
            ("compression", distinct { $0.compression.description }),
            ("predictor", .integer(infos[0].predictor)),
            ("planar", distinct { $0.planarConfiguration.description }),
            ("layout", distinct { $0.isTiled ? "tiles \($0.blockWidth)x\($0.blockHeight)" : "strips of \($0.blockHeight) rows" }),
            ("photometric", distinct { $0.photometric.description }),
            ("bits_per_sample", .integer(dtype.bitsPerSample)),
        ]
        if page == nil && pages.count > 1 && !allPages {
            report.entries.append(("note", .string("pages differ in shape or sample type; showing page 0, use --page N")))
        }
        if !file.warnings.isEmpty {
            report.entries.append(("warnings", .string(file.warnings.joined(separator: "; "))))
        }
        return report
    }
}
