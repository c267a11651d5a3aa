import Foundation
import MedaugModels

/// A resumable training state in one safetensors file: every network's
/// tensors (running statistics included) and its Adam moments, plus, in
/// `__metadata__["medaug_checkpoint"]`, the loop's state as JSON: epochs
/// done, recipe steps (they key the dropout masks), each Adam's step count,
/// the shuffle generator's state, the best validation criterion so far, the
/// per-epoch history, and what the run was started with (configurations,
/// seed, batch size, data counts) so a resume with other settings is
/// refused instead of silently mixing two runs.
///
/// Tensor names: `<network>/<tensor>` for values, `<network>.adam_m/<tensor>`
/// and `<network>.adam_v/<tensor>` for the moments, where `<network>` is
/// `generator`, `discriminator` or `segmenter` and `<tensor>` the weights
/// file's name (docs/weights-format.md).
///
/// Written at the end of each epoch through `AtomicFile` (temporary file,
/// fsync, rename): a process killed at any moment leaves the previous
/// checkpoint or the new one, never a partial file.
struct TrainingCheckpoint<Record: Codable & Sendable>: Codable {
    static var metadataKey: String { "medaug_checkpoint" }

    /// One network and its optimiser, under a name.
    struct Part {
        var name: String
        var network: TrainableNetwork
        var optimizer: Adam
    }

    /// What the run was started with; a resume must match it.
    struct RunIdentity: Codable, Equatable {
        var recipe: String
        var configs: [String: String]
        var seed: String
        var batchSize: Int
        var trainCount: Int
        var validationCount: Int
    }

    var format = "medaug-checkpoint"
    var version = 1
    var identity: RunIdentity
    var epochsDone: Int
    var recipeSteps: Int
    var adamSteps: [String: Int]
    /// `ShuffleRandom.state` as a decimal string (JSON numbers lose 64-bit
    /// integers above 2^53).
    var shuffleState: String
    /// The lowest criterion so far; nil before the first save.
    var best: Double?
    /// Threads of the run that wrote it: bitwise-equal resumption is
    /// promised for the same thread count.
    var threads: Int
    var history: [Record]

    /// The identity of a run over `parts` with these settings.
    static func identity(recipe: String, parts: [Part], seed: UInt64, batchSize: Int, train: TrainingPairs,
                         validation: TrainingPairs?) -> RunIdentity {
        var configs: [String: String] = [:]
        for part in parts {
            var config = part.network.modelConfig
            config.setInference(InferenceMode(normalization: .running, dropout: false))
            configs[part.name] = config.jsonString()
        }
        return RunIdentity(recipe: recipe, configs: configs, seed: String(seed), batchSize: batchSize,
                           trainCount: train.count, validationCount: validation?.count ?? 0)
    }

    /// Writes this state and the current values and moments of `parts` to
    /// `path`, atomically.
    func write(parts: [Part], to path: String) throws {
        var tensors: [SafetensorsWriter.Tensor] = []
        for part in parts {
            let state = part.optimizer.exportState()
            for parameter in part.network.parameters {
                tensors.append(.init(name: "\(part.name)/\(parameter.name)", shape: parameter.shape,
                                     values: parameter.values()))
                if let m = state.firstMoments[parameter.name], let v = state.secondMoments[parameter.name] {
                    tensors.append(.init(name: "\(part.name).adam_m/\(parameter.name)", shape: parameter.shape, values: m))
                    tensors.append(.init(name: "\(part.name).adam_v/\(parameter.name)", shape: parameter.shape, values: v))
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .throw
        let json = String(decoding: try encoder.encode(self), as: UTF8.self)
        try SafetensorsWriter.write(tensors, metadata: [Self.metadataKey: json], to: path)
    }

    /// Reads the checkpoint at `path`, checks it belongs to a run with
    /// `identity`, and restores every part's values and Adam state.
    /// - Throws: `TrainerError.invalidArgument` naming the file and what
    ///   differs; `ModelError` if the file is not a valid safetensors file.
    static func restore(from path: String, identity: RunIdentity, parts: [Part]) throws -> TrainingCheckpoint {
        let file = try SafetensorsFile(path: path)
        guard let json = file.metadata[metadataKey] else {
            throw TrainerError.invalidArgument("'\(path)' is not a medaug training checkpoint (no \(metadataKey) metadata)")
        }
        let checkpoint: TrainingCheckpoint
        do {
            checkpoint = try JSONDecoder().decode(TrainingCheckpoint.self, from: Data(json.utf8))
        } catch {
            throw TrainerError.invalidArgument("'\(path)': unreadable checkpoint state (\(error))")
        }
        guard checkpoint.format == "medaug-checkpoint", checkpoint.version == 1 else {
            throw TrainerError.invalidArgument("'\(path)': checkpoint format \(checkpoint.format) version \(checkpoint.version) is not supported")
        }
        if checkpoint.identity != identity {
            throw TrainerError.invalidArgument("'\(path)' was written by another run: "
                                               + describeDifference(checkpoint.identity, identity))
        }
        // Step counts bounded as Adam's are: a hostile Int.max would trap in the next step's `+= 1`.
        guard checkpoint.epochsDone >= 0, (0...Adam.maxStep).contains(checkpoint.recipeSteps),
              checkpoint.history.count == checkpoint.epochsDone, UInt64(checkpoint.shuffleState) != nil else {
            throw TrainerError.invalidArgument("'\(path)': inconsistent checkpoint state")
        }
        for part in parts {
            var first: [String: [Float]] = [:], second: [String: [Float]] = [:]
            for parameter in part.network.parameters {
                let name = "\(part.name)/\(parameter.name)"
                guard let values = file.floatArray(name), file.entries[name]?.shape == parameter.shape else {
                    throw TrainerError.invalidArgument("'\(path)' has no F32 tensor '\(name)' of shape \(parameter.shape)")
                }
                try parameter.load(values)
                guard parameter.isTrainable else { continue }
                guard let m = file.floatArray("\(part.name).adam_m/\(parameter.name)"),
                      let v = file.floatArray("\(part.name).adam_v/\(parameter.name)") else {
                    throw TrainerError.invalidArgument("'\(path)' has no Adam moments for '\(name)'")
                }
                first[parameter.name] = m
                second[parameter.name] = v
            }
            guard let step = checkpoint.adamSteps[part.name] else {
                throw TrainerError.invalidArgument("'\(path)' has no Adam step count for the \(part.name)")
            }
            try part.optimizer.restore(AdamState(step: step, firstMoments: first, secondMoments: second))
        }
        return checkpoint
    }

    private static func describeDifference(_ stored: RunIdentity, _ current: RunIdentity) -> String {
        if stored.recipe != current.recipe { return "it trains a \(stored.recipe), this run a \(current.recipe)" }
        if stored.seed != current.seed { return "seed \(stored.seed), this run \(current.seed)" }
        if stored.batchSize != current.batchSize { return "batch size \(stored.batchSize), this run \(current.batchSize)" }
        if stored.trainCount != current.trainCount || stored.validationCount != current.validationCount {
            return "\(stored.trainCount) train and \(stored.validationCount) validation pairs, this run "
                + "\(current.trainCount) and \(current.validationCount)"
        }
        for (name, config) in stored.configs.sorted(by: { $0.key < $1.key }) where current.configs[name] != config {
            return "its \(name) is \(config), this run's \(current.configs[name] ?? "absent")"
        }
        return "different settings"
    }
}

/// What both training loops carry from epoch to epoch, and what their
/// checkpoints save and restore: the history, the shuffle generator and the
/// best validation criterion.
struct TrainingLoopState<Record: Codable & Sendable> {
    var history: [Record] = []
    var random: ShuffleRandom
    var best = Double.infinity

    init(random: ShuffleRandom) { self.random = random }

    /// The paper's rule: whether this epoch's weights are saved as the best
    /// (its criterion beats every earlier one, or always without validation).
    mutating func isNewBest(_ criterion: Double, hasValidation: Bool) -> Bool {
        guard !hasValidation || criterion < best else { return false }
        best = criterion
        return true
    }

    /// Restores the state and `parts` from the checkpoint at `path`; returns
    /// the recipe's step count (it keys the dropout masks).
    mutating func restore(from path: String, identity: TrainingCheckpoint<Record>.RunIdentity,
                          parts: [TrainingCheckpoint<Record>.Part]) throws -> Int {
        let checkpoint = try TrainingCheckpoint<Record>.restore(from: path, identity: identity, parts: parts)
        random.state = UInt64(checkpoint.shuffleState)!
        best = checkpoint.best ?? .infinity
        history = checkpoint.history
        return checkpoint.recipeSteps
    }

    /// Writes this state and `parts` (values, Adam moments and step counts)
    /// as a checkpoint at `path`.
    func write(to path: String, identity: TrainingCheckpoint<Record>.RunIdentity, recipeSteps: Int, threads: Int,
               parts: [TrainingCheckpoint<Record>.Part]) throws {
        let checkpoint = TrainingCheckpoint(
            identity: identity, epochsDone: history.count, recipeSteps: recipeSteps,
            adamSteps: Dictionary(uniqueKeysWithValues: parts.map { ($0.name, $0.optimizer.step) }),
            shuffleState: String(random.state), best: best.isFinite ? best : nil, threads: threads, history: history)
        try checkpoint.write(parts: parts, to: path)
    }
}
