/// A dense float32 tensor in NCHW order.
public struct Tensor: Equatable, Sendable {
    /// [N, C, H, W].
    public var shape: [Int]
    public var values: [Float]

    /// - Precondition-free: a shape/count mismatch is reported by `validate`.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// A zero tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.values = [Float](repeating: 0, count: shape.reduce(1, *))
    }
}
