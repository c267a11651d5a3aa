import Foundation
import MedaugSupport
import MedaugTestSupport
import XCTest
@testable import MedaugImaging

final class AugmenterTests: XCTestCase {
    /// A smooth image (sum of low-frequency waves) and a mask of three
    /// labels in concentric regions.
    func smoothPair(height: Int = 64, width: Int = 80, labels: [Int32] = [0, 3, 7],
                    spacing: (Double, Double) = (1, 1)) throws -> ImagePair {
        var image = [Float](), mask = [Int32]()
        for c in 0..<2 {
            for y in 0..<height {
                for x in 0..<width {
                    let u = Double(x) / Double(width), v = Double(y) / Double(height)
                    image.append(Float(0.5 * sin(2 * Double.pi * (u + 0.3 * Double(c))) * cos(Double.pi * v) + 0.2 * v))
                }
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let r = hypot(Double(y) - Double(height) / 2, Double(x) - Double(width) / 2)
                mask.append(r < 10 ? labels[2] : r < 22 ? labels[1] : labels[0])
            }
        }
        return try ImagePair(channels: 2, height: height, width: width, image: image, mask: mask, spacing: spacing)
    }

    func pipeline(_ json: String) throws -> Augmenter {
        try Augmenter(pipeline: AugmentationPipeline(json: json))
    }

    func testFlipTwiceIsIdentityExactly() throws {
        let pair = try smoothPair()
        for axis in ["horizontal", "vertical"] {
            let flip = try pipeline(#"{"operations": [{"type": "flip", "probability": 1, "axis": "\#(axis)"}]}"#)
            let once = flip.apply(to: pair, seed: 1)
            XCTAssertNotEqual(once.image, pair.image)
            XCTAssertEqual(flip.apply(to: once, seed: 2), pair)
        }
        // A horizontal flip mirrors columns exactly.
        let once = try pipeline(#"{"operations": [{"type": "flip", "axis": "horizontal"}]}"#).apply(to: pair, seed: 0)
        XCTAssertEqual(once.image[5 * 80 + 3], pair.image[5 * 80 + 76])
        XCTAssertEqual(once.mask[30 * 80 + 1], pair.mask[30 * 80 + 78])
    }

    func testRotateThenRotateBackRestoresTheInterior() throws {
        let pair = try smoothPair()
        let range = pair.image.max()! - pair.image.min()!
        for degrees in [7.0, 33.0, -90.0] {
            let forward = try pipeline(#"{"border": {"mode": "reflect"}, "operations": [{"type": "rotate", "degrees": [\#(degrees), \#(degrees)]}]}"#)
            let back = try pipeline(#"{"border": {"mode": "reflect"}, "operations": [{"type": "rotate", "degrees": [\#(-degrees), \#(-degrees)]}]}"#)
            let restored = back.apply(to: forward.apply(to: pair, seed: 3), seed: 4)
            var worst: Float = 0
            for c in 0..<2 { for y in 8..<(64 - 8) { for x in 8..<(80 - 8) {
                // Only pixels whose rotated position stayed inside the image.
                let dy = Double(y) - 31.5, dx = Double(x) - 39.5
                var inside = true
                for t in [degrees * Double.pi / 180, -degrees * Double.pi / 180] {
                    let ry = 31.5 + dx * sin(t) + dy * cos(t), rx = 39.5 + dx * cos(t) - dy * sin(t)
                    if ry < 1 || ry > 62 || rx < 1 || rx > 78 { inside = false }
                }
                guard inside else { continue }
                let i = (c * 64 + y) * 80 + x
                worst = max(worst, abs(restored.image[i] - pair.image[i]))
            } } }
            XCTAssertLessThan(worst, 0.01 * range, "rotate \(degrees)° and back: worst difference \(worst) of range \(range)")
        }
    }

    let everything = """
    {"border": {"mode": "constant", "value": -1}, "operations": [
      {"type": "rotate", "probability": 1, "degrees": [-30, 30]},
      {"type": "shift", "probability": 1, "fraction": [-0.2, 0.2]},
      {"type": "flip", "probability": 0.5, "axis": "horizontal"},
      {"type": "zoom", "probability": 1, "scale": [0.7, 1.4]},
      {"type": "elastic", "probability": 1, "alpha_mm": [2, 6], "sigma_mm": 12},
      {"type": "brightness", "probability": 1, "delta": [-0.2, 0.2]},
      {"type": "contrast", "probability": 1, "factor": [0.7, 1.3]},
      {"type": "gamma", "probability": 1, "gamma": [0.7, 1.5]},
      {"type": "noise", "probability": 1, "std": [0, 0.05]},
      {"type": "blur", "probability": 1, "sigma_mm": [0.5, 1.5]},
      {"type": "bias_field", "probability": 1, "coefficient": [0.1, 0.3]}]}
    """

    func testMasksOnlyKeepInputLabels() throws {
        let augmenter = try pipeline(everything)
        for labels in [[Int32(0), 3, 7], [2, 5, 9]] {  // the second has no background label
            let pair = try smoothPair(labels: labels)
            for seed in 0..<20 {
                let out = augmenter.apply(to: pair, seed: UInt64(seed))
                XCTAssertTrue(Set(out.mask).isSubset(of: Set(labels)), "seed \(seed): \(Set(out.mask)) not within \(labels)")
            }
        }
    }

    func testSeededAndIndependentOfThreads() throws {
        var one = try pipeline(everything)
        let pair = try smoothPair()
        let a = one.apply(to: pair, seed: 42)
        one.threads = 2
        XCTAssertEqual(one.apply(to: pair, seed: 42), a)
        XCTAssertNotEqual(one.apply(to: pair, seed: 43), a)
        XCTAssertEqual(a.spacing.row, 1)
    }

    /// The warp and every classic transform give the same bits on every CPU
    /// tier (README, "Determinism"), with reflecting and constant borders.
    func testBitwiseIdenticalOnEveryTier() throws {
        let pair = try smoothPair(height: 45, width: 67)
        for json in [everything, #"{"border": {"mode": "reflect"}, "operations": [{"type": "rotate", "probability": 1, "degrees": [-30, 30]}, {"type": "zoom", "probability": 1, "scale": [0.8, 1.25]}, {"type": "shift", "probability": 1, "fraction": [-0.2, 0.2]}]}"#] {
            let augmenter = try pipeline(json)
            var results: [CPUTier: [ImagePair]] = [:]
            try forEachTier(running: .warp) { tier in
                results[tier] = [1, 2, 3].map { augmenter.apply(to: pair, seed: $0) }
            }
            let reference = try XCTUnwrap(results[.generic])
            for (tier, pairs) in results {
                for (seed, (result, expected)) in zip(pairs, reference).enumerated() {
                    XCTAssertEqual(result.image.map(\.bitPattern), expected.image.map(\.bitPattern),
                                   "\(tier) image, seed \(seed + 1)")
                    XCTAssertEqual(result.mask, expected.mask, "\(tier) mask, seed \(seed + 1)")
                }
            }
        }
    }

    func testImageAndMaskStayAligned() throws {
        // Image = a per-region constant; after any geometric transform the
        // image must still show each region's constant away from boundaries.
        var pair = try smoothPair()
        let value: [Int32: Float] = [0: -0.8, 3: 0.1, 7: 0.9]
        for c in 0..<2 { for p in 0..<(64 * 80) { pair.image[c * 64 * 80 + p] = value[pair.mask[p]]! } }
        let geometric = try pipeline("""
            {"border": {"mode": "edge"}, "operations": [
              {"type": "rotate", "degrees": [-40, 40]}, {"type": "shift", "fraction": [-0.15, 0.15]},
              {"type": "zoom", "scale": [0.8, 1.3]}, {"type": "elastic", "alpha_mm": [3, 6], "sigma_mm": 15}]}
            """)
        for seed in 0..<8 {
            let out = geometric.apply(to: pair, seed: UInt64(seed))
            var checked = 0, matching = 0
            for y in 2..<62 { for x in 2..<78 {
                let label = out.mask[y * 80 + x]
                var interior = true
                for dy in -2...2 { for dx in -2...2 where out.mask[(y + dy) * 80 + x + dx] != label { interior = false } }
                guard interior else { continue }
                checked += 1
                if abs(out.image[y * 80 + x] - value[label]!) < 1e-4 { matching += 1 }
            } }
            XCTAssertGreaterThan(checked, 1000)
            XCTAssertGreaterThanOrEqual(Double(matching), 0.99 * Double(checked), "seed \(seed): \(matching) of \(checked)")
        }
    }

    func testIntegerShiftMovesPixelsExactly() throws {
        let pair = try smoothPair()
        // 0.25 of 64 rows = 16 rows down, 0.25 of 80 columns = 20 right.
        let shift = try pipeline(#"{"operations": [{"type": "shift", "fraction": [0.25, 0.25]}]}"#)
        let out = shift.apply(to: pair, seed: 0)
        XCTAssertEqual(out.image[(30 + 16) * 80 + 40 + 20], pair.image[30 * 80 + 40])
        XCTAssertEqual(out.mask[(30 + 16) * 80 + 40 + 20], pair.mask[30 * 80 + 40])
        XCTAssertEqual(out.image[0], -1, "constant border fills with the border value")
    }

    func testJSONRoundTripAndErrors() throws {
        let parsed = try AugmentationPipeline(json: everything)
        XCTAssertEqual(try AugmentationPipeline(json: parsed.jsonString()), parsed)
        XCTAssertEqual(try AugmentationPipeline(json: AugmentationPipeline.paper.jsonString()), .paper)
        func message(_ json: String) -> String {
            do { _ = try AugmentationPipeline(json: json); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("[").contains("not valid JSON"))
        XCTAssertTrue(message(#"{"operations": [{"type": "warp"}]}"#).contains("type"))
        XCTAssertTrue(message(#"{"operations": [{"type": "rotate"}]}"#).contains("'degrees' is missing"))
        XCTAssertTrue(message(#"{"operations": [{"type": "rotate", "degrees": [5, -5]}]}"#).contains("low <= high"))
        XCTAssertTrue(message(#"{"operations": [{"type": "zoom", "probability": 2, "scale": [1, 1]}]}"#).contains("probability 2"))
        XCTAssertTrue(message(#"{"operations": [{"type": "elastic", "alpha_mm": [1, 2], "sigma_mm": 0}]}"#).contains("sigma_mm"))
        XCTAssertThrowsError(try ImagePair(channels: 1, height: 2, width: 2, image: [0, 0, 0], mask: [0, 0, 0, 0]))
    }

    func testElasticDisplacementIsInMillimetres() throws {
        // With 2 mm pixels, a 4 mm displacement moves content at most 2 pixels.
        var pair = try smoothPair(spacing: (2, 2))
        for p in 0..<(64 * 80) { pair.image[p] = Float(p % 80); pair.image[64 * 80 + p] = Float(p / 80) }
        let elastic = try pipeline(#"{"border": {"mode": "edge"}, "operations": [{"type": "elastic", "alpha_mm": [4, 4], "sigma_mm": 30}]}"#)
        let out = elastic.apply(to: pair, seed: 5)
        var largest: Float = 0
        for y in 4..<60 { for x in 4..<76 {
            largest = max(largest, abs(out.image[y * 80 + x] - Float(x)), abs(out.image[64 * 80 + y * 80 + x] - Float(y)))
        } }
        XCTAssertGreaterThan(largest, 0.3)
        XCTAssertLessThanOrEqual(largest, 2.0 + 1e-3)
    }

    /// Pixel spacings far from any scanner's (1e-300 … 1e300 mm, positive
    /// and finite, so accepted) with the widest parameters: every output
    /// is a convex combination of input pixels (reflecting border), so it
    /// stays finite and within the input's range, on every tier. Such
    /// spacings once trapped (a blur radius beyond Int, an elastic grid of
    /// more intervals than Int holds) or wrote NaN and 10⁸-fold
    /// extrapolations (elastic positions past Float's range or past the
    /// warp's clamp).
    func testExtremeSpacingsKeepOutputsWithinTheInputsRange() throws {
        let operations = [
            #"{"type": "rotate", "degrees": [-30, 30]}"#, #"{"type": "zoom", "scale": [0.1, 10]}"#,
            #"{"type": "elastic", "alpha_mm": [100, 100], "sigma_mm": 1e-300}"#,
            #"{"type": "elastic", "alpha_mm": [100, 100], "sigma_mm": 1000}"#,
            #"{"type": "blur", "sigma_mm": [100, 100]}"#, #"{"type": "blur", "sigma_mm": [1e-320, 1e-320]}"#,
        ]
        for spacing in [1e-300, 1e-6, 1e6, 1e300] {
            let pair = try smoothPair(height: 9, width: 7, spacing: (spacing, spacing))
            let (low, high) = (pair.image.min()!, pair.image.max()!)
            for operation in operations {
                let json = #"{"border": {"mode": "reflect"}, "operations": [\#(operation)]}"#
                let augmenter = try pipeline(json)
                for tier in CPUTier.supported {
                    let out = try CPUTier.withForced(tier) { augmenter.apply(to: pair, seed: 3) }
                    let outside = out.image.filter { !($0 >= low && $0 <= high) }
                    XCTAssertTrue(outside.isEmpty, "\(operation) at \(spacing) mm, \(tier): \(outside.prefix(3))")
                    XCTAssertTrue(Set(out.mask).isSubset(of: Set(pair.mask)))
                }
            }
        }
    }
}
