import ArgumentParser
import Foundation
import MedaugImaging

/// `medaug prepare`: volumes → a dataset folder of 2-D image/mask pairs.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Turn NIfTI or DICOM volumes and label volumes into a dataset folder of N×N slice pairs.",
        discussion: """
        One subject per --labels (or --tissue-maps) in order; --image is repeated per modality
        (subject i uses images i·M ..< (i+1)·M for M = --channels count).
        Examples:
          medaug prepare --image t1.nii.gz --labels seg.nii.gz --classes background,core,edema,enhancing \\
                         --label-values 0,1,2,4 --plane axial --out data/brats
          medaug prepare --image dicom/t1-series --labels seg.nii.gz --classes background,lesion --out data/dcm
          medaug prepare --image mni_t1.nii.gz --tissue-maps mni_gm.nii.gz,mni_wm.nii.gz --plane coronal --out data/mni
        """)

    @Option(help: "Image volume (.nii, .nii.gz, a DICOM file or a folder of DICOM slices); repeat for modalities and subjects.")
    var image: [String] = []
    @Option(help: "For DICOM folders holding several series: which one, from 1 (`medaug inspect FOLDER` lists them).")
    var series: Int?
    @Option(help: "Label volume of stored label values (.nii, .nii.gz or DICOM), on the image's grid; repeat per subject.")
    var labels: [String] = []
    @Option(help: "Instead of --labels: grey- and white-matter probability maps 'GM,WM' (4-class tissue map, docs/design.md §4).")
    var tissueMaps: [String] = []
    @Option(help: "Comma-separated class names (default for --tissue-maps: background,other,grey_matter,white_matter).")
    var classes: String?
    @Option(help: "Comma-separated stored label values, one per class (default 0, 1, ...).")
    var labelValues: String?
    @Option(help: ArgumentHelp(
        "Instead of --classes/--label-values: a JSON file of stored label value -> class name, with \"*\" for every unlisted value.",
        discussion: "Example: {\"0\": \"background\", \"1\": \"liver\", \"6\": \"kidney\", \"7\": \"kidney\", \"*\": \"background\"}. The dataset stores class indices (0 = the class of value 0)."))
    var labelMap: String?
    @Option(help: ArgumentHelp(
        "Give voxels inside the image's label-free foreground but without a label (background) this class.",
        discussion: "The foreground (of the first modality) is every non-zero voxel when zeros fill at least 5% of a volume without negative values (a skull-stripped or masked MRI), else every voxel above Otsu's threshold (a CT, an MRI with a noise floor). The class is appended to the classes unless listed."))
    var unlabelledForeground: String?
    @Option(name: .customLong("roi"), help: ArgumentHelp(
        "For an RT Structure Set given as --labels: an ROI name and the label value its voxels get, NAME=VALUE; repeat, later ROIs win where they overlap.",
        discussion: "ROIs nest (body ⊃ brain ⊃ tumour), so list the outer ones first. Without --roi every ROI gets its ROI Number."))
    var rois: [String] = []
    @Option(help: "Binary region preset on BraTS labels (1, 2, 4): whole-tumour, tumour-core or enhancing; classes become background,<region>.")
    var region: String?
    @Option(help: "Comma-separated modality names (default T1).")
    var channels: String = "T1"
    @Option(help: "Plane: axial, coronal or sagittal.")
    var plane: String = "axial"
    @Option(help: "Side of the square output images, in pixels.")
    var size: Int = 256
    @Option(help: "Minimum fraction of non-background pixels for a slice to be kept.")
    var minForeground: Double = 0.05
    @Option(help: "Random training pairs to keep (the paper's 30); 0 keeps all.")
    var trainCount: Int = 30
    @Option(help: "Slices left out between splits of one volume.")
    var gap: Int = 5
    @Option(help: "Margin around the foreground bounding box to crop to, as a fraction of the box; -1 keeps the whole field of view.")
    var cropMargin: Double = 0.05
    @Option(help: "Seed of the split and the training subset.")
    var seed: UInt64 = 0
    @Option(help: "Output dataset folder (written atomically).")
    var out: String
    @Flag(help: "Replace an existing output folder.")
    var overwrite = false

    func validate() throws {
        guard (labels.isEmpty) != (tissueMaps.isEmpty) else { throw ValidationError("give --labels or --tissue-maps (not both)") }
        guard NIfTIVolume.Plane(rawValue: plane) != nil else { throw ValidationError("--plane must be axial, coronal or sagittal") }
        if let region {
            guard LabelMapping.Region(rawValue: region) != nil else {
                throw ValidationError("--region must be whole-tumour, tumour-core or enhancing")
            }
            guard !labels.isEmpty, classes == nil, labelValues == nil else {
                throw ValidationError("--region takes --labels and sets the classes itself")
            }
        }
        if unlabelledForeground != nil, labels.isEmpty {
            throw ValidationError("--unlabelled-foreground takes --labels")
        }
        if !rois.isEmpty, labels.isEmpty { throw ValidationError("--roi takes --labels (an RT Structure Set)") }
        if labelMap != nil {
            guard !labels.isEmpty, classes == nil, labelValues == nil, region == nil else {
                throw ValidationError("--label-map takes --labels and sets the classes itself (no --classes, --label-values or --region)")
            }
        }
        if let series, series < 1 { throw ValidationError("--series must be 1 or more, got \(series)") }
        guard (8...4096).contains(size) else { throw ValidationError("--size must be in 8...4096") }
        guard (0...1).contains(minForeground) else { throw ValidationError("--min-foreground must be in [0, 1]") }
        guard trainCount >= 0, gap >= 0 else { throw ValidationError("--train-count and --gap must be >= 0") }
    }

    func run() throws {
        try OutputLocation.checkFolder(out)
        let modalityNames = try parseList(channels, option: "--channels")
        let subjects = max(labels.count, tissueMaps.count)
        guard image.count == subjects * modalityNames.count else {
            throw CLIError("\(image.count) --image volumes for \(subjects) subject(s) × \(modalityNames.count) modalities")
        }
        let preset = region.flatMap(LabelMapping.Region.init)
        let valueMap: LabelValueMap?
        do { valueMap = try labelMap.map { try LabelValueMap(contentsOf: $0) } } catch { throw CLIError("\(error)") }
        let defaultClasses = preset.map { "background,\($0.rawValue)" }
            ?? (tissueMaps.isEmpty ? nil : "background,other,grey_matter,white_matter")
        let classList: [String]
        if let valueMap {
            classList = valueMap.classes
        } else if let parsed = try (classes ?? defaultClasses).map({ try parseList($0, option: "--classes") }) {
            classList = parsed
        } else {
            throw CLIError("--classes (or --label-map) is required with --labels")
        }
        var values = try valueMap?.labelValues
            ?? labelValues.map { try parseIntegers($0, option: "--label-values") } ?? Array(0..<classList.count)
        var allClasses = classList
        var unlabelledValue: Int32?
        if let name = unlabelledForeground {
            let added = Foreground.addingClass(name, to: classList, labelValues: values)
            (allClasses, values, unlabelledValue) = (added.classes, added.labelValues, Int32(added.value))
        }
        var options = DatasetPreparation.Options()
        options.plane = NIfTIVolume.Plane(rawValue: plane)!
        options.side = size
        options.minimumForeground = minForeground
        options.trainCount = trainCount == 0 ? nil : trainCount
        options.gap = gap
        options.seed = seed
        options.cropMargin = cropMargin < 0 ? nil : cropMargin
        do {
            var list: [DatasetPreparation.Subject] = []
            for s in 0..<subjects {
                let files = Array(image[(s * modalityNames.count)..<((s + 1) * modalityNames.count)])
                let volumes = try files.map { try VolumeReader.read(path: $0, series: series).canonical() }
                let labelValuesVolume: [Int32]
                if labels.isEmpty {
                    let maps = try parseList(tissueMaps[s], option: "--tissue-maps")
                    guard maps.count == 2 else { throw CLIError("--tissue-maps takes 'GM,WM'") }
                    let gm = try VolumeReader.read(path: maps[0]).canonical(), wm = try VolumeReader.read(path: maps[1]).canonical()
                    try gm.requireSameGrid(as: volumes[0], maps[0])
                    try wm.requireSameGrid(as: volumes[0], maps[1])
                    labelValuesVolume = try LabelMapping.tissueClasses(
                        t1: volumes[0].values, greyMatter: gm.values, whiteMatter: wm.values, brainThreshold: 0)
                        .map { Int32(values[Int($0)]) }
                } else {
                    let roiValues = try rois.isEmpty ? nil : rois.map { try ROIValue(parsing: $0) }
                    let stored = try VolumeReader.readLabels(path: labels[s], onGridOf: volumes[0], rois: roiValues,
                                                             imagePath: files[0])
                    var mapped = try valueMap?.classIndices(stored, source: labels[s])
                        ?? preset.map { LabelMapping.region($0, of: stored) } ?? stored
                    if let unlabelledValue {
                        mapped = Foreground.labellingUnlabelled(mapped, background: Int32(values[0]), image: volumes[0].values,
                                                                as: unlabelledValue)
                    }
                    labelValuesVolume = mapped
                }
                list.append(.init(modalities: volumes, labels: labelValuesVolume,
                                  sourceFiles: files + (labels.isEmpty ? try parseList(tissueMaps[s], option: "--tissue-maps") : [labels[s]])))
            }
            let manifest = try DatasetPreparation.prepare(subjects: list, classes: allClasses, labelValues: values,
                                                          channelNames: modalityNames, options: options, output: out,
                                                          overwrite: overwrite)
            let counts = DatasetManifest.Split.allCases.map { split in "\(manifest.items.filter { $0.split == split }.count) \(split.rawValue)" }
            print("wrote \(out): \(counts.joined(separator: ", ")) pairs of \(size)x\(size)")
        } catch let error as ImagingError {
            throw CLIError(error.description)
        }
    }
}
