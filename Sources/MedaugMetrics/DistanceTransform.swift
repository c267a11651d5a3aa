/// Exact squared Euclidean distance transform of a 2-D binary feature map
/// (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
/// Functions", Theory of Computing 8, 2012), with anisotropic spacing.
///
/// Layout: row-major, `index = row * width + column`; `height` rows of
/// `width` pixels. Returns, for every pixel, the squared distance in
/// spacing units² (mm² or pixels²) to the nearest `true` pixel of
/// `features`, or `+infinity` when `features` has no `true` pixel.
///
/// Why two different passes: along columns the distance to the nearest
/// feature in the same column is found exactly by two sweeps (no
/// infinities enter any arithmetic); along rows the lower envelope of
/// parabolas `g(q) + ((x - q)·colSpacing)²` is taken over the columns
/// whose column pass was finite, so empty columns never produce inf - inf.
///
/// - Complexity: O(width · height) time, O(width + height) extra space
///   besides the result.
func squaredDistanceToFeatures(_ features: [Bool], width: Int, height: Int, spacing: PixelSpacing) -> [Double] {
    precondition(features.count == width * height, "caller validates the shape")
    var g = [Double](repeating: .infinity, count: features.count)
    // Pass 1: per column, distance (in rows) to the nearest feature above or below.
    var nearestBelow = [Int](repeating: 0, count: height)
    for x in 0..<width {
        var next = -1  // nearest feature row at or below y, scanning upwards
        for y in stride(from: height - 1, through: 0, by: -1) {
            if features[y * width + x] { next = y }
            nearestBelow[y] = next
        }
        var previous = -1  // nearest feature row at or above y
        for y in 0..<height {
            if features[y * width + x] { previous = y }
            var rows = Int.max
            if previous >= 0 { rows = y - previous }
            if nearestBelow[y] >= 0 { rows = min(rows, nearestBelow[y] - y) }
            if rows != Int.max {
                let d = Double(rows) * spacing.row
                g[y * width + x] = d * d
            }
        }
    }
    // Pass 2: per row, lower envelope of parabolas over the finite columns.
    var result = [Double](repeating: .infinity, count: features.count)
    var vertex = [Int](repeating: 0, count: width)             // columns of the envelope's parabolas
    var boundary = [Double](repeating: 0, count: width + 1)    // where parabola k starts to win (mm)
    let s = spacing.column
    for y in 0..<height {
        let row = y * width
        var k = -1
        for q in 0..<width where g[row + q].isFinite {
            let fq = g[row + q] + (Double(q) * s) * (Double(q) * s)
            var start = -Double.infinity
            while k >= 0 {
                let v = vertex[k]
                let fv = g[row + v] + (Double(v) * s) * (Double(v) * s)
                // Abscissa (mm) where parabola q becomes lower than parabola v.
                start = (fq - fv) / (2 * s * Double(q - v))
                if start > boundary[k] { break }
                k -= 1  // parabola v is nowhere lowest: drop it
                start = -Double.infinity
            }
            k += 1
            vertex[k] = q
            boundary[k] = start
            boundary[k + 1] = .infinity
        }
        guard k >= 0 else { continue }  // no feature anywhere: the row stays infinite
        var j = 0
        for x in 0..<width {
            let position = Double(x) * s
            while boundary[j + 1] < position { j += 1 }
            // Distance from the column difference, not the difference of
            // positions, so the result is the same sum of squares a direct
            // computation would form.
            let dx = Double(x - vertex[j]) * s
            result[row + x] = g[row + vertex[j]] + dx * dx
        }
    }
    return result
}
