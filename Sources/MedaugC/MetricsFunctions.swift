#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MedaugMetrics

/// Options layout (medaug_metrics_options_t): smoothing 8, hausdorff_percentile
/// 16, spacing 24/32, regions_json 40, count_absent_as_one 48, skip_hausdorff 52.
private func metricsOptions(_ pointer: UnsafeRawPointer?) throws -> MetricsOptions {
    let fields = try StructLayout.metricsOptions.read(pointer)
    var options = MetricsOptions()
    options.smoothing = fields.double(at: 8)
    options.excludeAbsentClasses = !(try fields.flag(at: 48, "options->count_absent_as_one"))
    if try fields.flag(at: 52, "options->skip_hausdorff") {
        options.surfaceDistance = nil
    } else {
        let percentile = fields.double(at: 16)
        let (row, column) = try spacing(fields, at: 24)
        options.surfaceDistance = try SurfaceDistanceOptions(percentile: percentile == 0 ? 95 : percentile,
                                                             spacing: try PixelSpacing(row: row, column: column))
    }
    if let json = try fields.string(at: 40, "options->regions_json") {
        options.regions = try regions(json)
    }
    return options
}

/// `[{"name": "whole tumour", "classes": [1, 2, 3]}, ...]`.
private func regions(_ json: String) throws -> [RegionDefinition] {
    struct Entry: Decodable {
        var name: String
        var classes: [Int]
    }
    let entries: [Entry]
    do {
        entries = try JSONDecoder().decode([Entry].self, from: Data(json.utf8))
    } catch {
        throw ABIFailure.invalid("options->regions_json is not a JSON array of {\"name\": string, \"classes\": [int]} (\(error))")
    }
    guard entries.count <= 256 else { throw ABIFailure.invalid("options->regions_json lists \(entries.count) regions, at most 256") }
    return try entries.map { try RegionDefinition(name: $0.name, classes: Set($0.classes)) }
}

@_cdecl("medaug_metrics")
public func medaug_metrics(_ prediction: UnsafePointer<Int32>?, _ truth: UnsafePointer<Int32>?, _ n: UInt,
                           _ height: UInt, _ width: UInt, _ classCount: UInt, _ options: UnsafeRawPointer?,
                           _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    serve("medaug_metrics") {
        let out = try Arguments.required(json, "json")
        out.pointee = nil
        // K × K confusion counts per image and per region: 1024 classes is
        // 8 MB of counts; more would be a memory hazard, not a label map.
        guard (1...1024).contains(classCount) else { throw ABIFailure.invalid("class_count is \(classCount), expected 1...1024") }
        let plane = try Arguments.imageElements(1, height, width)
        guard n >= 1 else { throw ABIFailure.invalid("n is 0, expected at least 1") }
        let total = try Arguments.product([try Arguments.size(n, "n"), plane], "n × height × width")
        guard total <= Arguments.maxImageElements else {
            throw ABIFailure.invalid("\(n) maps of \(height)×\(width) are above the limit of \(Arguments.maxImageElements) values")
        }
        let predicted = try Arguments.required(prediction, "prediction"), expected = try Arguments.required(truth, "truth")
        var accumulator = try MetricsAccumulator(classes: Int(classCount), options: try metricsOptions(options))
        for image in 0..<Int(n) {
            try accumulator.add(prediction: Array(UnsafeBufferPointer(start: predicted + image * plane, count: plane)),
                                truth: Array(UnsafeBufferPointer(start: expected + image * plane, count: plane)),
                                width: Int(width), height: Int(height))
        }
        struct Report: Encodable {
            var micro: SegmentationScores
            var macro: SegmentationScores
            var perImage: [SegmentationScores]
            enum CodingKeys: String, CodingKey { case micro, macro, perImage = "per_image" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(Report(micro: try accumulator.micro(), macro: try accumulator.macro(),
                                                              perImage: accumulator.imageScores)), as: UTF8.self)
        guard let copy = strdup(text) else {
            throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(text.utf8.count + 1) bytes for the JSON")
        }
        out.pointee = copy
    }
}
