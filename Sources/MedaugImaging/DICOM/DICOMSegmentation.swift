/// A DICOM Segmentation object (SEG, modality "SEG") as a label volume on an
/// image's voxel grid: each voxel holds the number of the segment that
/// covers it (0 for none; where segments overlap, the higher number wins).
/// `--label-map` then maps segment numbers to classes like any other stored
/// label value.
///
/// GDCM frames the file (`DICOMDataSet`); the frames are decoded here:
/// BINARY segmentations (1 bit per pixel, frames packed back to back, least
/// significant bit first) and FRACTIONAL ones (8 bits; a pixel is in its
/// segment where value ≥ ½ MaximumFractionalValue). Frames may be sparse (a
/// segment's empty frames omitted); each is placed by its Plane Position
/// (per-frame functional groups) on the image grid, or, without one, at the
/// position of the source image it names (Derivation Image → Source Image
/// → Referenced SOP Instance UID) among the image series' files. Native
/// pixel data is read directly; compressed FRACTIONAL frames (RLE,
/// JPEG-LS, JPEG 2000) are decoded by GDCM in the forked decoder process.
///
/// The frame's geometry must match the image: every frame row and column
/// must run along an axis of the image grid at its spacing, and every frame
/// must lie on one of its slices, within 0.05 voxel; anything else is a
/// `geometryMismatch` error naming what differs.
public struct DICOMSegmentation: Sendable {
    /// One segment: its number (the value written into the label volume) and label.
    public struct Segment: Equatable, Sendable {
        public var number: Int
        public var label: String
    }

    public var segments: [Segment]
    /// Label values (segment numbers), in `image`'s voxel order.
    public var labels: [Int32]

    static let modality: UInt32 = 0x0008_0060
    static let transferSyntax: UInt32 = 0x0002_0010
    static let segmentationType: UInt32 = 0x0062_0001
    static let segmentSequence: UInt32 = 0x0062_0002
    static let segmentNumber: UInt32 = 0x0062_0004
    static let segmentLabel: UInt32 = 0x0062_0005
    static let maximumFractionalValue: UInt32 = 0x0062_000E
    static let rowsTag: UInt32 = 0x0028_0010
    static let columnsTag: UInt32 = 0x0028_0011
    static let numberOfFrames: UInt32 = 0x0028_0008
    static let bitsAllocated: UInt32 = 0x0028_0100
    static let pixelData: UInt32 = 0x7FE0_0010
    static let sharedGroups: UInt32 = 0x5200_9229
    static let perFrameGroups: UInt32 = 0x5200_9230
    static let planeOrientation: UInt32 = 0x0020_9116
    static let imageOrientation: UInt32 = 0x0020_0037
    static let pixelMeasures: UInt32 = 0x0028_9110
    static let pixelSpacing: UInt32 = 0x0028_0030
    static let planePosition: UInt32 = 0x0020_9113
    static let imagePosition: UInt32 = 0x0020_0032
    static let segmentIdentification: UInt32 = 0x0062_000A
    static let referencedSegmentNumber: UInt32 = 0x0062_000B
    static let derivationImage: UInt32 = 0x0008_9124
    static let sourceImage: UInt32 = 0x0008_2112
    static let referencedSOPInstance: UInt32 = 0x0008_1155

    /// Whether `path` is a DICOM SEG file (reads its data set).
    package static func isSegmentation(_ dataSet: DICOMDataSet) -> Bool {
        dataSet.string(modality)?.uppercased() == "SEG"
    }

    /// Reads the SEG at `path` onto `image`'s grid (`image` as the caller
    /// holds it, canonical or not: the labels follow its voxel order).
    ///
    /// - Throws: `ImagingError.malformed` for missing or inconsistent
    ///   attributes, `.unsupported` for big-endian files or a compression
    ///   GDCM does not decode, `.invalidArgument` for geometry that does not match `image`,
    ///   `.tooLarge` beyond `maxVoxels` frame pixels.
    /// - Parameter sourcePositions: the image series' positions (LPS) by SOP
    ///   Instance UID, asked for only when a frame has no Plane Position.
    public static func read(path: String, onGridOf image: NIfTIVolume, maxVoxels: Int = 1 << 28,
                            sourcePositions: (() throws -> [String: SIMD3<Double>])? = nil) throws
        -> DICOMSegmentation {
        let dataSet = try DICOMDataSet.read(path: path, maxBytes: maxVoxels + (64 << 20))
        return try read(dataSet, path: path, onGridOf: image, maxVoxels: maxVoxels, sourcePositions: sourcePositions)
    }

    package static func read(_ ds: DICOMDataSet, path: String, onGridOf image: NIfTIVolume, maxVoxels: Int,
                     sourcePositions: (() throws -> [String: SIMD3<Double>])? = nil) throws
        -> DICOMSegmentation {
        func malformed(_ reason: String) -> ImagingError { .malformed(path: path, reason: "DICOM SEG: \(reason)") }
        guard isSegmentation(ds) else { throw malformed("Modality is '\(ds.string(modality) ?? "")', not SEG") }
        guard ds.string(transferSyntax) != "1.2.840.10008.1.2.2" else {
            throw ImagingError.unsupported(path: path, reason: "big-endian DICOM SEG")
        }
        let type = ds.string(segmentationType)?.uppercased() ?? ""
        guard type == "BINARY" || type == "FRACTIONAL" else {
            throw malformed("SegmentationType '\(type)' (expected BINARY or FRACTIONAL)")
        }
        var segments: [Segment] = []
        for item in ds.items(segmentSequence) {
            guard let number = item.int(segmentNumber), number > 0, number <= Int(Int32.max) else {
                throw malformed("a segment without a valid Segment Number")
            }
            segments.append(Segment(number: number, label: item.string(segmentLabel) ?? ""))
        }
        guard !segments.isEmpty else { throw malformed("no Segment Sequence") }
        guard let rows = ds.int(rowsTag), let columns = ds.int(columnsTag), rows > 0, columns > 0 else {
            throw malformed("no Rows / Columns")
        }
        let frames = ds.int(numberOfFrames) ?? 1
        guard frames > 0 else { throw malformed("Number of Frames \(frames)") }
        // Rows and Columns are US, but a file may state them as IS text of
        // any size: bounded before they are multiplied.
        guard rows <= 1 << 16, columns <= 1 << 16,
              case let (pixels, overflow) = (rows * columns).multipliedReportingOverflow(by: frames),
              !overflow, pixels <= maxVoxels else {
            throw ImagingError.tooLarge(path: path, reason: "\(frames) frames of \(rows)×\(columns) exceed \(maxVoxels) pixels")
        }
        let bits = ds.int(bitsAllocated) ?? 0
        guard bits == (type == "BINARY" ? 1 : 8) else { throw malformed("\(type) with Bits Allocated \(bits)") }
        let data: [UInt8]
        if case .encapsulated? = ds.elements[pixelData]?.value {
            // Compressed frames (RLE, JPEG-LS, JPEG 2000, ...: FRACTIONAL
            // only, the standard allows no compression of 1-bit BINARY):
            // GDCM decodes them in the forked decoder process.
            guard bits == 8 else { throw malformed("compressed BINARY pixel data (the standard does not allow it)") }
            let decoded = try DICOMFile(path: path, pixels: true, limits: DICOMLimits(maxVoxels: maxVoxels))
            guard decoded.frames == frames, decoded.rows == rows, decoded.columns == columns else {
                throw malformed("decoded pixel data is \(decoded.frames) frames of \(decoded.rows)×\(decoded.columns), the header says \(frames) of \(rows)×\(columns)")
            }
            // Clamped as Float: a hostile Rescale Slope (1e300) makes values
            // no Int holds, and Int(_:) would trap on them.
            data = decoded.values.map { $0.isNaN ? 0 : UInt8(min(max($0.rounded(), 0), 255)) }
        } else {
            guard let bytes = ds.bytes(pixelData) else { throw malformed("no Pixel Data") }
            data = bytes
        }
        let needed = bits == 1 ? (pixels + 7) / 8 : pixels
        guard data.count >= needed else { throw malformed("Pixel Data holds \(data.count) bytes, \(needed) needed") }
        var threshold = 1
        if type == "FRACTIONAL" {
            guard let maximum = ds.int(maximumFractionalValue), maximum > 0 else {
                throw malformed("FRACTIONAL without Maximum Fractional Value")
            }
            threshold = maximum / 2 + maximum % 2      // value ≥ ½ maximum, in integers (no overflow at Int.max)
        }

        let perFrame = ds.items(perFrameGroups), shared = ds.item(sharedGroups)
        guard perFrame.count == frames else {
            throw malformed("\(perFrame.count) per-frame functional groups for \(frames) frames")
        }
        // A functional group from the frame's own groups, else the shared ones.
        func group(_ tag: UInt32, _ frame: DICOMDataSet) -> DICOMDataSet? { frame.item(tag) ?? shared?.item(tag) }

        var positions: [String: SIMD3<Double>]?
        // A frame without Plane Position: where the source image it names lies.
        func sourcePosition(of frame: DICOMDataSet, index: Int) throws -> [Double]? {
            let source = frame.item(derivationImage)?.item(sourceImage) ?? shared?.item(derivationImage)?.item(sourceImage)
            guard let uid = source?.string(referencedSOPInstance) else { return nil }
            guard let sourcePositions else {
                throw ImagingError.unsupported(path: path, reason: "DICOM SEG frame \(index + 1) is placed only by its source image, and no DICOM image series was given to find it in")
            }
            if positions == nil { positions = try sourcePositions() }
            guard let p = positions?[uid] else {
                throw ImagingError.invalidArgument("DICOM SEG frame \(index + 1) ('\(path)') names source image \(uid), which is not in the image series")
            }
            return [p.x, p.y, p.z]
        }
        let grid = try ImageGrid(image, path: path)
        var labels = [Int32](repeating: 0, count: image.dimensions.spatialCount)
        let known = Set(segments.map(\.number))
        // Frames in segment order, so that higher numbers win where they overlap.
        var order: [(segment: Int, frame: Int)] = []
        for (index, frame) in perFrame.enumerated() {
            guard let number = frame.item(segmentIdentification)?.int(referencedSegmentNumber)
                    ?? shared?.item(segmentIdentification)?.int(referencedSegmentNumber),
                  known.contains(number) else {
                throw malformed("frame \(index + 1) names no segment of the Segment Sequence")
            }
            order.append((number, index))
        }
        order.sort { ($0.segment, $0.frame) < ($1.segment, $1.frame) }
        for (number, index) in order {
            let frame = perFrame[index]
            guard let position = try group(planePosition, frame)?.doubles(imagePosition)
                    ?? sourcePosition(of: frame, index: index) else {
                throw malformed("frame \(index + 1) has neither a Plane Position nor a source image")
            }
            guard position.count == 3 else { throw malformed("frame \(index + 1) has a Plane Position of \(position.count) values") }
            guard let orientation = group(planeOrientation, frame)?.doubles(imageOrientation), orientation.count == 6,
                  let spacing = group(pixelMeasures, frame)?.doubles(pixelSpacing), spacing.count == 2 else {
                throw malformed("frame \(index + 1) has no Plane Orientation or Pixel Measures")
            }
            let placement = try grid.place(origin: position, orientation: orientation, spacing: spacing,
                                           rows: rows, columns: columns, what: "DICOM SEG frame \(index + 1)")
            let base = index * rows * columns
            for r in 0..<rows {
                for c in 0..<columns {
                    let p = base + r * columns + c
                    let inside = bits == 1 ? data[p >> 3] & (1 << UInt8(p & 7)) != 0 : Int(data[p]) >= threshold
                    if inside { labels[placement.voxel(row: r, column: c)] = Int32(number) }
                }
            }
        }
        return DICOMSegmentation(segments: segments, labels: labels)
    }
}
