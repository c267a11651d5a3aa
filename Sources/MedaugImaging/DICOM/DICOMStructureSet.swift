/// An RT Structure Set ROI and the label value its voxels get: `--roi
/// NAME=VALUE` on the command line (split at the last `=`).
public struct ROIValue: Equatable, Sendable, Codable {
    public var name: String
    public var value: Int32

    public init(name: String, value: Int32) { (self.name, self.value) = (name, value) }

    /// Parses `NAME=VALUE`.
    public init(parsing text: String) throws {
        guard let equals = text.lastIndex(of: "="), equals != text.startIndex,
              let value = Int32(text[text.index(after: equals)...]) else {
            throw ImagingError.invalidArgument("an ROI is NAME=VALUE with an integer VALUE, got '\(text)'")
        }
        self.init(name: String(text[..<equals]), value: value)
    }
}

/// A DICOM RT Structure Set (modality "RTSTRUCT") rasterised as a label
/// volume on an image's voxel grid.
///
/// Each ROI's CLOSED_PLANAR contours are filled on the image slice whose
/// plane they lie in (every point within half a slice spacing of it; the
/// slice axis is whichever image axis the contour's points share), by the
/// even-odd rule over all of that ROI's contours on that slice, so an inner
/// contour cuts a hole. A voxel is inside when its centre is. Other contour
/// types (POINT, OPEN_PLANAR) enclose nothing and are skipped. ROIs become
/// label values through an ordered list of (ROI name, value); later entries
/// win where ROIs overlap, since they nest (body ⊃ brain ⊃ tumour). Without
/// a list every ROI gets its ROI Number, in the file's order.
public struct DICOMStructureSet: Sendable {
    /// One ROI: number and name as the file states them.
    public struct ROI: Equatable, Sendable {
        public var number: Int
        public var name: String
    }

    public var rois: [ROI]
    /// Label values in `image`'s voxel order.
    public var labels: [Int32]

    static let structureSetROIs: UInt32 = 0x3006_0020
    static let roiNumber: UInt32 = 0x3006_0022
    static let roiName: UInt32 = 0x3006_0026
    static let roiContours: UInt32 = 0x3006_0039
    static let referencedROINumber: UInt32 = 0x3006_0084
    static let contours: UInt32 = 0x3006_0040
    static let geometricType: UInt32 = 0x3006_0042
    static let contourData: UInt32 = 0x3006_0050

    package static func isStructureSet(_ dataSet: DICOMDataSet) -> Bool {
        dataSet.string(DICOMSegmentation.modality)?.uppercased() == "RTSTRUCT"
    }

    /// Reads the RTSTRUCT at `path` onto `image`'s grid.
    ///
    /// - Parameter values: ordered (ROI name, label value); nil gives every
    ///   ROI its number. A name the file does not have is an error.
    public static func read(path: String, onGridOf image: NIfTIVolume, values: [ROIValue]? = nil)
        throws -> DICOMStructureSet {
        let dataSet = try DICOMDataSet.read(path: path, maxBytes: 1 << 30)
        return try read(dataSet, path: path, onGridOf: image, values: values)
    }

    package static func read(_ ds: DICOMDataSet, path: String, onGridOf image: NIfTIVolume,
                     values: [ROIValue]?) throws -> DICOMStructureSet {
        func malformed(_ reason: String) -> ImagingError { .malformed(path: path, reason: "RT Structure Set: \(reason)") }
        guard isStructureSet(ds) else { throw malformed("Modality is '\(ds.string(DICOMSegmentation.modality) ?? "")'") }
        var rois: [ROI] = []
        for item in ds.items(structureSetROIs) {
            guard let number = item.int(roiNumber) else { throw malformed("an ROI without ROI Number") }
            rois.append(ROI(number: number, name: item.string(roiName) ?? ""))
        }
        var contoursOf: [Int: [DICOMDataSet]] = [:]
        for item in ds.items(roiContours) {
            guard let number = item.int(referencedROINumber) else { throw malformed("ROI contours without Referenced ROI Number") }
            contoursOf[number, default: []] += item.items(contours)
        }
        // The ROIs to draw, in drawing order, with their values.
        var plan: [(roi: ROI, value: Int32)] = []
        if let values {
            for entry in values {
                guard let roi = rois.first(where: { $0.name == entry.name }) else {
                    let names = rois.map { "'\($0.name)'" }.joined(separator: ", ")
                    throw ImagingError.invalidArgument("'\(path)' has no ROI named '\(entry.name)' (it has \(names))")
                }
                plan.append((roi, entry.value))
            }
        } else {
            for roi in rois {
                guard roi.number >= Int(Int32.min), roi.number <= Int(Int32.max) else { throw malformed("ROI Number \(roi.number)") }
                plan.append((roi, Int32(roi.number)))
            }
        }
        let grid = try ImageGrid(image, path: path)
        var labels = [Int32](repeating: 0, count: image.dimensions.spatialCount)
        for (roi, value) in plan {
            var slices: [SliceKey: SlicePolygons] = [:]
            for (index, contour) in (contoursOf[roi.number] ?? []).enumerated() {
                guard contour.string(geometricType)?.uppercased() == "CLOSED_PLANAR" else { continue }
                guard let data = contour.doubles(contourData), data.count >= 9, data.count % 3 == 0 else {
                    throw malformed("contour \(index + 1) of ROI '\(roi.name)' has no Contour Data of 3 or more points")
                }
                let points = stride(from: 0, to: data.count, by: 3).map {
                    grid.voxel(ofLPS: SIMD3(data[$0], data[$0 + 1], data[$0 + 2]))
                }
                let (key, polygon) = try grid.slicePolygon(points, what: "contour \(index + 1) of ROI '\(roi.name)'")
                slices[key, default: SlicePolygons()].polygons.append(polygon)
            }
            for (key, entry) in slices {
                try grid.fillEvenOdd(entry.polygons, on: key) { labels[$0] = value }
            }
        }
        return DICOMStructureSet(rois: rois, labels: labels)
    }
}

/// One image slice: the axis across it and the index along that axis.
struct SliceKey: Hashable {
    var axis: Int
    var index: Int
}

struct SlicePolygons {
    /// Polygons in the slice's (u, v) voxel coordinates: u and v the two
    /// other axes in increasing order.
    var polygons: [[SIMD2<Double>]] = []
}

extension ImageGrid {
    /// The slice a contour (points in voxel coordinates) lies on, and its
    /// polygon there. The slice axis is the first axis along which every
    /// point lies within half a voxel of one index.
    ///
    /// A point beyond `farOff` is refused: within it every coordinate, and
    /// so every mean and row crossing, converts to Int without trapping.
    func slicePolygon(_ points: [SIMD3<Double>], what: String) throws -> (SliceKey, [SIMD2<Double>]) {
        if let far = points.first(where: { !Self.isNear($0) }) {
            throw ImagingError.invalidArgument("\(what) ('\(path)') has a point at voxel \(Self.describe(far)), far off the image series' grid")
        }
        let sizes = [dimensions.x, dimensions.y, dimensions.z]
        for axis in 0..<3 {
            let coordinates = points.map { $0[axis] }
            let index = Int((coordinates.reduce(0, +) / Double(coordinates.count)).rounded())
            guard coordinates.allSatisfy({ abs($0 - Double(index)) <= 0.5 }) else { continue }
            guard index >= 0, index < sizes[axis] else {
                throw ImagingError.invalidArgument("\(what) ('\(path)') lies outside the image series' grid (slice \(index) of axis \(axis), which has \(sizes[axis]))")
            }
            let (u, v) = axis == 0 ? (1, 2) : axis == 1 ? (0, 2) : (0, 1)
            return (SliceKey(axis: axis, index: index), points.map { SIMD2($0[u], $0[v]) })
        }
        throw ImagingError.invalidArgument("\(what) ('\(path)') does not lie in a slice plane of the image series' grid")
    }

    /// Row crossings one slice's polygons may make: 16 M (128 MB). A real
    /// contour crosses a row a few times; a hostile one of millions of
    /// points zig-zagging over every row would take minutes and gigabytes.
    static let maxCrossings = 1 << 24

    /// Calls `set` with the voxel index of every voxel of slice `key` whose
    /// centre is inside an odd number of `polygons` (scanline crossings).
    /// Each edge adds its crossing to the rows its y range spans only, so
    /// the work is the points plus the crossings, not points × rows.
    ///
    /// - Throws: `ImagingError.tooLarge` beyond `maxCrossings`.
    func fillEvenOdd(_ polygons: [[SIMD2<Double>]], on key: SliceKey, set: (Int) -> Void) throws {
        let sizes = [dimensions.x, dimensions.y, dimensions.z]
        let (u, v) = key.axis == 0 ? (1, 2) : key.axis == 1 ? (0, 2) : (0, 1)
        let (width, height) = (sizes[u], sizes[v])
        var inside = [Bool](repeating: false, count: width * height)
        var crossings = [[Double]](repeating: [], count: height)
        var total = 0
        for polygon in polygons {
            for i in polygon.indices {
                let a = polygon[i], b = polygon[(i + 1) % polygon.count]
                // Rows y with min ≤ y < max (half-open, so a vertex on a row
                // counts once). Points lie within `farOff`: the conversions
                // cannot trap.
                let first = Int(max(0, min(a.y, b.y).rounded(.up)))
                let last = Int(min(Double(height - 1), max(a.y, b.y).rounded(.up) - 1))
                guard first <= last else { continue }
                total += last - first + 1
                guard total <= Self.maxCrossings else {
                    throw ImagingError.tooLarge(path: path, reason: "contours on slice \(key.index) of axis \(key.axis) cross its rows more than \(Self.maxCrossings) times")
                }
                for row in first...last {
                    let y = Double(row)
                    crossings[row].append(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            for row in 0..<height where !crossings[row].isEmpty {
                crossings[row].sort()
                var pair = 0
                while pair + 1 < crossings[row].count {
                    let first = Int(max(0, crossings[row][pair].rounded(.up)))
                    let last = Int(min(Double(width - 1), crossings[row][pair + 1].rounded(.up) - 1))
                    if first <= last {
                        for column in first...last { inside[row * width + column].toggle() }
                    }
                    pair += 2
                }
                crossings[row].removeAll(keepingCapacity: true)
            }
        }
        for row in 0..<height {
            for column in 0..<width where inside[row * width + column] {
                var voxel = [0, 0, 0]
                (voxel[key.axis], voxel[u], voxel[v]) = (key.index, column, row)
                set(voxel[0] + dimensions.x * (voxel[1] + dimensions.y * voxel[2]))
            }
        }
    }
}
