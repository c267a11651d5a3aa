import Foundation
import MedaugEngine
import MedaugExpansion
import MedaugImaging
import XCTest

/// Counts progress calls and cancels after `stopAfter` of them.
final class ProgressRecorder {
    var calls: [(Int, Int)] = []
    var stopAfter = Int.max

    static let callback: ProgressCallback = { user, done, total in
        let recorder = Unmanaged<ProgressRecorder>.fromOpaque(user!).takeUnretainedValue()
        recorder.calls.append((done, total))
        return recorder.calls.count >= recorder.stopAfter ? 1 : 0
    }
}

/// medaug_expand and medaug_expand_dataset: the Swift expander's result,
/// progress and cancellation, and every error path.
final class ExpandFunctionsTests: XCTestCase {
    let (n, channels, side, target) = (2, 2, 32, 6)
    let editValues: [Int32] = [4]

    func inputs() -> (images: [Float], masks: [Int32]) {
        (TestModelFiles.images(count: n, side: side, channels: channels),
         TestModelFiles.labels(count: n, side: side, values: [0, 1, 1, 1, 4]))
    }

    func call(_ lib: MedaugLibrary, model: OpaquePointer?, options: inout ExpandOptions, images: [Float], masks: [Int32],
              outImages: inout [Float], outMasks: inout [Int32], origins: inout [Int32]) -> Int32 {
        editValues.withUnsafeBufferPointer { values in
            options.editValues = values.baseAddress
            options.editValueCount = values.count
            defer { options.editValues = nil }
            return lib.expand(model, images, masks, n, channels, side, side, &options, &outImages, outImages.count,
                              &outMasks, outMasks.count, &origins, origins.count)
        }
    }

    func testMatchesTheSwiftExpanderAndReportsProgress() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }
        let (images, masks) = inputs()
        let recorder = ProgressRecorder()
        var options = ExpandOptions(target: UInt64(target), generatedShare: 0.75, editShare: 1, seed: 5, dropout: 2)
        options.progress = ProgressRecorder.callback
        options.progressUserData = Unmanaged.passUnretained(recorder).toOpaque()
        var outImages = [Float](repeating: .nan, count: target * channels * side * side)
        var outMasks = [Int32](repeating: -1, count: target * side * side), origins = [Int32](repeating: -1, count: target)
        XCTAssertEqual(call(lib, model: model, options: &options, images: images, masks: masks, outImages: &outImages,
                            outMasks: &outMasks, origins: &origins), Status.ok, lib.message)
        XCTAssertEqual(recorder.calls.map(\.0), [1, 2, 3, 4])
        XCTAssertTrue(recorder.calls.allSatisfy { $0.1 == 4 })

        var swiftOptions = ExpansionOptions(target: target)
        (swiftOptions.generatedShare, swiftOptions.editShare, swiftOptions.seed, swiftOptions.dropout) = (0.75, 1, 5, true)
        swiftOptions.editValues = editValues
        let pairCount = channels * side * side, plane = side * side
        let reals = try (0..<n).map { i in
            try ImagePair(channels: channels, height: side, width: side, image: Array(images[(i * pairCount)..<((i + 1) * pairCount)]),
                          mask: Array(masks[(i * plane)..<((i + 1) * plane)]))
        }
        let expected = try Expander(generator: try Model(path: TestModelFiles.generator), options: swiftOptions).expand(reals)
        XCTAssertEqual(outImages, expected.flatMap(\.pair.image))
        XCTAssertEqual(outMasks, expected.flatMap(\.pair.mask))
        XCTAssertEqual(Array(origins.prefix(2)), [0, 0])
        XCTAssertEqual(origins.filter { $0 == 1 }.count, 1, "one classic pair of four")
        XCTAssertEqual(origins.filter { $0 >= 2 }.count, 3, "three generated")

        // Cancellation after two pairs.
        recorder.calls = []
        recorder.stopAfter = 2
        XCTAssertEqual(call(lib, model: model, options: &options, images: images, masks: masks, outImages: &outImages,
                            outMasks: &outMasks, origins: &origins), Status.cancelled)
        XCTAssertEqual(recorder.calls.count, 2)
        XCTAssertTrue(lib.message.contains("cancelled"), lib.message)
    }

    func testErrors() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }
        var (images, masks) = inputs()
        var outImages = [Float](repeating: 0, count: target * channels * side * side)
        var outMasks = [Int32](repeating: 0, count: target * side * side), origins = [Int32](repeating: 0, count: target)
        func status(_ options: ExpandOptions, model m: OpaquePointer? = nil, images i: [Float]? = nil) -> Int32 {
            var o = options
            return call(lib, model: m ?? model, options: &o, images: i ?? images, masks: masks, outImages: &outImages,
                        outMasks: &outMasks, origins: &origins)
        }
        XCTAssertEqual(lib.expand(model, images, masks, n, channels, side, side, nil, &outImages, outImages.count,
                                  &outMasks, outMasks.count, nil, 0), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("target"), lib.message)
        let valid = ExpandOptions(target: UInt64(target))
        XCTAssertEqual(status(ExpandOptions(target: 1)), Status.invalidArgument, "n above target")
        XCTAssertEqual(status(ExpandOptions(target: UInt64(target), generatedShare: 2)), Status.invalidArgument)
        XCTAssertEqual(status(ExpandOptions(target: UInt64(target), threads: -1)), Status.invalidArgument)
        XCTAssertEqual(status(ExpandOptions(target: UInt64(target), classicOnly: 3)), Status.invalidArgument)
        XCTAssertEqual(status(ExpandOptions(target: UInt64(target), reserved: 1)), Status.invalidArgument)
        XCTAssertEqual(status(ExpandOptions(target: UInt64(target), dropout: 7)), Status.invalidArgument)
        // A generator is needed unless classic_only.
        var noModel = valid
        XCTAssertEqual(lib.expand(nil, images, masks, n, channels, side, side, &noModel, &outImages, outImages.count,
                                  &outMasks, outMasks.count, nil, 0), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("needs a generator"), lib.message)
        noModel.classicOnly = 1
        XCTAssertEqual(lib.expand(nil, images, masks, n, channels, side, side, &noModel, &outImages, outImages.count,
                                  &outMasks, outMasks.count, nil, 0), Status.ok, lib.message)
        XCTAssertEqual(lib.expand(model, images, masks, n, channels, side, side, &noModel, &outImages, 10,
                                  &outMasks, outMasks.count, nil, 0), Status.bufferTooSmall)
        XCTAssertEqual(lib.expand(model, images, masks, n, channels, side, side, &noModel, &outImages, outImages.count,
                                  &outMasks, outMasks.count, &origins, 2), Status.bufferTooSmall)
        images[3] = .nan
        XCTAssertEqual(status(valid), Status.invalidArgument)
        images[3] = 0
        masks[0] = 2
        XCTAssertEqual(status(valid), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("label value 2"), lib.message)
        masks[0] = 0
        XCTAssertEqual(lib.expand(model, images, masks, n, 1, side, side, &noModel, &outImages, outImages.count,
                                  &outMasks, outMasks.count, nil, 0), Status.invalidArgument, "channels differ from the generator")
        var segmenter: OpaquePointer?
        XCTAssertEqual(lib.modelLoadFile(TestModelFiles.segmenter, &segmenter), Status.ok)
        XCTAssertEqual(status(valid, model: segmenter), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("needs a generator model"), lib.message)
        _ = lib.modelFree(segmenter)
        XCTAssertEqual(status(valid), Status.ok, lib.message)
    }

    func testDatasetFolderIsCompleteOrAbsent() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }
        let root = TestModelFiles.folder + "/expand-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let (images, masks) = inputs()
        let intensity = DatasetManifest.IntensityMapping(stored: "float32", storedRange: [-1, 1])
        try DatasetWriter.write(to: root + "/in", overwrite: false) { temporary in
            var manifest = DatasetManifest(classes: ["background", "tissue", "lesion"], labelValues: [0, 1, 4],
                                           channels: ["T1", "T2"], spacingMM: [1, 1], intensity: intensity)
            let pairCount = channels * side * side, plane = side * side
            for i in 0..<n {
                let item = DatasetManifest.Item(id: "r\(i)", split: .train, synthetic: false, source: [:])
                try DatasetWriter.writePair(image: Array(images[(i * pairCount)..<((i + 1) * pairCount)]), channels: channels,
                                            labels: Array(masks[(i * plane)..<((i + 1) * plane)]), side: side, item: item,
                                            intensity: intensity, folder: temporary)
                manifest.items.append(item)
            }
            return manifest
        }
        let recorder = ProgressRecorder()
        recorder.stopAfter = 3
        var options = ExpandOptions(target: UInt64(target), seed: 1)
        options.progress = ProgressRecorder.callback
        options.progressUserData = Unmanaged.passUnretained(recorder).toOpaque()
        XCTAssertEqual(lib.expandDataset(model, root + "/in", root + "/out", &options), Status.cancelled)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["in"], "nothing left behind")
        options.progress = nil
        XCTAssertEqual(lib.expandDataset(model, root + "/in", root + "/out", &options), Status.ok, lib.message)
        let manifest = try DatasetManifest.read(folder: root + "/out")
        XCTAssertEqual(manifest.items.count, target)
        XCTAssertEqual(manifest.items.filter(\.synthetic).count, target - n)
        XCTAssertNotEqual(lib.expandDataset(model, root + "/in", root + "/out", &options), Status.ok, "exists")
        options.overwrite = 1
        XCTAssertEqual(lib.expandDataset(model, root + "/in", root + "/out", &options), Status.ok, lib.message)
        XCTAssertEqual(lib.expandDataset(model, root + "/missing", root + "/x", &options), Status.invalidArgument)
        XCTAssertEqual(lib.expandDataset(model, nil, root + "/x", &options), Status.invalidArgument)
        XCTAssertEqual(lib.expandDataset(model, root + "/in", nil, &options), Status.invalidArgument)
        try? FileManager.default.removeItem(atPath: root)
    }
}
