import MedaugKernels
import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

/// After `zeroGradients` a backward pass of `layer` writes its gradients
/// whole: NaN left in their storage does not survive (the weight GEMM of
/// the first image overwrites, the rest is zeroed when read). Shared by
/// the layers whose weight gradient is a GEMM (`Parameter.addProduct`).
func checkStaleGradientsAreOverwritten(_ layer: any Layer, x: TrainTensor, gradOutput g: TrainTensor,
                                       _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
    _ = try layer.forward(x, training: true)
    _ = try layer.backward(g)
    let fresh = layer.parameters.map { Array($0.gradient) }
    for parameter in layer.parameters { parameter.gradientForWriting().buffer.update(repeating: .nan) }
    layer.zeroGradients()
    _ = try layer.forward(x, training: true)
    _ = try layer.backward(g)
    for (parameter, expected) in zip(layer.parameters, fresh) {
        XCTAssertTrue(parameter.gradient.allSatisfy(\.isFinite), "\(label) \(parameter.name)", file: file, line: line)
        XCTAssertLessThan(Naive.maxDifference(Array(parameter.gradient), expected), 1e-5, label,
                          file: file, line: line)
    }
}

/// One image over few pixels keeps `weight`'s gradient as a product
/// (`Parameter.deferGradient`) on tiers with the strips kernel: read, it
/// has the values of the gradient written directly; a second backward
/// pass adds to it. `x` is a batch of one.
func checkOneImageDefersItsWeightGradient(_ layer: any Layer, weight: Parameter, x: TrainTensor,
                                          gradOutput g: TrainTensor, file: StaticString = #filePath,
                                          line: UInt = #line) throws {
    try forEachTier(running: .strips) { tier in
        layer.zeroGradients()
        _ = weight.gradient  // zeroed: the first backward adds to it
        _ = try layer.forward(x, training: true)
        _ = try layer.backward(g)
        let written = Array(weight.gradient)
        layer.zeroGradients()
        _ = try layer.backward(g)
        if case .product = weight.gradientSource() {
            XCTAssertTrue(tier.runs(.strips), "\(tier)", file: file, line: line)
        } else {
            XCTAssertFalse(tier.runs(.strips), "\(tier)", file: file, line: line)
        }
        _ = try layer.backward(g)
        XCTAssertLessThan(Naive.maxDifference(Array(weight.gradient), written.map { 2 * $0 }), 1e-5, "\(tier)",
                          file: file, line: line)
    }
}
