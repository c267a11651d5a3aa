import XCTest
import MedaugModels
@testable import MedaugTrainer

final class ParameterTests: XCTestCase {
    /// The trainer's initialisation equals `medaug model init`'s for the same
    /// seed and name, and is RandomNormal(0, 0.02).
    func testNormalInitialisationMatchesRandomInit() throws {
        let config = ModelConfig.generator(.paper(imageSize: 16, classes: ["a", "b"], labelValues: [0, 1],
                                                  channelNames: ["T1"]))
        let reference = RandomInit.weights(for: config, seed: 42)
        let spec = try XCTUnwrap(config.tensorSpecs.first { $0.name == "down.1.conv.weight" })
        let p = Parameter(name: spec.name, shape: spec.shape)
        p.fillNormal(seed: 42)
        XCTAssertEqual(p.values(), reference[spec.name])
        let mean = p.values().reduce(0, +) / Float(p.count)
        let deviation = (p.values().reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(p.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(deviation, 0.02, accuracy: 0.002)
    }

    func testLoadChecksCountAndGradientsZero() throws {
        let p = Parameter(name: "out.conv.bias", shape: [3], initialValue: 0.5)
        XCTAssertEqual(p.values(), [0.5, 0.5, 0.5])
        XCTAssertTrue(p.isTrainable)
        XCTAssertThrowsError(try p.load([1, 2])) {
            XCTAssertEqual($0 as? TrainerError, .shapeMismatch("tensor 'out.conv.bias' has 3 floats (shape [3]); 2 given"))
        }
        try p.load([1, 2, 3])
        XCTAssertEqual(p.values(), [1, 2, 3])
        p.gradient[2] = 5
        p.zeroGradient()
        XCTAssertEqual(Array(p.gradient), [0, 0, 0])
    }

    /// `zeroGradient` clears lazily: the next read sees zeros, and the next
    /// `gradientForWriting` must overwrite; once anything was written or
    /// read, writes add.
    func testClearedGradientReadsZeroAndIsOverwrittenOnce() {
        let p = Parameter(name: "down.0.conv.weight", shape: [3])
        XCTAssertFalse(p.gradientForWriting().overwrite)
        p.gradient[0] = 5
        p.zeroGradient()
        let first = p.gradientForWriting()
        XCTAssertTrue(first.overwrite)
        first.buffer.update(repeating: 2)
        XCTAssertFalse(p.gradientForWriting().overwrite)
        XCTAssertEqual(Array(p.gradient), [2, 2, 2])
        p.zeroGradient()
        XCTAssertEqual(Array(p.gradient), [0, 0, 0])
        XCTAssertFalse(p.gradientForWriting().overwrite)
    }
}
