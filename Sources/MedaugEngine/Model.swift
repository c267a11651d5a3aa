import MedaugSupport
import Foundation
import MedaugModels

/// A loaded model: its configuration and weights, plus the optimised graphs
/// built from them, one per inference mode, on first use.
///
/// Thread-safety: immutable apart from the graph cache, which is locked; one
/// model may be shared by any number of sessions on any threads.
public final class Model: @unchecked Sendable {
    public let file: ModelFile
    public var config: ModelConfig { file.config }

    private let lock = NSLock()
    private var graphs: [GraphKey: Graph] = [:]

    /// Which compiled graph: normalisation, dropout, whether passes ran, and
    /// the CPU tier the passes chose kernels for (a test may force another).
    struct GraphKey: Hashable {
        var normalization: NormalizationMode
        var dropout: Bool
        var optimize: Bool
        var tier: CPUTier = .current
    }

    /// Opens and validates a model file, its weights copied into memory so
    /// that later changes to the file cannot reach them (`.map` maps it
    /// instead: no copy, but see `SafetensorsFile.Loading`).
    /// - Throws: `EngineError.model` saying what is wrong with the file.
    public convenience init(path: String, loading: SafetensorsFile.Loading = .copy) throws {
        do {
            self.init(file: try ModelFile(path: path, loading: loading))
        } catch let error as ModelError {
            throw EngineError.model(error)
        }
    }

    public init(file: ModelFile) {
        self.file = file
    }

    /// A new session running this model on `threads` threads. Throws
    /// `CPUTierError` when `MEDAUG_CPU` asks for a tier this CPU lacks.
    public func makeSession(threads: Int = 1) throws -> Session {
        try CPUTier.checkEnvironment()
        return try Session(model: self, threads: threads)
    }

    /// The graph for a mode, built and optimised on first use.
    func graph(for key: GraphKey, verbose: Bool = false) -> Graph {
        lock.lock()
        defer { lock.unlock() }
        if let graph = graphs[key] { return graph }
        var graph = GraphBuilder.build(file, batchNormUse: key.normalization == .running ? .running : .instance)
        Pipeline.run(&graph, options: .init(dropout: key.dropout, optimize: key.optimize, verbose: verbose))
        graphs[key] = graph
        return graph
    }

    /// The optimised graph's listing for a mode (what `--print-plan` shows).
    public func graphListing(normalization: NormalizationMode, dropout: Bool, optimize: Bool = true,
                             verbose: Bool = false) -> String {
        if verbose {
            // Rebuild outside the cache so the passes run (and log) again.
            var graph = GraphBuilder.build(file, batchNormUse: normalization == .running ? .running : .instance)
            Pipeline.run(&graph, options: .init(dropout: dropout, optimize: optimize, verbose: true))
            return graph.listing
        }
        return graph(for: GraphKey(normalization: normalization, dropout: dropout, optimize: optimize)).listing
    }
}
