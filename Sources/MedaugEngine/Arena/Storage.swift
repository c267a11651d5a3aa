/// Which buffer each value lives in, and at which channel offset.
///
/// Every value has its own buffer, except the inputs of an in-place concat,
/// which are channel slices of the concat's output buffer (ggml's views).
/// A buffer holds `channels × spatial` floats per image, images back to back,
/// so image `n` of a value starts at `(n·channels + offset)·spatial`.
public struct Storage: Sendable {
    public struct Buffer: Equatable, Sendable {
        public var channels: Int
        public var spatial: Int
        /// The values stored in this buffer.
        public var values: [ValueID]
        public var floatsPerImage: Int { channels * spatial }
    }

    public var buffers: [Buffer] = []
    public var bufferOf: [Int] = []
    public var channelOffset: [Int] = []

    public init(graph: Graph) {
        bufferOf = Array(repeating: -1, count: graph.shapes.count)
        channelOffset = Array(repeating: 0, count: graph.shapes.count)
        // In-place concats first: their inputs become slices.
        for node in graph.nodes {
            guard case .concat(inPlace: true) = node.operation else { continue }
            let shape = graph.shapes[node.output]
            let buffer = buffers.count
            buffers.append(Buffer(channels: shape.channels, spatial: shape.spatial, values: [node.output]))
            bufferOf[node.output] = buffer
            var offset = 0
            for value in node.inputs {
                bufferOf[value] = buffer
                channelOffset[value] = offset
                buffers[buffer].values.append(value)
                offset += graph.shapes[value].channels
            }
        }
        for value in graph.shapes.indices where bufferOf[value] < 0 && isUsed(value, in: graph) {
            let shape = graph.shapes[value]
            bufferOf[value] = buffers.count
            buffers.append(Buffer(channels: shape.channels, spatial: shape.spatial, values: [value]))
        }
    }

    /// Values removed by passes are neither read nor written any more.
    private func isUsed(_ value: ValueID, in graph: Graph) -> Bool {
        value == graph.input || value == graph.output
            || graph.nodes.contains { $0.output == value || $0.inputs.contains(value) }
    }
}
