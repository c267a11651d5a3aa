import MedaugReports
import MedaugTrainer

/// What training leaves for people to look at: a PNG grid of validation
/// samples and an SVG of the per-epoch losses.
public enum TrainingPictures {
    /// The GAN's pictures: rows of (mask | real | generated) for `count`
    /// validation pairs at `samples` (PNG), the losses (and, when given, the
    /// validation render quality per epoch) at `curves` (SVG).
    public static func writeGAN(_ training: GANTraining, samples samplesPath: String, curves curvesPath: String,
                                count: Int = 4, quality: [RenderQuality] = []) throws {
        let samples = try training.samples(count: count)
        var grid = try SampleGrid(columns: 3, side: samples.first?.side ?? 1)
        for sample in samples {
            try grid.addRow([.labels(sample.labels), .image(sample.real, range: -1...1), .image(sample.generated, range: -1...1)])
        }
        try grid.writePNG(to: samplesPath)
        let history = training.history
        let qualityPanels: [LineChart.Panel] = quality.isEmpty ? [] : [
            .init(title: "validation render PSNR (dB, median)", series: [.init(name: "psnr", values: quality.map(\.psnr))]),
            .init(title: "validation render SSIM (median)", series: [.init(name: "ssim", values: quality.map(\.ssim))]),
        ]
        try LineChart(title: "pix2pix training (\(history.count) epochs)", panels: qualityPanels + [
            .init(title: "L1(G(x), y)", series: [.init(name: "train", values: history.map(\.l1)),
                                                  .init(name: "validation", values: history.map(\.valLoss))]),
            .init(title: "discriminator: BCE(D(x,y),1) + BCE(D(x,G(x)),0)",
                  series: [.init(name: "d_loss", values: history.map(\.dLoss))]),
            .init(title: "generator: BCE(D(x,G(x)),1) + α·L1", series: [.init(name: "g_loss", values: history.map(\.gLoss))]),
        ]).write(to: curvesPath)
    }

    /// The segmenter's pictures: rows of (image | truth | prediction) and the curves.
    public static func writeSegmenter(_ training: SegmenterTraining, samples samplesPath: String, curves curvesPath: String,
                                      count: Int = 4) throws {
        let samples = try training.samples(count: count)
        var grid = try SampleGrid(columns: 3, side: samples.first?.side ?? 1)
        for sample in samples {
            let finite = sample.image.filter(\.isFinite)
            let low = finite.min() ?? 0, high = max(finite.max() ?? 1, low + 1e-6)
            try grid.addRow([.image(sample.image, range: low...high), .labels(sample.truth), .labels(sample.predicted)])
        }
        try grid.writePNG(to: samplesPath)
        let history = training.history
        try LineChart(title: "segmenter training (\(history.count) epochs)", panels: [
            .init(title: "loss: cross-entropy + soft Dice", series: [.init(name: "train", values: history.map(\.loss)),
                                                                     .init(name: "validation", values: history.map(\.valLoss))]),
            .init(title: "validation foreground Dice", series: [.init(name: "val_dice", values: history.map(\.valDice))]),
        ]).write(to: curvesPath)
    }
}
