import ArgumentParser

/// The `medaug` command-line tool.
@main
struct Medaug: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medaug",
        abstract: "Synthetic biomedical images (pix2pix GAN) and classic augmentation.",
        version: "0.1.0",
        subcommands: [ModelCommand.self, InspectCommand.self, PrepareCommand.self, AugmentCommand.self, ExpandCommand.self, TrainGANCommand.self, TrainSegmenterCommand.self, GenerateCommand.self, SegmentCommand.self, EvaluateCommand.self, ExperimentCommand.self, RunCommand.self])
}
