import MedaugImaging

/// A slice of any size fitted to a segmenter's N×N input and its results
/// brought back: `Resize.toSquare` there (one scale for both axes so the
/// longer physical side fills N, centred, padded with -1), the inverse
/// mapping back (bilinear in the square, positions clamped to the content).
///
/// Which is used when: a slice whose longer side already is N pixels at
/// square pixels is only padded (scale 1: values pass through exactly, and
/// so do results); any other slice is resampled bilinearly (area-averaged
/// when shrinking by more than 2) and its results resampled back.
public struct SliceFit: Sendable {
    public let height: Int, width: Int, side: Int
    public let placement: Resize.Placement

    public init(height: Int, width: Int, spacing: (row: Double, column: Double), side: Int) {
        (self.height, self.width, self.side) = (height, width, side)
        placement = Resize.Placement(height: height, width: width, spacing: spacing, side: side)
    }

    /// Whether the slice passes through without resampling.
    public var isPaddingOnly: Bool { placement.scaleY == 1 && placement.scaleX == 1 }

    /// `image` ([channels][height][width], already in [-1, 1]) on the N×N
    /// grid, [channels][N][N].
    public func square(_ image: [Float], channels: Int, spacing: (row: Double, column: Double)) throws -> [Float] {
        let slice = Slice(channels: channels, height: height, width: width, image: image,
                          labels: [Int32](repeating: 0, count: height * width), spacing: spacing)
        return try Resize.toSquare(slice, side: side, imageFill: -1, labelFill: 0).image
    }

    /// Class `k`'s value at slice pixel (row, column) from square planes
    /// `values` ([classes][N][N] starting at `offset`).
    public func value(_ values: [Float], offset: Int, class k: Int, row: Int, column: Int) -> Float {
        let (y, x) = placement.squarePosition(ofRow: row, column: column)
        let top = Double(placement.top), left = Double(placement.left)
        let cy = min(max(y, top), top + Double(placement.height - 1))
        let cx = min(max(x, left), left + Double(placement.width - 1))
        let y0 = Int(cy), x0 = Int(cx)
        let y1 = min(y0 + 1, placement.top + placement.height - 1), x1 = min(x0 + 1, placement.left + placement.width - 1)
        let fy = Float(cy - Double(y0)), fx = Float(cx - Double(x0))
        let base = offset + k * side * side
        let a = values[base + y0 * side + x0] * (1 - fx) + values[base + y0 * side + x1] * fx
        let b = values[base + y1 * side + x0] * (1 - fx) + values[base + y1 * side + x1] * fx
        return a * (1 - fy) + b * fy
    }

    /// The class probabilities of the slice's pixels, [classes][height][width],
    /// and the most probable class per pixel (ties: lowest class).
    public func restore(_ values: [Float], offset: Int, classes: Int) -> (probabilities: [Float], classes: [Int]) {
        var probabilities = [Float](repeating: 0, count: classes * height * width)
        var best = [Int](repeating: 0, count: height * width)
        for row in 0..<height {
            for column in 0..<width {
                let p = row * width + column
                for k in 0..<classes {
                    let v = value(values, offset: offset, class: k, row: row, column: column)
                    probabilities[k * height * width + p] = v
                    if v > probabilities[best[p] * height * width + p] { best[p] = k }
                }
            }
        }
        return (probabilities, best)
    }
}
