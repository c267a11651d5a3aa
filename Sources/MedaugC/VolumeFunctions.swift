#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MedaugImaging

/// Copies a volume's voxels, grid, voxel size and affine to the caller's outputs.
private func deliver(_ volume: NIfTIVolume, _ voxels: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>,
                     _ dims: UnsafeMutablePointer<UInt>, _ voxelSize: UnsafeMutablePointer<Double>?,
                     _ affine: UnsafeMutablePointer<Double>?) throws {
    voxels.pointee = try mallocCopy(volume.values, "the voxels")
    let d = volume.dimensions
    for (index, value) in [d.x, d.y, d.z, d.t].enumerated() { dims[index] = UInt(value) }
    if let voxelSize {
        for index in 0..<3 { voxelSize[index] = volume.voxelSize[index] }
    }
    if let affine {
        for (index, value) in volume.affine.elements.enumerated() { affine[index] = value }
    }
}

/// A C `series` argument: 0 (the path holds one series) → nil, else the
/// 1-based number.
private func seriesNumber(_ series: UInt) throws -> Int? {
    guard series <= UInt(Int32.max) else {
        throw ABIFailure(status: Status.invalidArgument, message: "series \(series) is out of range")
    }
    return series == 0 ? nil : Int(series)
}

@_cdecl("medaug_volume_read")
public func medaug_volume_read(_ path: UnsafePointer<CChar>?, _ voxels: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?,
                               _ dims: UnsafeMutablePointer<UInt>?, _ voxelSize: UnsafeMutablePointer<Double>?) -> Int32 {
    serve("medaug_volume_read") {
        let out = try Arguments.required(voxels, "voxels")
        out.pointee = nil
        let dimensions = try Arguments.required(dims, "dims")
        let volume = try VolumeReader.read(path: try Arguments.string(path, "path"), maxVoxels: Limits.value(.volumeVoxels))
        try deliver(volume, out, dimensions, voxelSize, nil)
    }
}

@_cdecl("medaug_volume_read_series")
public func medaug_volume_read_series(_ path: UnsafePointer<CChar>?, _ series: UInt,
                                      _ voxels: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?,
                                      _ dims: UnsafeMutablePointer<UInt>?, _ voxelSize: UnsafeMutablePointer<Double>?,
                                      _ affine: UnsafeMutablePointer<Double>?) -> Int32 {
    serve("medaug_volume_read_series") {
        let out = try Arguments.required(voxels, "voxels")
        out.pointee = nil
        let dimensions = try Arguments.required(dims, "dims")
        let volume = try VolumeReader.read(path: try Arguments.string(path, "path"), series: try seriesNumber(series),
                                           maxVoxels: Limits.value(.volumeVoxels))
        try deliver(volume, out, dimensions, voxelSize, affine)
    }
}

@_cdecl("medaug_labels_read")
public func medaug_labels_read(_ labels: UnsafePointer<CChar>?, _ image: UnsafePointer<CChar>?, _ series: UInt,
                               _ roiNames: UnsafePointer<UnsafePointer<CChar>?>?, _ roiValues: UnsafePointer<Int32>?,
                               _ roiCount: UInt, _ values: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?,
                               _ dims: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_labels_read") {
        let out = try Arguments.required(values, "values")
        out.pointee = nil
        let dimensions = try Arguments.required(dims, "dims")
        let imagePath = try Arguments.string(image, "image")
        let grid = try VolumeReader.read(path: imagePath, series: try seriesNumber(series),
                                         maxVoxels: Limits.value(.volumeVoxels))
        var rois: [ROIValue]?
        if roiCount > 0 {
            guard roiCount <= 65_536 else {
                throw ABIFailure(status: Status.invalidArgument, message: "roi_count \(roiCount) is out of range")
            }
            let names = try Arguments.required(roiNames, "roi_names"), numbers = try Arguments.required(roiValues, "roi_values")
            rois = try (0..<Int(roiCount)).map { ROIValue(name: try Arguments.string(names[$0], "roi_names[\($0)]"), value: numbers[$0]) }
        }
        let stored = try VolumeReader.readLabels(path: try Arguments.string(labels, "labels"), onGridOf: grid, rois: rois,
                                                 imagePath: imagePath)
        out.pointee = try mallocCopy(stored, "the labels")
        let d = grid.dimensions
        for (index, value) in [d.x, d.y, d.z].enumerated() { dimensions[index] = UInt(value) }
    }
}

@_cdecl("medaug_volume_series_json")
public func medaug_volume_series_json(_ path: UnsafePointer<CChar>?,
                                      _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    serve("medaug_volume_series_json") {
        let out = try Arguments.required(json, "json")
        out.pointee = nil
        let file = try Arguments.string(path, "path")
        struct Entry: Encodable {
            let series: Int, modality: String, files: Int, columns: Int, rows: Int, slices: Int
        }
        let entries: [Entry]
        if VolumeReader.isNIfTI(file) {
            let volume = try VolumeReader.read(path: file, maxVoxels: Limits.value(.volumeVoxels))
            let d = volume.dimensions
            entries = [Entry(series: 1, modality: "", files: 1, columns: d.x, rows: d.y, slices: d.z)]
        } else {
            guard DICOMReader.looksLikeDICOM(path: file) else {
                throw ImagingError.unsupported(path: file, reason: "not a volume medaug reads (.nii, .nii.gz, DICOM)")
            }
            entries = try DICOMReader.scan(path: file, limits: DICOMLimits(maxVoxels: Limits.value(.volumeVoxels))).map {
                Entry(series: $0.index, modality: $0.modality, files: $0.files, columns: $0.columns, rows: $0.rows,
                      slices: $0.slices)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(entries), as: UTF8.self)
        guard let copy = strdup(text) else {
            throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(text.utf8.count + 1) bytes for the JSON")
        }
        out.pointee = copy
    }
}
