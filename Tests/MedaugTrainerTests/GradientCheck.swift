import Foundation
import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

/// The trainer tests' helpers on the shared `TestRandom` (MedaugTestSupport).
extension TestRandom {
    /// A tensor of N(0, scale²) values.
    mutating func tensor(_ shape: TensorShape, scale: Float = 1) -> TrainTensor {
        try! TrainTensor(shape: shape, values: normals(shape.count, scale: scale))
    }

    /// Class labels uniform in 0..<classes.
    mutating func labels(n: Int, h: Int, w: Int, classes: Int) -> LabelMap {
        try! LabelMap(n: n, h: h, w: w, labels: (0..<(n * h * w)).map { _ in Int32(next() % UInt64(classes)) })
    }
}

/// Shorthand for an NCHW shape.
func shape(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> TensorShape { TensorShape(n: n, c: c, h: h, w: w) }

/// Σ a·b in Double.
func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int) -> Double {
    var sum: Double = 0
    for i in 0..<count { sum += Double(a[i]) * Double(b[i]) }
    return sum
}

/// Central differences of `objective` with respect to each of `values`,
/// perturbing one element by ±eps at a time. The step is the difference of
/// the two perturbed floats actually stored, not 2·eps, so float rounding
/// of x ± eps does not bias the quotient.
func numericGradient(of objective: () throws -> Double, wrt values: UnsafeMutablePointer<Float>, count: Int,
                     eps: Float) rethrows -> [Double] {
    var result = [Double](repeating: 0, count: count)
    for i in 0..<count {
        let saved = values[i]
        let plus = saved + eps, minus = saved - eps
        values[i] = plus
        let up = try objective()
        values[i] = minus
        let down = try objective()
        values[i] = saved
        result[i] = (up - down) / (Double(plus) - Double(minus))
    }
    return result
}

/// ‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂): the whole-vector
/// relative error (per-element ratios are meaningless for near-zero entries
/// of a float32 finite difference), plus the worst element for messages.
func relativeError(_ analytic: [Double], _ numeric: [Double]) -> (error: Double, worst: Int) {
    var difference: Double = 0, a: Double = 0, n: Double = 0, worst = 0, worstValue: Double = -1
    for i in analytic.indices {
        let d = abs(analytic[i] - numeric[i])
        difference += d * d
        a += analytic[i] * analytic[i]
        n += numeric[i] * numeric[i]
        if d > worstValue { worstValue = d; worst = i }
    }
    let scale = max(a, n).squareRoot()
    return (scale == 0 ? difference.squareRoot() : difference.squareRoot() / scale, worst)
}

/// Asserts the relative error of a gradient is below `tolerance`, printing
/// what was checked, the error and the worst element on failure.
func assertGradient(_ analytic: [Double], _ numeric: [Double], tolerance: Double, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    XCTAssertFalse(analytic.allSatisfy { $0 == 0 }, "\(what): gradient is all zero, the check proves nothing",
                   file: file, line: line)
    let (error, worst) = relativeError(analytic, numeric)
    if ProcessInfo.processInfo.environment["MEDAUG_GRADCHECK_VERBOSE"] != nil {
        print("gradcheck \(what): relative error \(error) over \(analytic.count) elements")
    }
    XCTAssertLessThan(error, tolerance, "\(what): relative error \(error) (tolerance \(tolerance)); worst element "
                      + "\(worst): analytic \(analytic[worst]), numeric \(numeric[worst])", file: file, line: line)
}

/// The finite-difference check of a layer: objective J = Σ r·forward(x) in
/// Double for a fixed random r; backward(r) must give dJ/dx and add dJ/dθ
/// to every trainable parameter's gradient.
///
/// Tolerance 1e-2 relative (docs/design.md §1); eps 1e-3 by default.
func checkLayerGradients(_ layer: Layer, input: TrainTensor, training: Bool = true, eps: Float = 1e-3,
                         tolerance: Double = 1e-2, seed: UInt64 = 99, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = TestRandom(mixingSeed: seed)
    let output = try layer.forward(input, training: training)
    let projection = rng.tensor(output.shape)
    let objective = { () throws -> Double in
        let y = try layer.forward(input, training: training)
        return dot(y.pointer, projection.pointer, count: y.count)
    }
    _ = try objective()
    layer.zeroGradients()
    let gradInput = try layer.backward(projection).toArray().map(Double.init)
    let parameterGradients = layer.trainableParameters.map { Array($0.gradient).map(Double.init) }
    let numericInput = try numericGradient(of: objective, wrt: input.pointer, count: input.count, eps: eps)
    assertGradient(gradInput, numericInput, tolerance: tolerance, "\(what): input gradient", file: file, line: line)
    for (parameter, analytic) in zip(layer.trainableParameters, parameterGradients) {
        let numeric = try numericGradient(of: objective, wrt: parameter.value.baseAddress!, count: parameter.count,
                                          eps: eps)
        assertGradient(analytic, numeric, tolerance: tolerance, "\(what): \(parameter.name) gradient",
                       file: file, line: line)
    }
}

/// The finite-difference check of a loss: `evaluate` returns the value and
/// fills `gradient`, which must match central differences over `input`.
func checkLossGradient(_ evaluate: () throws -> Double, gradient: TrainTensor, input: TrainTensor,
                       eps: Float = 1e-3, tolerance: Double = 1e-2, _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
    _ = try evaluate()
    let analytic = gradient.toArray().map(Double.init)
    let numeric = try numericGradient(of: evaluate, wrt: input.pointer, count: input.count, eps: eps)
    assertGradient(analytic, numeric, tolerance: tolerance, what, file: file, line: line)
}

/// Moves every value at least `margin` away from zero (keeps its sign), so
/// finite differences of ReLU-like functions never straddle the kink.
func awayFromZero(_ tensor: TrainTensor, margin: Float = 0.05) {
    for i in 0..<tensor.count {
        let v = tensor.pointer[i]
        tensor.pointer[i] = v >= 0 ? v + margin : v - margin
    }
}
