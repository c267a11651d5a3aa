import Foundation
import MedaugEngine
import MedaugImaging
import MedaugModels

/// Why a volume segmentation stopped.
public enum VolumeSegmentationError: Error, CustomStringConvertible {
    /// The progress callback asked to stop.
    case cancelled

    public var description: String { "cancelled by the progress callback; nothing was returned" }
}

/// A whole volume's segmentation on the source's own grid.
public struct VolumeSegmentation: Sendable {
    /// Stored label values (the model's `label_values`), the source's
    /// dimensions, affine and voxel size, voxels in the source's storage
    /// order.
    public var labels: NIfTIVolume
    /// Class probabilities as a 4-D volume (t = class, in the model's class
    /// order) on the same grid, when asked for.
    public var probabilities: NIfTIVolume?
    /// What the segmenter had to assume (no `preparation` in the model, a
    /// label-based normalisation approximated without labels).
    public var notes: [String]
}

/// Segments whole volumes slice by slice the way the segmenter's training
/// slices were made (`SlicePreparation`, the model's `preparation` key):
///
/// 1. cut the volume in the model's plane (canonical RAS+ orientation, as
///    `medaug prepare` does; the volume is not resampled);
/// 2. scale each channel from the percentiles of the volume's label-free
///    foreground to [-1, 1];
/// 3. crop each slice to the foreground box (all slices) plus margin, or
///    keep it whole;
/// 4. fit to the model's square (`SliceFit`): padding only when the
///    slice's longer side already is the image size at square pixels,
///    otherwise bilinear resampling;
/// 5. segment in batches;
/// 6. bring the class probabilities back to the cropped slice's pixels
///    (`SliceFit.restore`, the inverse of step 4), give every pixel
///    outside the crop to the first class (background), and put the slice
///    back where it was cut (`NIfTIVolume.sliceOffsets`).
///
/// The labels are the most probable class per voxel (ties: lowest class).
public final class VolumeSegmenter {
    public let model: Model
    public let config: SegmenterConfig
    /// The rule used: the model's, or `SlicePreparation.assumed`, with the
    /// plane overridden if asked.
    public let preparation: SlicePreparation
    let session: Session
    let batch: Int
    /// What had to be assumed about the model (also in each result).
    public private(set) var notes: [String] = []

    /// - Parameters:
    ///   - plane: overrides the model's plane ("axial", "coronal",
    ///     "sagittal"); nil keeps it.
    ///   - batch: slices per call of the network.
    /// - Throws: `ImagingError.invalidArgument` when the model is not a
    ///   segmenter or an argument is out of range; the session's errors.
    public init(model: Model, plane: String? = nil, threads: Int = 1, batch: Int = 8) throws {
        guard case .segmenter(let config) = model.config else {
            throw ImagingError.invalidArgument("the model holds a \(model.config.kind.rawValue); volume segmentation needs a segmenter")
        }
        guard (1...1024).contains(batch) else { throw ImagingError.invalidArgument("batch \(batch) must be in 1...1024") }
        var preparation = config.preparation ?? .assumed
        if config.preparation == nil {
            notes.append("the model records no preparation: assumed axial slices, no crop, label-free 0.5/99.5 percentiles")
        }
        if let plane {
            guard SlicePreparation.planes.contains(plane) else {
                throw ImagingError.invalidArgument("plane '\(plane)': expected axial, coronal or sagittal")
            }
            preparation.plane = plane
        }
        if preparation.foreground == .labels {
            notes.append("the model was trained on slices normalised over their labels; without labels the label-free foreground stands in")
        }
        self.model = model
        self.config = config
        self.preparation = preparation
        self.batch = batch
        session = try model.makeSession(threads: threads)
    }

    /// Segments `channels` (one volume per model input channel, on one
    /// grid, 3-D).
    /// - Parameter progress: (slices done, slices in all) after each batch;
    ///   returning false stops with `VolumeSegmentationError.cancelled`.
    /// - Throws: `ImagingError.invalidArgument` for a channel count or
    ///   grid that does not fit; the engine's errors.
    public func segment(_ channels: [NIfTIVolume], probabilities: Bool = false,
                        progress: (Int, Int) -> Bool = { _, _ in true }) throws -> VolumeSegmentation {
        let common = config.common
        guard channels.count == common.inputChannels else {
            throw ImagingError.invalidArgument("\(channels.count) volume(s) given; the segmenter takes \(common.inputChannels) channel(s) (\(common.channelNames.joined(separator: ", ")))")
        }
        let first = channels[0]
        for volume in channels {
            guard volume.dimensions.t == 1 else {
                throw ImagingError.invalidArgument("volume is \(volume.dimensions); give 3-D volumes (one per channel)")
            }
            guard volume.dimensions == first.dimensions else {
                throw ImagingError.invalidArgument("channel grids differ: \(volume.dimensions) and \(first.dimensions)")
            }
        }
        let plane = NIfTIVolume.Plane(rawValue: preparation.plane)!
        let side = common.imageSize, classes = common.outputChannels
        let foreground = Foreground.mask(first.values)
        let normalization = try IntensityNormalization(lowPercentile: preparation.percentiles[0],
                                                       highPercentile: preparation.percentiles[1])
        let bounds = channels.map { normalization.bounds(ArraySlice($0.values), selected: foreground) }
        let box = try DatasetPreparation.foregroundBox(foreground, volume: first, plane: plane)
        let count = first.sliceCount(plane)
        let probe = try first.slice(plane, index: 0)
        let window = DatasetPreparation.cropWindow(box: box, rows: probe.rows, columns: probe.columns,
                                                   margin: preparation.cropMargin)
        let fit = SliceFit(height: window.rows.count, width: window.columns.count, spacing: probe.spacing, side: side)
        let voxels = first.dimensions.spatialCount
        var labelValues = [Float](repeating: Float(common.labelValues[0]), count: voxels)
        var classProbabilities = probabilities ? [Float](repeating: 0, count: voxels * classes) : []
        if probabilities { for i in 0..<voxels { classProbabilities[i] = 1 } }   // outside any crop: background

        var start = 0
        while start < count {
            let indices = Array(start..<min(count, start + batch))
            var input: [Float] = []
            input.reserveCapacity(indices.count * common.inputChannels * side * side)
            for index in indices {
                var image: [Float] = []
                for (c, volume) in channels.enumerated() {
                    let cut = try volume.slice(plane, index: index)
                    let (low, high) = bounds[c]
                    for y in window.rows {
                        for x in window.columns {
                            image.append(IntensityNormalization.scale(cut.pixels[y * cut.columns + x],
                                                                      low: low, high: high))
                        }
                    }
                }
                input += try fit.square(image, channels: channels.count)
            }
            let result = try session.segment(Tensor(shape: [indices.count, common.inputChannels, side, side], values: input))
            for (n, index) in indices.enumerated() {
                let offsets = try first.sliceOffsets(plane, index: index)
                let back = fit.restore(result.probabilities.values, offset: n * classes * side * side, classes: classes)
                let pixels = fit.height * fit.width
                for (wy, y) in window.rows.enumerated() {
                    for (wx, x) in window.columns.enumerated() {
                        let p = wy * fit.width + wx, voxel = offsets[y * probe.columns + x]
                        labelValues[voxel] = Float(common.labelValues[back.classes[p]])
                        if probabilities {
                            for k in 0..<classes { classProbabilities[k * voxels + voxel] = back.probabilities[k * pixels + p] }
                        }
                    }
                }
            }
            start += indices.count
            guard progress(start, count) else { throw VolumeSegmentationError.cancelled }
        }
        let labels = try NIfTIVolume(dimensions: first.dimensions, values: labelValues, voxelSize: first.voxelSize,
                                     affine: first.affine, affineSource: first.affineSource,
                                     datatype: Self.labelDatatype(common.labelValues))
        var probabilityVolume: NIfTIVolume?
        if probabilities {
            var d = first.dimensions
            d.t = classes
            probabilityVolume = try NIfTIVolume(dimensions: d, values: classProbabilities, voxelSize: first.voxelSize,
                                                affine: first.affine, affineSource: first.affineSource)
        }
        return VolumeSegmentation(labels: labels, probabilities: probabilityVolume, notes: notes)
    }

    /// The smallest writable NIfTI type holding every label value.
    static func labelDatatype(_ values: [Int]) -> NIfTIDatatype {
        if values.allSatisfy({ (0...255).contains($0) }) { return .uint8 }
        if values.allSatisfy({ (-32768...32767).contains($0) }) { return .int16 }
        if values.allSatisfy({ (0...65535).contains($0) }) { return .uint16 }
        return .float32
    }
}
