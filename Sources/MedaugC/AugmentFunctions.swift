import MedaugImaging

/// Reads `count` values from a caller's buffer, refusing NaN and ∞.
func finiteArray(_ pointer: UnsafePointer<Float>, count: Int, _ name: String) throws -> [Float] {
    let values = Array(UnsafeBufferPointer(start: pointer, count: count))
    if let index = values.firstIndex(where: { !$0.isFinite }) {
        throw ABIFailure.invalid("\(name)[\(index)] is \(values[index]); values must be finite")
    }
    return values
}

/// `options->spacing_row`, `spacing_column` at `offset` (0: 1 mm).
func spacing(_ fields: StructBytes, at offset: Int) throws -> (row: Double, column: Double) {
    let row = fields.double(at: offset), column = fields.double(at: offset + 8)
    for (name, value) in [("spacing_row", row), ("spacing_column", column)] where !(value == 0 || (value > 0 && value.isFinite)) {
        throw ABIFailure.invalid("options->\(name) is \(value), expected 0 (1 mm) or a positive finite size in mm")
    }
    return (row == 0 ? 1 : row, column == 0 ? 1 : column)
}

/// `options->threads` at `offset` (0: 1).
func threads(_ fields: StructBytes, at offset: Int) throws -> Int {
    let threads = fields.int32(at: offset)
    guard (0...256).contains(threads) else { throw ABIFailure.invalid("options->threads is \(threads), expected 0...256") }
    return max(1, Int(threads))
}

/// A pipeline from JSON, or the paper's when `json` is nil.
func pipeline(_ json: String?, _ name: String) throws -> AugmentationPipeline {
    guard let json else { return .paper }
    do {
        return try AugmentationPipeline(json: json)
    } catch let error as ImagingError {
        throw ABIFailure.invalid("\(name): \(error.description)")
    }
}

@_cdecl("medaug_augment")
public func medaug_augment(_ image: UnsafePointer<Float>?, _ mask: UnsafePointer<Int32>?, _ channels: UInt,
                           _ height: UInt, _ width: UInt, _ pipelineJSON: UnsafePointer<CChar>?, _ seed: UInt64,
                           _ options: UnsafeRawPointer?, _ outImage: UnsafeMutablePointer<Float>?,
                           _ outMask: UnsafeMutablePointer<Int32>?) -> Int32 {
    serve("medaug_augment") {
        let count = try Arguments.imageElements(channels, height, width)
        let plane = count / Int(channels)
        let imageIn = try Arguments.required(image, "image"), maskIn = try Arguments.required(mask, "mask")
        let imageOut = try Arguments.required(outImage, "out_image"), maskOut = try Arguments.required(outMask, "out_mask")
        let fields = try StructLayout.augmentOptions.read(options)
        try fields.reserved(at: 28, "options->reserved")
        let chosen = try pipeline(pipelineJSON.map { try Arguments.string($0, "pipeline_json") }, "pipeline_json")
        let pair = try ImagePair(channels: Int(channels), height: Int(height), width: Int(width),
                                 image: try finiteArray(imageIn, count: count, "image"),
                                 mask: Array(UnsafeBufferPointer(start: maskIn, count: plane)),
                                 spacing: try spacing(fields, at: 8))
        let result = try Augmenter(pipeline: chosen, threads: try threads(fields, at: 24)).apply(to: pair, seed: seed)
        // Outputs may be the input buffers: written only after the inputs were copied.
        _ = UnsafeMutableBufferPointer(start: imageOut, count: count).update(fromContentsOf: result.image)
        _ = UnsafeMutableBufferPointer(start: maskOut, count: plane).update(fromContentsOf: result.mask)
    }
}
