// An independent, deliberately naive implementation of every metric, used
// by the tests to check the library on random label maps. It shares no code
// with MedaugMetrics: pixel sets instead of a confusion matrix, O(n²)
// pairwise surface distances instead of a distance transform, the textbook
// percentile formula instead of numpy's two-sided evaluation.
import Foundation
import XCTest

/// SplitMix64: a tiny seeded generator, so every random case is reproducible
/// from the seed printed on failure.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A truth/prediction pair of blobby label maps: rectangles and discs of
/// classes 1..<classes on background 0; the prediction shifts some blobs,
/// drops others and flips scattered pixels. Classes in `absent` never
/// appear in either map.
func randomLabelMaps(width: Int, height: Int, classes: Int, absent: Set<Int> = [],
                     rng: inout SplitMix64) -> (prediction: [Int32], truth: [Int32]) {
    var truth = [Int32](repeating: 0, count: width * height)
    var prediction = truth
    let allowed = (1..<classes).filter { !absent.contains($0) }
    for _ in 0..<Int.random(in: 2...6, using: &rng) {
        guard let c = allowed.randomElement(using: &rng) else { break }
        let cy = Int.random(in: 0..<height, using: &rng), cx = Int.random(in: 0..<width, using: &rng)
        let r = Int.random(in: 1...max(1, min(width, height) / 3), using: &rng)
        let disc = Bool.random(using: &rng)
        let dy = Int.random(in: -2...2, using: &rng), dx = Int.random(in: -2...2, using: &rng)
        let dropped = Int.random(in: 0..<5, using: &rng) == 0
        for y in 0..<height {
            for x in 0..<width {
                func inside(_ y0: Int, _ x0: Int) -> Bool {
                    disc ? (y - y0) * (y - y0) + (x - x0) * (x - x0) <= r * r
                        : abs(y - y0) <= r && abs(x - x0) <= r
                }
                if inside(cy, cx) { truth[y * width + x] = Int32(c) }
                if !dropped && inside(cy + dy, cx + dx) { prediction[y * width + x] = Int32(c) }
            }
        }
    }
    let labels = [0] + allowed
    for _ in 0..<(width * height / 20) {
        let i = Int.random(in: 0..<(width * height), using: &rng)
        prediction[i] = Int32(labels.randomElement(using: &rng)!)
    }
    return (prediction, truth)
}

/// Binary-mask counts by pixel sets.
struct ReferenceOverlap {
    var tp = 0, fp = 0, fn = 0

    init(prediction: [Int32], truth: [Int32], members: Set<Int>) {
        let t = Set(truth.indices.filter { members.contains(Int(truth[$0])) })
        let p = Set(prediction.indices.filter { members.contains(Int(prediction[$0])) })
        tp = t.intersection(p).count
        fp = p.subtracting(t).count
        fn = t.subtracting(p).count
    }

    var present: Bool { tp + fp + fn > 0 }
    var iou: Double? { present ? Double(tp) / Double(tp + fp + fn) : nil }
    // Dice as docs/design.md §1 writes it: (2|T∩P| + S) / (|T| + |P| + S).
    func dice(_ s: Double) -> Double? {
        present ? (2 * Double(tp) + s) / (Double(tp + fn) + Double(tp + fp) + s) : nil
    }
}

/// Surface pixels as mask minus its erosion by the 4-neighbour cross,
/// with everything outside the image counted as background.
func referenceSurface(_ mask: [Bool], width: Int, height: Int) -> [(y: Int, x: Int)] {
    func at(_ y: Int, _ x: Int) -> Bool { y >= 0 && y < height && x >= 0 && x < width && mask[y * width + x] }
    var surface: [(y: Int, x: Int)] = []
    for y in 0..<height {
        for x in 0..<width where at(y, x) {
            let eroded = at(y - 1, x) && at(y + 1, x) && at(y, x - 1) && at(y, x + 1)
            if !eroded { surface.append((y, x)) }
        }
    }
    return surface
}

/// Textbook linear-interpolation percentile (numpy's default rule).
func referencePercentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    let h = Double(sorted.count - 1) * p / 100
    let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
}

/// Percentile Hausdorff distance by all pairwise distances between surfaces.
func referenceHausdorff(prediction: [Bool], truth: [Bool], width: Int, height: Int,
                        rowSpacing: Double = 1, columnSpacing: Double = 1, percentile: Double = 95) -> Double? {
    let a = referenceSurface(prediction, width: width, height: height)
    let b = referenceSurface(truth, width: width, height: height)
    if a.isEmpty && b.isEmpty { return nil }
    if a.isEmpty || b.isEmpty { return .infinity }
    func directed(_ from: [(y: Int, x: Int)], _ to: [(y: Int, x: Int)]) -> [Double] {
        from.map { p in
            to.map { q -> Double in
                let dy = Double(p.y - q.y) * rowSpacing, dx = Double(p.x - q.x) * columnSpacing
                return (dy * dy + dx * dx).squareRoot()
            }.min()!
        }
    }
    return max(referencePercentile(directed(a, b), percentile), referencePercentile(directed(b, a), percentile))
}

/// One image's scores, computed naively.
struct ReferenceImageScores {
    var accuracy: Double
    var iou: [Double?], dice: [Double?]
    var regionIoU: [Double?], regionDice: [Double?]
    var classHausdorff: [Double?], regionHausdorff: [Double?]

    init(prediction: [Int32], truth: [Int32], width: Int, height: Int, classes: Int,
         regions: [Set<Int>], smoothing: Double, rowSpacing: Double = 1, columnSpacing: Double = 1) {
        accuracy = Double(zip(prediction, truth).filter { $0 == $1 }.count) / Double(truth.count)
        let classOverlaps = (0..<classes).map { ReferenceOverlap(prediction: prediction, truth: truth, members: [$0]) }
        let regionOverlaps = regions.map { ReferenceOverlap(prediction: prediction, truth: truth, members: $0) }
        iou = classOverlaps.map(\.iou)
        dice = classOverlaps.map { $0.dice(smoothing) }
        regionIoU = regionOverlaps.map(\.iou)
        regionDice = regionOverlaps.map { $0.dice(smoothing) }
        func hd(_ members: Set<Int>) -> Double? {
            referenceHausdorff(prediction: prediction.map { members.contains(Int($0)) },
                               truth: truth.map { members.contains(Int($0)) },
                               width: width, height: height, rowSpacing: rowSpacing, columnSpacing: columnSpacing)
        }
        classHausdorff = (0..<classes).map { hd([$0]) }
        regionHausdorff = regions.map(hd)
    }
}

/// Plain mean (any order; the tests compare with a tolerance), nil if empty.
func referenceMean(_ values: [Double]) -> Double? {
    values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
}

/// Mean over classes first..<K of per-class values, absent (nil) either
/// skipped or counted as 1.
func referenceClassMean(_ values: [Double?], from first: Int, excludeAbsent: Bool) -> Double? {
    referenceMean(values.dropFirst(first).compactMap { $0 ?? (excludeAbsent ? nil : 1) })
}

/// Asserts two optional doubles agree within `tolerance` (infinities and
/// nils must match exactly), printing the context on failure.
func assertClose(_ observed: Double?, _ expected: Double?, tolerance: Double = 1e-12,
                 _ context: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
    switch (observed, expected) {
    case (nil, nil): return
    case let (o?, e?) where o == e || abs(o - e) <= tolerance: return
    default:
        XCTFail("\(context()): expected \(String(describing: expected)), observed \(String(describing: observed))"
                + (observed != nil && expected != nil ? ", error \(abs(observed! - expected!))" : ""),
                file: file, line: line)
    }
}
