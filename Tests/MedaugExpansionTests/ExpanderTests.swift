import Foundation
import XCTest
import MedaugEngine
import MedaugImaging
import MedaugModels
@testable import MedaugExpansion

final class ExpanderTests: XCTestCase {
    static let labelValues: [Int32] = [0, 1, 2, 7, 8]

    /// A 40-pixel generator with random weights over the phantom's labels.
    static let generator: Model = {
        var g = GeneratorConfig.paper(imageSize: 40, classes: ["bg", "t1", "t2", "core", "rim"],
                                      labelValues: labelValues.map(Int.init), channelNames: ["T1"])
        g.downFilters = [4, 8]
        g.upFilters = [8, 4]
        g.bottleneckFilters = 8
        g.dropoutUpBlocks = 1
        let config = ModelConfig.generator(g)
        let path = NSTemporaryDirectory() + "medaug-expander-\(getpid()).safetensors"
        try! ModelFile.write(config: config, tensors: RandomInit.weights(for: config, seed: 3), to: path)
        // The model keeps its own mapping; the file is not needed after loading.
        defer { unlink(path) }
        return try! Model(path: path)
    }()

    func reals() throws -> [ImagePair] {
        try [(12, 20), nil, (22, 14)].map { centre in
            let mask = Phantom.map(lesionAt: centre)
            return try ImagePair(channels: 1, height: 40, width: 40, image: mask.map { Float($0) / 8 - 0.5 }, mask: mask)
        }
    }

    func options() -> ExpansionOptions {
        var options = ExpansionOptions(target: 15)
        options.editValues = [7, 8]
        options.editShare = 1
        options.seed = 4
        return options
    }

    func testExpandsWithRealPairsFirstAndEverySourceUsed() throws {
        let reals = try reals()
        var calls: [Int] = []
        let set = try Expander(generator: Self.generator, options: options()).expand(reals) { done, total in
            XCTAssertEqual(total, 12)
            calls.append(done)
            return true
        }
        XCTAssertEqual(calls, Array(1...12))
        XCTAssertEqual(set.count, 15)
        XCTAssertEqual(set.prefix(3).map(\.pair), reals)
        XCTAssertEqual(set.prefix(3).map(\.origin), [.real, .real, .real])
        XCTAssertEqual(set.filter { $0.origin == .generated }.count, 6)
        XCTAssertEqual(set.filter { $0.origin == .classic }.count, 6)
        XCTAssertGreaterThanOrEqual(set.filter { $0.edit != nil }.count, 5, "edits happen (all 6 asked for)")
        for item in set {
            XCTAssertTrue(item.pair.mask.allSatisfy(Self.labelValues.contains), "masks keep the generator's values")
            XCTAssertTrue(item.pair.image.allSatisfy { $0.isFinite })
        }
        for item in set where item.origin == .generated {
            XCTAssertTrue(item.pair.image.allSatisfy { (-1...1).contains($0) }, "tanh output")
            XCTAssertNotEqual(item.pair.mask, reals[item.source].mask, "a new label map")
        }
        // The middle real pair has no lesion: its edits copy one in.
        XCTAssertTrue(set.contains { $0.source == 1 && $0.edit == .copy && $0.pair.mask.contains(7) })
    }

    func testTheSameSeedGivesTheSameSet() throws {
        let first = try Expander(generator: Self.generator, options: options()).expand(try reals())
        let second = try Expander(generator: Self.generator, options: options()).expand(try reals())
        XCTAssertEqual(first.map(\.pair), second.map(\.pair))
        var other = options()
        other.seed = 5
        XCTAssertNotEqual(try Expander(generator: Self.generator, options: other).expand(try reals()).map(\.pair),
                          first.map(\.pair))
    }

    func testBadInputsAndCancellation() throws {
        let expander = try Expander(generator: Self.generator, options: options())
        XCTAssertThrowsError(try expander.expand(try reals()) { done, _ in done < 3 }) { error in
            XCTAssertEqual(error as? ExpansionError, .cancelled)
        }
        var unknown = try reals()
        unknown[2].mask[0] = 3
        XCTAssertThrowsError(try expander.expand(unknown)) { error in
            XCTAssertTrue("\(error)".contains("mask 2 holds label value 3"), "\(error)")
        }
        let small = try ImagePair(channels: 1, height: 8, width: 8, image: .init(repeating: 0, count: 64),
                                  mask: .init(repeating: 0, count: 64))
        XCTAssertThrowsError(try expander.expand([small])) { error in
            XCTAssertTrue("\(error)".contains("the generator makes 1x40x40"), "\(error)")
        }
        XCTAssertThrowsError(try Expander(generator: nil, options: options())) { error in
            XCTAssertTrue("\(error)".contains("needs a generator"), "\(error)")
        }
        var classicOnly = options()
        classicOnly.generatedShare = 0
        XCTAssertEqual(try Expander(generator: nil, options: classicOnly).expand(try reals()).count, 15)
    }
}
