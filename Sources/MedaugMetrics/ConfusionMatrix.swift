/// Pixel counts of (true class, predicted class) pairs over one or more label
/// maps with `classes` classes: the basis of every overlap metric.
///
/// `counts[t * classes + p]` is the number of pixels whose truth is class t
/// and prediction class p. Integers, so accumulation is exact and
/// independent of order (bitwise reproducible on any thread count).
public struct ConfusionMatrix: Equatable, Sendable {
    public let classes: Int
    public private(set) var counts: [Int]

    /// An empty matrix for `classes` classes (1...65536).
    public init(classes: Int) throws {
        guard (1...65536).contains(classes) else {
            throw MetricsError.invalidArgument("classes is \(classes), expected 1...65536")
        }
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    /// Adds one pair of label maps of class indices.
    /// - Throws: `MetricsError` if the lengths differ or an index is outside
    ///   0..<classes (naming the first such pixel).
    public mutating func add(prediction: [Int32], truth: [Int32]) throws {
        guard prediction.count == truth.count else {
            throw MetricsError.shapeMismatch("prediction has \(prediction.count) pixels, truth \(truth.count)")
        }
        for i in 0..<truth.count {
            let t = Int(truth[i]), p = Int(prediction[i])
            guard t >= 0, t < classes, p >= 0, p < classes else {
                throw MetricsError.invalidArgument(
                    "pixel \(i): truth \(t), prediction \(p); class indices must be in 0..<\(classes)")
            }
            counts[t * classes + p] += 1
        }
    }

    /// Adds another matrix (micro-averaging over a data set).
    public mutating func add(_ other: ConfusionMatrix) throws {
        guard other.classes == classes else {
            throw MetricsError.shapeMismatch("matrices for \(classes) and \(other.classes) classes")
        }
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    public subscript(truth: Int, prediction: Int) -> Int { counts[truth * classes + prediction] }

    /// Pixels counted.
    public var total: Int { counts.reduce(0, +) }
}

/// Errors from metric computations.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message), .shapeMismatch(let message): return message
        }
    }
}
