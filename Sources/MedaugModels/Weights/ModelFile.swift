import MedaugSupport

/// A model file opened and checked against its own architecture: the
/// configuration parsed from `__metadata__["medaug"]` and every tensor it
/// needs present with the right dtype and shape, nothing more.
public final class ModelFile: @unchecked Sendable {
    public let config: ModelConfig
    public let storage: SafetensorsFile

    /// Opens and validates `path`, its bytes copied into memory (or mapped,
    /// with `.map`: see `SafetensorsFile.Loading` for the risk).
    public convenience init(path: String, loading: SafetensorsFile.Loading = .copy) throws {
        try self.init(storage: try SafetensorsFile(path: path, loading: loading))
    }

    /// Validates an already opened container.
    public init(storage: SafetensorsFile) throws {
        guard let json = storage.metadata["medaug"] else {
            throw ModelError.invalidConfig("__metadata__ has no \"medaug\" entry: not a medaug model file")
        }
        config = try ModelConfig(json: json)
        self.storage = storage
        var expected: [String: [Int]] = [:]
        for spec in config.tensorSpecs {
            expected[spec.name] = spec.shape
            guard let entry = storage.entries[spec.name] else {
                throw ModelError.missingTensor(name: spec.name, expectedShape: spec.shape)
            }
            guard entry.dtype == "F32" else { throw ModelError.unsupportedDType(name: spec.name, found: entry.dtype) }
            guard entry.shape == spec.shape else {
                throw ModelError.shapeMismatch(name: spec.name, expected: spec.shape, found: entry.shape)
            }
        }
        for name in storage.entries.keys.sorted() where expected[name] == nil {
            throw ModelError.unexpectedTensor(name: name)
        }
    }

    /// The values of tensor `name` (which validation guarantees exists):
    /// a view of the file when aligned, else a one-time copy.
    public func tensor(_ name: String) -> TensorValues {
        if let view = storage.floats(name) { return TensorValues(view: view, owner: self, name: name) }
        return TensorValues(copy: storage.floatArray(name) ?? [])
    }

    /// Writes `config` and `tensors` (by name) as a model file, atomically.
    /// - Throws: `ModelError` if a tensor is missing, extra or misshapen.
    public static func write(config: ModelConfig, tensors: [String: [Float]], to path: String) throws {
        try config.validate()
        var ordered: [SafetensorsWriter.Tensor] = []
        for spec in config.tensorSpecs {
            guard let values = tensors[spec.name] else { throw ModelError.missingTensor(name: spec.name, expectedShape: spec.shape) }
            guard values.count == spec.elementCount else {
                throw ModelError.shapeMismatch(name: spec.name, expected: spec.shape, found: [values.count])
            }
            ordered.append(.init(name: spec.name, shape: spec.shape, values: values))
        }
        if let extra = Set(tensors.keys).subtracting(config.tensorSpecs.map(\.name)).sorted().first {
            throw ModelError.unexpectedTensor(name: extra)
        }
        try SafetensorsWriter.write(ordered, metadata: ["medaug": config.jsonString()], to: path)
    }
}

/// A tensor's F32 values, either viewed in place in a model file (kept alive
/// by `owner`) or owned.
public struct TensorValues: @unchecked Sendable {
    private let owner: AnyObject?
    private let name: String?
    public let buffer: UnsafeBufferPointer<Float>

    init(view: UnsafeBufferPointer<Float>, owner: ModelFile, name: String) {
        self.owner = owner
        self.name = name
        self.buffer = view
    }

    /// For a view into a memory-mapped file: tells the kernel its pages may
    /// be dropped from memory (they are re-read from the file if touched
    /// again). Called once a transformed copy replaces these values, so a
    /// model does not hold both the file's and the folded weights.
    public func releaseFilePages() {
        guard let file = owner as? ModelFile, let name else { return }
        file.storage.releasePages(of: name)
    }

    /// Owns `copy` (for weights computed at load time, e.g. folded).
    public init(copy: [Float]) {
        let box = FloatBox(copy)
        self.owner = box
        self.name = nil
        self.buffer = UnsafeBufferPointer(box.pointer)
    }

    /// Owns `count` floats that `initialize` fills in place (weights
    /// transformed at load: one allocation, no intermediate array).
    public init(count: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let box = FloatBox(count: count)
        initialize(box.pointer)
        self.owner = box
        self.name = nil
        self.buffer = UnsafeBufferPointer(box.pointer)
    }

    public var count: Int { buffer.count }
    public subscript(i: Int) -> Float { buffer[i] }
}

/// Heap storage with a stable address, on a cache line (`CacheAligned`:
/// the kernels stream transformed and packed weights in 64-byte vectors).
final class FloatBox {
    let pointer: UnsafeMutableBufferPointer<Float>
    init(_ values: [Float]) {
        pointer = CacheAligned.allocateBuffer(Float.self, capacity: values.count)
        _ = pointer.initialize(from: values)
    }
    /// `count` floats, zeroed.
    init(count: Int) {
        pointer = CacheAligned.allocateBuffer(Float.self, capacity: count)
        pointer.initialize(repeating: 0)
    }
    deinit { pointer.deallocate() }
}
