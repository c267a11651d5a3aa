import Foundation
import MedaugImaging

/// Where an experiment's slices come from.
public enum ExperimentDataset: String, Codable, CaseIterable, Sendable {
    /// MNI ICBM152 T1 with simulated lesions on the tissue map (default).
    case mniLesion = "mni-lesion"
    /// MNI ICBM152 T1 with its 4-class tissue map (docs/design.md §4).
    case mniTissue = "mni-tissue"
    /// A dataset folder the user prepared (`medaug prepare`).
    case folder
    /// The user's NIfTI volumes: images and label maps, sliced here.
    case volumes
}

/// The user's NIfTI volumes for `ExperimentDataset.volumes`.
public struct VolumeSource: Codable, Equatable, Sendable {
    /// Image volumes, subject by subject, each subject's modalities in a row.
    public var images: [String]
    /// One label volume (stored label values) per subject.
    public var labels: [String]
    public var classes: [String]
    public var labelValues: [Int]
    /// axial, coronal or sagittal.
    public var plane: String
    /// Stored label value (or "*") → class name (`LabelValueMap`); when set,
    /// it gives the classes, and `classes`/`labelValues` are its own.
    public var labelMap: [String: String]?
    /// A class for voxels of the image's label-free foreground that no label
    /// covers (`Foreground`), appended to the classes unless listed.
    public var unlabelledForeground: String?
    /// For RT Structure Set label files: ROI name → label value, in drawing
    /// order (`DICOMStructureSet`); nil gives every ROI its number.
    public var rois: [ROIValue]?

    public init(images: [String], labels: [String], classes: [String], labelValues: [Int], plane: String) {
        (self.images, self.labels, self.classes, self.labelValues, self.plane) = (images, labels, classes, labelValues, plane)
    }

    /// Volumes whose label values map to classes through `map`.
    public init(images: [String], labels: [String], labelMap map: LabelValueMap, plane: String) {
        self.init(images: images, labels: labels, classes: map.classes, labelValues: map.labelValues, plane: plane)
        labelMap = map.entries
    }
}

/// Builds an experiment's dataset folder.
public enum ExperimentData {
    /// The MNI files `scripts/fetch-mni` writes.
    public static func mniFiles(in folder: String) -> (t1: String, greyMatter: String, whiteMatter: String) {
        (folder + "/mni_icbm152_t1.nii.gz", folder + "/mni_icbm152_gm.nii.gz", folder + "/mni_icbm152_wm.nii.gz")
    }

    /// Coronal slices of the MNI template as a dataset folder at `output`:
    /// the tissue map (background, other, grey matter, white matter), or
    /// with `lesions`, the same with one simulated lesion per slice
    /// (`LesionSimulator`). Splits by slice position with `preset.gap`;
    /// `preset.trainCount` training pairs drawn with `seed`.
    @discardableResult
    public static func prepareMNI(folder: String, lesions: Bool, preset: ExperimentPreset, seed: UInt64,
                                  output: String) throws -> DatasetManifest {
        let files = mniFiles(in: folder)
        for path in [files.t1, files.greyMatter, files.whiteMatter] where !FileManager.default.fileExists(atPath: path) {
            throw ImagingError.io(path: path, reason: "missing; run scripts/fetch-mni (or pass --mni FOLDER)")
        }
        let t1 = try NIfTIReader.read(path: files.t1).canonical()
        let gm = try NIfTIReader.read(path: files.greyMatter).canonical()
        let wm = try NIfTIReader.read(path: files.whiteMatter).canonical()
        let simulator = LesionSimulator()
        let tissueValues = lesions ? [0, Int(simulator.otherTissue), Int(simulator.greyMatter), Int(simulator.whiteMatter)] : [0, 1, 2, 3]
        let labels = try LabelMapping.tissueClasses(t1: t1.values, greyMatter: gm.values, whiteMatter: wm.values, brainThreshold: 0)
            .map { Int32(tissueValues[Int($0)]) }
        var options = DatasetPreparation.Options()
        options.plane = .coronal
        // The experiment's data are frozen (issue 16): percentiles and crop
        // box from the tissue labels, as before 0.3.0.
        options.foreground = .labels
        options.side = preset.side
        options.trainCount = preset.trainCount
        options.gap = preset.gap
        options.seed = seed
        let subject = DatasetPreparation.Subject(modalities: [t1], labels: labels,
                                                 sourceFiles: [files.t1, files.greyMatter, files.whiteMatter])
        let classes = ["background", "other_tissue", "grey_matter", "white_matter"]
        guard lesions else {
            return try DatasetPreparation.prepare(subjects: [subject], classes: classes, labelValues: tissueValues,
                                                  channelNames: ["T1"], options: options, output: output, overwrite: true)
        }
        let tissue = output + ".tissue"
        try DatasetPreparation.prepare(subjects: [subject], classes: classes, labelValues: tissueValues,
                                       channelNames: ["T1"], options: options, output: tissue, overwrite: true)
        defer { try? FileManager.default.removeItem(atPath: tissue) }
        return try addLesions(from: tissue, to: output, seed: seed, simulator: simulator)
    }

    /// Slices of the user's volumes as a dataset folder at `output` (the
    /// same preparation as `medaug prepare`: canonical orientation,
    /// per-volume intensity normalisation, position or subject splits).
    @discardableResult
    public static func prepareVolumes(_ source: VolumeSource, preset: ExperimentPreset, seed: UInt64,
                                      output: String) throws -> DatasetManifest {
        guard !source.labels.isEmpty, source.images.count % source.labels.count == 0, !source.images.isEmpty else {
            throw ImagingError.invalidArgument("\(source.images.count) image volumes for \(source.labels.count) label volumes: give the same number of modalities for every subject")
        }
        guard let plane = NIfTIVolume.Plane(rawValue: source.plane) else {
            throw ImagingError.invalidArgument("plane '\(source.plane)': expected axial, coronal or sagittal")
        }
        let modalities = source.images.count / source.labels.count
        let valueMap = try source.labelMap.map { try LabelValueMap($0) }
        let unlabelledClass = source.unlabelledForeground.map {
            Foreground.addingClass($0, to: source.classes, labelValues: source.labelValues)
        }
        let subjects = try source.labels.enumerated().map { s, labelPath -> DatasetPreparation.Subject in
            let files = Array(source.images[(s * modalities)..<((s + 1) * modalities)])
            let volumes = try files.map { try VolumeReader.read(path: $0).canonical() }
            let stored = try VolumeReader.readLabels(path: labelPath, onGridOf: volumes[0], rois: source.rois,
                                                     imagePath: files[0])
            var labels = try valueMap?.classIndices(stored, source: labelPath) ?? stored
            if let unlabelled = unlabelledClass {
                labels = Foreground.labellingUnlabelled(labels, background: Int32(unlabelled.labelValues[0]),
                                                        image: volumes[0].values, as: Int32(unlabelled.value))
            }
            return .init(modalities: volumes, labels: labels, sourceFiles: files + [labelPath])
        }
        var options = DatasetPreparation.Options()
        options.plane = plane
        options.side = preset.side
        options.trainCount = preset.trainCount
        options.gap = preset.gap
        options.seed = seed
        return try DatasetPreparation.prepare(subjects: subjects, classes: unlabelledClass?.classes ?? source.classes,
                                              labelValues: unlabelledClass?.labelValues ?? source.labelValues,
                                              channelNames: (0..<modalities).map { "channel_\($0)" }, options: options,
                                              output: output, overwrite: true)
    }

    /// Every item of the dataset at `input` with a simulated lesion, as a
    /// new dataset folder (item ids kept; the lesion's seed recorded).
    @discardableResult
    public static func addLesions(from input: String, to output: String, seed: UInt64,
                                  simulator: LesionSimulator = LesionSimulator()) throws -> DatasetManifest {
        let source = try DatasetManifest.read(folder: input)
        var written: DatasetManifest?
        try DatasetWriter.write(to: output, overwrite: true) { temporary in
            var manifest = DatasetManifest(classes: LesionSimulator.classes, labelValues: LesionSimulator.labelValues,
                                           channels: source.channels, spacingMM: source.spacingMM, intensity: source.intensity)
            manifest.preparation = source.preparation
            for split in DatasetManifest.Split.allCases where source.items.contains(where: { $0.split == split }) {
                let pairs = try DatasetPairs.load(folder: input, split: split, includeSynthetic: true)
                for (item, pair) in zip(pairs.items, pairs.pairs) {
                    let lesionSeed = seed ^ stableHash(item.id)
                    let lesioned = try simulator.simulate(pair, seed: lesionSeed)
                    var newItem = item
                    newItem.source["lesion"] = .string("simulated, seed \(lesionSeed)")
                    try DatasetWriter.writePair(image: lesioned.image, channels: lesioned.channels, labels: lesioned.mask,
                                                side: lesioned.height, item: newItem, intensity: manifest.intensity,
                                                folder: temporary)
                    manifest.items.append(newItem)
                }
            }
            written = manifest
            return manifest
        }
        return written!
    }

    /// FNV-1a: a seed per item id that does not depend on Swift's hashing.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }
}
