import MedaugImaging

extension InspectReport {
    /// A NIfTI volume (or one canonical slice of it): shape, datatype, voxel
    /// size, orientation, and the range of the scaled values.
    static func nifti(path: String, plane: NIfTIVolume.Plane?, slice: Int?) throws -> InspectReport {
        try volume(try NIfTIReader.read(path: path), format: "nifti", path: path, plane: plane, slice: slice)
    }

    /// A DICOM file or series folder, as the volume medaug reads from it,
    /// plus its modality (no other header field: nothing identifying).
    static func dicom(path: String, series: Int?, plane: NIfTIVolume.Plane?, slice: Int?) throws -> InspectReport {
        // Series 1 when the folder holds several and none is chosen.
        let chosen = series ?? 1
        let read = try DICOMReader.readSurveying(path: path, series: chosen)
        let all = read.series
        var report = try volume(read.volume, format: "dicom", path: path, plane: plane, slice: slice)
        let summary = all[chosen - 1]
        report.entries.append(("modality", .string(summary.modality)))
        report.entries.append(("series", .integer(summary.index)))
        report.entries.append(("series_count", .integer(all.count)))
        report.entries.append(("series_list", .string(all.map(\.description).joined(separator: "; "))))
        report.entries.append(("skipped_files", .integer(read.skippedFiles)))
        return report
    }

    /// Shape, datatype, voxel size, orientation and value range of a volume
    /// (or of one canonical slice).
    static func volume(_ volume: NIfTIVolume, format: String, path: String, plane: NIfTIVolume.Plane?,
                       slice: Int?) throws -> InspectReport {
        let d = volume.dimensions
        var values = volume.values
        var shape = d.t > 1 ? [d.x, d.y, d.z, d.t] : [d.x, d.y, d.z]
        var spacing = [volume.voxelSize.x, volume.voxelSize.y, volume.voxelSize.z]
        if let plane, let slice {
            let image = try volume.canonical().slice(plane, index: slice)
            values = image.pixels
            shape = [image.rows, image.columns]
            spacing = [image.spacing.row, image.spacing.column]
        }
        let summary = ValueSummary(values.lazy.map(Double.init))
        let affine = volume.affine
        var report = InspectReport()
        report.entries = [
            ("shape", .integers(shape)),
            ("dtype", .string(volume.datatype.name)),
            ("min", .number(summary.min, dtype: .float64)),
            ("max", .number(summary.max, dtype: .float64)),
            ("mean", .number(summary.mean, dtype: .float64)),
            ("nan_count", .integer(summary.nanCount)),
            ("axes", .string(plane == nil ? (d.t > 1 ? "XYZT" : "XYZ") : "rows,columns")),
            ("format", .string(format)),
            ("file", .string(path)),
            ("voxel_size_mm", .string(spacing.map { "\($0)" }.joined(separator: ","))),
            ("orientation", .string(volume.axisCodes)),
            ("affine_source", .string("\(volume.affineSource)")),
            ("affine", .string(affine.description)),
        ]
        if format == "nifti" {
            report.entries.append(("scl_slope", .number(volume.scaling.slope, dtype: .float64)))
            report.entries.append(("scl_inter", .number(volume.scaling.intercept, dtype: .float64)))
        }
        if let plane, let slice {
            report.entries.append(("plane", .string(plane.rawValue)))
            report.entries.append(("slice", .integer(slice)))
        }
        return report
    }
}
