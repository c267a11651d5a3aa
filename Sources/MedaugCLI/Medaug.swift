import ArgumentParser
import MedaugSupport

/// The `medaug` command-line tool.
@main
struct Medaug: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medaug",
        abstract: "Synthetic biomedical images (pix2pix GAN) and classic augmentation.",
        version: "0.3.0",
        subcommands: [ModelCommand.self, InspectCommand.self, PrepareCommand.self, AugmentCommand.self, ExpandCommand.self, TrainGANCommand.self, TrainSegmenterCommand.self, GenerateCommand.self, SegmentCommand.self, EvaluateCommand.self, ExperimentCommand.self, RunCommand.self])

    /// Refuses a `MEDAUG_CPU` this CPU cannot honour before any command runs;
    /// negative option values reach the commands (`joiningNegativeValues`).
    static func main() {
        do {
            try CPUTier.checkEnvironment()
        } catch {
            exit(withError: CLIError("\(error)"))
        }
        main(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
    }
}
