import MedaugEngine
import MedaugModels
import MedaugSupport

/// `MEDAUG_NORMALIZATION_*` and `MEDAUG_DROPOUT_*` codes.
enum Modes {
    static func code(_ mode: NormalizationMode) -> Int32 { mode == .running ? 1 : 2 }
    static func code(dropout: Bool) -> Int32 { dropout ? 2 : 1 }

    /// nil: the model file's mode.
    static func normalization(_ code: Int32) throws -> NormalizationMode? {
        switch code {
        case 0: return nil
        case 1: return .running
        case 2: return .instance
        default:
            throw ABIFailure.invalid("options->normalization is \(code), expected MEDAUG_NORMALIZATION_DEFAULT (0), _RUNNING (1) or _INSTANCE (2)")
        }
    }

    static func dropout(_ code: Int32) throws -> Bool? {
        switch code {
        case 0: return nil
        case 1: return false
        case 2: return true
        default: throw ABIFailure.invalid("options->dropout is \(code), expected MEDAUG_DROPOUT_DEFAULT (0), _OFF (1) or _ON (2)")
        }
    }
}

/// Element counts of a call, checked against overflow and the session's
/// memory limit before anything is allocated.
struct CallSizes {
    /// Elements per image or label map (side × side).
    var spatial: Int

    init(side: Int) { spatial = side * side }  // side ≤ 8192 (validated config)

    /// n × channels × spatial, overflow-checked.
    func elements(_ n: Int, _ channels: Int, _ what: String) throws -> Int {
        try Arguments.product([n, channels, spatial], what)
    }

    /// Refuses a call whose float copies alone exceed the session's limit
    /// (its arena is checked by the engine, against the same limit).
    static func checkMemory(_ elementCounts: [Int], session: Session) throws {
        var bytes = 0
        for count in elementCounts {
            let (size, overflow1) = count.multipliedReportingOverflow(by: 4)
            let (sum, overflow2) = bytes.addingReportingOverflow(size)
            guard !overflow1, !overflow2 else { throw ABIFailure.invalid("the call's buffers overflow the address space") }
            bytes = sum
        }
        guard bytes <= session.maxArenaBytes else {
            throw ABIFailure.invalid(
                "the call needs \(describeBytes(bytes)) for its input and output copies, over the session's memory limit of \(describeBytes(session.maxArenaBytes)); use smaller batches or raise memory_limit_bytes")
        }
    }
}

/// The model's kind must be `kind` for `operation`.
private func requireKind(_ config: ModelConfig, _ kind: ModelKind, _ operation: String) throws {
    guard config.kind == kind else {
        throw ABIFailure(status: Status.unsupported,
                         message: "\(operation) needs a \(kind.rawValue) model, this session's model is a \(config.kind.rawValue)")
    }
}

/// Height and width must be the model's image size.
private func requireSize(_ height: UInt, _ width: UInt, side: Int, _ what: String) throws {
    guard height == UInt(side), width == UInt(side) else {
        throw ABIFailure(status: Status.shapeMismatch, message: "\(what) is \(height)×\(width), the model's image size is \(side)×\(side)")
    }
}

// MARK: - Generate

@_cdecl("medaug_generate_output_count")
public func medaug_generate_output_count(_ session: OpaquePointer?, _ n: UInt, _ count: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_generate_output_count") {
        let config = try HandleRegistry.shared.session(session).model.config
        let out = try Arguments.required(count, "count")
        try requireKind(config, .generator, "medaug_generate_output_count")
        guard n >= 1 else { throw ABIFailure.invalid("n is 0, expected at least 1") }
        let common = config.common
        out.pointee = UInt(try CallSizes(side: common.imageSize).elements(try Arguments.size(n, "n"), common.outputChannels, "the output count"))
    }
}

@_cdecl("medaug_generate")
public func medaug_generate(_ session: OpaquePointer?, _ labels: UnsafePointer<Int32>?, _ n: UInt,
                            _ height: UInt, _ width: UInt, _ options: UnsafeRawPointer?,
                            _ images: UnsafeMutablePointer<Float>?, _ imagesCount: UInt) -> Int32 {
    serve("medaug_generate") {
        try HandleRegistry.shared.using(session) { session in
            let labels = try Arguments.required(labels, "labels")
            let images = try Arguments.required(images, "images")
            let fields = try StructLayout.generateOptions.read(options)
            let runOptions = RunOptions(normalization: try Modes.normalization(fields.int32(at: 8)),
                                        dropout: try Modes.dropout(fields.int32(at: 12)),
                                        seed: fields.uint64(at: 16))
            let config = session.model.config
            try requireKind(config, .generator, "medaug_generate")
            let count = try Arguments.batch(n, limit: Limits.value(.batch))
            let common = config.common
            try requireSize(height, width, side: common.imageSize, "the label map")
            let sizes = CallSizes(side: common.imageSize)
            let outputCount = try sizes.elements(count, common.outputChannels, "the output count")
            try Arguments.capacity(imagesCount, needed: outputCount, "images")
            let labelCount = try sizes.elements(count, 1, "the label count")
            // Label copy, one-hot input, output.
            try CallSizes.checkMemory([labelCount, try sizes.elements(count, common.inputChannels, "the input"), outputCount],
                                      session: session)
            let maps = LabelMaps(count: count, height: common.imageSize, width: common.imageSize,
                                 values: Array(UnsafeBufferPointer(start: labels, count: labelCount)))
            let output = try session.generate(from: maps, options: runOptions)
            try copy(output.values, to: images, expected: outputCount)
        }
    }
}

// MARK: - Segment

@_cdecl("medaug_segment_output_counts")
public func medaug_segment_output_counts(_ session: OpaquePointer?, _ n: UInt,
                                         _ probabilitiesCount: UnsafeMutablePointer<UInt>?,
                                         _ labelsCount: UnsafeMutablePointer<UInt>?) -> Int32 {
    serve("medaug_segment_output_counts") {
        let config = try HandleRegistry.shared.session(session).model.config
        guard probabilitiesCount != nil || labelsCount != nil else {
            throw ABIFailure.invalid("probabilities_count and labels_count are both NULL")
        }
        if let probabilitiesCount { try Arguments.aligned(probabilitiesCount, "probabilities_count") }
        if let labelsCount { try Arguments.aligned(labelsCount, "labels_count") }
        try requireKind(config, .segmenter, "medaug_segment_output_counts")
        guard n >= 1 else { throw ABIFailure.invalid("n is 0, expected at least 1") }
        let count = try Arguments.size(n, "n")
        let sizes = CallSizes(side: config.common.imageSize)
        let probabilities = try sizes.elements(count, config.common.outputChannels, "the probabilities count")
        let labels = try sizes.elements(count, 1, "the labels count")
        probabilitiesCount?.pointee = UInt(probabilities)
        labelsCount?.pointee = UInt(labels)
    }
}

@_cdecl("medaug_segment")
public func medaug_segment(_ session: OpaquePointer?, _ images: UnsafePointer<Float>?, _ n: UInt,
                           _ channels: UInt, _ height: UInt, _ width: UInt, _ options: UnsafeRawPointer?,
                           _ probabilities: UnsafeMutablePointer<Float>?, _ probabilitiesCount: UInt,
                           _ labels: UnsafeMutablePointer<Int32>?, _ labelsCount: UInt) -> Int32 {
    serve("medaug_segment") {
        try HandleRegistry.shared.using(session) { session in
            let images = try Arguments.required(images, "images")
            guard probabilities != nil || labels != nil else {
                throw ABIFailure.invalid("probabilities and labels are both NULL; ask for at least one")
            }
            if let probabilities { try Arguments.aligned(probabilities, "probabilities") }
            if let labels { try Arguments.aligned(labels, "labels") }
            let fields = try StructLayout.segmentOptions.read(options)
            let normalization = try Modes.normalization(fields.int32(at: 8))
            guard fields.int32(at: 12) == 0 else {
                throw ABIFailure(status: Status.unsupported, message: "options->reserved is \(fields.int32(at: 12)), expected 0")
            }
            let config = session.model.config
            try requireKind(config, .segmenter, "medaug_segment")
            let count = try Arguments.batch(n, limit: Limits.value(.batch))
            let common = config.common
            guard channels == UInt(common.inputChannels) else {
                throw ABIFailure(status: Status.shapeMismatch,
                                 message: "channels is \(channels), the model's images have \(common.inputChannels)")
            }
            try requireSize(height, width, side: common.imageSize, "the image")
            let sizes = CallSizes(side: common.imageSize)
            let probabilityCount = try sizes.elements(count, common.outputChannels, "the probabilities count")
            let labelCount = try sizes.elements(count, 1, "the labels count")
            if probabilities != nil { try Arguments.capacity(probabilitiesCount, needed: probabilityCount, "probabilities") }
            if labels != nil { try Arguments.capacity(labelsCount, needed: labelCount, "labels") }
            let inputCount = try sizes.elements(count, common.inputChannels, "the input count")
            // Input copy, probabilities, class indices and label values.
            try CallSizes.checkMemory([inputCount, probabilityCount, labelCount, labelCount], session: session)
            let input = Tensor(shape: [count, common.inputChannels, common.imageSize, common.imageSize],
                               values: Array(UnsafeBufferPointer(start: images, count: inputCount)))
            let result = try session.segment(input, options: RunOptions(normalization: normalization))
            if let probabilities { try copy(result.probabilities.values, to: probabilities, expected: probabilityCount) }
            if let labels { try copy(result.labelValues, to: labels, expected: labelCount) }
        }
    }
}

/// Copies a result into the caller's buffer, whose capacity was checked
/// against `expected`.
private func copy<T>(_ values: [T], to destination: UnsafeMutablePointer<T>, expected: Int) throws {
    guard values.count == expected else {
        throw ABIFailure(status: Status.error, message: "internal error: the engine returned \(values.count) values, expected \(expected)")
    }
    values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: expected) }
}
