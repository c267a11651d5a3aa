/// Seeded train/val/test assignment of slices, and the random K-subset of
/// training pairs (the paper's 30).
public enum SplitPlanner {
    /// Fractions of validation and test data.
    public struct Fractions: Equatable, Sendable {
        public var validation: Double
        public var test: Double
        public init(validation: Double = 0.15, test: Double = 0.15) {
            self.validation = validation
            self.test = test
        }
    }

    /// Splits by volume when there are several: whole volumes go to one split
    /// (seeded shuffle), so no subject is in two splits.
    public static func byVolume(count: Int, fractions: Fractions, seed: UInt64) -> [DatasetManifest.Split] {
        var order = Array(0..<count)
        var random = SequentialRandom(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        let test = count >= 3 ? max(1, Int((Double(count) * fractions.test).rounded())) : 0
        let validation = count >= 3 ? max(1, Int((Double(count) * fractions.validation).rounded())) : 0
        var splits = [DatasetManifest.Split](repeating: .train, count: count)
        for (rank, volume) in order.enumerated() {
            splits[volume] = rank < test ? .test : rank < test + validation ? .val : .train
        }
        return splits
    }

    /// Splits one volume's slices by position: consecutive blocks in the
    /// order train | gap | val | gap | test along the slice axis, with `gap`
    /// slices left out between blocks (nil) so neighbouring, nearly identical
    /// slices never sit in two splits.
    /// - Throws: `ImagingError.invalidArgument` if there are too few slices.
    public static func byPosition(slices: Int, fractions: Fractions, gap: Int) throws -> [DatasetManifest.Split?] {
        let usable = slices - 2 * gap
        let test = Int((Double(usable) * fractions.test).rounded())
        let validation = Int((Double(usable) * fractions.validation).rounded())
        let train = usable - test - validation
        guard gap >= 0, train >= 1, (fractions.test == 0 || test >= 1), (fractions.validation == 0 || validation >= 1) else {
            throw ImagingError.invalidArgument(
                "\(slices) slices are too few for splits \(fractions) with a gap of \(gap) slices")
        }
        var splits = [DatasetManifest.Split?](repeating: nil, count: slices)
        for i in 0..<train { splits[i] = .train }
        for i in 0..<validation { splits[train + gap + i] = .val }
        for i in 0..<test { splits[train + gap + validation + gap + i] = .test }
        return splits
    }

    /// K indices drawn without replacement from `candidates` (all of them
    /// when K >= count), in ascending order.
    public static func subset(_ candidates: [Int], count k: Int, seed: UInt64) -> [Int] {
        guard k < candidates.count else { return candidates.sorted() }
        var pool = candidates
        var random = SequentialRandom(seed: seed ^ 0x5355_4253_4554)
        for i in 0..<k {
            let j = i + Int(random.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return pool.prefix(max(0, k)).sorted()
    }
}
