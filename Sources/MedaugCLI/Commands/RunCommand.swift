import ArgumentParser
import Dispatch
import Foundation
import MedaugEngine
import MedaugKernels
import MedaugSupport
import MedaugModels

/// `medaug run`: run a network on raw NCHW tensors (safetensors in and out),
/// for checking against other frameworks and for timing.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on a raw NCHW float32 tensor and save the output.",
        discussion: """
        The input file holds tensor "input" [N, C, H, W]; the output file gets tensor "out" and,
        with --all-layers, every block output under its name (docs/weights-format.md).
        Examples:
          medaug run --model g.safetensors --input x.safetensors --out y.safetensors
          medaug run --model g.safetensors --random-input 8 --repeat 10 --threads 2 --json
        """)

    @Option(help: "Model file (.safetensors).")
    var model: String
    @Option(help: "Input safetensors file with tensor \"input\" [N, C, H, W].")
    var input: String?
    @Option(help: "Instead of --input, a random input batch of this size (one-hot labels for generators).")
    var randomInput: Int?
    @Option(name: .customLong("out"), help: "Output safetensors file.")
    var outOption: String?
    @Option(name: .customLong("output"), help: .hidden)
    var outputAlias: String?
    var output: String? { outOption ?? outputAlias }
    @Option(help: "BatchNorm statistics: running or instance (default: the model's recommendation).")
    var normalization: NormalizationMode?
    @Option(help: "Dropout: on or off (default: the model's recommendation).")
    var dropout: Switch?
    @Option(help: "Seed of the dropout masks.")
    var seed: UInt64 = 0
    @Option(help: "Threads for this session.")
    var threads: Int = 1
    @Flag(help: "Also write every block output.")
    var allLayers = false
    @Flag(help: "Run the unfused reference graph (no optimisation passes).")
    var unoptimized = false
    @Option(name: .customLong("repeat"), help: "Run this many times and report timing.")
    var repeats: Int = 1
    @Flag(help: "Print timing and arena sizes as JSON.")
    var json = false
    @Flag(help: "Also measure this machine's OpenBLAS sgemm peak on --threads threads.")
    var measureSgemm = false
    @Flag(help: "Print the arena plan (buffers, offsets, scratch) after the run.")
    var printPlan = false

    enum Switch: String, ExpressibleByArgument { case on, off }

    func validate() throws {
        _ = try resolveOut(outOption, alias: outputAlias, aliasName: "output")
        guard (input == nil) != (randomInput == nil) else { throw ValidationError("give exactly one of --input and --random-input") }
        guard (1...10_000).contains(repeats) else { throw ValidationError("--repeat must be in 1...10000") }
        if let randomInput, !(1...Session.maxBatch).contains(randomInput) {
            throw ValidationError("--random-input must be in 1...\(Session.maxBatch)")
        }
    }

    func run() throws {
        if let output { try OutputLocation.checkFile(output) }
        let loaded = try loadModel(model)
        let tensor = try input.map(readInput) ?? randomTensor(for: loaded.config, batch: randomInput!)
        let session: Session
        do { session = try loaded.makeSession(threads: threads) } catch { throw CLIError("\(error)") }
        let options = RunOptions(normalization: normalization, dropout: dropout.map { $0 == .on }, seed: seed,
                                 keepBlockOutputs: allLayers, optimize: !unoptimized)
        var times: [Double] = []
        var result: RunResult?
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            do { result = try session.run(tensor, options: options) } catch { throw CLIError("\(error)") }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        if let output, let result {
            var tensors = [SafetensorsWriter.Tensor(name: "out", shape: result.output.shape, values: result.output.values)]
            for name in result.blockOutputs.keys.sorted() where name != "out" {
                let t = result.blockOutputs[name]!
                tensors.append(.init(name: name, shape: t.shape, values: t.values))
            }
            do { try SafetensorsWriter.write(tensors, metadata: [:], to: output) } catch { throw CLIError("\(error)") }
        }
        if printPlan, let plan = session.lastPlan {
            let mode = loaded.config.common.inference
            print(loaded.graphListing(normalization: normalization ?? mode.normalization,
                                      dropout: dropout.map { $0 == .on } ?? mode.dropout, optimize: !unoptimized))
            print(plan.summary)
        }
        let batch = tensor.shape[0]
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        // Later runs reuse the plan and arena; the first also builds the graph.
        let steady = times.count > 1 ? Array(times.dropFirst()).sorted()[(times.count - 1) / 2] : median
        if json {
            var report: [String: Any] = [
                "batch": batch, "threads": threads, "runs": times.count,
                "first_ms": times[0], "median_ms": steady, "ms_per_image": steady / Double(batch),
                "arena_bytes": session.arenaBytes, "arena_lower_bound_bytes": session.arenaLowerBoundBytes,
                "times_ms": times, "blas": Gemm.backendDescription, "cpu_tier": CPUTier.current.rawValue,
            ]
            if measureSgemm { report["sgemm_peak_gflops"] = Gemm.measurePeak(size: 1536, threads: threads) }
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if repeats > 1 || output == nil {
            print(String(format: "batch %d, %d threads: %.1f ms per image (median of %d runs), arena %.1f MB (lower bound %.1f MB)",
                         batch, threads, steady / Double(batch), max(1, times.count - 1),
                         Double(session.arenaBytes) / 1e6, Double(session.arenaLowerBoundBytes) / 1e6))
        }
    }

    func readInput(_ path: String) throws -> Tensor {
        do {
            let file = try SafetensorsFile(path: path)
            guard let entry = file.entries["input"] else { throw CLIError("'\(path)' has no tensor named \"input\"") }
            guard entry.dtype == "F32", entry.shape.count == 4 else {
                throw CLIError("tensor \"input\" in '\(path)' is \(entry.dtype) \(entry.shape), expected F32 [N, C, H, W]")
            }
            return Tensor(shape: entry.shape, values: file.floatArray("input")!)
        } catch let error as ModelError {
            throw CLIError(error.description)
        }
    }

    /// Random one-hot label maps (generators) or N(0, 1) images.
    func randomTensor(for config: ModelConfig, batch: Int) -> Tensor {
        let c = config.common
        let shape = [batch, c.inputChannels, c.imageSize, c.imageSize]
        var tensor = Tensor(zeros: shape)
        let spatial = c.imageSize * c.imageSize
        let random = CounterRandom(seed: seed, stream: 7)
        if case .generator = config {
            for n in 0..<batch {
                for p in 0..<spatial {
                    let label = Int(random.bits(UInt64(n * spatial + p)) % UInt64(c.inputChannels))
                    tensor.values[(n * c.inputChannels + label) * spatial + p] = 1
                }
            }
        } else {
            tensor.values = RandomInit.normals(count: tensor.values.count, seed: seed, name: "input", mean: 0, standardDeviation: 1)
        }
        return tensor
    }
}
