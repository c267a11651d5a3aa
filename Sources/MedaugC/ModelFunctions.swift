import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MedaugEngine
import MedaugModels

@_cdecl("medaug_model_load_file")
public func medaug_model_load_file(_ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    serve("medaug_model_load_file") { try loadModelFile(path, model, loading: .copy) }
}

@_cdecl("medaug_model_load_file_mapped")
public func medaug_model_load_file_mapped(_ path: UnsafePointer<CChar>?,
                                          _ model: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    serve("medaug_model_load_file_mapped") { try loadModelFile(path, model, loading: .map) }
}

/// Both file loaders: the size cap before the file is read or mapped, and
/// for a copy an allocation probe, so an impossible size is a status.
private func loadModelFile(_ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?,
                           loading: SafetensorsFile.Loading) throws {
    let out = try Arguments.required(model, "model")
    out.pointee = nil
    guard let path = String(validatingCString: try Arguments.required(path, "path")) else {
        throw ABIFailure.invalid("path is not valid UTF-8")
    }
    let limit = Limits.value(.modelBytes)
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int {
        guard size <= limit else {
            throw ABIFailure.invalid("'\(path)' is \(size) bytes, above the model size limit of \(limit) bytes (MEDAUG_LIMIT_MODEL_BYTES)")
        }
        if loading == .copy {
            guard let probe = malloc(max(1, size)) else {
                throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(size) bytes for the model's copy")
            }
            free(probe)
        }
    }
    out.pointee = HandleRegistry.shared.register(try Model(path: path, loading: loading))
}

@_cdecl("medaug_model_load_memory")
public func medaug_model_load_memory(_ bytes: UnsafeRawPointer?, _ size: UInt,
                                     _ model: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    serve("medaug_model_load_memory") {
        let out = try Arguments.required(model, "model")
        out.pointee = nil
        guard let bytes else { throw ABIFailure.invalid("bytes is NULL") }
        guard size > 0 else { throw ABIFailure.invalid("size is 0") }
        let count = try Arguments.size(size, "size")
        let limit = Limits.value(.modelBytes)
        guard count <= limit else {
            throw ABIFailure.invalid("size is \(count) bytes, above the model size limit of \(limit) bytes (MEDAUG_LIMIT_MODEL_BYTES)")
        }
        // The loader copies the bytes with an allocation that would trap on
        // failure; probe first so an impossible size is a status instead.
        guard let probe = malloc(count) else {
            throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(count) bytes for the model's copy")
        }
        free(probe)
        let storage = try SafetensorsFile(bytes: UnsafeRawBufferPointer(start: bytes, count: count))
        out.pointee = HandleRegistry.shared.register(Model(file: try ModelFile(storage: storage)))
    }
}

@_cdecl("medaug_model_free")
public func medaug_model_free(_ model: OpaquePointer?) -> Int32 {
    serve("medaug_model_free") { try HandleRegistry.shared.releaseModel(model) }
}

/// `MEDAUG_KIND_*`.
func kindCode(_ kind: ModelKind) -> Int32 {
    switch kind {
    case .generator: return 1
    case .discriminator: return 2
    case .segmenter: return 3
    }
}

@_cdecl("medaug_model_info")
public func medaug_model_info(_ model: OpaquePointer?, _ info: UnsafeMutableRawPointer?) -> Int32 {
    serve("medaug_model_info") {
        let common = try HandleRegistry.shared.model(model).config.common
        guard let info else { throw ABIFailure.invalid("info is NULL") }
        let layout = StructLayout.modelInfo
        var fields = StructBytes(bytes: [UInt8](repeating: 0, count: layout.size))
        fields.set(kindCode(common.kind), at: 8)
        fields.set(Modes.code(common.inference.normalization), at: 12)
        fields.set(Modes.code(dropout: common.inference.dropout), at: 16)
        fields.set(Int32(clamping: common.formatVersion), at: 20)
        fields.set(common.imageSize, at: 24)
        fields.set(common.inputChannels, at: 32)
        fields.set(common.outputChannels, at: 40)
        fields.set(common.channelNames.count, at: 48)
        fields.set(common.classes.count, at: 56)
        try layout.write(fields, to: info)
    }
}

@_cdecl("medaug_model_label_values")
public func medaug_model_label_values(_ model: OpaquePointer?, _ values: UnsafeMutablePointer<Int32>?, _ capacity: UInt) -> Int32 {
    serve("medaug_model_label_values") {
        let labelValues = try HandleRegistry.shared.model(model).config.common.labelValues
        let out = try Arguments.required(values, "values")
        try Arguments.capacity(capacity, needed: labelValues.count, "values")
        for (index, value) in labelValues.enumerated() { out[index] = Int32(value) }
    }
}

@_cdecl("medaug_model_config_json")
public func medaug_model_config_json(_ model: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    serve("medaug_model_config_json") {
        let out = try Arguments.required(json, "json")
        out.pointee = nil
        let text = try HandleRegistry.shared.model(model).config.jsonString()
        guard let copy = strdup(text) else {
            throw ABIFailure(status: Status.outOfMemory, message: "cannot allocate \(text.utf8.count + 1) bytes for the JSON")
        }
        out.pointee = copy
    }
}

@_cdecl("medaug_model_init")
public func medaug_model_init(_ kind: Int32, _ imageSize: Int32, _ classes: Int32, _ channels: Int32, _ seed: UInt64,
                              _ path: UnsafePointer<CChar>?) -> Int32 {
    serve("medaug_model_init") {
        let kinds: [Int32: ModelKind] = [1: .generator, 2: .discriminator, 3: .segmenter]
        guard let modelKind = kinds[kind] else {
            throw ABIFailure.invalid("kind \(kind) is not MEDAUG_KIND_GENERATOR, _DISCRIMINATOR or _SEGMENTER")
        }
        guard (8...2048).contains(imageSize) else { throw ABIFailure.invalid("image_size \(imageSize) is outside 8...2048") }
        guard (2...256).contains(classes) else { throw ABIFailure.invalid("classes \(classes) is outside 2...256") }
        guard (1...16).contains(channels) else { throw ABIFailure.invalid("channels \(channels) is outside 1...16") }
        let file = try Arguments.string(path, "path")
        let config: ModelConfig
        do {
            config = try ModelConfig.standard(kind: modelKind, imageSize: Int(imageSize), classes: Int(classes),
                                              imageChannels: Int(channels))
        } catch let error as ModelError {
            throw ABIFailure.invalid("no \(modelKind.rawValue) for these sizes: \(error.description)")
        }
        try ModelFile.write(config: config, tensors: RandomInit.weights(for: config, seed: seed), to: file)
    }
}
