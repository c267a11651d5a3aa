import MedaugSupport

/// The shape of an NCHW tensor: images, channels, height, width.
///
/// A plain struct of four integers rather than an `[Int]`, so comparing and
/// passing shapes in a training step allocates nothing.
public struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Images in the batch (N).
    public var n: Int
    /// Channels (C).
    public var c: Int
    /// Rows (H), pixels.
    public var h: Int
    /// Columns (W), pixels.
    public var w: Int

    /// A shape of `n` images of `c`×`h`×`w`.
    public init(n: Int, c: Int, h: Int, w: Int) {
        self.n = n
        self.c = c
        self.h = h
        self.w = w
    }

    /// Pixels per channel plane: h·w.
    public var spatial: Int { h * w }
    /// Floats per image: c·h·w.
    public var imageCount: Int { c * h * w }
    /// Floats in the tensor: n·c·h·w.
    public var count: Int { n * c * h * w }
    /// True when every dimension is positive.
    public var isValid: Bool { n > 0 && c > 0 && h > 0 && w > 0 }
    /// The shape as `[N, C, H, W]`, e.g. for a weights file.
    public var dimensions: [Int] { [n, c, h, w] }
    /// "NxCxHxW".
    public var description: String { "\(n)x\(c)x\(h)x\(w)" }
}

/// A float32 NCHW buffer for training: owned storage allocated once and
/// reused in place, step after step.
///
/// A class (reference semantics) so a layer can keep its input for backward
/// without copying it and so storage is never silently duplicated by
/// copy-on-write. `resize(to:)` reallocates only when the new shape needs more
/// floats than the buffer has ever held, so after the first training step a
/// network of these tensors allocates nothing. Contents after a resize are
/// unspecified until written.
public final class TrainTensor {
    /// The current shape; `count` floats from `pointer` are valid.
    public private(set) var shape: TensorShape
    /// Floats the storage can hold without reallocating.
    public private(set) var capacity: Int
    /// Start of the storage (NCHW, contiguous).
    public private(set) var pointer: UnsafeMutablePointer<Float>

    /// A tensor of `shape`, filled with `value`.
    public init(shape: TensorShape, repeating value: Float = 0) {
        self.shape = shape
        capacity = max(1, shape.count)
        pointer = CacheAligned.allocate(Float.self, capacity: capacity)
        pointer.initialize(repeating: value, count: capacity)
    }

    /// A tensor of `shape` holding `values` (NCHW order).
    /// - Throws: `TrainerError.shapeMismatch` if `values.count` ≠ `shape.count`.
    public convenience init(shape: TensorShape, values: [Float]) throws(TrainerError) {
        guard values.count == shape.count else {
            throw .shapeMismatch("\(values.count) values given for a tensor of shape \(shape) (\(shape.count) floats)")
        }
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Floats in the current shape.
    public var count: Int { shape.count }

    /// The current contents as a mutable buffer of `count` floats.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Sets the shape, reallocating only if it needs more than `capacity`
    /// floats. Returns true when it reallocated (old contents are lost then).
    @discardableResult
    public func resize(to newShape: TensorShape) -> Bool {
        shape = newShape
        guard newShape.count > capacity else { return false }
        pointer.deallocate()
        capacity = newShape.count
        pointer = CacheAligned.allocate(Float.self, capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        return true
    }

    /// Sets every element of the current shape to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies `other`'s shape and contents into this tensor's storage.
    public func copy(from other: TrainTensor) {
        resize(to: other.shape)
        pointer.update(from: other.pointer, count: count)
    }

    /// The contents as an array (allocates; for tests, checkpoints, reports).
    public func toArray() -> [Float] { Array(buffer) }

    /// Start of image `image`'s `c`×`h`×`w` block.
    @inlinable
    public func image(_ image: Int) -> UnsafeMutablePointer<Float> { pointer + image * shape.imageCount }

    /// Element (n, c, y, x).
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { pointer[((n * shape.c + c) * shape.h + y) * shape.w + x] }
        set { pointer[((n * shape.c + c) * shape.h + y) * shape.w + x] = newValue }
    }
}

/// Integer class indices for N images of H×W pixels (the targets of the
/// cross-entropy and Dice losses), owned storage reused in place like
/// `TrainTensor`. Index i means class i (label value `label_values[i]` in
/// the files), not the stored label value.
public final class LabelMap {
    /// Images.
    public private(set) var n: Int
    /// Rows, pixels.
    public private(set) var h: Int
    /// Columns, pixels.
    public private(set) var w: Int
    private var capacity: Int
    /// Start of the storage: n·h·w class indices, image-major, row-major.
    public private(set) var pointer: UnsafeMutablePointer<Int32>

    /// A map of `n` images of `h`×`w` pixels, all class `value`.
    public init(n: Int, h: Int, w: Int, repeating value: Int32 = 0) {
        self.n = n
        self.h = h
        self.w = w
        capacity = max(1, n * h * w)
        pointer = CacheAligned.allocate(Int32.self, capacity: capacity)
        pointer.initialize(repeating: value, count: capacity)
    }

    /// A map holding `labels` (image-major, row-major).
    /// - Throws: `TrainerError.shapeMismatch` if `labels.count` ≠ n·h·w.
    public convenience init(n: Int, h: Int, w: Int, labels: [Int32]) throws(TrainerError) {
        guard labels.count == n * h * w else {
            throw .shapeMismatch("\(labels.count) labels given for \(n) images of \(h)x\(w)")
        }
        self.init(n: n, h: h, w: w)
        labels.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: labels.count) }
    }

    deinit { pointer.deallocate() }

    /// Labels in the map: n·h·w.
    public var count: Int { n * h * w }

    /// Sets the size, reallocating only when it needs more than ever before.
    public func resize(n: Int, h: Int, w: Int) {
        self.n = n
        self.h = h
        self.w = w
        guard n * h * w > capacity else { return }
        pointer.deallocate()
        capacity = n * h * w
        pointer = CacheAligned.allocate(Int32.self, capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }
}
