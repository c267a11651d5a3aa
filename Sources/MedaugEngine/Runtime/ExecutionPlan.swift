import MedaugKernels
import MedaugSupport

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
    /// Whether each node's GEMMs run on `Gemm.multiplyColumnExact`: true for
    /// the convolutions whose images may be grouped, at every batch size
    /// (batch 1 included), so an image gets the same bits in any batch.
    public let columnExact: [Bool]
    public let arena: ArenaPlan

    /// GEMMs get at least this many columns by grouping images when a layer
    /// has few pixels, so deep layers read their weights once per group.
    /// Only where a column-exact GEMM exists (`Gemm.hasColumnExactKernel`):
    /// elsewhere every image runs alone, which keeps it independent of its
    /// batch on any GEMM.
    static let targetColumns = 1024

    public init(graph: Graph, batch: Int, keepAll: Bool, threads: Int) {
        self.batch = batch
        let storage = Storage(graph: graph)
        self.storage = storage
        let lifetimes = Lifetimes.buffers(of: graph, storage: storage, keepAll: keepAll)
        var requests = storage.buffers.indices.map { b in
            AllocationRequest(bytes: batch * storage.buffers[b].floatsPerImage * 4, lifetime: lifetimes[b])
        }
        var groups: [Int] = [], exact: [Bool] = []
        for (step, node) in graph.nodes.enumerated() {
            let grouping = ExecutionPlan.grouping(of: node, in: graph)
            let group = grouping.map { min(batch, $0) } ?? 1
            let floats = ExecutionPlan.scratch(for: node, in: graph, group: group, columnExact: grouping != nil,
                                               threads: threads)
            groups.append(group)
            exact.append(grouping != nil)
            requests.append(AllocationRequest(bytes: floats * 4, lifetime: Lifetime(first: step, last: step)))
        }
        groupSizes = groups
        columnExact = exact
        arena = ArenaPlanner.plan(requests)
        bufferOffsets = Array(arena.offsets[0..<storage.buffers.count])
        scratchOffsets = Array(arena.offsets[storage.buffers.count...])
    }

    /// The most images one GEMM of `node` may take, whatever the batch; nil
    /// when its images run one by one (not a GEMM convolution, too many
    /// pixels to gain from grouping, or no column-exact GEMM for it).
    static func grouping(of node: Node, in graph: Graph) -> Int? {
        let pixels: Int
        switch node.operation {
        case .conv(let p) where p.winogradKernel == nil:
            pixels = graph.shapes[node.output].spatial
        case .convTranspose(let p) where p.winogradKernel == nil && (p.layout == .outputMajor || p.layout.packing != nil):
            pixels = graph.shapes[node.inputs[0]].spatial
        default:
            return nil
        }
        let limit = targetColumns / max(1, pixels)
        return limit >= 2 && Gemm.hasColumnExactKernel ? limit : nil
    }

    /// Scratch floats of one node for `group` images per GEMM.
    static func scratch(for node: Node, in graph: Graph, group: Int, columnExact: Bool, threads: Int) -> Int {
        let input = graph.shapes[node.inputs[0]]
        let output = graph.shapes[node.output]
        switch node.operation {
        case .conv(let p) where p.winogradKernel != nil, .convTranspose(let p) where p.winogradKernel != nil:
            return p.winogradKernel!.scratchCount(inChannels: input.channels, outChannels: output.channels,
                                                  height: input.height, width: input.width, threads: threads)
        case .conv(let p):
            return Convolution.scratchCount(
                inChannels: input.channels, outChannels: output.channels, geometry: p.geometry,
                outHeight: output.height, outWidth: output.width, images: group, columnExact: columnExact,
                threads: threads)
        case .convTranspose(let p):
            return Convolution.transposedScratchCount(
                inChannels: input.channels, outChannels: output.channels, geometry: p.geometry,
                inHeight: input.height, inWidth: input.width, outHeight: output.height, outWidth: output.width,
                images: group, columnExact: columnExact, threads: threads)
        case .batchNorm:
            return 2 * output.channels
        default:
            return 0
        }
    }

    /// A one-line-per-buffer description (ggml's AT_PRINTF, on demand).
    public var summary: String {
        var lines = ["arena \(arena.totalBytes) bytes, lower bound \(arena.lowerBoundBytes) bytes, batch \(batch)"]
        for (b, buffer) in storage.buffers.enumerated() {
            lines.append("buffer \(b): values \(buffer.values) \(buffer.channels)×\(buffer.spatial) at +\(bufferOffsets[b])")
        }
        for (i, offset) in scratchOffsets.enumerated() where offset > 0 || groupSizes[i] > 1 {
            lines.append("scratch of node \(i): \(groupSizes[i]) image(s) per GEMM\(columnExact[i] ? " (column-exact)" : "") at +\(offset)")
        }
        return lines.joined(separator: "\n")
    }
}
