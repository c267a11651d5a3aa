import Foundation
import MedaugEngine
import MedaugExpansion
import MedaugImaging

/// `int (*medaug_progress_fn)(void *user_data, size_t done, size_t total)`.
typealias ProgressFunction = @convention(c) (UnsafeMutableRawPointer?, UInt, UInt) -> Int32

/// medaug_expand_options_t, read (offsets in include/medaug.h's layout).
private struct ExpandCall {
    var options: ExpansionOptions
    var overwrite: Bool
    var progress: (Int, Int) -> Bool

    init(_ pointer: UnsafeRawPointer?) throws {
        let fields = try StructLayout.expandOptions.read(pointer)
        let target = fields.uint64(at: 8)
        guard target >= 1, target <= UInt64(ExpansionOptions.maxTarget) else {
            throw ABIFailure.invalid("options->target is \(target), expected 1...\(ExpansionOptions.maxTarget) (options are required: the target count has no default)")
        }
        options = ExpansionOptions(target: Int(target))
        let classicOnly = try fields.flag(at: 84, "options->classic_only")
        for (offset, name) in [(16, "generated_share"), (24, "edit_share")] {
            let share = fields.double(at: offset)
            guard share >= 0, share <= 1 else { throw ABIFailure.invalid("options->\(name) is \(share), expected 0 (default 0.5) or a share in 0...1") }
        }
        options.generatedShare = classicOnly ? 0 : (fields.double(at: 16) == 0 ? 0.5 : fields.double(at: 16))
        options.editShare = fields.double(at: 24) == 0 ? 0.5 : fields.double(at: 24)
        let valueCount = Int(clamping: fields.uint64(at: 40))
        if valueCount > 0 {
            guard valueCount <= 1024 else { throw ABIFailure.invalid("options->edit_value_count is \(valueCount), at most 1024") }
            guard let values = fields.pointer(at: 32) else { throw ABIFailure.invalid("options->edit_values is NULL with edit_value_count \(valueCount)") }
            try Arguments.aligned(values.assumingMemoryBound(to: Int32.self), "options->edit_values")
            options.editValues = Array(UnsafeBufferPointer(start: values.assumingMemoryBound(to: Int32.self), count: valueCount))
        }
        options.classicPipeline = try pipeline(try fields.string(at: 48, "options->pipeline_json"), "options->pipeline_json")
        if let json = try fields.string(at: 56, "options->mask_pipeline_json") {
            options.maskPipeline = try pipeline(json, "options->mask_pipeline_json")
        }
        options.seed = fields.uint64(at: 64)
        options.normalization = try Modes.normalization(fields.int32(at: 72))
        options.dropout = try Modes.dropout(fields.int32(at: 76))
        options.threads = try threads(fields, at: 80)
        overwrite = try fields.flag(at: 88, "options->overwrite")
        try fields.reserved(at: 92, "options->reserved")
        if let function = fields.pointer(at: 96) {
            let callback = unsafeBitCast(function, to: ProgressFunction.self)
            let user = UnsafeMutableRawPointer(mutating: fields.pointer(at: 104))
            progress = { done, total in callback(user, UInt(done), UInt(total)) == 0 }
        } else {
            progress = { _, _ in true }
        }
    }
}

/// The generator handle (NULL allowed for classic-only expansions).
private func generatorModel(_ handle: OpaquePointer?) throws -> Model? {
    guard handle != nil else { return nil }
    return try HandleRegistry.shared.model(handle, argument: "generator")
}

@_cdecl("medaug_expand")
public func medaug_expand(_ generator: OpaquePointer?, _ images: UnsafePointer<Float>?, _ masks: UnsafePointer<Int32>?,
                          _ n: UInt, _ channels: UInt, _ height: UInt, _ width: UInt, _ options: UnsafeRawPointer?,
                          _ outImages: UnsafeMutablePointer<Float>?, _ outImagesCount: UInt,
                          _ outMasks: UnsafeMutablePointer<Int32>?, _ outMasksCount: UInt,
                          _ outOrigins: UnsafeMutablePointer<Int32>?, _ outOriginsCount: UInt) -> Int32 {
    serve("medaug_expand") {
        let call = try ExpandCall(options)
        let model = try generatorModel(generator)
        let pairCount = try Arguments.imageElements(channels, height, width)
        let plane = pairCount / Int(channels)
        guard n >= 1, n <= UInt(call.options.target) else {
            throw ABIFailure.invalid("n is \(n), expected 1...options->target (\(call.options.target))")
        }
        let target = call.options.target
        let imagesNeeded = try Arguments.product([target, pairCount], "target × channels × height × width")
        let masksNeeded = try Arguments.product([target, plane], "target × height × width")
        let imagesIn = try Arguments.required(images, "images"), masksIn = try Arguments.required(masks, "masks")
        let imagesOut = try Arguments.required(outImages, "out_images"), masksOut = try Arguments.required(outMasks, "out_masks")
        try Arguments.capacity(outImagesCount, needed: imagesNeeded, "out_images")
        try Arguments.capacity(outMasksCount, needed: masksNeeded, "out_masks")
        if let outOrigins {
            try Arguments.aligned(outOrigins, "out_origins")
            try Arguments.capacity(outOriginsCount, needed: target, "out_origins")
        }
        let inputElements = try Arguments.product([Int(n), pairCount], "n × channels × height × width")
        guard imagesNeeded <= Arguments.maxImageElements, inputElements <= Arguments.maxImageElements else {
            throw ABIFailure.invalid("the expansion's images hold more than \(Arguments.maxImageElements) values; expand in smaller sets")
        }
        let reals = try (0..<Int(n)).map { index in
            try ImagePair(channels: Int(channels), height: Int(height), width: Int(width),
                          image: try finiteArray(imagesIn + index * pairCount, count: pairCount, "images"),
                          mask: Array(UnsafeBufferPointer(start: masksIn + index * plane, count: plane)))
        }
        let result = try Expander(generator: model, options: call.options).expand(reals, progress: call.progress)
        for (index, item) in result.enumerated() {
            _ = UnsafeMutableBufferPointer(start: imagesOut + index * pairCount, count: pairCount).update(fromContentsOf: item.pair.image)
            _ = UnsafeMutableBufferPointer(start: masksOut + index * plane, count: plane).update(fromContentsOf: item.pair.mask)
            outOrigins?[index] = originCode(item)
        }
    }
}

/// `MEDAUG_ORIGIN_*`.
private func originCode(_ item: ExpandedPair) -> Int32 {
    switch item.origin {
    case .real: return 0
    case .classic: return 1
    case .generated: return item.edit == nil ? 2 : 3
    // The C API always synthesises with the generator (the experiment's
    // ablations are Swift-only), so these never reach it.
    case .gaussianMixture: return item.edit == nil ? 2 : 3
    case .pasted: return 1
    }
}

@_cdecl("medaug_expand_dataset")
public func medaug_expand_dataset(_ generator: OpaquePointer?, _ input: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                                  _ options: UnsafeRawPointer?) -> Int32 {
    serve("medaug_expand_dataset") {
        let call = try ExpandCall(options)
        let model = try generatorModel(generator)
        let inputFolder = try Arguments.string(input, "input"), outputFolder = try Arguments.string(output, "output")
        try Expander(generator: model, options: call.options)
            .expandDataset(input: inputFolder, output: outputFolder, overwrite: call.overwrite, progress: call.progress)
    }
}

@_cdecl("medaug_expand_dataset_plan")
public func medaug_expand_dataset_plan(_ input: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?,
                                       _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    serve("medaug_expand_dataset_plan") {
        let out = try Arguments.required(json, "json")
        out.pointee = nil
        let call = try ExpandCall(options)
        let text = try Expander.planDataset(input: try Arguments.string(input, "input"), options: call.options).jsonString()
        guard let copy = strdup(text) else {
            throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(text.utf8.count + 1) bytes for the plan")
        }
        out.pointee = copy
    }
}

@_cdecl("medaug_expand_dataset_steps")
public func medaug_expand_dataset_steps(_ generator: OpaquePointer?, _ input: UnsafePointer<CChar>?,
                                        _ staging: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?,
                                        _ first: UInt64, _ count: UInt64) -> Int32 {
    serve("medaug_expand_dataset_steps") {
        let call = try ExpandCall(options)
        let model = try generatorModel(generator)
        let inputFolder = try Arguments.string(input, "input"), stagingFolder = try Arguments.string(staging, "staging")
        let limit = UInt64(ExpansionOptions.maxTarget)
        guard count >= 1, first <= limit, count <= limit else {
            throw ABIFailure.invalid("steps first \(first), count \(count): count must be at least 1 and both at most \(limit)")
        }
        try Expander(generator: model, options: call.options)
            .writeSteps(Int(first)..<Int(first + count), input: inputFolder, staging: stagingFolder, progress: call.progress)
    }
}

@_cdecl("medaug_expand_dataset_finish")
public func medaug_expand_dataset_finish(_ input: UnsafePointer<CChar>?, _ staging: UnsafePointer<CChar>?,
                                         _ output: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?) -> Int32 {
    serve("medaug_expand_dataset_finish") {
        let call = try ExpandCall(options)
        try Expander.finishDataset(input: try Arguments.string(input, "input"), staging: try Arguments.string(staging, "staging"),
                                   output: try Arguments.string(output, "output"), options: call.options,
                                   overwrite: call.overwrite)
    }
}
