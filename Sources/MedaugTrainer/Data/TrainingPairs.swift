import MedaugImaging

/// One split of a dataset folder (docs/design.md §3.3) in network form, loaded once:
/// images as float32 [n][channels][h][w] in the network's range (through the
/// manifest's intensity mapping), masks as class indices [n][h][w] (through
/// `label_values`). Training batches are then copied out with `fill…`, so a
/// step reads no file and allocates nothing.
public struct TrainingPairs: Sendable {
    public let manifest: DatasetManifest
    public let split: DatasetManifest.Split
    public let ids: [String]
    public let channels: Int
    public let height: Int
    public let width: Int
    public var classes: Int { manifest.classes.count }
    public var count: Int { ids.count }
    public let images: [Float]
    public let labels: [Int32]

    /// Loads every item of `split` from `folder`.
    /// - Parameter includeSynthetic: whether items flagged synthetic count.
    /// - Throws: `TrainerError.invalidArgument` naming the file for an
    ///   unreadable image, a size or channel mismatch, or a label value not in
    ///   the manifest; and for an empty split.
    public static func load(folder: String, split: DatasetManifest.Split, includeSynthetic: Bool = true) throws -> TrainingPairs {
        let manifest: DatasetManifest
        do { manifest = try DatasetManifest.read(folder: folder) } catch { throw TrainerError.invalidArgument("\(error)") }
        let items = manifest.items.filter { $0.split == split && (includeSynthetic || !$0.synthetic) }
        guard !items.isEmpty else {
            throw TrainerError.invalidArgument("'\(folder)' has no \(split.rawValue) items\(includeSynthetic ? "" : " that are not synthetic")")
        }
        var images: [Float] = [], labels: [Int32] = []
        var size: (h: Int, w: Int)?
        for item in items {
            let imagePath = folder + "/" + item.image, maskPath = folder + "/" + item.mask
            do {
                let pages = try TIFFFile.open(path: imagePath).readAll()
                let mask = try TIFFFile.read(path: maskPath)
                let channels = pages.reduce(0) { $0 + $1.channels }
                guard channels == manifest.channels.count else {
                    throw TrainerError.invalidArgument("'\(imagePath)' has \(channels) channels, the manifest lists \(manifest.channels.count)")
                }
                let (h, w) = (pages[0].height, pages[0].width)
                guard pages.allSatisfy({ $0.height == h && $0.width == w }), mask.height == h, mask.width == w, mask.channels == 1 else {
                    throw TrainerError.invalidArgument("'\(maskPath)' is \(mask.width)x\(mask.height)x\(mask.channels), its image '\(imagePath)' is \(w)x\(h): they must match (one mask channel)")
                }
                if let size, size != (h, w) {
                    throw TrainerError.invalidArgument("'\(imagePath)' is \(w)x\(h), earlier items are \(size.w)x\(size.h)")
                }
                size = (h, w)
                let values = pages.flatMap { $0.floatValues().map(manifest.intensity.toNetwork) }
                try ImageSamples.requireFinite(values, width: w, height: h, path: imagePath)
                images += values
                let stored = try LabelSamples.int32(mask.floatValues(), rounding: .towardZero, path: maskPath)
                labels += try LabelMapping.classIndices(stored, labelValues: manifest.labelValues, source: maskPath)
            } catch let error as TrainerError {
                throw error
            } catch {
                throw TrainerError.invalidArgument("\(error)")
            }
        }
        return TrainingPairs(manifest: manifest, split: split, ids: items.map(\.id), channels: manifest.channels.count,
                             height: size!.h, width: size!.w, images: images, labels: labels)
    }

    /// Copies pairs `indices` into a batch: images into `images`
    /// ([n][channels][h][w]) and class indices into `labels`, resizing both.
    public func fill(images target: TrainTensor, labels targetLabels: LabelMap, indices: [Int]) throws {
        let plane = height * width, perImage = channels * plane
        target.resize(to: TensorShape(n: indices.count, c: channels, h: height, w: width))
        targetLabels.resize(n: indices.count, h: height, w: width)
        for (slot, index) in indices.enumerated() {
            guard (0..<count).contains(index) else { throw TrainerError.invalidArgument("pair \(index) of \(count)") }
            images.withUnsafeBufferPointer { (target.pointer + slot * perImage).update(from: $0.baseAddress! + index * perImage, count: perImage) }
            labels.withUnsafeBufferPointer { (targetLabels.pointer + slot * plane).update(from: $0.baseAddress! + index * plane, count: plane) }
        }
    }

    /// One-hot class channels [n][classes][h][w] of a batch's class indices.
    static func fillOneHot(_ target: TrainTensor, labels: LabelMap, classes: Int) throws {
        let plane = labels.h * labels.w
        target.resize(to: TensorShape(n: labels.n, c: classes, h: labels.h, w: labels.w))
        target.buffer.update(repeating: 0)
        for slot in 0..<labels.n {
            for p in 0..<plane {
                let c = Int(labels.pointer[slot * plane + p])
                guard (0..<classes).contains(c) else { throw TrainerError.invalidArgument("class index \(c) of \(classes)") }
                target.pointer[(slot * classes + c) * plane + p] = 1
            }
        }
    }

    /// The generator's input for pairs `indices`: one-hot class channels
    /// [n][classes][h][w] (1 where the pixel's class is c, else 0).
    public func fillOneHot(_ target: TrainTensor, indices: [Int]) throws {
        let plane = height * width
        target.resize(to: TensorShape(n: indices.count, c: classes, h: height, w: width))
        target.buffer.update(repeating: 0)
        for (slot, index) in indices.enumerated() {
            guard (0..<count).contains(index) else { throw TrainerError.invalidArgument("pair \(index) of \(count)") }
            for p in 0..<plane {
                let c = Int(labels[index * plane + p])
                target.pointer[(slot * classes + c) * plane + p] = 1
            }
        }
    }
}
