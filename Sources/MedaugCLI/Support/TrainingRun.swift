import ArgumentParser
import Foundation
import MedaugKernels
import MedaugImaging
import MedaugExperiment
import MedaugSupport
import MedaugTrainer

/// Options both training commands share: where the checkpoint goes and
/// whether to continue from it.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Checkpoint written after every epoch (weights, Adam moments, shuffle state, history; default: next to --out as NAME.checkpoint.safetensors).")
    var checkpoint: String?
    @Flag(help: "Continue from the checkpoint if it exists (same data, seed, batch and network; ends with the weights an uninterrupted run gets). Without one, starts from scratch.")
    var resume = false

    /// The checkpoint path for weights written to `out`.
    func path(out: String) -> String {
        if let checkpoint { return checkpoint }
        let stem = out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out
        return stem + ".checkpoint.safetensors"
    }
}

/// The validation split of a dataset folder, or nil when the manifest has
/// no real (not synthetic) validation items. Unreadable validation files are
/// errors, not a silent run without validation.
func loadValidationPairs(folder: String) throws -> TrainingPairs? {
    let manifest: DatasetManifest
    do { manifest = try DatasetManifest.read(folder: folder) } catch { throw CLIError("\(error)") }
    guard manifest.items.contains(where: { $0.split == .val && !$0.synthetic }) else { return nil }
    return try TrainingPairs.load(folder: folder, split: .val, includeSynthetic: false)
}

/// Restores a run from its checkpoint when `--resume` is given and the file
/// exists, and rewrites the JSON-lines log with the restored epochs so the
/// log reads as one run. Returns the number of epochs already done.
func resumeIfAsked<Record: Encodable>(_ options: CheckpointOptions, checkpoint: String, log: JSONLinesLog?,
                                      restore: (String) throws -> [Record]) throws -> Int {
    guard options.resume else { return 0 }
    guard FileManager.default.fileExists(atPath: checkpoint) else {
        FileHandle.standardError.write(Data("no checkpoint at '\(checkpoint)': starting from the first epoch\n".utf8))
        return 0
    }
    let restored = try restore(checkpoint)
    for record in restored { log?.append(record) }
    FileHandle.standardError.write(Data("resumed from '\(checkpoint)' after epoch \(restored.count)\n".utf8))
    return restored.count
}

/// Prints `times` (milliseconds per training step) as `{"ms_per_step": [...],
/// "cpu_tier": ..., "blas": ...}` for `scripts/bench train` ("blas" names
/// OpenBLAS's kernels and how they were chosen: they do most of a step).
func printStepTimes(_ times: [Double]) throws {
    let report: [String: Any] = ["ms_per_step": times, "cpu_tier": CPUTier.current.rawValue,
                                 "blas": Gemm.backendDescription]
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Where the pictures at the end of training go.
struct PictureOptions: ParsableArguments {
    @Option(help: "PNG grid of validation samples written at the end (default: next to --out as NAME.samples.png).")
    var samples: String?
    @Option(help: "SVG plot of the per-epoch losses written at the end (default: next to --out as NAME.curves.svg).")
    var curves: String?
    @Option(help: "Validation pairs shown in the sample grid.")
    var sampleCount: Int = 4

    func validate() throws {
        guard (1...64).contains(sampleCount) else { throw ValidationError("--sample-count must be in 1...64") }
    }

    func paths(out: String) -> (samples: String, curves: String) {
        let stem = out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out
        return (samples ?? stem + ".samples.png", curves ?? stem + ".curves.svg")
    }
}

/// Writes the GAN's pictures next to `out` (or where the options say).
func writeGANPictures(_ training: GANTraining, options: PictureOptions, out: String) throws -> [String] {
    let (samples, curves) = options.paths(out: out)
    try TrainingPictures.writeGAN(training, samples: samples, curves: curves, count: options.sampleCount)
    return [samples + " (rows: mask | real | generated)", curves]
}

/// Writes the segmenter's pictures next to `out` (or where the options say).
func writeSegmenterPictures(_ training: SegmenterTraining, options: PictureOptions, out: String) throws -> [String] {
    let (samples, curves) = options.paths(out: out)
    try TrainingPictures.writeSegmenter(training, samples: samples, curves: curves, count: options.sampleCount)
    return [samples + " (rows: image | truth | prediction)", curves]
}

