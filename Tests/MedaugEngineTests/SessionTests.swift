import Foundation
import MedaugTestSupport
import XCTest
@testable import MedaugEngine
@testable import MedaugModels

final class SessionTests: XCTestCase {
    func testDropoutIsSeededAndBitwiseRepeatable() throws {
        let model = try TestModels.model(TestModels.generator)
        let session = try model.makeSession(threads: 2)
        let input = TestModels.input(for: model.config, batch: 2, seed: 1)
        let options = { (seed: UInt64) in RunOptions(normalization: .instance, dropout: true, seed: seed) }
        let a = try session.run(input, options: options(7)).output.values
        let b = try session.run(input, options: options(7)).output.values
        let c = try session.run(input, options: options(8)).output.values
        let off = try session.run(input, options: RunOptions(normalization: .instance, dropout: false)).output.values
        XCTAssertEqual(a, b, "same seed, same thread count: bitwise equal")
        XCTAssertNotEqual(a, c, "another seed gives another image")
        XCTAssertNotEqual(a, off, "dropout changes the image")
        // A fresh session (fresh arena) gives the same bits.
        let again = try model.makeSession(threads: 2).run(input, options: options(7)).output.values
        XCTAssertEqual(a, again)
    }

    func testThreadCountsAgree() throws {
        for config in [TestModels.generator, TestModels.segmenter] {
            let model = try TestModels.model(config)
            let input = TestModels.input(for: config, batch: 3, seed: 2)
            let options = RunOptions(normalization: .instance, dropout: true, seed: 3)
            let one = try model.makeSession(threads: 1).run(input, options: options).output.values
            let two = try model.makeSession(threads: 2).run(input, options: options).output.values
            XCTAssertLessThan(relativeError(two, one), 1e-5)
        }
    }

    /// An image's output is bitwise independent of the other images of its
    /// batch (README, "Determinism"), for both networks and thread counts.
    func testImagesDoNotDependOnTheirBatch() throws {
        try forEachTier(running: .strips) { _ in try imagesDoNotDependOnTheirBatch() }
    }

    func imagesDoNotDependOnTheirBatch() throws {
        for config in [TestModels.generator, TestModels.segmenter] {
            let model = try TestModels.model(config)
            let batch = TestModels.input(for: config, batch: 3, seed: 4)
            let options = RunOptions(normalization: .instance, dropout: false)
            for threads in [1, 2] {
                let session = try model.makeSession(threads: threads)
                let together = try session.run(batch, options: options).output
                let perImage = together.values.count / 3, perInput = batch.values.count / 3
                for n in 0..<3 {
                    let one = Tensor(shape: [1] + Array(batch.shape[1...]),
                                     values: Array(batch.values[(n * perInput)..<((n + 1) * perInput)]))
                    let alone = try session.run(one, options: options).output.values
                    let inBatch = together.values[(n * perImage)..<((n + 1) * perImage)]
                    let differing = zip(alone, inBatch).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "values of image \(n) of the \(config.kind) that change with its batch, \(threads) thread(s)")
                }
            }
        }
    }

    func testDropoutRateIsRespected() throws {
        // Unfused graph: compare the dropout node's output with its input.
        let model = try TestModels.model(TestModels.generator)
        let graph = model.graph(for: .init(normalization: .running, dropout: true, optimize: false))
        XCTAssertTrue(graph.nodes.contains { if case .dropout(let rate, _) = $0.operation { return rate == 0.3 }; return false })
        let session = try model.makeSession()
        let input = TestModels.input(for: model.config, batch: 4, seed: 9)
        let result = try session.run(input, options: RunOptions(normalization: .running, dropout: true, seed: 1,
                                                                keepBlockOutputs: true, optimize: false))
        // up.0 is ReLU(dropout(BN(x))): count exact zeros where BN(x) > 0 is unknown,
        // so compare zero fractions with and without dropout instead.
        let plain = try session.run(input, options: RunOptions(normalization: .running, dropout: false, keepBlockOutputs: true))
        let zerosWith = result.blockOutputs["up.0"]!.values.filter { $0 == 0 }.count
        let zerosWithout = plain.blockOutputs["up.0"]!.values.filter { $0 == 0 }.count
        let total = plain.blockOutputs["up.0"]!.values.count
        let positive = Double(total - zerosWithout)
        let dropped = Double(zerosWith - zerosWithout) / positive
        XCTAssertEqual(dropped, 0.3, accuracy: 0.08, "fraction of positive activations dropped")
    }

    func testBadInputsAreTypedErrors() throws {
        let model = try TestModels.model(TestModels.segmenter)
        let session = try model.makeSession()
        XCTAssertThrowsError(try session.run(Tensor(zeros: [1, 2, 24, 24]))) { error in
            XCTAssertTrue("\(error)".contains("expected [N, 1, 24, 24]"), "\(error)")
        }
        XCTAssertThrowsError(try session.run(Tensor(shape: [1, 1, 24, 24], values: [1, 2])))
        var nan = Tensor(zeros: [1, 1, 24, 24])
        nan.values[17] = .nan
        XCTAssertThrowsError(try session.run(nan)) { error in
            guard case .nonFiniteInput(17, let value)? = error as? EngineError, value.isNaN else {
                return XCTFail("expected nonFiniteInput at 17, got \(error)")
            }
        }
        XCTAssertThrowsError(try model.makeSession(threads: 0))
        XCTAssertThrowsError(try session.run(Tensor(zeros: [0, 1, 24, 24])))
    }

    func testArenaIsPlannedOnceAndReported() throws {
        let model = try TestModels.model(TestModels.generator)
        let session = try model.makeSession()
        let input = TestModels.input(for: model.config, batch: 2, seed: 1)
        _ = try session.run(input, options: RunOptions(normalization: .running, dropout: false))
        XCTAssertGreaterThan(session.arenaBytes, 0)
        XCTAssertGreaterThanOrEqual(session.arenaBytes, session.arenaLowerBoundBytes)
        // Within 25% of the lower bound on this U-Net.
        XCTAssertLessThanOrEqual(Double(session.arenaBytes), 1.25 * Double(session.arenaLowerBoundBytes))
    }
}

final class SessionTaskTests: XCTestCase {
    func testGenerateMapsLabelValuesToOneHot() throws {
        let model = try TestModels.model(TestModels.generator)
        let session = try model.makeSession()
        // Label values 0, 1, 4 ⇔ classes 0, 1, 2.
        let values: [Int32] = (0..<(2 * 32 * 32)).map { [0, 1, 4][$0 % 3] }
        let labels = LabelMaps(count: 2, height: 32, width: 32, values: values)
        var oneHot = Tensor(zeros: [2, 3, 32, 32])
        for (i, v) in values.enumerated() {
            let n = i / 1024, p = i % 1024
            oneHot.values[(n * 3 + [0: 0, 1: 1, 4: 2][v]!) * 1024 + p] = 1
        }
        let options = RunOptions(normalization: .running, dropout: false)
        XCTAssertEqual(try session.generate(from: labels, options: options), try session.run(oneHot, options: options).output)
        var bad = labels
        bad.values[70] = 3
        XCTAssertThrowsError(try session.generate(from: bad)) { error in
            XCTAssertEqual(error as? EngineError, .unknownLabel(value: 3, index: 70, known: [0, 1, 4]))
        }
        XCTAssertThrowsError(try session.generate(from: LabelMaps(count: 1, height: 16, width: 16, values: [Int32](repeating: 0, count: 256))))
        XCTAssertThrowsError(try session.segment(Tensor(zeros: [1, 3, 32, 32])))
    }

    func testSegmentReturnsArgmaxInBothNumberings() throws {
        let model = try TestModels.model(TestModels.segmenter)
        let result = try model.makeSession().segment(TestModels.input(for: model.config, batch: 2, seed: 3))
        let spatial = 24 * 24
        for n in 0..<2 {
            for p in stride(from: 0, to: spatial, by: 37) {
                let probs = (0..<3).map { result.probabilities.values[(n * 3 + $0) * spatial + p] }
                XCTAssertEqual(probs.reduce(0, +), 1, accuracy: 1e-5)
                let best = probs.indices.max { probs[$0] < probs[$1] }!
                XCTAssertEqual(Int(result.classIndices[n * spatial + p]), best)
                XCTAssertEqual(result.labelValues[n * spatial + p], [0, 1, 4][best])
            }
        }
    }

    func testArenaLimitRefusesBeforeAllocating() throws {
        let model = try TestModels.model(TestModels.generator)
        let session = try model.makeSession()
        session.maxArenaBytes = 1024
        XCTAssertThrowsError(try session.run(TestModels.input(for: model.config, batch: 64, seed: 1))) { error in
            XCTAssertTrue("\(error)".contains("over this session's limit"), "\(error)")
        }
    }

    /// A batch runs in passes of as many images as fit the arena budget,
    /// with bitwise the outputs of one pass (dropout masks keyed by the
    /// image's index in the whole batch), block outputs included, and an
    /// arena the size of one pass's.
    func testBatchesRunInPassesWithTheSameBits() throws {
        for config in [TestModels.generator, TestModels.segmenter] {
            let model = try TestModels.model(config)
            let input = TestModels.input(for: config, batch: 5, seed: 9)
            let options = RunOptions(normalization: .instance, dropout: config.kind == .generator, seed: 4, keepBlockOutputs: true)
            let whole = try model.makeSession(threads: 2)
            let together = try whole.run(input, options: options)
            let first = Tensor(shape: [1] + Array(input.shape[1...]), values: Array(input.values.prefix(input.values.count / 5)))
            for budget in [1, 2, 3] {
                let passes = try model.makeSession(threads: 2)
                _ = try passes.run(first, options: options)
                passes.arenaBudgetBytes = budget * passes.arenaBytes      // `budget` images per pass
                let split = try passes.run(input, options: options)
                XCTAssertEqual(split.output.shape, together.output.shape)
                XCTAssertTrue(split.output.values.elementsEqual(together.output.values) { $0.bitPattern == $1.bitPattern },
                              "\(config.kind), \(budget) image(s) per pass")
                XCTAssertEqual(Set(split.blockOutputs.keys), Set(together.blockOutputs.keys))
                for (name, tensor) in together.blockOutputs {
                    XCTAssertEqual(split.blockOutputs[name]?.shape, tensor.shape, name)
                    XCTAssertTrue(split.blockOutputs[name]!.values.elementsEqual(tensor.values) { $0.bitPattern == $1.bitPattern }, name)
                }
                XCTAssertLessThan(passes.arenaBytes, whole.arenaBytes, "a pass of \(budget) needs less than the batch of 5")
            }
        }
    }

    func testCorruptedModelFilesGiveErrorsNotCrashes() throws {
        let config = TestModels.segmenter
        let path = NSTemporaryDirectory() + "medaug-corrupt-\(getpid()).safetensors"
        defer { unlink(path) }
        try ModelFile.write(config: config, tensors: TestModels.weights(for: config, seed: 1), to: path)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerEnd = 8 + Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var random = TestRandomGenerator(seed: 5)
        var failures = 0
        // Truncations everywhere in the header and a sample of the data.
        var cuts = Array(stride(from: 0, to: headerEnd + 64, by: 7))
        cuts += (0..<50).map { _ in Int(random.next() % UInt64(original.count)) }
        for cut in cuts {
            try original.prefix(cut).write(to: URL(fileURLWithPath: path))
            do { _ = try Model(path: path); XCTFail("a file cut at \(cut) of \(original.count) loaded") } catch { failures += 1 }
        }
        // Random byte changes in the header: either an error or a file that
        // still validates (e.g. a changed space); never a crash.
        for _ in 0..<300 {
            var bytes = original
            let at = Int(random.next() % UInt64(headerEnd))
            bytes[at] = UInt8(truncatingIfNeeded: random.next())
            try bytes.write(to: URL(fileURLWithPath: path))
            if let model = try? Model(path: path) {
                _ = try? model.makeSession().run(TestModels.input(for: model.config, batch: 1, seed: 1))
            }
        }
        XCTAssertEqual(failures, cuts.count)
    }
}

/// SplitMix64, for test-only randomness.
struct TestRandomGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ConcurrentSessionTests: XCTestCase {
    /// Sessions on one shared model, each on its own thread, give bitwise the
    /// same outputs as the same calls made one at a time.
    func testSessionsOnOneModelRunConcurrently() throws {
        let model = try TestModels.model(TestModels.generator)
        let inputs = (0..<4).map { TestModels.input(for: model.config, batch: 1, seed: UInt64($0)) }
        let options = { (i: Int) in RunOptions(normalization: i % 2 == 0 ? .running : .instance, dropout: true, seed: UInt64(i)) }
        let sequential = try inputs.indices.map { try model.makeSession().run(inputs[$0], options: options($0)).output }
        let lock = NSLock()
        var concurrent = [Tensor?](repeating: nil, count: inputs.count)
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            do {
                let session = try model.makeSession(threads: 1 + i % 2)
                var last: Tensor?
                for _ in 0..<5 { last = try session.run(inputs[i], options: options(i)).output }
                lock.lock(); concurrent[i] = last; lock.unlock()
            } catch {
                lock.lock(); failures.append("\(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        for i in inputs.indices {
            // Thread counts differ (1 or 2): within 1e-5; one thread: bitwise.
            if 1 + i % 2 == 1 {
                XCTAssertEqual(concurrent[i], sequential[i], "session \(i)")
            } else {
                XCTAssertLessThan(relativeError(concurrent[i]!.values, sequential[i].values), 1e-5, "session \(i)")
            }
        }
    }
}
