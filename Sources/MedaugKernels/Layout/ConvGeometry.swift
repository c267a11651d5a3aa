/// Shape arithmetic of a 2-D convolution or transposed convolution with a
/// square kernel, equal strides and symmetric padding.
public struct ConvGeometry: Equatable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(kernel: Int, stride: Int, padding: Int) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// Output side of a convolution: ⌊(in + 2p − k)/s⌋ + 1, or nil if the
    /// kernel does not fit.
    public func convOutput(_ input: Int) -> Int? {
        let span = input + 2 * padding - kernel
        guard input > 0, span >= 0 else { return nil }
        return span / stride + 1
    }

    /// Output side of a transposed convolution: (in − 1)·s − 2p + k.
    public func transposedOutput(_ input: Int) -> Int? {
        let out = (input - 1) * stride - 2 * padding + kernel
        return input > 0 && out > 0 ? out : nil
    }

    /// True for a 1×1, stride-1, unpadded kernel, whose im2col is the input.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
@inlinable
public func floorDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}
