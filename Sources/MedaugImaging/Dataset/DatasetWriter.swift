import Foundation

/// Writes dataset folders so that they appear complete or not at all.
public enum DatasetWriter {
    /// Runs `body` on a temporary folder beside `output` (with `images/` and
    /// `masks/` created), writes the manifest it returns, then renames the
    /// folder to `output`. On any error the temporary folder is removed and
    /// `output` is untouched.
    public static func write(to output: String, overwrite: Bool,
                             _ body: (String) throws -> DatasetManifest) throws {
        let manager = FileManager.default
        let url = URL(fileURLWithPath: output).standardizedFileURL
        let parent = url.deletingLastPathComponent().path
        guard manager.fileExists(atPath: parent) else {
            throw ImagingError.io(path: output, reason: "the parent folder '\(parent)' does not exist")
        }
        if manager.fileExists(atPath: url.path) && !overwrite {
            throw ImagingError.io(path: output, reason: "already exists (choose another folder or overwrite it)")
        }
        let temporary = parent + "/.\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try manager.createDirectory(atPath: temporary + "/images", withIntermediateDirectories: true)
            try manager.createDirectory(atPath: temporary + "/masks", withIntermediateDirectories: true)
            let manifest = try body(temporary)
            try publish(folder: temporary, manifest: manifest, to: output)
        } catch {
            try? manager.removeItem(atPath: temporary)
            if let error = error as? ImagingError { throw error }
            throw ImagingError.io(path: output, reason: "\(error)")
        }
    }

    /// Writes `manifest` into `folder` (a complete dataset folder but for
    /// it, on the same file system as `output`) and renames the folder to
    /// `output`, replacing an existing `output` whole. The caller has
    /// checked whether replacing is allowed; on failure `folder` stays.
    public static func publish(folder: String, manifest: DatasetManifest, to output: String) throws {
        let manager = FileManager.default
        let url = URL(fileURLWithPath: output).standardizedFileURL
        try manifest.validate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        if manager.fileExists(atPath: url.path) {
            // Swap: the old folder goes aside first, so a crash leaves one
            // complete folder under some name, never a mixture.
            let aside = folder + ".old"
            try manager.moveItem(atPath: url.path, toPath: aside)
            do {
                try manager.moveItem(atPath: folder, toPath: url.path)
            } catch {
                try? manager.moveItem(atPath: aside, toPath: url.path)
                throw error
            }
            try? manager.removeItem(atPath: aside)
        } else {
            try manager.moveItem(atPath: folder, toPath: url.path)
        }
    }

    /// Writes one pair: the image as uint16 pages (network [-1, 1] mapped by
    /// `intensity`), the mask as uint8 (or uint16 for label values > 255)
    /// stored label values.
    public static func writePair(image: [Float], channels: Int, labels: [Int32], side: Int,
                                 item: DatasetManifest.Item, intensity: DatasetManifest.IntensityMapping,
                                 folder: String) throws {
        let plane = side * side
        var pages: [TIFFImage] = []
        for c in 0..<channels {
            // NaN as -1 (IntensityNormalization's "no data"): UInt16(_:) would trap on it.
            let values = image[(c * plane)..<((c + 1) * plane)].map { value -> UInt16 in
                UInt16(min(max(intensity.toStored(value.isNaN ? -1 : value).rounded(), 0), 65535))
            }
            pages.append(try TIFFImage(width: side, height: side, channels: 1, pixels: .uint16(values)))
        }
        try TIFFWriter.write(images: pages, to: folder + "/" + item.image, compression: .deflate)
        let mask: PixelData = labels.allSatisfy({ (0...255).contains($0) })
            ? .uint8(labels.map { UInt8($0) }) : .uint16(labels.map { UInt16(clamping: $0) })
        try TIFFWriter.write(image: try TIFFImage(width: side, height: side, channels: 1, pixels: mask),
                             to: folder + "/" + item.mask, compression: .deflate)
    }
}
