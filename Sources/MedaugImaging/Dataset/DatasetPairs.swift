import Foundation

/// The pairs of one split of a dataset folder: images mapped to the
/// network's range, masks as stored label values.
public struct DatasetPairs: Sendable {
    public var manifest: DatasetManifest
    /// The items loaded, in manifest order.
    public var items: [DatasetManifest.Item]
    public var pairs: [ImagePair]

    /// Pairs already in memory (a subset of a loaded split, for example).
    public init(manifest: DatasetManifest, items: [DatasetManifest.Item], pairs: [ImagePair]) {
        self.manifest = manifest
        self.items = items
        self.pairs = pairs
    }

    /// The real (not synthetic, unless `includeSynthetic`) items of `split`.
    /// - Throws: `ImagingError` naming the file for a
    ///   missing manifest, an unreadable image, or sizes that disagree.
    public static func load(folder: String, split: DatasetManifest.Split = .train,
                            includeSynthetic: Bool = false) throws -> DatasetPairs {
        let manifest = try DatasetManifest.read(folder: folder)
        let items = manifest.items.filter { $0.split == split && (includeSynthetic || !$0.synthetic) }
        guard !items.isEmpty else {
            throw ImagingError.invalidArgument("'\(folder)' has no \(includeSynthetic ? "" : "real ")\(split.rawValue) items")
        }
        let spacing = manifest.spacingMM.count == 2 ? (manifest.spacingMM[0], manifest.spacingMM[1]) : (1.0, 1.0)
        let pairs = try items.map { item -> ImagePair in
            let pages = try TIFFFile.open(path: folder + "/" + item.image).readAll()
            let mask = try TIFFFile.read(path: folder + "/" + item.mask)
            guard pages.allSatisfy({ $0.channels == 1 && $0.height == mask.height && $0.width == mask.width }),
                  pages.count == manifest.channels.count, mask.channels == 1 else {
                throw ImagingError.malformed(path: folder + "/" + item.image, reason:
                    "its \(pages.count) page(s) and its mask '\(item.mask)' do not match the manifest's "
                    + "\(manifest.channels.count) channel(s) on one grid")
            }
            let image = pages.flatMap { $0.floatValues().map(manifest.intensity.toNetwork) }
            try ImageSamples.requireFinite(image, width: mask.width, height: mask.height, path: folder + "/" + item.image)
            return try ImagePair(channels: pages.count, height: mask.height, width: mask.width, image: image,
                                 mask: try LabelSamples.int32(mask.floatValues(), rounding: .towardZero,
                                                              path: folder + "/" + item.mask),
                                 spacing: spacing)
        }
        return DatasetPairs(manifest: manifest, items: items, pairs: pairs)
    }
}

