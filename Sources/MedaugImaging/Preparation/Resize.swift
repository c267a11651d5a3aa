/// Resizing a slice to the network's N×N grid.
///
/// The slice is scaled by one factor for both axes, chosen so that its
/// physical extent fits N×N (the longer side becomes N pixels; square
/// pixels of the longer side's new spacing), then padded symmetrically to
/// N×N: nothing is cropped and anatomy keeps its aspect ratio. Images are
/// resampled bilinearly (with area averaging when shrinking by more than 2x,
/// so fine detail does not alias), labels by nearest neighbour; padding is
/// `imageFill` and `labelFill` (the background).
public enum Resize {
    /// Where a `height × width` slice of `spacing` lands in the N×N square:
    /// its content rectangle (centred) and the output pixel spacing.
    public struct Placement: Equatable, Sendable {
        public var top: Int, left: Int, height: Int, width: Int
        /// Input pixels per output pixel, along rows and columns.
        public var scaleY: Double, scaleX: Double
        /// Output pixel size in mm (square).
        public var spacing: Double

        public init(height: Int, width: Int, spacing: (row: Double, column: Double), side: Int) {
            let heightMM = Double(height) * spacing.row
            let widthMM = Double(width) * spacing.column
            self.spacing = max(heightMM, widthMM) / Double(side)
            // Content size in output pixels (at most side), centred.
            self.height = min(side, max(1, Int((heightMM / self.spacing).rounded())))
            self.width = min(side, max(1, Int((widthMM / self.spacing).rounded())))
            (top, left) = ((side - self.height) / 2, (side - self.width) / 2)
            (scaleY, scaleX) = (Double(height) / Double(self.height), Double(width) / Double(self.width))
        }

        /// The square's (fractional) pixel position of input pixel centre
        /// (y, x): the inverse of the resampling's mapping, for bringing
        /// results back to the input grid.
        public func squarePosition(ofRow y: Int, column x: Int) -> (y: Double, x: Double) {
            (Double(top) + (Double(y) + 0.5) / scaleY - 0.5, Double(left) + (Double(x) + 0.5) / scaleX - 0.5)
        }
    }

    public static func toSquare(_ slice: Slice, side: Int, imageFill: Float, labelFill: Int32) throws -> Slice {
        guard (1...8192).contains(side) else { throw ImagingError.invalidArgument("side \(side) must be in 1...8192") }
        let placement = Placement(height: slice.height, width: slice.width, spacing: slice.spacing, side: side)
        let (contentH, contentW, top, left) = (placement.height, placement.width, placement.top, placement.left)
        let spacing = placement.spacing
        var image = [Float](repeating: imageFill, count: slice.channels * side * side)
        var labels = [Int32](repeating: labelFill, count: side * side)
        let (scaleY, scaleX) = (placement.scaleY, placement.scaleX)
        // Box filter radius (in input pixels) when shrinking a lot.
        let boxY = scaleY > 2 ? Int(scaleY / 2) : 0, boxX = scaleX > 2 ? Int(scaleX / 2) : 0
        for y in 0..<contentH {
            let sy = (Double(y) + 0.5) * scaleY - 0.5
            let ny = min(slice.height - 1, max(0, Int((sy + 0.5).rounded(.down))))
            for x in 0..<contentW {
                let sx = (Double(x) + 0.5) * scaleX - 0.5
                let nx = min(slice.width - 1, max(0, Int((sx + 0.5).rounded(.down))))
                let out = (top + y) * side + left + x
                labels[out] = slice.labels[ny * slice.width + nx]
                for c in 0..<slice.channels {
                    let plane = c * slice.height * slice.width
                    image[c * side * side + out] = boxY > 0 || boxX > 0
                        ? box(slice.image, plane, slice.width, slice.height, ny, nx, boxY, boxX)
                        : bilinear(slice.image, plane, slice.width, slice.height, sy, sx)
                }
            }
        }
        return Slice(channels: slice.channels, height: side, width: side, image: image, labels: labels,
                     spacing: (spacing, spacing))
    }

    static func bilinear(_ v: [Float], _ plane: Int, _ w: Int, _ h: Int, _ y: Double, _ x: Double) -> Float {
        let y = min(max(y, 0), Double(h - 1)), x = min(max(x, 0), Double(w - 1))
        let y0 = Int(y), x0 = Int(x)
        let y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1)
        let fy = Float(y - Double(y0)), fx = Float(x - Double(x0))
        let top = v[plane + y0 * w + x0] * (1 - fx) + v[plane + y0 * w + x1] * fx
        let bottom = v[plane + y1 * w + x0] * (1 - fx) + v[plane + y1 * w + x1] * fx
        return top * (1 - fy) + bottom * fy
    }

    static func box(_ v: [Float], _ plane: Int, _ w: Int, _ h: Int, _ cy: Int, _ cx: Int, _ ry: Int, _ rx: Int) -> Float {
        var sum: Double = 0
        var count = 0
        for y in max(0, cy - ry)...min(h - 1, cy + ry) {
            for x in max(0, cx - rx)...min(w - 1, cx + rx) {
                sum += Double(v[plane + y * w + x])
                count += 1
            }
        }
        return Float(sum / Double(count))
    }
}
