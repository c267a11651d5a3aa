import Foundation
import MedaugModels

/// `manifest.json` of a dataset folder (docs/design.md §3.3): the folder holds
/// `manifest.json`, `images/ID.tif` and `masks/ID.tif`; prepare and expand
/// write it, the trainer and the experiment read it.
///
/// ```json
/// {"format": "medaug-dataset", "version": 1, "classes": ["background", "tissue"],
///  "label_values": [0, 1], "channels": ["T1"], "spacing_mm": [1.0, 1.0],
///  "intensity": {"stored": "uint16", "stored_range": [0, 65535], "network_range": [-1, 1]},
///  "items": [{"id": "s0042", "image": "images/s0042.tif", "mask": "masks/s0042.tif",
///             "split": "train", "synthetic": false, "source": {"file": "t1.nii.gz", "plane": "coronal", "slice": 42}}]}
/// ```
///
/// Images are uint16 or float32, one page per channel; `intensity` records
/// how stored values map to the network's [-1, 1] (linearly, stored_range →
/// network_range). Masks hold stored label values; class index i ⇔
/// `label_values[i]`. Synthetic items are always flagged.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public var format: String
    public var version: Int
    public var classes: [String]
    public var labelValues: [Int]
    public var channels: [String]
    public var spacingMM: [Double]
    public var intensity: IntensityMapping
    /// How `medaug prepare` cut and scaled the slices (absent in folders
    /// made otherwise, and before 0.3.0).
    public var preparation: SlicePreparation?
    public var items: [Item]

    enum CodingKeys: String, CodingKey {
        case format, version, classes, labelValues = "label_values", channels
        case spacingMM = "spacing_mm", intensity, preparation, items
    }

    /// How stored image values map to network values.
    public struct IntensityMapping: Codable, Equatable, Sendable {
        /// "uint16" or "float32".
        public var stored: String
        public var storedRange: [Double]
        public var networkRange: [Double]

        enum CodingKeys: String, CodingKey {
            case stored, storedRange = "stored_range", networkRange = "network_range"
        }

        public init(stored: String, storedRange: [Double], networkRange: [Double] = [-1, 1]) {
            self.stored = stored
            self.storedRange = storedRange
            self.networkRange = networkRange
        }

        /// Network value of a stored value.
        public func toNetwork(_ stored: Float) -> Float {
            let t = (Double(stored) - storedRange[0]) / (storedRange[1] - storedRange[0])
            return Float(networkRange[0] + t * (networkRange[1] - networkRange[0]))
        }

        /// Stored value of a network value (not rounded or clamped).
        public func toStored(_ network: Float) -> Double {
            let t = (Double(network) - networkRange[0]) / (networkRange[1] - networkRange[0])
            return storedRange[0] + t * (storedRange[1] - storedRange[0])
        }
    }

    public enum Split: String, Codable, Sendable, CaseIterable { case train, val, test }

    /// One image + mask pair.
    public struct Item: Codable, Equatable, Sendable {
        public var id: String
        public var image: String
        public var mask: String
        public var split: Split
        public var synthetic: Bool
        /// Provenance: source file, plane, slice index, seed, generator, …
        public var source: [String: JSONValue]

        public init(id: String, split: Split, synthetic: Bool, source: [String: JSONValue]) {
            self.id = id
            image = "images/\(id).tif"
            mask = "masks/\(id).tif"
            self.split = split
            self.synthetic = synthetic
            self.source = source
        }
    }

    public init(classes: [String], labelValues: [Int], channels: [String], spacingMM: [Double],
                intensity: IntensityMapping, items: [Item] = []) {
        format = "medaug-dataset"
        version = 1
        self.classes = classes
        self.labelValues = labelValues
        self.channels = channels
        self.spacingMM = spacingMM
        self.intensity = intensity
        self.items = items
    }

    /// Reads and validates `folder/manifest.json`.
    /// - Throws: `ImagingError` naming the file and the bad key.
    public static func read(folder: String) throws -> DatasetManifest {
        let path = (folder as NSString).appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ImagingError.io(path: path, reason: "no such file (is '\(folder)' a dataset folder?)")
        }
        let data = try FileBytes.read(path: path, maxBytes: 256 << 20)
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch let error as DecodingError {
            throw ImagingError.malformed(path: path, reason: AugmentationPipeline.describe(error))
        } catch {
            throw ImagingError.malformed(path: path, reason: "not valid JSON")
        }
        do { try manifest.validate() } catch let ImagingError.invalidArgument(message) {
            throw ImagingError.malformed(path: path, reason: message)
        }
        return manifest
    }

    /// Throws `ImagingError.invalidArgument` naming the first inconsistency.
    public func validate() throws {
        func fail(_ message: String) -> ImagingError { .invalidArgument(message) }
        guard format == "medaug-dataset" else { throw fail("format is '\(format)', expected 'medaug-dataset'") }
        guard version == 1 else { throw fail("version \(version), this library reads 1") }
        guard !classes.isEmpty, classes.count == labelValues.count else {
            throw fail("\(classes.count) classes but \(labelValues.count) label_values")
        }
        guard Set(labelValues).count == labelValues.count, labelValues.allSatisfy({ (0...65535).contains($0) }) else {
            throw fail("label_values \(labelValues) must be distinct and in 0...65535")
        }
        guard !channels.isEmpty, channels.count <= 64 else { throw fail("channels must name 1...64 modalities") }
        guard spacingMM.count == 2, spacingMM.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw fail("spacing_mm \(spacingMM) must be two positive numbers")
        }
        guard ["uint16", "float32"].contains(intensity.stored) else {
            throw fail("intensity.stored '\(intensity.stored)', expected uint16 or float32")
        }
        for range in [intensity.storedRange, intensity.networkRange] {
            guard range.count == 2, range.allSatisfy({ $0.isFinite }), range[0] < range[1] else {
                throw fail("intensity ranges must be [low, high] with low < high, found \(range)")
            }
        }
        var seen = Set<String>()
        for item in items {
            guard DatasetManifest.isSafeIdentifier(item.id) else {
                throw fail("item id '\(item.id)' must be 1-128 characters of letters, digits, '-', '_' or '.'")
            }
            guard seen.insert(item.id).inserted else { throw fail("item id '\(item.id)' appears twice") }
            guard DatasetManifest.isSafeRelativePath(item.image), DatasetManifest.isSafeRelativePath(item.mask) else {
                throw fail("item '\(item.id)': image and mask must be relative paths inside the folder")
            }
        }
    }

    /// Ids become file names: no separators, no leading dot.
    static func isSafeIdentifier(_ id: String) -> Bool {
        guard (1...128).contains(id.count), !id.hasPrefix(".") else { return false }
        return id.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// A hostile manifest must not make us read or write outside the folder.
    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..") && !path.contains("\0")
    }
}

/// Any JSON value (for free-form provenance).
public enum JSONValue: Codable, Equatable, Sendable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        case .null: try c.encodeNil()
        }
    }
}
