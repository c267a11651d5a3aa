import MedaugKernels

/// Everything a session needs to run a graph at a given batch size: where
/// each buffer and each node's scratch sits in the arena, and how many images
/// each convolution multiplies at once. Computed once per (graph, batch).
public struct ExecutionPlan: Sendable {
    public let batch: Int
    public let storage: Storage
    /// Byte offset of each buffer in the arena.
    public let bufferOffsets: [Int]
    /// Byte offset of each node's scratch (temporaries live for one node).
    public let scratchOffsets: [Int]
    /// Images per GEMM for each node (1 for non-convolutions).
    public let groupSizes: [Int]
    public let arena: ArenaPlan

    /// GEMMs get at least this many columns by grouping images when a layer
    /// has few pixels, so deep layers read their weights once per group.
    static let targetColumns = 1024

    public init(graph: Graph, batch: Int, keepAll: Bool, threads: Int) {
        self.batch = batch
        let storage = Storage(graph: graph)
        self.storage = storage
        let lifetimes = Lifetimes.buffers(of: graph, storage: storage, keepAll: keepAll)
        var requests = storage.buffers.indices.map { b in
            AllocationRequest(bytes: batch * storage.buffers[b].floatsPerImage * 4, lifetime: lifetimes[b])
        }
        var groups: [Int] = []
        for (step, node) in graph.nodes.enumerated() {
            let (group, floats) = ExecutionPlan.scratch(for: node, in: graph, batch: batch, threads: threads)
            groups.append(group)
            requests.append(AllocationRequest(bytes: floats * 4, lifetime: Lifetime(first: step, last: step)))
        }
        groupSizes = groups
        arena = ArenaPlanner.plan(requests)
        bufferOffsets = Array(arena.offsets[0..<storage.buffers.count])
        scratchOffsets = Array(arena.offsets[storage.buffers.count...])
    }

    /// Group size and scratch floats of one node.
    static func scratch(for node: Node, in graph: Graph, batch: Int, threads: Int) -> (group: Int, floats: Int) {
        let input = graph.shapes[node.inputs[0]]
        let output = graph.shapes[node.output]
        switch node.operation {
        case .conv(let p) where p.winogradKernel != nil, .convTranspose(let p) where p.winogradKernel != nil:
            return (1, p.winogradKernel!.scratchCount(inChannels: input.channels, outChannels: output.channels,
                                                      height: input.height, width: input.width, threads: threads))
        case .conv(let p):
            let group = max(1, min(batch, targetColumns / max(1, output.spatial)))
            return (group, Convolution.scratchCount(
                inChannels: input.channels, outChannels: output.channels, geometry: p.geometry,
                outHeight: output.height, outWidth: output.width, images: group, threads: threads))
        case .convTranspose(let p):
            let group = max(1, min(batch, targetColumns / max(1, input.spatial)))
            return (group, Convolution.transposedScratchCount(
                inChannels: input.channels, outChannels: output.channels, geometry: p.geometry,
                inHeight: input.height, inWidth: input.width, images: group))
        case .batchNorm:
            return (1, 2 * output.channels)
        default:
            return (1, 0)
        }
    }

    /// A one-line-per-buffer description (ggml's AT_PRINTF, on demand).
    public var summary: String {
        var lines = ["arena \(arena.totalBytes) bytes, lower bound \(arena.lowerBoundBytes) bytes, batch \(batch)"]
        for (b, buffer) in storage.buffers.enumerated() {
            lines.append("buffer \(b): values \(buffer.values) \(buffer.channels)×\(buffer.spatial) at +\(bufferOffsets[b])")
        }
        for (i, offset) in scratchOffsets.enumerated() where offset > 0 || groupSizes[i] > 1 {
            lines.append("scratch of node \(i): \(groupSizes[i]) image(s) per GEMM at +\(offset)")
        }
        return lines.joined(separator: "\n")
    }
}
