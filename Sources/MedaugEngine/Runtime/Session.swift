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
    /// whose single image would need more is refused before anything is
    /// allocated (batches run in passes that fit it, `imagesPerPass`).
    public var maxArenaBytes = 8 << 30

    /// Arena a batch may use at once, in bytes (default 96 MiB): a batch
    /// runs in passes of as many images as fit, at least one
    /// (`imagesPerPass`), with bitwise the same outputs.
    public var arenaBudgetBytes = 96 << 20

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
        let perPass = try imagesPerPass(batch: batch, graph: graph, key: graphKey, keepAll: options.keepBlockOutputs)
        let inputPerImage = graph.shapes[graph.input].elementsPerImage
        var output = Tensor(shape: graph.shapes[graph.output].batchShape(batch), values: [])
        output.values.reserveCapacity(batch * graph.shapes[graph.output].elementsPerImage)
        var blocks: [String: Tensor] = [:]
        for first in stride(from: 0, to: batch, by: perPass) {
            let count = min(perPass, batch - first)
            let plan = try plan(graph: graph, key: graphKey, batch: count, keepAll: options.keepBlockOutputs)
            if first == 0 { lastPlan = plan }      // the largest pass
            let executor = Executor(graph: graph, plan: plan, arena: reserve(plan.arena.totalBytes), batch: count,
                                    firstImage: first, seed: options.seed, threads: threads)
            input.values.withUnsafeBufferPointer { source in
                for n in 0..<count {
                    executor.pointer(graph.input, image: n).update(from: source.baseAddress! + (first + n) * inputPerImage,
                                                                   count: inputPerImage)
                }
            }
            pool.withCurrent { executor.run() }
            append(graph.output, executor: executor, to: &output.values)
            if options.keepBlockOutputs {
                for (name, value) in graph.blockOutputs {
                    var tensor = blocks[name] ?? Tensor(shape: graph.shapes[value].batchShape(batch), values: [])
                    append(value, executor: executor, to: &tensor.values)
                    blocks[name] = tensor
                }
            }
        }
        return RunResult(output: output, blockOutputs: blocks)
    }

    /// How many images of a batch run at once: as many as fit
    /// `arenaBudgetBytes` and `maxArenaBytes` (at least one), so a large batch does not need a
    /// large arena. An image's output does not depend on the other images
    /// of its pass (the kernels compute every image alike; dropout masks
    /// are keyed by the image's index in the whole batch), so the passes
    /// change nothing but memory and speed.
    ///
    /// Measured (release, 2 threads, avx512, `scripts/bench engine`): the
    /// batch of 8 in one pass gained at most 4 % per image over batch 1 on
    /// generator-256 and segmenter-256, and cost an arena 3.8 times larger
    /// (149 MB against 39 MB on the generator), which put medaug's peak RSS
    /// above ncnn's (that runs images one by one).
    ///
    /// Why the budget is 96 MiB (`medaug run --random-input 8 --repeat 15`,
    /// ten alternating rounds, 2026-12-05): generator-256 then runs two
    /// images per pass (a 52 MB arena): its layers of 1×1 to 8×8 pixels
    /// stream their weights once per pass, not once per image (up.1 0.68 →
    /// 0.40 ms per image, up.2 0.98 → 0.80, up.3 2.65 → 2.52), while the
    /// grouped columns of the larger layers still fit the cache; 22.7 →
    /// 21.3 ms per image (median), peak RSS 320 → 330 MiB. Three or four
    /// images per pass (67, 82 MB) were no faster and cost 26–30 MiB more;
    /// segmenter-256 (49 MB for one image) keeps one, and two gained
    /// nothing there. Measured again in one process, the budget switching
    /// from run to run (2026-12-06, 24 runs of each, twice): four images
    /// per pass 1.5–2.7% faster per image, all eight 2.7–3.6% (5% in one
    /// further run), for a peak RSS of 360 and 431 MiB against 331 (ncnn,
    /// the leanest other engine, peaks at about 375 MiB in `scripts/bench
    /// engine`): fewer passes stream the weights fewer times, but a few
    /// percent did not seem worth most of the margin on peak RSS.
    func imagesPerPass(batch: Int, graph: Graph, key: Model.GraphKey, keepAll: Bool) throws -> Int {
        guard batch > 1 else { return 1 }
        let single = try plan(graph: graph, key: key, batch: 1, keepAll: keepAll)
        return max(1, min(batch, min(arenaBudgetBytes, maxArenaBytes) / max(1, single.arena.totalBytes)))
    }

    /// The plan for `batch` images at once (made once per size), refused
    /// when its arena is over `maxArenaBytes`.
    private func plan(graph: Graph, key: Model.GraphKey, batch: Int, keepAll: Bool) throws -> ExecutionPlan {
        let planKey = PlanKey(graph: key, batch: batch, keepAll: keepAll)
        let plan = plans[planKey] ?? ExecutionPlan(graph: graph, batch: batch, keepAll: keepAll, threads: threads)
        guard plan.arena.totalBytes <= maxArenaBytes else {
            throw EngineError.invalidArgument(
                "batch \(batch) needs a \(describeBytes(plan.arena.totalBytes)) arena, over this session's limit of \(describeBytes(maxArenaBytes)); use smaller batches")
        }
        plans[planKey] = plan
        return plan
    }

    /// Appends every image of `value` in this pass to `values`.
    private func append(_ value: ValueID, executor: Executor, to values: inout [Float]) {
        let perImage = executor.graph.shapes[value].elementsPerImage
        for n in 0..<executor.batch {
            values.append(contentsOf: UnsafeBufferPointer(start: executor.pointer(value, image: n), count: perImage))
        }
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
