import MedaugImaging

/// A picture of samples side by side, one row per sample and one column per
/// view (for example mask | real | generated), written as an RGB PNG.
///
/// Tiles are square single-channel planes: images are mapped linearly from
/// a value range to gray, label maps (class indices) to `palette` colours.
/// Small tiles are enlarged by an integer factor (nearest neighbour) so a
/// 16-pixel sample is still visible.
public struct SampleGrid {
    /// One view of a sample.
    public enum Tile {
        /// Intensities, `range.lowerBound` black and `range.upperBound`
        /// white (values outside are clipped; NaN is shown red).
        case image([Float], range: ClosedRange<Float>)
        /// Class indices; index k gets `palette[k % palette.count]`.
        case labels([Int32])
        /// An image with class colours blended over it at half strength
        /// (class 0 left clear): a segmentation overlay.
        case overlay([Float], range: ClosedRange<Float>, labels: [Int32])
    }

    /// Class colours: background black, then Tableau's ten.
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ]

    public let columns: Int
    public let side: Int
    /// Enlargement factor of every tile.
    public let scale: Int
    private var rows: [[Tile]] = []
    private let gap = 4

    /// A grid of `columns` views of `side`×`side` tiles, enlarged so a tile
    /// is at least `minimumTileSide` pixels wide.
    /// - Throws: `ImagingError.invalidArgument` for a non-positive size.
    public init(columns: Int, side: Int, minimumTileSide: Int = 96) throws {
        guard columns >= 1, side >= 1, side <= PNGWriter.maxSide else {
            throw ImagingError.invalidArgument("a sample grid needs columns >= 1 and a tile side in 1...\(PNGWriter.maxSide)")
        }
        self.columns = columns
        self.side = side
        scale = max(1, (minimumTileSide + side - 1) / side)
    }

    /// Adds one row of exactly `columns` tiles of `side`² values each.
    public mutating func addRow(_ tiles: [Tile]) throws {
        guard tiles.count == columns else {
            throw ImagingError.invalidArgument("a sample grid row has \(tiles.count) tiles, the grid \(columns) columns")
        }
        for tile in tiles {
            let count: Int
            switch tile {
            case .image(let values, _): count = values.count
            case .labels(let values): count = values.count
            case .overlay(let values, _, let labels):
                guard values.count == labels.count else {
                    throw ImagingError.invalidArgument("an overlay tile has \(values.count) pixels and \(labels.count) labels")
                }
                count = values.count
            }
            guard count == side * side else {
                throw ImagingError.invalidArgument("a sample grid tile has \(count) values, expected \(side)x\(side)")
            }
        }
        rows.append(tiles)
    }

    /// Rows added so far.
    public var rowCount: Int { rows.count }

    /// The picture's size in pixels.
    public var size: (width: Int, height: Int) {
        let tile = side * scale
        return (columns * tile + (columns + 1) * gap, max(1, rows.count) * tile + (max(1, rows.count) + 1) * gap)
    }

    /// The RGB bytes of the picture, row-major.
    public func rgbPixels() -> [UInt8] {
        let (width, height) = size, tile = side * scale
        var pixels = [UInt8](repeating: 40, count: width * height * 3)
        for (r, row) in rows.enumerated() {
            for (c, view) in row.enumerated() {
                let x0 = gap + c * (tile + gap), y0 = gap + r * (tile + gap)
                for y in 0..<tile {
                    for x in 0..<tile {
                        let colour = Self.colour(of: view, at: (y / scale) * side + x / scale)
                        let p = ((y0 + y) * width + x0 + x) * 3
                        (pixels[p], pixels[p + 1], pixels[p + 2]) = colour
                    }
                }
            }
        }
        return pixels
    }

    /// Writes the grid as an RGB PNG, atomically.
    public func writePNG(to path: String) throws {
        let (width, height) = size
        guard width <= PNGWriter.maxSide, height <= PNGWriter.maxSide else {
            throw ImagingError.invalidArgument("a sample grid of \(width)x\(height) pixels is too large for a PNG preview")
        }
        try PNGWriter.write(rgbPixels(), width: width, height: height, format: .rgb, to: path)
    }

    private static func colour(of tile: Tile, at index: Int) -> (UInt8, UInt8, UInt8) {
        switch tile {
        case .labels(let labels):
            let k = Int(labels[index])
            return k >= 0 ? palette[k % palette.count] : (255, 255, 255)
        case .image(let values, let range):
            return gray(values[index], range)
        case .overlay(let values, let range, let labels):
            let (g, _, _) = gray(values[index], range)
            let k = Int(labels[index])
            guard k > 0 else { return (g, g, g) }
            let (r, gg, b) = palette[k % palette.count]
            func mix(_ c: UInt8) -> UInt8 { UInt8((Int(g) + Int(c)) / 2) }
            return (mix(r), mix(gg), mix(b))
        }
    }

    private static func gray(_ v: Float, _ range: ClosedRange<Float>) -> (UInt8, UInt8, UInt8) {
        guard !v.isNaN else { return (255, 0, 0) }
        let span = range.upperBound - range.lowerBound
        let t = span > 0 ? (v - range.lowerBound) / span : 0.5
        let g = UInt8(min(255, max(0, (t * 255).rounded())))
        return (g, g, g)
    }
}
