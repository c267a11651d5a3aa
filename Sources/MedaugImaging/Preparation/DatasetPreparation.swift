import Foundation
import MedaugModels

/// The paper's data preparation (§2.1), generalised: volumes → 2-D slices
/// in one anatomical plane → N×N image/mask pairs with train/val/test splits
/// and a random K-pair training subset → a dataset folder (docs/design.md §3.3).
public enum DatasetPreparation {
    /// One subject: its modality volumes (same grid) and its labels.
    public struct Subject: Sendable {
        public var modalities: [NIfTIVolume]
        public var labels: [Int32]
        /// Where it came from, for the manifest.
        public var sourceFiles: [String]

        public init(modalities: [NIfTIVolume], labels: [Int32], sourceFiles: [String]) {
            self.modalities = modalities
            self.labels = labels
            self.sourceFiles = sourceFiles
        }
    }

    public struct Options: Sendable {
        public var plane: NIfTIVolume.Plane = .axial
        public var side = 256
        /// Slices whose non-background fraction is below this are skipped.
        public var minimumForeground = 0.05
        /// Training pairs to keep (the paper's 30); nil keeps all.
        public var trainCount: Int? = 30
        public var fractions = SplitPlanner.Fractions()
        /// Slices left out between splits of one volume.
        public var gap = 5
        public var normalization = try! IntensityNormalization()
        public var seed: UInt64 = 0
        /// Crop every slice to the bounding box of the volume's foreground
        /// (all slices together, so the scale is the same for every slice)
        /// plus this margin as a fraction of the box, before resizing; nil
        /// keeps the whole field of view.
        public var cropMargin: Double? = 0.05
        /// Which voxels set the percentiles and the crop box: the image's
        /// label-free foreground (default since 0.3.0: an unlabelled volume
        /// is prepared alike at inference) or the non-background labels.
        public var foreground = SlicePreparation.Foreground.labelFree
        public init() {}

        /// The record of these options for the manifest and the model.
        func record(spacing: (row: Double, column: Double)) -> SlicePreparation {
            SlicePreparation(plane: plane.rawValue, spacingMM: [spacing.row, spacing.column], cropMargin: cropMargin,
                             percentiles: [normalization.lowPercentile, normalization.highPercentile],
                             foreground: foreground)
        }
    }

    /// Builds the slices and manifest, then writes the folder atomically: it
    /// appears complete at `output` or not at all (an existing folder is
    /// refused unless `overwrite`).
    /// - Throws: `ImagingError` naming the subject, slice or file at fault.
    @discardableResult
    public static func prepare(subjects: [Subject], classes: [String], labelValues: [Int], channelNames: [String],
                               options: Options, output: String, overwrite: Bool = false) throws -> DatasetManifest {
        guard !subjects.isEmpty else { throw ImagingError.invalidArgument("no input volumes") }
        guard classes.count == labelValues.count else {
            throw ImagingError.invalidArgument("\(classes.count) classes but \(labelValues.count) label values")
        }
        var pairs: [(id: String, split: DatasetManifest.Split, slice: Slice, source: [String: JSONValue])] = []
        let volumeSplits = subjects.count > 1 ? SplitPlanner.byVolume(count: subjects.count, fractions: options.fractions, seed: options.seed) : nil
        let background = Int32(labelValues[0])
        for (s, subject) in subjects.enumerated() {
            let (slices, bounds) = try extractSlices(subject, index: s, background: background, options: options,
                                                     labelValues: labelValues)
            guard !slices.isEmpty else { continue }
            let splits: [DatasetManifest.Split?] = try volumeSplits.map { split in slices.map { _ in split[s] } }
                ?? SplitPlanner.byPosition(slices: slices.count, fractions: options.fractions, gap: options.gap)
            for (k, (index, slice)) in slices.enumerated() {
                guard let split = splits[k] else { continue }
                let id = String(format: "s%02d-%@-%04d", s, options.plane.rawValue, index)
                pairs.append((id, split, slice, [
                    "files": .array(subject.sourceFiles.map { .string(($0 as NSString).lastPathComponent) }),
                    "plane": .string(options.plane.rawValue), "slice": .number(Double(index)),
                    // The stored intensities that became -1 and +1, per modality.
                    "intensity_bounds": .array(bounds.map { .array([.number(Double($0.low)), .number(Double($0.high))]) }),
                ]))
            }
        }
        // The random K-pair training subset (seeded).
        let trainIndices = pairs.indices.filter { pairs[$0].split == .train }
        let keep = Set(options.trainCount.map { SplitPlanner.subset(trainIndices, count: $0, seed: options.seed) } ?? trainIndices)
        pairs = pairs.enumerated().filter { $0.element.split != .train || keep.contains($0.offset) }.map(\.element)
        guard pairs.contains(where: { $0.split == .train }) else {
            throw ImagingError.invalidArgument("no slice has at least \(options.minimumForeground * 100)% foreground; lower the threshold")
        }
        let spacing = pairs[0].slice.spacing
        var manifest = DatasetManifest(
            classes: classes, labelValues: labelValues, channels: channelNames, spacingMM: [spacing.row, spacing.column],
            intensity: .init(stored: "uint16", storedRange: [0, 65535]))
        manifest.preparation = options.record(spacing: spacing)
        try DatasetWriter.write(to: output, overwrite: overwrite) { folder in
            for pair in pairs {
                let item = DatasetManifest.Item(id: pair.id, split: pair.split, synthetic: false, source: pair.source)
                try DatasetWriter.writePair(image: pair.slice.image, channels: pair.slice.channels, labels: pair.slice.labels,
                                            side: options.side, item: item, intensity: manifest.intensity, folder: folder)
                manifest.items.append(item)
            }
            return manifest
        }
        return manifest
    }

    /// The rows and columns a slice of `rows × columns` keeps: the box
    /// widened by `margin` × its size on each side (rounded up, clipped to
    /// the slice); the whole slice without a margin or an empty box.
    public static func cropWindow(box: (top: Int, left: Int, bottom: Int, right: Int), rows: Int, columns: Int,
                                  margin: Double?) -> (rows: Range<Int>, columns: Range<Int>) {
        guard let margin, box.bottom >= 0 else { return (0..<rows, 0..<columns) }
        let dy = Int((Double(box.bottom - box.top + 1) * margin).rounded(.up))
        let dx = Int((Double(box.right - box.left + 1) * margin).rounded(.up))
        return (max(0, box.top - dy)..<min(rows, box.bottom + dy + 1),
                max(0, box.left - dx)..<min(columns, box.right + dx + 1))
    }

    /// The box (top, left, bottom, right) of the `mask`ed voxels of
    /// `volume`'s grid over all its slices in `plane`; bottom −1 when empty.
    public static func foregroundBox(_ mask: [Bool], volume: NIfTIVolume, plane: NIfTIVolume.Plane) throws
        -> (top: Int, left: Int, bottom: Int, right: Int) {
        let maskVolume = try NIfTIVolume(dimensions: volume.dimensions, values: mask.map { $0 ? 1 : 0 },
                                         voxelSize: volume.voxelSize, affine: volume.affine)
        var box = (top: Int.max, left: Int.max, bottom: -1, right: -1)
        for index in 0..<volume.sliceCount(plane) {
            let slice = try maskVolume.slice(plane, index: index)
            for (p, value) in slice.pixels.enumerated() where value > 0 {
                let (y, x) = (p / slice.columns, p % slice.columns)
                box = (min(box.top, y), min(box.left, x), max(box.bottom, y), max(box.right, x))
            }
        }
        return box
    }

    /// The kept slices of one subject, resized and normalised to [-1, 1].
    static func extractSlices(_ subject: Subject, index s: Int, background: Int32, options: Options,
                              labelValues: [Int]) throws -> (slices: [(Int, Slice)], bounds: [(low: Float, high: Float)]) {
        guard let first = subject.modalities.first else { throw ImagingError.invalidArgument("subject \(s) has no image volume") }
        for volume in subject.modalities where volume.dimensions.spatialCount != first.dimensions.spatialCount || volume.dimensions != first.dimensions {
            throw ImagingError.invalidArgument("subject \(s): modality grids differ (\(volume.dimensions) vs \(first.dimensions))")
        }
        guard subject.labels.count == first.dimensions.spatialCount else {
            throw ImagingError.invalidArgument("subject \(s): label volume has \(subject.labels.count) voxels, images \(first.dimensions.spatialCount)")
        }
        let known = Set(labelValues.map(Int32.init))
        if let bad = subject.labels.first(where: { !known.contains($0) }) {
            throw ImagingError.invalidArgument("subject \(s): label value \(bad) is not one of \(labelValues)")
        }
        // Percentile bounds per modality over the volume's foreground, so
        // every slice of a volume is scaled alike.
        let foreground = options.foreground == .labels ? subject.labels.map { $0 != background }
            : Foreground.mask(first.values)
        let bounds = subject.modalities.map { options.normalization.bounds(ArraySlice($0.values), selected: foreground) }
        let labelVolume = try NIfTIVolume(dimensions: first.dimensions, values: subject.labels.map(Float.init),
                                          voxelSize: first.voxelSize, affine: first.affine)
        var kept: [(index: Int, labels: [Int32])] = []
        var box = (top: Int.max, left: Int.max, bottom: -1, right: -1)
        var shape = (rows: 0, columns: 0)
        var spacing = (row: 1.0, column: 1.0)
        for index in 0..<first.sliceCount(options.plane) {
            let labelSlice = try labelVolume.slice(options.plane, index: index)
            let labels = labelSlice.pixels.map { Int32($0.rounded()) }
            shape = (labelSlice.rows, labelSlice.columns)
            spacing = labelSlice.spacing
            let probe = Slice(channels: 0, height: labelSlice.rows, width: labelSlice.columns, image: [], labels: labels,
                              spacing: labelSlice.spacing)
            guard probe.foregroundFraction(background: background) >= options.minimumForeground else { continue }
            kept.append((index, labels))
            if options.foreground == .labels {
                for (p, label) in labels.enumerated() where label != background {
                    let (y, x) = (p / labelSlice.columns, p % labelSlice.columns)
                    box = (min(box.top, y), min(box.left, x), max(box.bottom, y), max(box.right, x))
                }
            }
        }
        if options.foreground == .labelFree {
            // The image foreground's box over every slice (not only the kept
            // ones: which slices are kept depends on labels).
            box = try foregroundBox(foreground, volume: first, plane: options.plane)
        }
        // The crop window: the foreground box of all kept slices plus margin.
        let (rows, columns) = cropWindow(box: box, rows: shape.rows, columns: shape.columns, margin: options.cropMargin)
        func crop<T>(_ plane: [T]) -> [T] {
            rows.flatMap { y in plane[(y * shape.columns + columns.lowerBound)..<(y * shape.columns + columns.upperBound)] }
        }
        var result: [(Int, Slice)] = []
        for (index, fullLabels) in kept {
            let labels = crop(fullLabels)
            var image: [Float] = []
            for (m, volume) in subject.modalities.enumerated() {
                let (low, high) = bounds[m]
                image += crop(try volume.slice(options.plane, index: index).pixels).map {
                    IntensityNormalization.scale($0, low: low, high: high)
                }
            }
            let slice = Slice(channels: subject.modalities.count, height: rows.count, width: columns.count,
                              image: image, labels: labels, spacing: spacing)
            result.append((index, try Resize.toSquare(slice, side: options.side, imageFill: -1, labelFill: background)))
        }
        return (result, bounds)
    }
}
