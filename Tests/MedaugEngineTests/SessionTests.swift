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

    func testInstanceModeImagesDoNotDependOnTheirBatch() throws {
        let model = try TestModels.model(TestModels.generator)
        let session = try model.makeSession(threads: 1)
        let batch = TestModels.input(for: model.config, batch: 3, seed: 4)
        let options = RunOptions(normalization: .instance, dropout: false)
        let together = try session.run(batch, options: options).output
        let perImage = together.values.count / 3
        for n in 0..<3 {
            let one = Tensor(shape: [1] + Array(batch.shape[1...]),
                             values: Array(batch.values[(n * batch.values.count / 3)..<((n + 1) * batch.values.count / 3)]))
            let alone = try session.run(one, options: options).output.values
            XCTAssertLessThan(relativeError(alone, Array(together.values[(n * perImage)..<((n + 1) * perImage)])), 1e-6)
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
