import ArgumentParser
import Foundation
import MedaugEngine
import MedaugImaging
import MedaugModels
import MedaugVolumes

/// `medaug segment`: label maps (and probabilities) for image TIFFs.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment images (TIFF) or whole volumes (NIfTI, DICOM) with a segmenter.",
        discussion: """
        Images (any size): intensities are mapped to the network's [-1, 1] from --range: 'auto' (each
        image's 0.5th to 99.5th percentile) or 'low,high' in stored units; the image is padded to the
        model's square (its longer side already the model's size) or resized (any other size), and the
        results come back to the image's own size. Writes OUT/NAME-mask.tif (stored label values) and,
        with --probabilities, OUT/NAME-probabilities.tif (float32, one page per class).
        Volumes (--volume, once per model channel): cut in the model's plane, normalised, cropped and
        resized as its training slices were (the model's "preparation", docs/weights-format.md),
        segmented in batches, brought back to the source grid; --out is a label NIfTI (stored label
        values) with the source's affine and voxel size, and --probabilities also writes
        OUT-probabilities.nii.gz (4-D float32, one volume per class).
        Examples:
          medaug segment --model s.safetensors --image slice.tif --out out/seg
          medaug segment --model s.safetensors --image a.tif --image b.tif --range 0,4000 --probabilities --out out
          medaug segment --model s.safetensors --volume t1.nii.gz --out t1-seg.nii.gz
          medaug segment --model s.safetensors --volume dicom/study --series 2 --out seg.nii.gz --probabilities
        """)

    @Option(help: "Segmenter weights (.safetensors).")
    var model: String
    @Option(name: .customLong("image"), help: "Image TIFF (pages = channels); repeat for several.")
    var imageFiles: [String] = []
    @Option(name: .customLong("volume"), help: "A volume to segment whole (NIfTI file, DICOM file or folder); repeat once per model channel.")
    var volumeFiles: [String] = []
    @Option(help: "With --volume on a DICOM folder of several series: which one, from 1.")
    var series: Int?
    @Option(help: "With --volume: cut in this plane (axial, coronal, sagittal) instead of the model's.")
    var plane: String?
    @Option(help: "With --volume: slices per network call.")
    var batch: Int = 8
    @Option(name: .customLong("out"), help: "Output folder (created if missing).")
    var outOption: String?
    @Option(name: .customLong("out-dir"), help: .hidden)
    var outDirAlias: String?
    var outDir: String { outOption ?? outDirAlias ?? "" }
    @Option(help: "Intensity range mapped to [-1, 1]: 'auto' or 'low,high'.")
    var range: String = "auto"
    @Option(help: "BatchNorm statistics: running or instance (default: the model's recommendation).")
    var normalization: NormalizationMode?
    @Flag(help: "Also write the class probabilities.")
    var probabilities = false
    @Option(help: "Threads.")
    var threads: Int = 1

    func validate() throws {
        guard try resolveOut(outOption, alias: outDirAlias, aliasName: "out-dir") != nil else {
            throw ValidationError("--out is required")
        }
        guard imageFiles.isEmpty != volumeFiles.isEmpty else {
            throw ValidationError("give --image files or --volume (one per model channel), not both")
        }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be in 1...1024, got \(batch)") }
        if let series, series < 1 { throw ValidationError("--series must be 1 or more, got \(series)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        if !volumeFiles.isEmpty { return try segmentVolume() }
        try OutputLocation.checkFolder(outDir, createsParents: true)
        let segmenter = try loadModel(model)
        guard case .segmenter(let config) = segmenter.config else {
            throw CLIError("'\(model)' holds a \(segmenter.config.kind.rawValue); segment needs a segmenter")
        }
        var fixed: (Float, Float)?
        if range != "auto" {
            let parts = range.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[0] < parts[1], parts.allSatisfy(\.isFinite) else {
                throw CLIError("--range must be 'auto' or 'low,high' with low < high, found '\(range)'")
            }
            fixed = (parts[0], parts[1])
        }
        do {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            let session = try segmenter.makeSession(threads: threads)
            let side = config.common.imageSize, channels = config.common.inputChannels
            for file in imageFiles {
                let pages = try TIFFFile.open(path: file).readAll()
                let (height, width) = (pages[0].height, pages[0].width)
                guard pages.reduce(0, { $0 + $1.channels }) == channels,
                      pages.allSatisfy({ $0.height == height && $0.width == width }) else {
                    throw CLIError("'\(file)' has \(pages.reduce(0) { $0 + $1.channels }) channel(s) of \(width)x\(height); the segmenter takes \(channels) (pages of one size)")
                }
                let values = pages.flatMap { $0.floatValues() }
                try ImageSamples.requireFinite(values, width: width, height: height, path: file)
                let (low, high) = fixed ?? percentileRange(values)
                // Any size: padded (or resized) to the model's square and back (SliceFit).
                let fit = SliceFit(height: height, width: width, spacing: (1, 1), side: side)
                let scaled = values.map { min(max(($0 - low) / max(high - low, 1e-6) * 2 - 1, -1), 1) }
                let input = Tensor(shape: [1, channels, side, side], values: try fit.square(scaled, channels: channels))
                let result = try session.segment(input, options: RunOptions(normalization: normalization))
                let back = fit.restore(result.probabilities.values, offset: 0, classes: config.common.outputChannels)
                let labelValues = back.classes.map { config.common.labelValues[$0] }
                let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let labels: PixelData = labelValues.allSatisfy({ (0...255).contains($0) })
                    ? .uint8(labelValues.map { UInt8($0) }) : .uint16(labelValues.map { UInt16(clamping: $0) })
                try TIFFWriter.write(image: try TIFFImage(width: width, height: height, channels: 1, pixels: labels),
                                     to: "\(outDir)/\(stem)-mask.tif", compression: .deflate)
                if probabilities {
                    let plane = height * width
                    let classPages = try (0..<config.common.outputChannels).map { k in
                        try TIFFImage(width: width, height: height, channels: 1,
                                      pixels: .float32(Array(back.probabilities[(k * plane)..<((k + 1) * plane)])))
                    }
                    try TIFFWriter.write(images: classPages, to: "\(outDir)/\(stem)-probabilities.tif", compression: .deflate)
                }
            }
            print("wrote \(imageFiles.count) label map(s) to \(outDir)")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// The 0.5th and 99.5th percentiles.
    func percentileRange(_ values: [Float]) -> (Float, Float) {
        let sorted = values.sorted()
        let low = sorted[Int(Double(sorted.count - 1) * 0.005)], high = sorted[Int(Double(sorted.count - 1) * 0.995)]
        return high > low ? (low, high) : (low, low + 1)
    }
}

extension SegmentCommand {
    /// `--volume`: the whole volume through `VolumeSegmenter`, written as NIfTI.
    func segmentVolume() throws {
        let out = outDir
        let lower = out.lowercased()
        guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else {
            throw CLIError("--out '\(out)' must end in .nii or .nii.gz with --volume")
        }
        try OutputLocation.checkFile(out)
        let stem = lower.hasSuffix(".nii.gz") ? String(out.dropLast(7)) : String(out.dropLast(4))
        let probabilityPath = stem + "-probabilities.nii.gz"
        let segmenter = try loadModel(model)
        do {
            let volumes = try volumeFiles.map { try VolumeReader.read(path: $0, series: series) }
            let engine = try VolumeSegmenter(model: segmenter, plane: plane, threads: threads, batch: batch)
            for note in engine.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            let first = volumes[0]
            let slices = first.sliceCount(NIfTIVolume.Plane(rawValue: engine.preparation.plane)!)
            let bar = ProgressBar(total: slices, label: "segment")
            let result = try engine.segment(volumes, probabilities: probabilities) { done, _ in bar.update(done: done); return true }
            bar.endLine()
            try NIfTIWriter.write(result.labels, to: out, as: result.labels.datatype)
            print("wrote \(out)")
            if let volume = result.probabilities {
                try NIfTIWriter.write(volume, to: probabilityPath, as: .float32)
                print("wrote \(probabilityPath)")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}
