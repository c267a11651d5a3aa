import MedaugImaging
import XCTest

/// medaug_augment: the Swift API's result bitwise, in place too, and every
/// error path.
final class AugmentFunctionsTests: XCTestCase {
    let (channels, side) = (2, 24)

    func inputs() -> (image: [Float], mask: [Int32]) {
        (TestModelFiles.images(count: 1, side: side, channels: channels),
         TestModelFiles.labels(count: 1, side: side, values: [0, 1, 4]))
    }

    func testMatchesTheSwiftAPIAndWorksInPlace() throws {
        let lib = try MedaugLibrary.shared()
        let (image, mask) = inputs()
        let json = #"{"operations": [{"type": "rotate", "probability": 1, "degrees": [-30, 30]}, {"type": "elastic", "probability": 1, "alpha_mm": [2, 4], "sigma_mm": 6}, {"type": "noise", "probability": 1, "std": [0.1, 0.1]}]}"#
        for (pipelineJSON, pipeline) in [(nil, AugmentationPipeline.paper), (json, try AugmentationPipeline(json: json))] {
            let pair = try ImagePair(channels: channels, height: side, width: side, image: image, mask: mask, spacing: (0.5, 2))
            let expected = try Augmenter(pipeline: pipeline).apply(to: pair, seed: 77)
            var options = AugmentOptions(spacingRow: 0.5, spacingColumn: 2, threads: 2)
            var outImage = [Float](repeating: .nan, count: image.count), outMask = [Int32](repeating: -1, count: mask.count)
            XCTAssertEqual(lib.augment(image, mask, channels, side, side, pipelineJSON, 77, &options, &outImage, &outMask),
                           Status.ok, lib.message)
            XCTAssertEqual(outImage, expected.image)
            XCTAssertEqual(outMask, expected.mask)
            // In place: outputs are the input buffers.
            var inPlaceImage = image, inPlaceMask = mask
            let status = inPlaceImage.withUnsafeMutableBufferPointer { i in
                inPlaceMask.withUnsafeMutableBufferPointer { m in
                    lib.augment(i.baseAddress, m.baseAddress, channels, side, side, pipelineJSON, 77, &options, i.baseAddress, m.baseAddress)
                }
            }
            XCTAssertEqual(status, Status.ok, lib.message)
            XCTAssertEqual(inPlaceImage, expected.image)
            XCTAssertEqual(inPlaceMask, expected.mask)
        }
    }

    func testErrors() throws {
        let lib = try MedaugLibrary.shared()
        var (image, mask) = inputs()
        var outImage = image, outMask = mask
        func call(_ json: String? = nil, channels c: Int? = nil, height: Int? = nil, options: AugmentOptions? = nil,
                  image input: [Float]? = nil) -> Int32 {
            let source = input ?? image
            guard var o = options else {
                return lib.augment(source, mask, c ?? channels, height ?? side, side, json, 1, nil, &outImage, &outMask)
            }
            return lib.augment(source, mask, c ?? channels, height ?? side, side, json, 1, &o, &outImage, &outMask)
        }
        XCTAssertEqual(lib.augment(nil, mask, channels, side, side, nil, 1, nil, &outImage, &outMask), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("image is NULL"), lib.message)
        XCTAssertEqual(lib.augment(image, nil, channels, side, side, nil, 1, nil, &outImage, &outMask), Status.invalidArgument)
        XCTAssertEqual(lib.augment(image, mask, channels, side, side, nil, 1, nil, nil, &outMask), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("out_image is NULL"), lib.message)
        XCTAssertEqual(lib.augment(image, mask, channels, side, side, nil, 1, nil, &outImage, nil), Status.invalidArgument)
        XCTAssertEqual(call(channels: 0), Status.invalidArgument)
        XCTAssertEqual(call(height: Int.max), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("overflows") || lib.message.contains("limit"), lib.message)
        image[5] = .nan
        XCTAssertEqual(call(), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("image[5] is nan"), lib.message)
        image[5] = 0
        XCTAssertEqual(call("{not json"), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("pipeline_json"), lib.message)
        XCTAssertEqual(call(#"{"operations": [{"type": "rotate", "probability": 2, "degrees": [0, 1]}]}"#), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("rotate"), lib.message)
        XCTAssertEqual(call(options: AugmentOptions(structSize: 3)), Status.invalidArgument)
        XCTAssertTrue(lib.message.contains("struct_size"), lib.message)
        XCTAssertEqual(call(options: AugmentOptions(spacingRow: -1)), Status.invalidArgument)
        XCTAssertEqual(call(options: AugmentOptions(threads: 999)), Status.invalidArgument)
        XCTAssertEqual(call(options: AugmentOptions(reserved: 1)), Status.invalidArgument)
        XCTAssertEqual(call(), Status.ok, lib.message)
    }
}
