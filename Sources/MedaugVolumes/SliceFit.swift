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
    public let spacing: (row: Double, column: Double)
    public let placement: Resize.Placement

    public init(height: Int, width: Int, spacing: (row: Double, column: Double), side: Int) {
        (self.height, self.width, self.side, self.spacing) = (height, width, side, spacing)
        placement = Resize.Placement(height: height, width: width, spacing: spacing, side: side)
    }

    /// `image` ([channels][height][width], already in [-1, 1]) on the N×N
    /// grid, [channels][N][N].
    public func square(_ image: [Float], channels: Int) throws -> [Float] {
        let slice = Slice(channels: channels, height: height, width: width, image: image,
                          labels: [Int32](repeating: 0, count: height * width), spacing: spacing)
        return try Resize.toSquare(slice, side: side, imageFill: -1, labelFill: 0).image
    }

    /// The class probabilities of the slice's pixels, [classes][height][width],
    /// from square planes `values` ([classes][N][N] starting at `offset`),
    /// and the most probable class per pixel (ties: lowest class). Each
    /// pixel's bilinear taps (positions clamped to the content rectangle:
    /// the padding carries no result of this slice) serve every class.
    public func restore(_ values: [Float], offset: Int, classes: Int) -> (probabilities: [Float], classes: [Int]) {
        let plane = height * width, square = side * side
        let top = Double(placement.top), left = Double(placement.left)
        let bottom = placement.top + placement.height - 1, right = placement.left + placement.width - 1
        var probabilities = [Float](repeating: 0, count: classes * plane)
        var best = [Int](repeating: 0, count: plane)
        for row in 0..<height {
            for column in 0..<width {
                let (y, x) = placement.squarePosition(ofRow: row, column: column)
                let cy = min(max(y, top), Double(bottom)), cx = min(max(x, left), Double(right))
                let y0 = Int(cy), x0 = Int(cx), y1 = min(y0 + 1, bottom), x1 = min(x0 + 1, right)
                let fy = Float(cy - Double(y0)), fx = Float(cx - Double(x0))
                let p = row * width + column
                for k in 0..<classes {
                    let base = offset + k * square
                    let a = values[base + y0 * side + x0] * (1 - fx) + values[base + y0 * side + x1] * fx
                    let b = values[base + y1 * side + x0] * (1 - fx) + values[base + y1 * side + x1] * fx
                    let v = a * (1 - fy) + b * fy
                    probabilities[k * plane + p] = v
                    if v > probabilities[best[p] * plane + p] { best[p] = k }
                }
            }
        }
        return (probabilities, best)
    }
}
