import Foundation

/// Reads a volume from any format medaug takes: NIfTI-1 (`.nii`, `.nii.gz`)
/// or DICOM (a file, or a folder of slices). Both give the same
/// ``NIfTIVolume`` (voxel values, grid, RAS+ affine), so everything
/// downstream (slicing, `prepare`) is format-blind.
public enum VolumeReader {
    /// Whether `path` names a NIfTI file by its extension.
    public static func isNIfTI(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
    }

    /// The volume at `path`.
    ///
    /// - Parameters:
    ///   - series: for a DICOM folder with several series, which one (from
    ///     1, in ``DICOMReader/scan(path:limits:)`` order); nil requires one.
    ///   - maxVoxels: cap on x·y·z·t, checked before the voxels are allocated.
    /// - Throws: `ImagingError`; an unknown format says which ones are read.
    public static func read(path: String, series: Int? = nil, maxVoxels: Int = 1 << 28) throws -> NIfTIVolume {
        if isNIfTI(path) {
            guard series == nil || series == 1 else {
                throw ImagingError.invalidArgument("a series number applies to DICOM folders, not to '\(path)'")
            }
            return try NIfTIReader.read(path: path, limits: NIfTILimits(maxVoxels: maxVoxels))
        }
        guard DICOMReader.looksLikeDICOM(path: path) else {
            throw ImagingError.unsupported(path: path, reason: "not a volume medaug reads (.nii, .nii.gz, a DICOM file or a folder of DICOM files)")
        }
        return try DICOMReader.read(path: path, series: series, limits: DICOMLimits(maxVoxels: maxVoxels))
    }
}

extension VolumeReader {
    /// The stored label values of the label volume at `path` on `image`'s
    /// grid, in `image`'s voxel order (canonical RAS+ when `image` is; a
    /// label volume stored in another axis order is made canonical first),
    /// after checking that it lies on that grid. A DICOM SEG file gives
    /// segment numbers (`DICOMSegmentation`); an RT Structure Set its ROIs
    /// rasterised, valued by `rois` (`DICOMStructureSet`).
    ///
    /// - Parameter imagePath: where `image` was read from; a DICOM image
    ///   series there places SEG frames that only name their source image.
    public static func readLabels(path: String, onGridOf image: NIfTIVolume, rois: [ROIValue]? = nil,
                                  imagePath: String? = nil) throws -> [Int32] {
        var isFolder: ObjCBool = false
        if !isNIfTI(path), FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
           DICOMReader.looksLikeDICOM(path: path) {
            let dataSet = try DICOMDataSet.read(path: path, maxBytes: (1 << 28) + (64 << 20))
            if DICOMStructureSet.isStructureSet(dataSet) {
                return try DICOMStructureSet.read(dataSet, path: path, onGridOf: image, values: rois).labels
            }
            if rois == nil, DICOMSegmentation.isSegmentation(dataSet) {
                let positions = imagePath.flatMap { image in
                    isNIfTI(image) ? nil : { try DICOMReader.instancePositions(path: image) }
                }
                return try DICOMSegmentation.read(dataSet, path: path, onGridOf: image, maxVoxels: 1 << 28,
                                                  sourcePositions: positions).labels
            }
        }
        guard rois == nil else {
            throw ImagingError.invalidArgument("ROI values apply to RT Structure Sets; '\(path)' is not one")
        }
        var labels = try read(path: path)
        if labels.axisCodes != image.axisCodes { labels = labels.canonical() }
        try labels.requireSameGrid(as: image, path)
        return try LabelSamples.int32(labels.values, rounding: .toNearestOrAwayFromZero, path: path)
    }
}

extension NIfTIVolume {
    /// Throws unless `other` has the same spatial grid and lies on the same
    /// place in the world (affines equal within 1e-3 mm + 1e-4 relative:
    /// NIfTI stores its affine in float32). A label volume drawn on another
    /// grid would silently label the wrong voxels.
    public func requireSameGrid(as other: NIfTIVolume, _ what: String) throws {
        let a = dimensions, b = other.dimensions
        guard a.x == b.x, a.y == b.y, a.z == b.z else {
            throw ImagingError.invalidArgument("\(what): grid \(a.x)×\(a.y)×\(a.z) differs from the image's \(b.x)×\(b.y)×\(b.z)")
        }
        let differs = zip(affine.elements, other.affine.elements).contains { abs($0 - $1) > 1e-3 + 1e-4 * abs($1) }
        guard !differs else {
            throw ImagingError.invalidArgument("\(what): voxel-to-world affine \(affine) differs from the image's \(other.affine)")
        }
    }
}
