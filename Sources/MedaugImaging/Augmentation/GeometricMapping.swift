import Foundation

/// The output→input pixel mapping of all geometric operations of one draw:
/// an affine map in millimetres about the image centre (so rotation is
/// rigid even with anisotropic pixels), preceded by an optional elastic
/// displacement field. Sampling output pixel (row y, column x) reads the
/// input at `source(y, x)`.
///
/// With the forward content transform T = Fₙ∘…∘F₁, the mapping is
/// T⁻¹(p) = L·(p − s); adding a linear F (inverse M) gives L·M and F·s,
/// adding a translation t gives s + t.
struct GeometricMapping {
    let height: Int, width: Int
    let spacing: (row: Double, column: Double)
    /// L: inverse linear part (output mm → input mm), row-major 2×2 acting
    /// on (x_mm, y_mm); s: the translation subtracted before it.
    var inverse: (a: Double, b: Double, c: Double, d: Double) = (1, 0, 0, 1)
    var shiftMM: (x: Double, y: Double) = (0, 0)
    var elastic: ElasticField?

    init(height: Int, width: Int, spacing: (row: Double, column: Double)) {
        self.height = height
        self.width = width
        self.spacing = spacing
    }

    var isIdentity: Bool {
        elastic == nil && inverse == (1, 0, 0, 1) && shiftMM == (0, 0)
    }

    /// Composes one more operation after those already added (its inverse
    /// is applied first when mapping back).
    mutating func add(_ draw: Draw, random: inout SequentialRandom) {
        let value = draw.values[0]
        switch draw.operation.kind {
        case .rotate:
            // Forward: rotate content by θ counter-clockwise (y points down,
            // so in (x, y) image coordinates that is a rotation by −θ).
            let t = value * Double.pi / 180
            let (c, s) = (cos(t), sin(t))
            compose(forward: (c, s, -s, c), inverse: (c, -s, s, c))
        case .zoom:
            compose(forward: (value, 0, 0, value), inverse: (1 / value, 0, 0, 1 / value))
        case .flip:
            let m = draw.operation.axis == .horizontal ? (-1.0, 0.0, 0.0, 1.0) : (1.0, 0.0, 0.0, -1.0)
            compose(forward: m, inverse: m)
        case .shift:
            // Content moves by (fraction · side) along rows and columns.
            shiftMM = (shiftMM.x + draw.values[1] * Double(width) * spacing.column,
                       shiftMM.y + draw.values[0] * Double(height) * spacing.row)
        case .elastic:
            elastic = ElasticField(height: height, width: width, spacing: spacing, alphaMM: value,
                                   sigmaMM: draw.operation.sigmaMM ?? 10, random: &random)
        default:
            break
        }
    }

    /// Adds a linear forward operation F (matrix `forward`, inverse
    /// `inverse`): L ← L·F⁻¹, s ← F·s.
    private mutating func compose(forward f: (Double, Double, Double, Double),
                                  inverse m: (Double, Double, Double, Double)) {
        let l = inverse
        inverse = (l.a * m.0 + l.b * m.2, l.a * m.1 + l.b * m.3,
                   l.c * m.0 + l.d * m.2, l.c * m.1 + l.d * m.3)
        shiftMM = (f.0 * shiftMM.x + f.1 * shiftMM.y, f.2 * shiftMM.x + f.3 * shiftMM.y)
    }

    /// Input position (row, column) in pixels for output pixel (y, x).
    @inline(__always)
    func source(y: Int, x: Int) -> (row: Double, column: Double) {
        let cy = Double(height - 1) / 2, cx = Double(width - 1) / 2
        var px = (Double(x) - cx) * spacing.column
        var py = (Double(y) - cy) * spacing.row
        if let elastic {
            let d = elastic.displacement(y: y, x: x)
            px += d.x
            py += d.y
        }
        px -= shiftMM.x
        py -= shiftMM.y
        let qx = inverse.a * px + inverse.b * py, qy = inverse.c * px + inverse.d * py
        return (qy / spacing.row + cy, qx / spacing.column + cx)
    }
}

/// A smooth random displacement field (mm): uniform random displacements of
/// at most `alphaMM` on a control grid every `sigmaMM` mm, interpolated by
/// cubic B-splines (C² smooth, as TorchIO's RandomElasticDeformation).
struct ElasticField {
    let rows: Int, columns: Int
    let control: [(x: Double, y: Double)]
    /// Per output row / column: first control index and four B-spline weights.
    let rowWeights: [(Int, (Double, Double, Double, Double))]
    let columnWeights: [(Int, (Double, Double, Double, Double))]

    init(height: Int, width: Int, spacing: (row: Double, column: Double), alphaMM: Double, sigmaMM: Double,
         random: inout SequentialRandom) {
        // Control points cover the image plus one spline support on each side,
        // σ apart but at least a pixel: a finer grid adds no detail a pixel
        // can show, and a hostile spacing (1e300 mm, finite) once made more
        // intervals than Int holds (a trap) or than memory does.
        func grid(_ pixels: Int, _ mm: Double) -> (count: Int, step: Double) {
            let extent = Double(max(1, pixels - 1)) * mm
            let intervals = max(1, Int(min((extent / sigmaMM).rounded(.up), Double(max(1, pixels - 1)))))
            return (intervals + 3, extent / Double(intervals) / mm)  // step in pixels
        }
        let gy = grid(height, spacing.row), gx = grid(width, spacing.column)
        rows = gy.count
        columns = gx.count
        control = (0..<(rows * columns)).map { _ in
            ((random.uniform() * 2 - 1) * alphaMM, (random.uniform() * 2 - 1) * alphaMM)
        }
        func weights(_ pixels: Int, _ step: Double, intervals: Int) -> [(Int, (Double, Double, Double, Double))] {
            (0..<pixels).map { p in
                // Interval i (t in [0, 1]) uses control points i ..< i + 4;
                // the last pixel ends interval `intervals − 1` at t = 1.
                let u = Double(p) / step
                let i = min(Int(u), intervals - 1)
                let t = u - Double(i)
                let t2 = t * t, t3 = t2 * t
                return (i, ((1 - t) * (1 - t) * (1 - t) / 6, (3 * t3 - 6 * t2 + 4) / 6,
                            (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6))
            }
        }
        rowWeights = weights(height, gy.step, intervals: gy.count - 3)
        columnWeights = weights(width, gx.step, intervals: gx.count - 3)
    }

    @inline(__always)
    func displacement(y: Int, x: Int) -> (x: Double, y: Double) {
        let (r0, wr) = rowWeights[y], (c0, wc) = columnWeights[x]
        // Unrolled over the 4×4 support (array literals here would allocate
        // per pixel).
        @inline(__always)
        func row(_ i: Int, _ weight: Double) -> (Double, Double) {
            let base = (r0 + i) * columns + c0
            let p0 = control[base], p1 = control[base + 1], p2 = control[base + 2], p3 = control[base + 3]
            return (weight * (wc.0 * p0.x + wc.1 * p1.x + wc.2 * p2.x + wc.3 * p3.x),
                    weight * (wc.0 * p0.y + wc.1 * p1.y + wc.2 * p2.y + wc.3 * p3.y))
        }
        let a = row(0, wr.0), b = row(1, wr.1), c = row(2, wr.2), d = row(3, wr.3)
        return (a.0 + b.0 + c.0 + d.0, a.1 + b.1 + c.1 + d.1)
    }
}
