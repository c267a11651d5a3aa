extension NIfTIVolume {
    /// An anatomical plane to cut a volume in.
    public enum Plane: String, CaseIterable, Sendable {
        /// Transverse: perpendicular to the inferior–superior axis.
        case axial
        /// Frontal: perpendicular to the posterior–anterior axis.
        case coronal
        /// Perpendicular to the left–right axis.
        case sagittal
    }

    /// One 2-D slice of a volume, in the viewing orientation documented on
    /// ``NIfTIVolume/slice(_:index:volume:)``.
    public struct SliceImage: Equatable, Sendable {
        /// The plane cut.
        public let plane: Plane
        /// The slice's index along the plane's normal, in canonical RAS+
        /// order (0 = most inferior / posterior / left).
        public let index: Int
        /// Image height (rows, top to bottom).
        public let rows: Int
        /// Image width (columns, left to right).
        public let columns: Int
        /// `rows × columns` values, row-major (row 0 is the top row).
        public let pixels: [Float]
        /// Distance in millimetres between neighbouring rows and columns.
        public let spacing: (row: Double, column: Double)

        /// The value at `row`, `column`.
        ///
        /// - Precondition: both are in range.
        public subscript(row: Int, column: Int) -> Float {
            precondition((0..<rows).contains(row) && (0..<columns).contains(column),
                         "pixel (\(row), \(column)) is outside \(rows)×\(columns)")
            return pixels[row * columns + column]
        }

        /// Same plane, index, size, pixels (`Float` equality, so NaN
        /// pixels never compare equal) and spacing.
        public static func == (a: SliceImage, b: SliceImage) -> Bool {
            a.plane == b.plane && a.index == b.index && a.rows == b.rows && a.columns == b.columns
                && a.pixels == b.pixels && a.spacing == b.spacing
        }
    }

    /// Number of slices in `plane`: the canonical size along its normal
    /// (superior axis for axial, anterior for coronal, right for sagittal).
    public func sliceCount(_ plane: Plane) -> Int {
        let sizes = canonicalIndexing.sizes
        switch plane {
        case .axial: return sizes[2]
        case .coronal: return sizes[1]
        case .sagittal: return sizes[0]
        }
    }

    /// Cuts one slice in a named anatomical plane, in a fixed orientation
    /// whatever the file's storage order.
    ///
    /// Convention (radiological display, as scanners and PACS viewers show
    /// slices; the patient's right is on the image's left):
    ///
    /// | plane    | `index` runs          | rows (top → bottom)   | columns (left → right) |
    /// |----------|-----------------------|-----------------------|------------------------|
    /// | axial    | inferior → superior   | anterior → posterior  | right → left           |
    /// | coronal  | posterior → anterior  | superior → inferior   | right → left           |
    /// | sagittal | left → right          | superior → inferior   | anterior → posterior   |
    ///
    /// In numpy terms, with `c` nibabel's `as_closest_canonical` data
    /// (indexed `[R, A, S]`): axial is `c[::-1, ::-1, index].T`, coronal
    /// `c[::-1, index, ::-1].T`, sagittal `c[index, ::-1, ::-1].T`.
    /// ``SliceImage/spacing`` comes from ``canonicalSpacing`` (axial: row =
    /// A spacing, column = R spacing; coronal: S, R; sagittal: S, A).
    ///
    /// An oblique volume is cut along its closest canonical axes, without
    /// resampling (as `canonical()` reorders it).
    ///
    /// - Parameters:
    ///   - plane: the anatomical plane.
    ///   - index: `0 ..< sliceCount(plane)`.
    ///   - volume: `0 ..< dimensions.t` (the time point of a 4-D volume).
    /// - Throws: `ImagingError.invalidArgument` if `index` or `volume` is
    ///   out of range.
    /// - Complexity: O(rows × columns); the volume is not copied.
    public func slice(_ plane: Plane, index: Int, volume: Int = 0) throws -> SliceImage {
        guard (0..<sliceCount(plane)).contains(index) else {
            throw ImagingError.invalidArgument("\(plane) slice \(index) is out of range 0..<\(sliceCount(plane)) for \(axisCodes) volume \(dimensions)")
        }
        guard (0..<dimensions.t).contains(volume) else {
            throw ImagingError.invalidArgument("volume \(volume) is out of range 0..<\(dimensions.t)")
        }
        let (start, rowOffset, columnOffset, rows, columns, pixelSpacing) = walk(plane, index: index, volume: volume)
        let pixels = [Float](unsafeUninitializedCapacity: rows * columns) { out, initialized in
            values.withUnsafeBufferPointer { source in
                for r in 0..<rows {
                    var offset = start + r * rowOffset
                    for c in 0..<columns {
                        out[r * columns + c] = source[offset]
                        offset += columnOffset
                    }
                }
            }
            initialized = rows * columns
        }
        return SliceImage(plane: plane, index: index, rows: rows, columns: columns, pixels: pixels,
                          spacing: pixelSpacing)
    }

    /// The offsets into ``values`` of the pixels of ``slice(_:index:volume:)``,
    /// row-major: writing `values[offsets[p]]` puts pixel p back where it
    /// came from (the inverse of the cut, for results made per slice).
    /// - Throws: as ``slice(_:index:volume:)``.
    public func sliceOffsets(_ plane: Plane, index: Int, volume: Int = 0) throws -> [Int] {
        guard (0..<sliceCount(plane)).contains(index), (0..<dimensions.t).contains(volume) else {
            throw ImagingError.invalidArgument("\(plane) slice \(index) of volume \(volume) is out of range for \(dimensions)")
        }
        let (start, rowOffset, columnOffset, rows, columns, _) = walk(plane, index: index, volume: volume)
        var offsets = [Int](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns { offsets[r * columns + c] = start + r * rowOffset + c * columnOffset }
        }
        return offsets
    }

    /// Where a slice starts in ``values``, the offset steps per row and per
    /// column, its size and pixel spacing (indices already checked).
    private func walk(_ plane: Plane, index: Int, volume: Int)
        -> (start: Int, rowOffset: Int, columnOffset: Int, rows: Int, columns: Int, spacing: (row: Double, column: Double)) {
        let map = canonicalIndexing
        let (nr, na, ns) = (map.sizes[0], map.sizes[1], map.sizes[2])
        let spacing = canonicalSpacing
        // For each plane: the canonical voxel at (row 0, column 0), and the
        // canonical step per row and per column, as (R, A, S) index deltas.
        let origin: (Int, Int, Int), rowStep: (Int, Int, Int), columnStep: (Int, Int, Int)
        let rows: Int, columns: Int, pixelSpacing: (row: Double, column: Double)
        switch plane {
        case .axial:
            (origin, rowStep, columnStep) = ((nr - 1, na - 1, index), (0, -1, 0), (-1, 0, 0))
            (rows, columns, pixelSpacing) = (na, nr, (spacing.y, spacing.x))
        case .coronal:
            (origin, rowStep, columnStep) = ((nr - 1, index, ns - 1), (0, 0, -1), (-1, 0, 0))
            (rows, columns, pixelSpacing) = (ns, nr, (spacing.z, spacing.x))
        case .sagittal:
            (origin, rowStep, columnStep) = ((index, na - 1, ns - 1), (0, 0, -1), (0, -1, 0))
            (rows, columns, pixelSpacing) = (ns, na, (spacing.z, spacing.y))
        }
        let start = map.offset(origin.0, origin.1, origin.2, volume: volume)
        let rowOffset = map.offset(rowStep.0, rowStep.1, rowStep.2, volume: 0) - map.start
        let columnOffset = map.offset(columnStep.0, columnStep.1, columnStep.2, volume: 0) - map.start
        return (start, rowOffset, columnOffset, rows, columns, pixelSpacing)
    }
}
