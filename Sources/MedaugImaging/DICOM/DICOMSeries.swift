import Foundation

/// Ordering and checking the files of one series, and assembling the volume.
enum DICOMSeries {
    /// Files of one series sorted along the slice normal.
    ///
    /// - Throws: `ImagingError.malformed` for files that disagree in size or
    ///   orientation, that lack a position, or that share one.
    static func order(_ files: [DICOMFile], folder: String) throws -> [DICOMFile] {
        guard files.count > 1 else { return files }
        let first = files[0]
        for file in files {
            guard file.frames == 1 else {
                throw ImagingError.unsupported(path: file.path, reason: "a multi-frame file (\(file.frames) frames) inside a series of \(files.count) files")
            }
            guard file.hasPosition else {
                throw ImagingError.malformed(path: file.path, reason: "no ImagePositionPatient/ImageOrientationPatient: the slices of '\(folder)' cannot be ordered")
            }
            guard file.columns == first.columns, file.rows == first.rows else {
                throw ImagingError.malformed(path: file.path, reason: "\(file.columns)×\(file.rows) slice in a series of \(first.columns)×\(first.rows) slices ('\(first.path)')")
            }
            let turn = max(maxAbs(file.rowDirection - first.rowDirection), maxAbs(file.columnDirection - first.columnDirection))
            guard turn < 1e-4 else {
                throw ImagingError.malformed(path: file.path, reason: "orientation differs from '\(first.path)' by \(turn) (a localizer or another stack in the same series)")
            }
            guard abs(file.spacing.x - first.spacing.x) < 1e-4 * max(1, first.spacing.x),
                  abs(file.spacing.y - first.spacing.y) < 1e-4 * max(1, first.spacing.y) else {
                throw ImagingError.malformed(path: file.path, reason: "pixel spacing \(file.spacing.x)×\(file.spacing.y) differs from '\(first.path)' (\(first.spacing.x)×\(first.spacing.y))")
            }
        }
        let normal = first.normal
        let sorted = files.map { (file: $0, distance: ($0.origin * normal).sum()) }.sorted { $0.distance < $1.distance }
        var gaps: [Double] = []
        for k in 1..<sorted.count {
            let gap = sorted[k].distance - sorted[k - 1].distance
            guard gap > 1e-3 else {
                throw ImagingError.malformed(path: sorted[k].file.path, reason: "same position as '\(sorted[k - 1].file.path)' (\(sorted[k].distance) mm along the normal)")
            }
            gaps.append(gap)
        }
        // The typical step is the median gap; every gap must match it.
        let step = gaps.sorted()[gaps.count / 2]
        let tolerance = max(0.01, 0.01 * step)
        for (k, gap) in gaps.enumerated() where abs(gap - step) > tolerance {
            let before = sorted[k].file.path, after = sorted[k + 1].file.path
            let missing = (gap / step).rounded() - 1
            if missing >= 1, abs(gap - (missing + 1) * step) <= tolerance * (missing + 1) {
                throw ImagingError.malformed(path: folder, reason: "\(String(format: "%.0f", missing)) slice\(missing == 1 ? "" : "s") missing between '\(before)' and '\(after)' (gap \(format(gap)) mm, step \(format(step)) mm)")
            }
            throw ImagingError.malformed(path: folder, reason: "uneven slice spacing: \(format(gap)) mm between '\(before)' and '\(after)', \(format(step)) mm elsewhere")
        }
        return sorted.map(\.file)
    }

    /// The volume of ordered files (one multi-frame file, or single-frame slices).
    static func volume(_ files: [DICOMFile], folder: String) throws -> NIfTIVolume {
        let first = files[0]
        let slices = files.count == 1 ? first.frames : files.count
        // Slice step: measured between the first and last positions (keeps a
        // gantry tilt as shear, and the sign of frames that run against the
        // normal); a multi-frame file without per-frame positions uses GDCM's
        // frame spacing along the normal.
        let step: SIMD3<Double>
        if files.count > 1 {
            step = (files[files.count - 1].origin - first.origin) / Double(files.count - 1)
        } else if let last = first.lastOrigin, first.frames > 1, last != first.origin {
            step = (last - first.origin) / Double(first.frames - 1)
        } else {
            step = first.normal * (first.spacing.z > 0 && first.spacing.z.isFinite ? first.spacing.z : 1)
        }
        let columnStep = first.rowDirection * first.spacing.x    // moving along a row: next column
        let rowStep = first.columnDirection * first.spacing.y
        // LPS → RAS: negate the first two world coordinates.
        let flip = SIMD3<Double>(-1, -1, 1)
        let (c, r, s, o) = (columnStep * flip, rowStep * flip, step * flip, first.origin * flip)
        let affine = try NIfTIVolume.Affine(rowMajor: [c.x, r.x, s.x, o.x,
                                                      c.y, r.y, s.y, o.y,
                                                      c.z, r.z, s.z, o.z])
        let voxel = SIMD3(first.spacing.x, first.spacing.y, (step * step).sum().squareRoot())
        let values = files.count == 1 ? first.values : files.flatMap(\.values)
        do {
            return try NIfTIVolume(dimensions: .init(x: first.columns, y: first.rows, z: slices), values: values,
                                   voxelSize: voxel, affine: affine, affineSource: .sform(code: 1),
                                   datatype: first.sampleType)
        } catch let error as ImagingError {
            throw ImagingError.malformed(path: folder, reason: "geometry: \(error.description)")
        }
    }

    private static func maxAbs(_ v: SIMD3<Double>) -> Double { max(abs(v.x), abs(v.y), abs(v.z)) }

    private static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
