import MedaugEngine
import MedaugImaging
import MedaugVolumes

@_cdecl("medaug_segment_volume")
public func medaug_segment_volume(_ model: OpaquePointer?, _ voxels: UnsafePointer<Float>?, _ channels: UInt,
                                  _ dims: UnsafePointer<UInt>?, _ affine: UnsafePointer<Double>?,
                                  _ plane: UnsafePointer<CChar>?, _ threads: UInt,
                                  _ labels: UnsafeMutablePointer<Int32>?, _ probabilities: UnsafeMutablePointer<Float>?,
                                  _ progress: (@convention(c) (UnsafeMutableRawPointer?, UInt, UInt) -> Int32)?,
                                  _ user: UnsafeMutableRawPointer?) -> Int32 {
    serve("medaug_segment_volume") {
        let segmenter = try HandleRegistry.shared.model(model)
        let input = try Arguments.required(voxels, "voxels")
        let sizes = try Arguments.required(dims, "dims")
        let matrix = try Arguments.required(affine, "affine")
        let out = try Arguments.required(labels, "labels")
        let (x, y, z) = (try Arguments.size(sizes[0], "dims[0]"), try Arguments.size(sizes[1], "dims[1]"),
                         try Arguments.size(sizes[2], "dims[2]"))
        guard x >= 1, y >= 1, z >= 1 else { throw ABIFailure.invalid("dims are \(x)×\(y)×\(z); each must be at least 1") }
        let count = try Arguments.product([x, y, z], "the volume size")
        guard count <= Limits.value(.volumeVoxels) else {
            throw ABIFailure.invalid("a volume of \(x)×\(y)×\(z) voxels is above the limit of \(Limits.value(.volumeVoxels)) (MEDAUG_LIMIT_VOLUME_VOXELS)")
        }
        let channelCount = try Arguments.size(channels, "channels")
        guard (1...64).contains(channelCount) else { throw ABIFailure.invalid("channels is \(channels), expected 1...64") }
        let total = try Arguments.product([count, channelCount], "channels × voxels")
        guard (1...256).contains(threads) else { throw ABIFailure.invalid("threads is \(threads), expected 1...256") }
        let grid = try NIfTIVolume.Affine(rowMajor: Array(UnsafeBufferPointer(start: matrix, count: 16)))
        let values = Array(UnsafeBufferPointer(start: input, count: total))
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ABIFailure.invalid("voxel \(bad % count) of channel \(bad / count) is \(values[bad]); values must be finite")
        }
        let volumes = try (0..<channelCount).map { c in
            try NIfTIVolume(dimensions: .init(x: x, y: y, z: z), values: Array(values[(c * count)..<((c + 1) * count)]),
                            voxelSize: grid.columnLengths, affine: grid)
        }
        let engine = try VolumeSegmenter(model: segmenter, plane: try plane.map { try Arguments.string($0, "plane") },
                                         threads: Int(threads))
        let report: (Int, Int) -> Bool = progress.map { callback in
            { done, all in callback(user, UInt(done), UInt(all)) == 0 }
        } ?? { _, _ in true }
        let result = try engine.segment(volumes, probabilities: probabilities != nil, progress: report)
        // Written only after the whole volume is done: a failure or a
        // cancellation leaves the caller's buffers untouched.
        for (i, value) in result.labels.values.enumerated() { out[i] = Int32(value) }
        if let probabilities, let volume = result.probabilities {
            _ = UnsafeMutableBufferPointer(start: probabilities, count: volume.values.count).update(fromContentsOf: volume.values)
        }
    }
}
