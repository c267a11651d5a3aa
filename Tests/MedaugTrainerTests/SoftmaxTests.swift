import MedaugTestSupport
import XCTest
@testable import MedaugTrainer

final class SoftmaxTests: XCTestCase {
    func testGradientsMatchFiniteDifferences() throws {
        var rng = TestRandom(mixingSeed: 41)
        try checkLayerGradients(Softmax(), input: rng.tensor(shape(2, 5, 3, 4), scale: 2), "Softmax")
    }

    func testProbabilitiesSumToOnePerPixel() throws {
        var rng = TestRandom(mixingSeed: 42)
        let x = rng.tensor(shape(2, 3, 4, 5), scale: 30)  // large logits must not overflow
        let y = try Softmax().forward(x, training: false)
        for n in 0..<2 { for i in 0..<4 { for j in 0..<5 {
            let total = (0..<3).reduce(Float(0)) { $0 + y[n, $1, i, j] }
            XCTAssertEqual(total, 1, accuracy: 1e-5)
        } } }
    }
}
