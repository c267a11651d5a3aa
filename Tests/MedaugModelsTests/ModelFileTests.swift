import Foundation
import XCTest
@testable import MedaugModels

final class ModelFileTests: XCTestCase {
    let classes = ["background", "tissue", "lesion"]

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "medaug-\(getpid())-\(name)"
    }

    var smallGenerator: GeneratorConfig {
        var g = GeneratorConfig.paper(imageSize: 32, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"])
        g.downFilters = [8, 16, 16]
        g.upFilters = [16, 16, 8]
        g.bottleneckFilters = 16
        g.dropoutUpBlocks = 3
        return g
    }

    func testPaperGeneratorShapes() throws {
        let g = GeneratorConfig.paper(classes: ["a", "b", "c", "d"], labelValues: [0, 1, 2, 4], channelNames: ["T1"])
        XCTAssertEqual(g.downFilters, [64, 128, 256, 512, 512, 512, 512])
        XCTAssertEqual(g.upFilters, [512, 512, 512, 512, 256, 128, 64])
        try g.validate()
        let specs = ModelConfig.generator(g).tensorSpecs
        let parameters = specs.reduce(0) { $0 + $1.elementCount }
        // 54.4 M parameters: the 218 MB generator of the paper.
        XCTAssertEqual(parameters, 54_420_737)
        XCTAssertEqual(specs.first { $0.name == "up.1.convt.weight" }?.shape, [1024, 512, 4, 4])
        XCTAssertEqual(specs.last?.name, "out.convt.bias")
        XCTAssertNil(specs.first { $0.name == "down.0.bn.weight" })
        let d = DiscriminatorConfig.paper(classes: ["a", "b"], labelValues: [0, 1], channelNames: ["T1"])
        XCTAssertEqual(d.outputSide(for: 256), 7)
    }

    func testConfigJSONRoundTrips() throws {
        for config in [ModelConfig.generator(smallGenerator),
                       .discriminator(.paper(imageSize: 64, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"])),
                       .segmenter(.standard(imageSize: 32, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1", "T2"], depth: 2, baseFilters: 4))] {
            XCTAssertEqual(try ModelConfig(json: config.jsonString()), config)
        }
    }

    /// `leaky_relu_slope` is optional: absent means ReLU (files written
    /// before it existed), and a ReLU segmenter does not write it.
    func testSegmenterSlopeIsOptionalAndChecked() throws {
        let relu = SegmenterConfig.standard(imageSize: 32, classes: classes, labelValues: [0, 1, 4], channelNames: ["T1"], depth: 2)
        XCTAssertFalse(ModelConfig.segmenter(relu).jsonString().contains("leaky_relu_slope"))
        var leaky = relu
        leaky.leakyReluSlope = 0.1
        let json = ModelConfig.segmenter(leaky).jsonString()
        XCTAssertTrue(json.contains(#""leaky_relu_slope":0.1"#))
        XCTAssertEqual(try ModelConfig(json: json), .segmenter(leaky))
        XCTAssertThrowsError(try ModelConfig(json: json.replacingOccurrences(of: #""leaky_relu_slope":0.1"#,
                                                                             with: #""leaky_relu_slope":1.5"#))) { error in
            XCTAssertTrue("\(error)".contains("leaky_relu_slope"), "\(error)")
        }
    }

    func testConfigErrorsNameTheKey() {
        func message(_ json: String) -> String {
            do { _ = try ModelConfig(json: json); return "no error" } catch { return "\(error)" }
        }
        func expect(_ json: String, _ fragment: String, line: UInt = #line) {
            let text = message(json)
            XCTAssertTrue(text.contains(fragment), "'\(text)' does not mention '\(fragment)'", line: line)
        }
        let good = ModelConfig.generator(smallGenerator).jsonString()
        expect("{", "not a JSON object")
        expect(#"{"kind": "generator"}"#, "format_version")
        expect(#"{"format_version": 2, "kind": "generator"}"#, "format_version is 2")
        expect(#"{"format_version": 1, "kind": "vae"}"#, "kind 'vae'")
        expect(good.replacingOccurrences(of: #""image_size":32"#, with: #""image_size":40"#), "divisible")
        expect(good.replacingOccurrences(of: #""stride":2,"#, with: ""), "'stride' is missing")
        expect(good.replacingOccurrences(of: #""dropout":0.3"#, with: #""dropout":1.5"#), "dropout 1.5")
        expect(good.replacingOccurrences(of: #""input_channels":3"#, with: #""input_channels":4"#), "one-hot")
        expect(good.replacingOccurrences(of: #""image_size":32"#, with: #""image_size":"big""#), "image_size")
    }

    func testWriteLoadAndRejectMismatches() throws {
        let config = ModelConfig.generator(smallGenerator)
        var tensors = RandomInit.weights(for: config, seed: 3)
        let path = temporaryPath("g.safetensors")
        defer { unlink(path) }
        try ModelFile.write(config: config, tensors: tensors, to: path)
        let loaded = try ModelFile(path: path)
        XCTAssertEqual(loaded.config, config)
        XCTAssertEqual(Array(loaded.tensor("down.1.conv.weight").buffer), tensors["down.1.conv.weight"])

        // A file whose tensors do not match its config, written around the
        // ModelFile checks with the raw writer.
        func write(_ edit: (inout [SafetensorsWriter.Tensor]) -> Void) throws -> ModelError? {
            var list = config.tensorSpecs.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: tensors[$0.name]!) }
            edit(&list)
            try SafetensorsWriter.write(list, metadata: ["medaug": config.jsonString()], to: path)
            do { _ = try ModelFile(path: path); return nil } catch let error as ModelError { return error }
        }
        XCTAssertEqual(try write { $0.removeAll { $0.name == "up.2.bn.running_var" } },
                       .missingTensor(name: "up.2.bn.running_var", expectedShape: [8]))
        XCTAssertEqual(try write { $0.append(.init(name: "extra", shape: [1], values: [0])) }, .unexpectedTensor(name: "extra"))
        XCTAssertEqual(try write { list in
            let i = list.firstIndex { $0.name == "down.0.conv.weight" }!
            list[i].shape = [8, 3, 16]
        }, .shapeMismatch(name: "down.0.conv.weight", expected: [8, 3, 4, 4], found: [8, 3, 16]))
        tensors["bogus"] = [1]
        XCTAssertThrowsError(try ModelFile.write(config: config, tensors: tensors, to: path))
    }

    func testMetadataWithoutMedaugIsRejected() throws {
        let path = temporaryPath("plain.safetensors")
        defer { unlink(path) }
        try SafetensorsWriter.write([.init(name: "w", shape: [1], values: [1])], metadata: [:], to: path)
        XCTAssertThrowsError(try ModelFile(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a medaug model file"))
        }
    }

    func testRandomInitIsSeededAndScaled() {
        let a = RandomInit.normals(count: 100_000, seed: 1, name: "w", mean: 0, standardDeviation: 0.02)
        let b = RandomInit.normals(count: 100_000, seed: 1, name: "w", mean: 0, standardDeviation: 0.02)
        let c = RandomInit.normals(count: 100_000, seed: 2, name: "w", mean: 0, standardDeviation: 0.02)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let mean = a.reduce(0, +) / Float(a.count)
        let std = (a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(a.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.0005)
        XCTAssertEqual(std, 0.02, accuracy: 0.0005)
    }

    /// Weights computed at load (folded, transformed, packed) start on a
    /// cache line, as the engine's arena does.
    func testOwnedValuesAreCacheAligned() {
        for count in [0, 7, 1 << 20] {
            let computed = TensorValues(count: count) { $0.initialize(repeating: 2) }
            XCTAssertEqual(Int(bitPattern: computed.buffer.baseAddress!) % 64, 0, "\(count) computed floats")
            XCTAssertEqual(computed.count, count)
            let copied = TensorValues(copy: [Float](repeating: 3, count: count))
            XCTAssertEqual(Int(bitPattern: copied.buffer.baseAddress!) % 64, 0, "\(count) copied floats")
            XCTAssertEqual(Array(copied.buffer), [Float](repeating: 3, count: count))
        }
    }
}
