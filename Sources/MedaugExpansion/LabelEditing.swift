import Foundation

/// Label-space edits: new label maps made by moving, resizing, rotating or
/// copying the regions of chosen label values (lesions) to other plausible
/// places. What makes a mask-conditioned GAN more than a photocopier: the
/// generator then renders lesions where no training image had one.
///
/// Terms, for a label map of stored label values:
/// - the *region*: the pixels whose value is one of `editValues` (the whole
///   nested lesion: core, oedema, rim together);
/// - the *anatomy*: the pixels whose value is neither `backgroundValue` nor
///   one of `editValues` (the tissue a lesion can sit in).
///
/// An edit takes a region (the map's own, or another map's: the *donor*),
/// maps it by a random similarity transform (rotation, scale, mirror) to a
/// random centre inside the anatomy, and writes it over the anatomy only, so
/// a lesion never spills into the background. A *move* first fills the old
/// region with the surrounding anatomy labels; a *copy* keeps it.
public struct LabelEditor: Sendable {
    /// Label values of the regions edits move (e.g. BraTS 1, 2, 4).
    public var editValues: Set<Int32>
    /// The background's label value (never anatomy).
    public var backgroundValue: Int32
    /// Range of the scale factor applied to a region.
    public var scaleRange: ClosedRange<Double> = 0.75...1.3
    /// Placements tried before an edit gives up.
    public var attempts = 64
    /// Share of a placed region that must land on anatomy (the rest is cut).
    public var minimumInside = 0.9
    /// Regions smaller than this many pixels are not edited.
    public var minimumRegion = 4

    public init(editValues: Set<Int32>, backgroundValue: Int32) {
        self.editValues = editValues
        self.backgroundValue = backgroundValue
    }

    /// What an edit did.
    public enum Kind: String, Sendable {
        case move, copy
    }

    /// A region's pixels relative to its centroid, with their values.
    struct Region {
        var offsets: [(y: Double, x: Double)]
        var values: [Int32]
        /// Nearest-neighbour lookup: value at integer offset (dy, dx) from
        /// the rounded centroid, or nil outside the region.
        var lookup: [Int: Int32]
        var radius: Int
        /// The rounded centroid in the source map (row, column).
        var centre: (y: Int, x: Int)
        var key: (Int, Int) -> Int { { ($0 + 4096) * 8192 + ($1 + 4096) } }
    }

    /// The pixels of `map` (side × side) whose value is an edit value.
    func region(of map: [Int32], side: Int) -> Region? {
        var ys: [Int] = [], xs: [Int] = [], values: [Int32] = []
        for (index, value) in map.enumerated() where editValues.contains(value) {
            ys.append(index / side)
            xs.append(index % side)
            values.append(value)
        }
        guard values.count >= minimumRegion else { return nil }
        let cy = (Double(ys.reduce(0, +)) / Double(ys.count)).rounded()
        let cx = (Double(xs.reduce(0, +)) / Double(xs.count)).rounded()
        var region = Region(offsets: [], values: values, lookup: [:], radius: 0, centre: (Int(cy), Int(cx)))
        for i in values.indices {
            let (dy, dx) = (ys[i] - Int(cy), xs[i] - Int(cx))
            region.offsets.append((Double(dy), Double(dx)))
            region.lookup[region.key(dy, dx)] = values[i]
            region.radius = max(region.radius, abs(dy), abs(dx))
        }
        return region
    }

    /// Whether a pixel value is anatomy.
    func isAnatomy(_ value: Int32) -> Bool { value != backgroundValue && !editValues.contains(value) }

    /// `map` with its region replaced by the anatomy around it: each region
    /// pixel takes the value of the nearest non-region pixel reached by
    /// growing inwards from the region's border (4-neighbour rings).
    func removingRegion(from map: [Int32], side: Int) -> [Int32] {
        var out = map
        var pending = Set(map.indices.filter { editValues.contains(map[$0]) })
        while !pending.isEmpty {
            var filled: [(Int, Int32)] = []
            for index in pending {
                let (y, x) = (index / side, index % side)
                var counts: [Int32: Int] = [:]
                for (ny, nx) in [(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)]
                where ny >= 0 && ny < side && nx >= 0 && nx < side && !pending.contains(ny * side + nx) {
                    counts[out[ny * side + nx], default: 0] += 1
                }
                // The most common neighbour; ties go to the smaller value so
                // the result does not depend on hashing order.
                if let best = counts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) {
                    filled.append((index, best.key))
                }
            }
            if filled.isEmpty {      // a region covering the whole map
                for index in pending { out[index] = backgroundValue }
                break
            }
            for (index, value) in filled {
                out[index] = value
                pending.remove(index)
            }
        }
        return out
    }

    /// One edit of `map` (side × side). Uses the map's own region when it
    /// has one (moving or copying it, equally likely), else the region of
    /// `donor` (copied in). Returns nil when there is no region to use, no
    /// anatomy, or no placement within `attempts` lands at least
    /// `minimumInside` of the region on anatomy.
    public func edit(_ map: [Int32], donor: [Int32]?, side: Int,
                     random: inout SplitMix64) -> (map: [Int32], kind: Kind)? {
        precondition(map.count == side * side, "map size")
        let own = region(of: map, side: side)
        let kind: Kind = own != nil && random.uniform() < 0.5 ? .move : .copy
        guard let source = own ?? donor.flatMap({ $0.count == side * side ? region(of: $0, side: side) : nil }) else {
            return nil
        }
        let base = kind == .move ? removingRegion(from: map, side: side) : map
        let anatomy = base.indices.filter { isAnatomy(base[$0]) }
        guard !anatomy.isEmpty else { return nil }
        for _ in 0..<attempts {
            let placement = Placement.random(anatomy: anatomy, side: side, scaleRange: scaleRange, random: &random)
            let (cy, cx) = placement.centre
            // Backward mapping over the placed region's bounding box: each
            // output pixel looks up the source pixel it came from.
            let reach = placement.reach(source.radius)
            var placed: [(Int, Int32)] = [], outside = 0
            for oy in -reach...reach {
                for ox in -reach...reach {
                    let (y, x) = (cy + oy, cx + ox)
                    let (sy, sx) = placement.source(oy, ox)
                    guard let value = source.lookup[source.key(sy, sx)] else { continue }
                    guard y >= 0, y < side, x >= 0, x < side, isAnatomy(base[y * side + x]) else {
                        outside += 1
                        continue
                    }
                    placed.append((y * side + x, value))
                }
            }
            guard placed.count >= minimumRegion,
                  Double(placed.count) >= minimumInside * Double(placed.count + outside) else { continue }
            var out = base
            for (index, value) in placed { out[index] = value }
            return (out, kind)
        }
        return nil
    }
}

/// A random similarity transform placing a region: rotation, scale and
/// mirror about a centre pixel of the anatomy (drawn in that order, from
/// one stream), mapped backwards from placed offsets to source offsets.
struct Placement {
    let centre: (y: Int, x: Int)
    let scale: Double
    let cosine: Double
    let sine: Double
    let mirror: Double

    static func random(anatomy: [Int], side: Int, scaleRange: ClosedRange<Double>,
                       random: inout SplitMix64) -> Placement {
        let angle = random.uniform() * 2 * Double.pi
        let scale = scaleRange.lowerBound + random.uniform() * (scaleRange.upperBound - scaleRange.lowerBound)
        let mirror = random.uniform() < 0.5 ? -1.0 : 1.0
        let centre = anatomy[Int(random.next() % UInt64(anatomy.count))]
        return Placement(centre: (centre / side, centre % side), scale: scale, cosine: cos(angle), sine: sin(angle),
                         mirror: mirror)
    }

    /// Half-side of the box a region of `radius` covers once placed.
    func reach(_ radius: Int) -> Int { Int((Double(radius) * scale).rounded(.up)) + 1 }

    /// The source offset (from the region's centroid) that placed offset
    /// (oy, ox) takes its value from (nearest neighbour).
    func source(_ oy: Int, _ ox: Int) -> (Int, Int) {
        let (uy, ux) = (Double(oy) / scale, Double(ox) / scale)
        return (Int((cosine * uy + sine * ux).rounded()), Int((mirror * (-sine * uy + cosine * ux)).rounded()))
    }
}

/// SplitMix64: a small seeded generator whose sequence is fixed by the
/// seed on every platform (the expansion's results must not depend on the
/// standard library's generator).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
