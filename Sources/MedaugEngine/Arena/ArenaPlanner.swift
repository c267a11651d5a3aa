/// Offsets for every allocation in one arena: a value, testable without
/// memory (TensorFlow Lite's `SimpleMemoryArena` placement).
public struct ArenaPlan: Equatable, Sendable {
    /// Byte offset of each request, in request order.
    public var offsets: [Int]
    /// The arena size: the high-water mark of the placement.
    public var totalBytes: Int
    /// The largest total size of requests alive at the same step: no
    /// placement can use less.
    public var lowerBoundBytes: Int
}

public enum ArenaPlanner {
    /// Every offset is a multiple of this (a cache line; also AVX-512 aligned).
    public static let alignment = 64

    /// Places requests greedily by size: largest first (ties: earlier first
    /// use, then request order); each takes the lowest gap between already
    /// placed requests whose lifetimes overlap its own, else the end.
    /// Complexity: O(n²) for n requests (n is a few hundred at most).
    public static func plan(_ requests: [AllocationRequest]) -> ArenaPlan {
        let sizes = requests.map { ($0.bytes + alignment - 1) / alignment * alignment }
        let order = requests.indices.sorted { a, b in
            if sizes[a] != sizes[b] { return sizes[a] > sizes[b] }
            if requests[a].lifetime.first != requests[b].lifetime.first {
                return requests[a].lifetime.first < requests[b].lifetime.first
            }
            return a < b
        }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []
        var total = 0
        for index in order {
            let size = sizes[index]
            if size == 0 { continue }
            // Blocks in the way, sorted by offset.
            let blocking = placed.filter { requests[$0].lifetime.overlaps(requests[index].lifetime) }
                .sorted { offsets[$0] < offsets[$1] }
            var candidate = 0
            var best: (offset: Int, gap: Int)?
            for other in blocking {
                let gap = offsets[other] - candidate
                if gap >= size, best == nil || gap < best!.gap { best = (candidate, gap) }
                candidate = max(candidate, offsets[other] + sizes[other])
            }
            offsets[index] = best?.offset ?? candidate
            placed.append(index)
            total = max(total, offsets[index] + size)
        }
        return ArenaPlan(offsets: offsets, totalBytes: total, lowerBoundBytes: lowerBound(requests, sizes: sizes))
    }

    static func lowerBound(_ requests: [AllocationRequest], sizes: [Int]) -> Int {
        guard let last = requests.map(\.lifetime.last).max(), last >= 0 else { return 0 }
        let first = requests.map(\.lifetime.first).min() ?? 0
        var peak = 0
        for step in first...last {
            var live = 0
            for (i, request) in requests.enumerated()
            where request.lifetime.first <= step && step <= request.lifetime.last { live += sizes[i] }
            peak = max(peak, live)
        }
        return peak
    }
}
