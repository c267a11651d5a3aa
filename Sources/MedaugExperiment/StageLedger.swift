import Foundation

/// The finished stages of a report folder (`stages.json`), so that
/// `medaug experiment --resume` skips them: "data", "gan", "expand <arm>",
/// "segmenter <arm> <k>". A stage is recorded only after its outputs are
/// complete on disk (each is written atomically), so a killed run leaves
/// the ledger true. Stages that are cheap and deterministic (the quality
/// gate, evaluation, checks, pictures) always run again.
/// Safe to use from several threads (the segmenter pool finishes stages
/// concurrently).
final class StageLedger {
    let path: String
    private var finished: Set<String>
    private let lock = NSLock()

    /// Reads the ledger of `folder` when resuming; otherwise starts empty
    /// (and removes an old one: a fresh run redoes everything).
    init(folder: String, resuming: Bool) throws {
        path = folder + "/stages.json"
        if resuming, let data = FileManager.default.contents(atPath: path) {
            guard let stages = try? JSONDecoder().decode([String].self, from: data) else {
                throw ExperimentError.cannotResume("'\(path)' is not a list of stage names; remove it or the report folder")
            }
            finished = Set(stages)
        } else {
            finished = []
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func contains(_ stage: String) -> Bool { lock.withLock { finished.contains(stage) } }

    /// Records `stage` as finished (written atomically).
    func finish(_ stage: String) throws {
        try lock.withLock {
            finished.insert(stage)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted]
            try encoder.encode(finished.sorted()).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}

/// Why an experiment cannot run.
public enum ExperimentError: Error, CustomStringConvertible {
    /// `--resume` on a folder that is not a run of the same configuration.
    case cannotResume(String)
    /// A stage cannot run because one it depends on failed.
    case stageFailed(String)
    /// The configuration asks for something the data cannot give.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .cannotResume(let message): return "cannot resume: \(message)"
        case .stageFailed(let message): return "stage failed: \(message)"
        case .invalidConfiguration(let message): return message
        }
    }
}

extension ExperimentRunner {
    /// The stage name of segmenter seed `k` of `arm`.
    static func segmenterStage(_ arm: ExperimentArm, _ k: Int) -> String { "segmenter \(arm.rawValue) \(k)" }

    /// Checks that `out` holds a run of this very configuration.
    func checkResumable() throws {
        guard let stored = FileManager.default.contents(atPath: out + "/config.json") else {
            throw ExperimentError.cannotResume("'\(out)' has no config.json (no earlier run to continue)")
        }
        guard stored == (try encodedConfig()) else {
            throw ExperimentError.cannotResume(
                "'\(out)/config.json' was written by another configuration (dataset, preset, seed, options); run the same command, or drop --resume to start over")
        }
    }

    /// config.json's bytes.
    func encodedConfig() throws -> Data { try ExperimentReport.encodeJSON(config) }

    /// Reads a JSON file written by `write(json:to:)`.
    func read<T: Decodable>(json type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExperimentError.cannotResume("'\(path)' is missing although stages.json lists its stage")
        }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ExperimentError.cannotResume("'\(path)' is unreadable: \(error)")
        }
    }
}
