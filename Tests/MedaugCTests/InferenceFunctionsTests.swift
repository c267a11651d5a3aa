import MedaugEngine
import MedaugModels
import XCTest

/// medaug_generate and medaug_segment (and their count queries): the same
/// results as the Swift API, and every error path.
final class InferenceFunctionsTests: XCTestCase {
    let side = 32, classes = 3, imageChannels = 2

    // MARK: Generate

    func testGenerateMatchesTheSwiftAPIBitwise() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        defer { _ = lib.sessionFree(session); _ = lib.modelFree(model) }
        let swiftSession = try Model(path: TestModelFiles.generator).makeSession(threads: 1)

        var count = 0
        XCTAssertEqual(lib.generateOutputCount(session, 3, &count), Status.ok)
        XCTAssertEqual(count, 3 * imageChannels * side * side)
        let labels = TestModelFiles.labels(count: 3, side: side, values: [0, 1, 4])
        let maps = LabelMaps(count: 3, height: side, width: side, values: labels)
        let cases: [(GenerateOptions?, RunOptions)] = [
            (nil, RunOptions()),
            (GenerateOptions(), RunOptions()),
            (GenerateOptions(normalization: 2), RunOptions(normalization: .instance)),
            (GenerateOptions(normalization: 1, dropout: 2, seed: 7), RunOptions(normalization: .running, dropout: true, seed: 7)),
            (GenerateOptions(normalization: 2, dropout: 2, seed: 8), RunOptions(normalization: .instance, dropout: true, seed: 8)),
            (GenerateOptions(dropout: 1, seed: 9), RunOptions(dropout: false, seed: 9)),
        ]
        var outputs: [[Float]] = []
        for (index, (options, swiftOptions)) in cases.enumerated() {
            var images = [Float](repeating: .nan, count: count)
            var copy = options
            let status = copy.map { o -> Int32 in
                var o = o
                return lib.generate(session, labels, 3, side, side, &o, &images, count)
            } ?? lib.generate(session, labels, 3, side, side, nil, &images, count)
            XCTAssertEqual(status, Status.ok, "case \(index): \(lib.message)")
            XCTAssertEqual(lib.message, "")
            copy = nil
            let expected = try swiftSession.generate(from: maps, options: swiftOptions)
            XCTAssertEqual(images, expected.values, "case \(index) differs from Session.generate")
            outputs.append(images)
        }
        XCTAssertEqual(outputs[0], outputs[1], "NULL options = defaults")
        XCTAssertNotEqual(outputs[3], outputs[0], "dropout on changes the image")
        var again = [Float](repeating: 0, count: count)
        var seeded = GenerateOptions(normalization: 1, dropout: 2, seed: 7)
        XCTAssertEqual(lib.generate(session, labels, 3, side, side, &seeded, &again, count), Status.ok)
        XCTAssertEqual(again, outputs[3], "the same seed gives bitwise the same images")
        seeded.seed = 70
        XCTAssertEqual(lib.generate(session, labels, 3, side, side, &seeded, &again, count), Status.ok)
        XCTAssertNotEqual(again, outputs[3], "another seed, other images")
        // A larger buffer is fine; the tail is not written.
        var roomy = [Float](repeating: 42, count: count + 5)
        XCTAssertEqual(lib.generate(session, labels, 3, side, side, nil, &roomy, roomy.count), Status.ok)
        XCTAssertEqual(Array(roomy[count...]), [42, 42, 42, 42, 42])
    }

    func testGenerateErrors() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.generator)
        let session = try lib.makeSession(model)
        defer { _ = lib.sessionFree(session); _ = lib.modelFree(model) }
        var labels = TestModelFiles.labels(count: 2, side: side, values: [0, 1, 4])
        let needed = 2 * imageChannels * side * side
        var images = [Float](repeating: 7, count: needed)

        func check(_ status: Int32, _ expected: Int32, _ fragment: String, line: UInt = #line) {
            XCTAssertEqual(status, expected, lib.message, line: line)
            XCTAssertTrue(lib.message.hasPrefix("medaug_generate"), lib.message, line: line)
            XCTAssertTrue(lib.message.contains(fragment), "'\(lib.message)' should contain '\(fragment)'", line: line)
        }
        check(lib.generate(nil, labels, 2, side, side, nil, &images, needed), Status.invalidArgument, "session is NULL")
        check(lib.generate(session, nil, 2, side, side, nil, &images, needed), Status.invalidArgument, "labels is NULL")
        check(lib.generate(session, labels, 2, side, side, nil, nil, needed), Status.invalidArgument, "images is NULL")
        check(lib.generate(session, labels, 0, side, side, nil, &images, needed), Status.invalidArgument, "n is 0")
        check(lib.generate(session, labels, 1025, side, side, nil, &images, needed), Status.invalidArgument, "above the largest batch of 1024")
        check(lib.generate(session, labels, sizeMax, side, side, nil, &images, needed), Status.invalidArgument, "n is 18446744073709551615")
        check(lib.generate(session, labels, 2, side, side + 1, nil, &images, needed), Status.shapeMismatch, "is 32×33, the model's image size is 32×32")
        check(lib.generate(session, labels, 2, sizeMax, sizeMax, nil, &images, needed), Status.shapeMismatch, "18446744073709551615×")
        check(lib.generate(session, labels, 2, 0, 0, nil, &images, needed), Status.shapeMismatch, "is 0×0")
        check(lib.generate(session, labels, 2, side, side, nil, &images, needed - 1), Status.bufferTooSmall,
              "images holds \(needed - 1) elements, \(needed) are needed; nothing was written")
        XCTAssertTrue(images.allSatisfy { $0 == 7 }, "nothing written when the buffer is too small")
        check(lib.generate(session, labels, 2, side, side, nil, &images, 0), Status.bufferTooSmall, "holds 0 elements")

        labels[side * side + 5] = 3
        check(lib.generate(session, labels, 2, side, side, nil, &images, needed), Status.invalidArgument,
              "label value 3 at pixel \(side * side + 5) is not one of the model's label values [0, 1, 4]")
        labels[side * side + 5] = -1
        check(lib.generate(session, labels, 2, side, side, nil, &images, needed), Status.invalidArgument, "label value -1")
        labels[side * side + 5] = 0

        for (options, fragment) in [(GenerateOptions(normalization: 3), "options->normalization is 3"),
                                    (GenerateOptions(dropout: -1), "options->dropout is -1"),
                                    (GenerateOptions(structSize: 0), "options->struct_size is 0"),
                                    (GenerateOptions(structSize: 8), "options->struct_size is 8")] {
            var options = options
            check(lib.generate(session, labels, 2, side, side, &options, &images, needed), Status.invalidArgument, fragment)
        }
        // Misaligned buffers.
        labels.withUnsafeBytes { raw in
            let odd = (raw.baseAddress! + 2).assumingMemoryBound(to: Int32.self)
            check(lib.generate(session, odd, 1, side, side, nil, &images, needed), Status.invalidArgument, "labels (0x")
        }
        images.withUnsafeMutableBytes { raw in
            let odd = (raw.baseAddress! + 1).assumingMemoryBound(to: Float.self)
            check(lib.generate(session, labels, 1, side, side, nil, odd, needed / 2), Status.invalidArgument, "not aligned to 4 bytes")
        }

        // Count query errors.
        var count = 99
        XCTAssertEqual(lib.generateOutputCount(session, 0, &count), Status.invalidArgument)
        XCTAssertEqual(lib.generateOutputCount(session, sizeMax, &count), Status.invalidArgument)
        XCTAssertEqual(lib.generateOutputCount(session, Int.max / 64, &count), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("overflows size_t"), lib.message)
        XCTAssertEqual(count, 99, "untouched on failure")
        XCTAssertEqual(lib.generateOutputCount(session, 1, nil), Status.invalidArgument)
        XCTAssertEqual(lib.generateOutputCount(nil, 1, &count), Status.invalidArgument)
        // The session still works after all that.
        XCTAssertEqual(lib.generate(session, labels, 2, side, side, nil, &images, needed), Status.ok, lib.message)
    }

    func testGenerateAndSegmentRefuseTheWrongModelKind() throws {
        let lib = try MedaugLibrary.shared()
        let segmenter = try lib.load(TestModelFiles.segmenter)
        let discriminator = try lib.load(TestModelFiles.discriminator)
        let segmenterSession = try lib.makeSession(segmenter)
        let discriminatorSession = try lib.makeSession(discriminator)
        defer {
            _ = lib.sessionFree(segmenterSession); _ = lib.sessionFree(discriminatorSession)
            _ = lib.modelFree(segmenter); _ = lib.modelFree(discriminator)
        }
        var count = 0
        XCTAssertEqual(lib.generateOutputCount(segmenterSession, 1, &count), Status.unsupported)
        XCTAssertTrue(lib.message.contains("needs a generator model, this session's model is a segmenter"), lib.message)
        let labels = [Int32](repeating: 0, count: 64 * 64)
        var images = [Float](repeating: 0, count: 64 * 64 * 4)
        XCTAssertEqual(lib.generate(discriminatorSession, labels, 1, 64, 64, nil, &images, images.count), Status.unsupported)
        var probabilities = 0, labelCount = 0
        XCTAssertEqual(lib.segmentOutputCounts(discriminatorSession, 1, &probabilities, &labelCount), Status.unsupported)
        var out = [Int32](repeating: 0, count: 64 * 64)
        XCTAssertEqual(lib.segment(discriminatorSession, images, 1, 1, 64, 64, nil, nil, 0, &out, out.count), Status.unsupported)
        XCTAssertTrue(lib.message.contains("needs a segmenter model, this session's model is a discriminator"), lib.message)
    }

    // MARK: Segment

    func testSegmentMatchesTheSwiftAPIBitwise() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.segmenter)
        let session = try lib.makeSession(model)
        defer { _ = lib.sessionFree(session); _ = lib.modelFree(model) }
        let swiftSession = try Model(path: TestModelFiles.segmenter).makeSession(threads: 1)
        let side = 24, n = 2
        var probabilitiesCount = 0, labelsCount = 0
        XCTAssertEqual(lib.segmentOutputCounts(session, n, &probabilitiesCount, &labelsCount), Status.ok)
        XCTAssertEqual([probabilitiesCount, labelsCount], [n * 3 * side * side, n * side * side])
        XCTAssertEqual(lib.segmentOutputCounts(session, n, nil, &labelsCount), Status.ok)
        XCTAssertEqual(lib.segmentOutputCounts(session, n, &probabilitiesCount, nil), Status.ok)

        let input = TestModelFiles.images(count: n, side: side, channels: 1)
        for (normalization, mode) in [(Int32(0), NormalizationMode?.none), (1, .running), (2, .instance)] {
            var options = SegmentOptions(normalization: normalization)
            var probabilities = [Float](repeating: .nan, count: probabilitiesCount)
            var labels = [Int32](repeating: -1, count: labelsCount)
            XCTAssertEqual(lib.segment(session, input, n, 1, side, side, &options, &probabilities, probabilitiesCount,
                                       &labels, labelsCount), Status.ok, lib.message)
            let expected = try swiftSession.segment(Tensor(shape: [n, 1, side, side], values: input),
                                                    options: RunOptions(normalization: mode))
            XCTAssertEqual(probabilities, expected.probabilities.values, "normalization \(normalization)")
            XCTAssertEqual(labels, expected.labelValues, "normalization \(normalization)")
            XCTAssertTrue(labels.allSatisfy { [0, 1, 4].contains($0) }, "stored label values, not class indices")

            // Either output alone.
            var onlyLabels = [Int32](repeating: -1, count: labelsCount)
            XCTAssertEqual(lib.segment(session, input, n, 1, side, side, &options, nil, 0, &onlyLabels, labelsCount), Status.ok)
            XCTAssertEqual(onlyLabels, labels)
            var onlyProbabilities = [Float](repeating: .nan, count: probabilitiesCount)
            XCTAssertEqual(lib.segment(session, input, n, 1, side, side, &options, &onlyProbabilities, probabilitiesCount, nil, 0),
                           Status.ok)
            XCTAssertEqual(onlyProbabilities, probabilities)
        }
    }

    func testSegmentErrors() throws {
        let lib = try MedaugLibrary.shared()
        let model = try lib.load(TestModelFiles.segmenter)
        let session = try lib.makeSession(model)
        defer { _ = lib.sessionFree(session); _ = lib.modelFree(model) }
        let side = 24
        var input = TestModelFiles.images(count: 1, side: side, channels: 1)
        var probabilities = [Float](repeating: 5, count: 3 * side * side)
        var labels = [Int32](repeating: 5, count: side * side)
        func check(_ status: Int32, _ expected: Int32, _ fragment: String, line: UInt = #line) {
            XCTAssertEqual(status, expected, lib.message, line: line)
            XCTAssertTrue(lib.message.contains(fragment), "'\(lib.message)' should contain '\(fragment)'", line: line)
        }
        let p = probabilities.count, l = labels.count
        check(lib.segment(session, nil, 1, 1, side, side, nil, &probabilities, p, &labels, l), Status.invalidArgument, "images is NULL")
        check(lib.segment(session, input, 1, 1, side, side, nil, nil, p, nil, l), Status.invalidArgument, "both NULL")
        check(lib.segment(nil, input, 1, 1, side, side, nil, &probabilities, p, &labels, l), Status.invalidArgument, "session is NULL")
        check(lib.segment(session, input, 0, 1, side, side, nil, &probabilities, p, &labels, l), Status.invalidArgument, "n is 0")
        check(lib.segment(session, input, sizeMax, 1, side, side, nil, &probabilities, p, &labels, l), Status.invalidArgument, "n is")
        check(lib.segment(session, input, 1, 2, side, side, nil, &probabilities, p, &labels, l), Status.shapeMismatch, "channels is 2")
        check(lib.segment(session, input, 1, sizeMax, side, side, nil, &probabilities, p, &labels, l), Status.shapeMismatch, "channels is")
        check(lib.segment(session, input, 1, 1, side, 12, nil, &probabilities, p, &labels, l), Status.shapeMismatch, "24×12")
        check(lib.segment(session, input, 1, 1, side, side, nil, &probabilities, p - 1, &labels, l), Status.bufferTooSmall,
              "probabilities holds \(p - 1) elements")
        check(lib.segment(session, input, 1, 1, side, side, nil, &probabilities, p, &labels, l - 1), Status.bufferTooSmall,
              "labels holds \(l - 1) elements")
        XCTAssertTrue(probabilities.allSatisfy { $0 == 5 } && labels.allSatisfy { $0 == 5 }, "nothing written")
        var options = SegmentOptions(normalization: 9)
        check(lib.segment(session, input, 1, 1, side, side, &options, nil, 0, &labels, l), Status.invalidArgument, "normalization is 9")
        options = SegmentOptions(reserved: 1)
        check(lib.segment(session, input, 1, 1, side, side, &options, nil, 0, &labels, l), Status.unsupported, "reserved")

        for bad: Float in [.nan, .infinity, -.infinity] {
            input[100] = bad
            check(lib.segment(session, input, 1, 1, side, side, nil, nil, 0, &labels, l), Status.invalidArgument,
                  "input element 100 is \(bad); inputs must be finite")
        }
        input[100] = 0
        XCTAssertEqual(lib.segment(session, input, 1, 1, side, side, nil, nil, 0, &labels, l), Status.ok, lib.message)

        var count = 3
        XCTAssertEqual(lib.segmentOutputCounts(session, 1, nil, nil), Status.invalidArgument)
        XCTAssertEqual(lib.segmentOutputCounts(session, 0, &count, nil), Status.invalidArgument)
        XCTAssertEqual(lib.segmentOutputCounts(session, Int.max / 100, &count, nil), Status.invalidArgument)
        XCTAssertEqual(count, 3)
    }

    /// Sessions on one shared model, on their own threads, give what the
    /// same calls give one at a time (a smoke test; the 8 × 100 run of
    /// issue 5 is separate).
    func testSessionsOnOneModelRunConcurrently() throws {
        let lib = try MedaugLibrary.shared()
        let side = self.side
        let model = try lib.load(TestModelFiles.generator)
        defer { _ = lib.modelFree(model) }
        let labels = (0..<4).map { TestModelFiles.labels(count: 1, side: side, values: [0, 1, 4], seed: UInt64($0 + 10)) }
        let count = imageChannels * side * side
        let reference = try lib.makeSession(model)
        let expected = labels.enumerated().map { index, map -> [Float] in
            var options = GenerateOptions(dropout: 2, seed: UInt64(index))
            var out = [Float](repeating: 0, count: count)
            XCTAssertEqual(lib.generate(reference, map, 1, side, side, &options, &out, count), Status.ok)
            return out
        }
        XCTAssertEqual(lib.sessionFree(reference), Status.ok)

        let group = DispatchGroup()
        let failures = Shared<[String]>([])
        let shared = SendableHandle(pointer: model)
        for thread in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                var session: OpaquePointer?
                var options = SessionOptions(threads: 1)
                guard lib.sessionCreate(shared.pointer, &options, &session) == Status.ok else {
                    failures.update { $0.append(lib.message) }
                    return
                }
                defer { _ = lib.sessionFree(session) }
                var out = [Float](repeating: 0, count: count)
                for round in 0..<10 {
                    let index = (thread + round) % labels.count
                    var generateOptions = GenerateOptions(dropout: 2, seed: UInt64(index))
                    let status = lib.generate(session, labels[index], 1, side, side, &generateOptions, &out, count)
                    if status != Status.ok || out != expected[index] {
                        failures.update { $0.append("thread \(thread) round \(round): \(status) \(lib.message)") }
                    }
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(failures.current, [])
    }
}
