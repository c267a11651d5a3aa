/// Pixel counts of (true class, predicted class) pairs over one or more label
/// maps with `classes` classes: the basis of every overlap metric.
///
/// `counts[t * classes + p]` is the number of pixels whose truth is class t
/// and prediction class p. Integers, so accumulation is exact and
/// independent of order (bitwise reproducible on any thread count).
///
/// ```swift
/// var matrix = try ConfusionMatrix(classes: 3)
/// try matrix.add(prediction: [0, 1, 2, 2], truth: [0, 1, 1, 2])
/// matrix[1, 2]                     // 1: one pixel of class 1 predicted as 2
/// try matrix.overlap(ofClass: 1)   // TP 1, FP 0, FN 1, TN 2
/// ```
///
/// See also ``SegmentationScores/init(matrix:options:)``.
public struct ConfusionMatrix: Equatable, Sendable {
    /// Number of classes K; class indices are 0..<K, class 0 is background.
    public let classes: Int
    /// Row-major K x K counts: row = true class, column = predicted class.
    public private(set) var counts: [Int]

    /// An empty matrix for `classes` classes (1...65536).
    /// - Throws: `MetricsError.invalidArgument` outside that range.
    public init(classes: Int) throws {
        guard (1...65536).contains(classes) else {
            throw MetricsError.invalidArgument("classes is \(classes), expected 1...65536")
        }
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    /// Adds one pair of label maps of class indices (any pixel order, the
    /// same for both).
    ///
    /// The matrix is unchanged when this throws: pixels are counted into a
    /// copy that replaces `counts` only once every pixel was valid.
    /// - Throws: `MetricsError` if the lengths differ or an index is outside
    ///   0..<classes (naming the first such pixel).
    /// - Complexity: O(pixels + classes²).
    public mutating func add(prediction: [Int32], truth: [Int32]) throws {
        guard prediction.count == truth.count else {
            throw MetricsError.shapeMismatch("prediction has \(prediction.count) pixels, truth \(truth.count)")
        }
        var updated = counts
        for i in 0..<truth.count {
            let t = Int(truth[i]), p = Int(prediction[i])
            guard t >= 0, t < classes, p >= 0, p < classes else {
                throw MetricsError.invalidArgument(
                    "pixel \(i): truth \(t), prediction \(p); class indices must be in 0..<\(classes)")
            }
            updated[t * classes + p] += 1
        }
        counts = updated
    }

    /// Adds another matrix (micro-averaging over a data set).
    /// - Throws: `MetricsError.shapeMismatch` if the class counts differ.
    public mutating func add(_ other: ConfusionMatrix) throws {
        guard other.classes == classes else {
            throw MetricsError.shapeMismatch("matrices for \(classes) and \(other.classes) classes")
        }
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Pixels with true class `truth` predicted as `prediction` (both in
    /// 0..<classes; traps otherwise, like an array index).
    public subscript(truth: Int, prediction: Int) -> Int { counts[truth * classes + prediction] }

    /// Pixels counted.
    public var total: Int { counts.reduce(0, +) }

    /// Correctly classified pixels (the diagonal).
    public var correct: Int { (0..<classes).reduce(0) { $0 + counts[$1 * classes + $1] } }

    /// Pixel accuracy: correctly classified pixels / all pixels, or nil when
    /// no pixel was counted.
    public var accuracy: Double? { total == 0 ? nil : Double(correct) / Double(total) }

    /// Counts of every class seen as a binary mask, index = class.
    /// - Complexity: O(classes²) for all of them (row and column sums).
    public var classOverlaps: [OverlapCounts] {
        var truthTotals = [Int](repeating: 0, count: classes)
        var predictionTotals = [Int](repeating: 0, count: classes)
        for t in 0..<classes {
            for p in 0..<classes {
                let n = counts[t * classes + p]
                truthTotals[t] += n
                predictionTotals[p] += n
            }
        }
        let all = total
        return (0..<classes).map { c in
            let tp = counts[c * classes + c]
            let fn = truthTotals[c] - tp, fp = predictionTotals[c] - tp
            return OverlapCounts(truePositives: tp, falsePositives: fp, falseNegatives: fn,
                                 trueNegatives: all - tp - fp - fn)
        }
    }

    /// Counts of one class seen as a binary mask (class c versus the rest).
    /// - Throws: `MetricsError.invalidArgument` if `ofClass` is outside 0..<classes.
    /// - Complexity: O(classes²).
    public func overlap(ofClass c: Int) throws -> OverlapCounts {
        try overlap(of: [c])
    }

    /// Counts of the union of `members` seen as a binary mask: a pixel is
    /// positive in the truth (prediction) when its true (predicted) class
    /// is one of `members`. Used for merged regions such as BraTS whole tumour.
    /// - Throws: `MetricsError.invalidArgument` if `members` is empty or holds
    ///   an index outside 0..<classes.
    /// - Complexity: O(classes²).
    public func overlap(of members: Set<Int>) throws -> OverlapCounts {
        guard !members.isEmpty else {
            throw MetricsError.invalidArgument("a region needs at least one class, got none")
        }
        if let bad = members.sorted().first(where: { $0 < 0 || $0 >= classes }) {
            throw MetricsError.invalidArgument("class \(bad) is outside 0..<\(classes)")
        }
        var isMember = [Bool](repeating: false, count: classes)
        for c in members { isMember[c] = true }
        var tp = 0, fp = 0, fn = 0, tn = 0
        for t in 0..<classes {
            for p in 0..<classes {
                let n = counts[t * classes + p]
                switch (isMember[t], isMember[p]) {
                case (true, true): tp += n
                case (true, false): fn += n
                case (false, true): fp += n
                case (false, false): tn += n
                }
            }
        }
        return OverlapCounts(truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn)
    }
}

/// Pixel counts of one class or region as a binary mask, with IoU and Dice.
///
/// Edge cases: a class or region absent from both truth and prediction
/// (TP + FP + FN = 0) has IoU and Dice nil, whatever the smoothing, so
/// absence is always explicit; ``SegmentationScores`` decides what a mean
/// does with it.
public struct OverlapCounts: Equatable, Sendable {
    /// Pixels positive in both truth and prediction.
    public var truePositives: Int
    /// Pixels positive in the prediction only.
    public var falsePositives: Int
    /// Pixels positive in the truth only.
    public var falseNegatives: Int
    /// Pixels negative in both.
    public var trueNegatives: Int

    /// Counts as given (no check: they are counts from a matrix or a test).
    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int, trueNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.trueNegatives = trueNegatives
    }

    /// True when the class or region occurs in the truth or the prediction.
    public var isPresent: Bool { truePositives + falsePositives + falseNegatives > 0 }

    /// TP / (TP + FP + FN), or nil when absent from both. Unsmoothed, as in
    /// docs/design.md §1 and Keras's MeanIoU.
    public var iou: Double? {
        guard isPresent else { return nil }
        return Double(truePositives) / Double(truePositives + falsePositives + falseNegatives)
    }

    /// (2·TP + S) / (2·TP + FP + FN + S), or nil when absent from both.
    /// - Parameter smoothing: S ≥ 0 (callers validate; ``MetricsOptions`` does).
    public func dice(smoothing: Double = 0) -> Double? {
        guard isPresent else { return nil }
        let twiceTP = Double(2 * truePositives)
        return (twiceTP + smoothing) / (twiceTP + Double(falsePositives + falseNegatives) + smoothing)
    }
}

/// Errors from metric computations; `description` is the one-line message
/// naming what was expected and what was found.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// A value outside its documented range (class index, smoothing,
    /// spacing, percentile, missing label value, ...).
    case invalidArgument(String)
    /// Inputs whose sizes disagree (pixel counts, width x height, classes).
    case shapeMismatch(String)

    /// The message.
    public var description: String {
        switch self {
        case .invalidArgument(let message), .shapeMismatch(let message): return message
        }
    }
}
