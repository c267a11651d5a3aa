/// Channel concatenation of two NCHW tensors, `[first, second]` along C (the
/// U-Net skip order `[up output, skip]` of docs/weights-format.md).
///
/// Not a `Layer`: it has two inputs. Backward splits the output gradient
/// back into the two inputs' gradients. No saved activations are needed.
public final class Concat {
    /// Name for error messages (e.g. `up.2.concat`).
    public let name: String

    private let output = TrainTensor(shape: unsizedShape)
    private let gradFirst = TrainTensor(shape: unsizedShape)
    private let gradSecond = TrainTensor(shape: unsizedShape)
    private var firstShape: TensorShape?
    private var secondShape = unsizedShape

    /// A concatenation named `name`.
    public init(name: String = "concat") { self.name = name }

    /// [first, second] along channels; the result is owned and reused.
    /// - Throws: `TrainerError.shapeMismatch` unless N, H and W agree.
    public func forward(_ first: TrainTensor, _ second: TrainTensor) throws(TrainerError) -> TrainTensor {
        let a = first.shape, b = second.shape
        guard a.isValid, b.isValid, a.n == b.n, a.h == b.h, a.w == b.w else {
            throw .shapeMismatch("'\(name)': cannot concatenate \(a) and \(b) along channels (N, H, W must agree)")
        }
        output.resize(to: TensorShape(n: a.n, c: a.c + b.c, h: a.h, w: a.w))
        for n in 0..<a.n {
            output.image(n).update(from: first.image(n), count: a.imageCount)
            (output.image(n) + a.imageCount).update(from: second.image(n), count: b.imageCount)
        }
        firstShape = a
        secondShape = b
        return output
    }

    /// Splits d(objective)/d(output) into the gradients of `first` and
    /// `second` (tensors owned by the layer, reused).
    /// - Throws: `TrainerError.backwardBeforeForward`, or `.shapeMismatch`
    ///   when `gradOutput` does not have the last output's shape.
    public func backward(_ gradOutput: TrainTensor) throws(TrainerError) -> (first: TrainTensor, second: TrainTensor) {
        guard let a = firstShape else { throw .backwardBeforeForward(layer: name) }
        guard gradOutput.shape == output.shape else {
            throw .shapeMismatch("'\(name)': output gradient is \(gradOutput.shape), the last output was \(output.shape)")
        }
        let b = secondShape
        gradFirst.resize(to: a)
        gradSecond.resize(to: b)
        for n in 0..<a.n {
            gradFirst.image(n).update(from: gradOutput.image(n), count: a.imageCount)
            gradSecond.image(n).update(from: gradOutput.image(n) + a.imageCount, count: b.imageCount)
        }
        return (gradFirst, gradSecond)
    }
}
