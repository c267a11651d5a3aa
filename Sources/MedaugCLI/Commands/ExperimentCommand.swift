import ArgumentParser
import Foundation
import MedaugExperiment
import MedaugImaging

/// `medaug experiment`: the paper's experiment end to end.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run the paper's experiment: 30 real pairs → GAN → 300 pairs → segmenter arms, with a report folder.",
        discussion: """
        Datasets: mni-lesion (default: the MNI152 T1 with one simulated BraTS-style lesion per slice, on the
        real tissue anatomy), mni-tissue (the 4-class tissue map), volumes (your NIfTI volumes: --image per
        modality and subject, --labels per subject, --classes, --label-values, --plane; sliced as
        `medaug prepare` does), or folder (--data: a dataset folder with real train/val/test items).
        Arms (same segmenter, same number of gradient steps): real (the real training pairs), classic (+
        classic augmentation to the target), gan (+ generator-rendered, label-edited pairs: the paper's
        method), gan_gated (gan without the pairs the quality gate drops), and the ablations gan_no_edits
        (generator renders without label edits), gmm (gan's label maps rendered SynthSeg-style, no learned
        model) and paste (another real pair's lesion pasted in, no generator). gan_no_edits and paste need
        lesions (mni-lesion or --regions brats).
        metrics.json's comparisons.<arm>_vs_<classic|real>.<split>.<metric> hold paired differences
        {mean_diff, ci95, p} over seeds and a per-image signed-rank test (per_image).
        Presets: tiny (32x32, about a minute), quick (128x128, the default, 3 seeds), study (quick with 5
        seeds: docs/results.md), paper (256x256, the paper's networks and epochs: hours).
        The report folder gets metrics.json (arms.<arm>.<split>.<metric>), metrics.csv, table.md, config.json,
        pictures/ (synthetic pairs, test overlays, training samples), curves/ (SVG), predictions/ (test label
        maps per arm and seed), weights/ and the data sets (data/, sets/).
        Examples:
          medaug experiment --out out/experiment
          medaug experiment --dataset mni-tissue --preset tiny --out out/tiny
          medaug experiment --dataset folder --data my-dataset --preset quick --out out/mine
          medaug experiment --dataset volumes --image t1.nii.gz --labels seg.nii.gz \\
                            --classes background,core,oedema,enhancing --label-values 0,1,2,4 --out out/brats
        """)

    @Option(help: "mni-lesion, mni-tissue or folder.")
    var dataset: ExperimentDataset = .mniLesion
    @Option(help: "tiny, quick, study (quick with 5 seeds) or paper.")
    var preset: String = "quick"
    @Option(help: "Report folder (created; an existing one is reused and its files replaced).")
    var out: String
    @Option(help: "MNI folder from scripts/fetch-mni.")
    var mni: String = "cache/mni"
    @Option(help: "Dataset folder, for --dataset folder.")
    var data: String?
    @Option(help: "Image volume (NIfTI), for --dataset volumes: each subject's modalities in a row.")
    var image: [String] = []
    @Option(help: "Label volume (NIfTI, stored label values) per subject, for --dataset volumes.")
    var labels: [String] = []
    @Option(help: "Comma-separated class names, for --dataset volumes.")
    var classes: String?
    @Option(help: "Comma-separated stored label values, one per class (default 0, 1, ...), for --dataset volumes.")
    var labelValues: String?
    @Option(help: "Instead of --classes/--label-values, for --dataset volumes: a JSON file of stored label value -> class name, \"*\" for every unlisted value (as medaug prepare --label-map).")
    var labelMap: String?
    @Option(help: "For --dataset volumes: give voxels of the image's label-free foreground without a label this class (as medaug prepare --unlabelled-foreground).")
    var unlabelledForeground: String?
    @Option(name: .customLong("roi"), help: "For --dataset volumes with RT Structure Sets as --labels: ROI NAME=VALUE, repeated, later ones win (as medaug prepare --roi).")
    var rois: [String] = []
    @Option(help: "Slice plane for --dataset volumes: axial, coronal or sagittal.")
    var plane: String = "axial"
    @Option(help: "Seed of the data draw, the GAN and the expansion; segmenter seeds are SEED, SEED+1, ...")
    var seed: UInt64 = 0
    @Option(help: "Segmenter seeds per arm (default: the preset's).")
    var seeds: Int?
    @Option(help: "Comma-separated arms to train (default: every arm the data allow): real, classic, gan, gan_gated, gan_no_edits, gmm, paste. real must be among them.")
    var arms: String?
    @Option(help: "Merged regions to score and compare: none or brats (whole tumour, tumour core, enhancing: label values 1, 2, 4; also the default lesion values for edits and paste). mni-lesion always scores them.")
    var regions: EvaluateCommand.RegionPreset = .none
    @Option(help: "Quality gate: drop generated pairs the real arm's segmenter reads worse than this share of how well it reads real validation images (mean over its learned classes of render Dice ÷ validation Dice).")
    var gateThreshold: Double = 0.8
    @Option(help: "Threads.")
    var threads: Int = 2
    @Flag(help: "Continue the run in --out made by the same command: finished stages (data, GAN, each expansion, each arm and seed) are skipped and a killed training continues from its checkpoint, with the same final numbers.")
    var resume = false

    func validate() throws {
        guard ExperimentPreset.all.contains(where: { $0.name == preset }) else {
            throw ValidationError("--preset must be tiny, quick, study or paper")
        }
        guard (dataset == .folder) == (data != nil) else { throw ValidationError("--data goes with --dataset folder (and only with it)") }
        guard (dataset == .volumes) == !labels.isEmpty, (dataset == .volumes) == (classes != nil || labelMap != nil) else {
            throw ValidationError("--dataset volumes takes --image, --labels and --classes or --label-map (and only it does)")
        }
        guard labelMap == nil || (classes == nil && labelValues == nil) else {
            throw ValidationError("--label-map sets the classes itself (no --classes or --label-values)")
        }
        if let seeds, !(1...20).contains(seeds) { throw ValidationError("--seeds must be in 1...20") }
        guard (0...1).contains(gateThreshold), (1...256).contains(threads) else {
            throw ValidationError("--gate-threshold must be in 0...1 and --threads in 1...256")
        }
    }

    func run() throws {
        try OutputLocation.checkFolder(out, createsParents: true)
        var chosen = ExperimentPreset.all.first { $0.name == preset }!
        if let seeds { chosen.seeds = seeds }
        var config = ExperimentConfig(dataset: dataset, preset: chosen, seed: seed, mniFolder: mni, dataFolder: data)
        if dataset == .volumes, let labelMap {
            do {
                config.volumes = VolumeSource(images: image, labels: labels, labelMap: try LabelValueMap(contentsOf: labelMap),
                                              plane: plane)
            } catch { throw CLIError("\(error)") }
        } else if dataset == .volumes, let classes {
            let names = try parseList(classes, option: "--classes")
            let values = try labelValues.map { try parseIntegers($0, option: "--label-values") } ?? Array(0..<names.count)
            config.volumes = VolumeSource(images: image, labels: labels, classes: names, labelValues: values, plane: plane)
        }
        config.volumes?.unlabelledForeground = unlabelledForeground
        if !rois.isEmpty {
            do { config.volumes?.rois = try rois.map { try ROIValue(parsing: $0) } } catch { throw CLIError("\(error)") }
        }
        if let arms {
            config.arms = try parseList(arms, option: "--arms").map { name in
                guard let arm = ExperimentArm(rawValue: name) else {
                    throw ValidationError("--arms: unknown arm '\(name)' (real, classic, gan, gan_gated, gan_no_edits, gmm, paste)")
                }
                return arm
            }
        }
        config.gateThreshold = gateThreshold
        config.regions = regions == .brats ? "brats" : nil
        config.threads = threads
        let runner = ExperimentRunner(config: config, out: out)
        runner.resume = resume
        var bar: ProgressBar?
        var stage = ""
        let started = Date()
        runner.log = { message in
            bar?.endLine()       // the bar goes on below the message
            FileHandle.standardError.write(Data(String(format: "[%5.0fs] %@\n", Date().timeIntervalSince(started), message).utf8))
        }
        runner.progress = { name, done, total in
            if name != stage || bar == nil {
                bar?.endLine()
                stage = name
                bar = ProgressBar(total: total, label: name)
            }
            bar?.update(done: done)
        }
        do {
            let report = try runner.run()
            bar?.endLine()
            print(report.markdown())
            print("wrote \(out) (metrics.json, metrics.csv, table.md, pictures/, curves/, predictions/, weights/)")
        } catch {
            bar?.endLine()
            throw CLIError("\(error)")
        }
    }
}

extension ExperimentDataset: ExpressibleByArgument {}
