/// An image and its label mask on the same pixel grid: what classic
/// augmentation transforms together.
///
/// `image` is channel-planar [channels][height][width] float32 (any
/// intensity scale; the network's is [-1, 1]); `mask` is [height][width]
/// integer labels (stored label values or class indices, never mixed).
/// `spacing` is the pixel size in millimetres (row, column), so that
/// millimetre parameters (elastic displacement, blur) mean millimetres.
public struct ImagePair: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var image: [Float]
    public var mask: [Int32]
    public var spacing: (row: Double, column: Double)

    /// - Throws: `ImagingError.invalidArgument` if the arrays do not match
    ///   the sizes or the spacing is not positive and finite.
    public init(channels: Int, height: Int, width: Int, image: [Float], mask: [Int32],
                spacing: (row: Double, column: Double) = (1, 1)) throws {
        guard channels >= 1, height >= 1, width >= 1 else {
            throw ImagingError.invalidArgument("image size \(channels)×\(height)×\(width) must be positive")
        }
        guard image.count == channels * height * width else {
            throw ImagingError.invalidArgument("image has \(image.count) values, expected \(channels)×\(height)×\(width) = \(channels * height * width)")
        }
        guard mask.count == height * width else {
            throw ImagingError.invalidArgument("mask has \(mask.count) values, expected \(height)×\(width) = \(height * width)")
        }
        guard spacing.row > 0, spacing.column > 0, spacing.row.isFinite, spacing.column.isFinite else {
            throw ImagingError.invalidArgument("pixel spacing \(spacing) must be positive and finite")
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.image = image
        self.mask = mask
        self.spacing = spacing
    }

    public static func == (a: ImagePair, b: ImagePair) -> Bool {
        a.channels == b.channels && a.height == b.height && a.width == b.width && a.image == b.image
            && a.mask == b.mask && a.spacing == b.spacing
    }
}

extension ImagePair {
    /// Blurs every image channel with a separable Gaussian of `sigmaMM` per
    /// axis (through the pair's spacing), mirrored at the border: the
    /// augmenter's blur, for renderers outside it.
    public mutating func blur(sigmaMM: Double) {
        IntensityTransforms.blur(&self, sigmaMM: sigmaMM, threads: 1)
    }
}
