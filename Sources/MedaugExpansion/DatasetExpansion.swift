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
    /// under `output`. The staged form (`planDataset`, `writeSteps`,
    /// `finishDataset`) writes the same bytes from any number of processes.
    @discardableResult
    public func expandDataset(input: String, output: String, overwrite: Bool = false,
                              progress: (Int, Int) -> Bool = { _, _ in true }) throws(ExpansionError) -> DatasetManifest {
        let source = try loadSource(input)
        let steps = try planExpansion(realCount: source.pairs.count, options: options)
        // DatasetWriter wraps errors thrown inside it; remember a cancellation.
        var cancelled = false
        do {
            var written: DatasetManifest?
            try DatasetWriter.write(to: output, overwrite: overwrite) { temporary in
                try Self.copyRealItems(of: source.manifest, from: input, to: temporary)
                let items = try writeItems(of: steps, in: 0..<steps.count, source: source, folder: temporary) { done in
                    cancelled = !progress(done, steps.count)
                    return !cancelled
                }
                written = Self.expandedManifest(source.manifest, synthetic: items)
                return written!
            }
            return written!
        } catch {
            if cancelled { throw .cancelled }
            throw .failed("\(error)")
        }
    }

    /// The real train pairs of a dataset folder, checked against the
    /// generator.
    func loadSource(_ input: String) throws(ExpansionError) -> DatasetPairs {
        let source: DatasetPairs
        do { source = try DatasetPairs.load(folder: input) } catch { throw .invalidArgument("\(error)") }
        try check(source.pairs)
        guard source.pairs[0].height == source.pairs[0].width else {
            throw .invalidArgument("dataset folders hold square images; '\(input)' has \(source.pairs[0].height)x\(source.pairs[0].width)")
        }
        return source
    }

    /// Makes the new pairs of `steps[range]` and writes their files into
    /// `folder`; returns their manifest items in step order.
    /// `progress(done)` counts pairs within the range; false cancels.
    func writeItems(of steps: [ExpansionStep], in range: Range<Int>, source: DatasetPairs, folder: String,
                    progress: (Int) -> Bool) throws -> [DatasetManifest.Item] {
        let width = String(steps.count).count
        let taken = Set(source.manifest.items.filter { !$0.synthetic }.map(\.id))
        var items: [DatasetManifest.Item] = []
        for index in range {
            let step = steps[index]
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
                                        side: made.pair.height, item: item, intensity: source.manifest.intensity,
                                        folder: folder)
            items.append(item)
            guard progress(items.count) else { throw ExpansionError.cancelled }
        }
        return items
    }

    /// Copies every real item of `manifest` (train, val and test) from
    /// `input` into `folder`.
    static func copyRealItems(of manifest: DatasetManifest, from input: String, to folder: String) throws {
        let manager = FileManager.default
        for item in manifest.items where !item.synthetic {
            try manager.copyItem(atPath: input + "/" + item.image, toPath: folder + "/" + item.image)
            try manager.copyItem(atPath: input + "/" + item.mask, toPath: folder + "/" + item.mask)
        }
    }

    /// The output's manifest: the input's real items in their order, then
    /// the new items in plan order.
    static func expandedManifest(_ input: DatasetManifest, synthetic: [DatasetManifest.Item]) -> DatasetManifest {
        var manifest = input
        manifest.items = input.items.filter { !$0.synthetic } + synthetic
        return manifest
    }
}
