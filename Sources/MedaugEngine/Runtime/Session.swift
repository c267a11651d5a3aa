import Foundation
import MedaugKernels
import MedaugSupport
import MedaugModels

/// Per-call choices for `Session.run`.
public struct RunOptions: Sendable {
    /// BatchNorm statistics; nil uses the mode the model file recommends.
    public var normalization: NormalizationMode?
    /// Dropout on (seeded) or off; nil uses the model file's recommendation.
    public var dropout: Bool?
    /// Keys the dropout masks: the same seed gives bitwise the same output
    /// at a given thread count.
    public var seed: UInt64
    /// Also return every block output (docs/weights-format.md names).
    public var keepBlockOutputs: Bool
    /// Run the optimisation passes (false: the unfused reference graph).
    public var optimize: Bool

    public init(normalization: NormalizationMode? = nil, dropout: Bool? = nil, seed: UInt64 = 0,
                keepBlockOutputs: Bool = false, optimize: Bool = true) {
        self.normalization = normalization
        self.dropout = dropout
        self.seed = seed
        self.keepBlockOutputs = keepBlockOutputs
        self.optimize = optimize
    }
}

/// What a run returns.
public struct RunResult: Sendable {
    public var output: Tensor
    /// Block outputs by name, when asked for.
    public var blockOutputs: [String: Tensor]
}

/// Runs a model with its own arena and thread count.
///
/// Thread-safety: one thread at a time per session; any number of sessions
/// may run concurrently on one shared model (the GEMMs are split by the
/// session itself on single-threaded OpenBLAS calls, so sessions do not fight
/// over OpenBLAS's process-wide thread count).
public final class Session: @unchecked Sendable {
    public let model: Model
    public let threads: Int
    /// Spinning workers for this session's parallel regions.
    private let pool: WorkerPool

    private var arena: UnsafeMutableRawPointer?
    private var arenaCapacity = 0
    private var plans: [PlanKey: ExecutionPlan] = [:]
    /// The plan of the last run (sizes for reports).
    public private(set) var lastPlan: ExecutionPlan?

    struct PlanKey: Hashable {
        var graph: Model.GraphKey
        var batch: Int
        var keepAll: Bool
    }

    /// Largest batch a single call accepts (protects the host from a request
    /// that would need an enormous arena).
    public static let maxBatch = 1024

    /// Largest arena a session may plan, in bytes (default 8 GiB): a call
    /// that would need more is refused before anything is allocated.
    public var maxArenaBytes = 8 << 30

    init(model: Model, threads: Int) throws {
        guard (1...256).contains(threads) else {
            throw EngineError.invalidArgument("threads is \(threads), expected 1...256")
        }
        self.model = model
        self.threads = threads
        pool = WorkerPool(threads: threads)
    }

    deinit { arena?.deallocate() }

    /// Bytes of the arena the last run used, and the lower bound for it.
    public var arenaBytes: Int { lastPlan?.arena.totalBytes ?? 0 }
    public var arenaLowerBoundBytes: Int { lastPlan?.arena.lowerBoundBytes ?? 0 }

    /// Runs the network on `input` ([N, C, H, W] with C, H, W as the model's
    /// input).
    /// - Throws: `EngineError.shapeMismatch` for a wrong shape,
    ///   `.nonFiniteInput` for NaN/∞ values.
    public func run(_ input: Tensor, options: RunOptions = RunOptions()) throws -> RunResult {
        let common = model.config.common
        let expected = [common.inputChannels, common.imageSize, common.imageSize]
        guard input.shape.count == 4, Array(input.shape[1...]) == expected else {
            throw EngineError.shapeMismatch(what: "input shape", expected: "[N, \(expected.map(String.init).joined(separator: ", "))]",
                                            found: "\(input.shape)")
        }
        let batch = input.shape[0]
        guard (1...Session.maxBatch).contains(batch) else {
            throw EngineError.invalidArgument("batch is \(batch), expected 1...\(Session.maxBatch)")
        }
        guard input.values.count == input.shape.reduce(1, *) else {
            throw EngineError.shapeMismatch(what: "input values", expected: "\(input.shape.reduce(1, *))", found: "\(input.values.count)")
        }
        if let bad = input.values.firstIndex(where: { !$0.isFinite }) {
            throw EngineError.nonFiniteInput(index: bad, value: input.values[bad])
        }
        let graphKey = Model.GraphKey(normalization: options.normalization ?? common.inference.normalization,
                                      dropout: options.dropout ?? common.inference.dropout,
                                      optimize: options.optimize)
        let graph = model.graph(for: graphKey)
        let planKey = PlanKey(graph: graphKey, batch: batch, keepAll: options.keepBlockOutputs)
        let plan = plans[planKey] ?? ExecutionPlan(graph: graph, batch: batch, keepAll: options.keepBlockOutputs, threads: threads)
        guard plan.arena.totalBytes <= maxArenaBytes else {
            throw EngineError.invalidArgument(
                "batch \(batch) needs a \(describeBytes(plan.arena.totalBytes)) arena, over this session's limit of \(describeBytes(maxArenaBytes)); use smaller batches")
        }
        plans[planKey] = plan
        lastPlan = plan
        let base = reserve(plan.arena.totalBytes)
        let executor = Executor(graph: graph, plan: plan, arena: base, batch: batch, seed: options.seed, threads: threads)
        input.values.withUnsafeBufferPointer { source in
            let perImage = graph.shapes[graph.input].elementsPerImage
            for n in 0..<batch {
                executor.pointer(graph.input, image: n).update(from: source.baseAddress! + n * perImage, count: perImage)
            }
        }
        pool.withCurrent { executor.run() }
        var blocks: [String: Tensor] = [:]
        if options.keepBlockOutputs {
            for (name, value) in graph.blockOutputs { blocks[name] = read(value, executor: executor) }
        }
        return RunResult(output: read(graph.output, executor: executor), blockOutputs: blocks)
    }

    private func read(_ value: ValueID, executor: Executor) -> Tensor {
        let shape = executor.graph.shapes[value]
        var values = [Float](repeating: 0, count: executor.batch * shape.elementsPerImage)
        values.withUnsafeMutableBufferPointer { out in
            for n in 0..<executor.batch {
                (out.baseAddress! + n * shape.elementsPerImage)
                    .update(from: executor.pointer(value, image: n), count: shape.elementsPerImage)
            }
        }
        return Tensor(shape: [executor.batch, shape.channels, shape.height, shape.width], values: values)
    }

    /// The arena, grown (once per larger plan) to at least `bytes`.
    private func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if let arena, arenaCapacity >= bytes { return arena }
        arena?.deallocate()
        arena = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: ArenaPlanner.alignment)
        arenaCapacity = max(bytes, 64)
        return arena!
    }
}
