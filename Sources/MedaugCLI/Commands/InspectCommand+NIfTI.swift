import MedaugImaging

extension InspectReport {
    /// A NIfTI volume (or one canonical slice of it): shape, datatype, voxel
    /// size, orientation, and the range of the scaled values.
    static func nifti(path: String, plane: NIfTIVolume.Plane?, slice: Int?) throws -> InspectReport {
        let volume = try NIfTIReader.read(path: path)
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
            ("format", .string("nifti")),
            ("file", .string(path)),
            ("voxel_size_mm", .string(spacing.map { "\($0)" }.joined(separator: ","))),
            ("orientation", .string(volume.axisCodes)),
            ("affine_source", .string("\(volume.affineSource)")),
            ("affine", .string(affine.description)),
            ("scl_slope", .number(volume.scaling.slope, dtype: .float64)),
            ("scl_inter", .number(volume.scaling.intercept, dtype: .float64)),
        ]
        if let plane, let slice {
            report.entries.append(("plane", .string(plane.rawValue)))
            report.entries.append(("slice", .integer(slice)))
        }
        return report
    }
}
