/// A 2-D slice ready for the dataset: channel-planar image values
/// [channels][height][width] (as read, before normalisation), its integer
/// label map, and its pixel spacing in millimetres (row, column).
public struct Slice: Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var image: [Float]
    public var labels: [Int32]
    public var spacing: (row: Double, column: Double)

    public init(channels: Int, height: Int, width: Int, image: [Float], labels: [Int32],
                spacing: (row: Double, column: Double)) {
        self.channels = channels
        self.height = height
        self.width = width
        self.image = image
        self.labels = labels
        self.spacing = spacing
    }

    /// Fraction of pixels whose label is not `background`.
    public func foregroundFraction(background: Int32 = 0) -> Double {
        guard !labels.isEmpty else { return 0 }
        return Double(labels.lazy.filter { $0 != background }.count) / Double(labels.count)
    }
}
