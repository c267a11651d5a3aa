/// Checks on a file's image samples before they reach a network.
public enum ImageSamples {
    /// Throws unless every value of `values` (channels of `width` ×
    /// `height`, one TIFF page each) is finite: a NaN or infinity in an
    /// image would spread through augmentation into every pair made from
    /// it, and through a training step into a non-finite loss that names no
    /// file.
    ///
    /// - Throws: `ImagingError.malformed` naming `path`, the channel, row
    ///   and column, and the value.
    public static func requireFinite(_ values: [Float], width: Int, height: Int, path: String) throws(ImagingError) {
        guard let index = values.firstIndex(where: { !$0.isFinite }) else { return }
        let plane = max(1, width * height)
        throw .malformed(path: path, reason: "pixel (row \(index % plane / max(1, width)), column "
                         + "\(index % plane % max(1, width))) of channel \(index / plane) is \(values[index]); "
                         + "image values must be finite")
    }
}
