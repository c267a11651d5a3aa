import Foundation
import MedaugImaging

extension Expander {
    /// Expands the dataset folder `input` into a new folder `output`: its
    /// real train pairs and `options.target − n` new ones in the train
    /// split, every new item flagged `synthetic` with its provenance in
    /// `source` (`origin`: generated, gmm, paste or classic, `from`: the real
    /// item's id, `edit`: move or copy when a label edit was applied,
    /// `donor`: the id of the pair whose lesion was pasted in, `seed`), and the
    /// val and test items copied unchanged (they stay real).
    ///
    /// The folder appears complete or not at all (`DatasetWriter`): an
    /// error or a cancellation (`progress` returning false) leaves nothing
    /// under `output`.
    @discardableResult
    public func expandDataset(input: String, output: String, overwrite: Bool = false,
                              progress: (Int, Int) -> Bool = { _, _ in true }) throws(ExpansionError) -> DatasetManifest {
        let source: DatasetPairs
        do { source = try DatasetPairs.load(folder: input) } catch { throw .invalidArgument("\(error)") }
        try check(source.pairs)
        let steps = try planExpansion(realCount: source.pairs.count, options: options)
        let width = String(steps.count).count
        guard source.pairs[0].height == source.pairs[0].width else {
            throw .invalidArgument("dataset folders hold square images; '\(input)' has \(source.pairs[0].height)x\(source.pairs[0].width)")
        }
        // DatasetWriter wraps errors thrown inside it; remember a cancellation.
        var cancelled = false
        do {
            var written: DatasetManifest?
            try DatasetWriter.write(to: output, overwrite: overwrite) { temporary in
                var manifest = source.manifest
                manifest.items = []
                let manager = FileManager.default
                for item in source.manifest.items where !item.synthetic {
                    try manager.copyItem(atPath: input + "/" + item.image, toPath: temporary + "/" + item.image)
                    try manager.copyItem(atPath: input + "/" + item.mask, toPath: temporary + "/" + item.mask)
                    manifest.items.append(item)
                }
                let taken = Set(manifest.items.map(\.id))
                for (index, step) in steps.enumerated() {
                    let made = try make(step, from: source.pairs)
                    let number = String(repeating: "0", count: width - String(index + 1).count) + String(index + 1)
                    var id = "\(made.origin.rawValue)-\(number)"
                    while taken.contains(id) { id += "x" }
                    var provenance: [String: JSONValue] = [
                        "origin": .string(made.origin.rawValue), "from": .string(source.items[step.source].id),
                        "seed": .string(String(step.seed)),
                    ]
                    if let edit = made.edit { provenance["edit"] = .string(edit.rawValue) }
                    if let donor = made.donor { provenance["donor"] = .string(source.items[donor].id) }
                    let item = DatasetManifest.Item(id: id, split: .train, synthetic: true, source: provenance)
                    try DatasetWriter.writePair(image: made.pair.image, channels: made.pair.channels, labels: made.pair.mask,
                                                side: made.pair.height, item: item, intensity: manifest.intensity,
                                                folder: temporary)
                    manifest.items.append(item)
                    guard progress(index + 1, steps.count) else {
                        cancelled = true
                        throw ExpansionError.cancelled
                    }
                }
                written = manifest
                return manifest
            }
            return written!
        } catch {
            if cancelled { throw .cancelled }
            throw .failed("\(error)")
        }
    }
}
