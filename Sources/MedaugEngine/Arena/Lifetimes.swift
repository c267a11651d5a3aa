/// When each buffer and each node's scratch is alive, in node indices
/// (TensorFlow Lite's `PlanAllocations`): from the first node writing any of
/// its values to the last node reading any of them. The graph input is alive
/// from the start; kept buffers (the output, or everything in keep-all mode)
/// until the end.
public struct Lifetime: Equatable, Sendable {
    public var first: Int
    public var last: Int
    public func overlaps(_ other: Lifetime) -> Bool { first <= other.last && other.first <= last }
}

/// An allocation request for the planner: a size and a lifetime.
public struct AllocationRequest: Equatable, Sendable {
    public var bytes: Int
    public var lifetime: Lifetime
    public init(bytes: Int, lifetime: Lifetime) {
        self.bytes = bytes
        self.lifetime = lifetime
    }
}

enum Lifetimes {
    /// One lifetime per buffer of `storage`.
    static func buffers(of graph: Graph, storage: Storage, keepAll: Bool) -> [Lifetime] {
        let end = graph.nodes.count
        var lifetimes = [Lifetime](repeating: Lifetime(first: Int.max, last: -1), count: storage.buffers.count)
        func touch(_ value: ValueID, at step: Int) {
            let buffer = storage.bufferOf[value]
            guard buffer >= 0 else { return }
            lifetimes[buffer].first = min(lifetimes[buffer].first, step)
            lifetimes[buffer].last = max(lifetimes[buffer].last, step)
        }
        touch(graph.input, at: 0)
        for (step, node) in graph.nodes.enumerated() {
            touch(node.output, at: step)
            for value in node.inputs { touch(value, at: step) }
        }
        touch(graph.output, at: end)
        if keepAll {
            for buffer in lifetimes.indices { lifetimes[buffer].last = end }
        }
        return lifetimes
    }
}
