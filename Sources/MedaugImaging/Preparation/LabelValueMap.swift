import Foundation

/// Which class each stored label value of a label volume belongs to
/// (`--label-map FILE`), so that a few structures of a many-label
/// segmentation become a dataset's classes without preprocessing elsewhere.
///
/// The file is a JSON object from stored values to class names, with `"*"`
/// for every value not listed (to background, or to an `other` class):
///
///     {"0": "background", "1": "liver", "6": "kidney", "7": "kidney", "*": "background"}
///
/// Without `"*"`, a value the map does not list is an error that names it.
/// The classes are numbered in this order, and those numbers are the label
/// values the dataset stores: first the class of value 0 (or, when 0 is not
/// listed, of `"*"`), then the others by the smallest value mapped to them,
/// then a class only `"*"` reaches.
public struct LabelValueMap: Equatable, Sendable {
    /// Class names, in class-index order.
    public let classes: [String]
    /// Stored value → class index.
    public let classOfValue: [Int32: Int32]
    /// The class index of every unlisted value (`"*"`), if any.
    public let otherClass: Int32?

    /// The mapping as stored value (or `"*"`) → class name.
    public init(_ entries: [String: String], source: String = "label map") throws(ImagingError) {
        guard !entries.isEmpty else { throw .invalidArgument("\(source): no entries (expected {\"VALUE\": \"class\", ...})") }
        var named: [Int32: String] = [:]
        var other: String?
        for (key, name) in entries {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidArgument("\(source): the class name of \"\(key)\" is empty")
            }
            if key == "*" {
                other = name
            } else if let value = Int32(key.trimmingCharacters(in: .whitespaces)) {
                named[value] = name
            } else {
                throw .invalidArgument("\(source): key \"\(key)\" is neither an integer label value nor \"*\"")
            }
        }
        // Class order: value 0's class (or "*"'s), then by smallest value, then "*"-only.
        // A set beside the order: a 1 MiB map holds 100 000 names, and a linear
        // search per name was quadratic (a hang on a hostile file).
        var order: [String] = [], seen = Set<String>()
        func add(_ name: String) { if seen.insert(name).inserted { order.append(name) } }
        if let zero = named[0] { add(zero) } else if let other { add(other) }
        for value in named.keys.sorted() { add(named[value]!) }
        if let other { add(other) }
        let index = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, Int32($0)) })
        classes = order
        classOfValue = named.mapValues { index[$0]! }
        otherClass = other.map { index[$0]! }
    }

    /// Reads a label map file (a JSON object of strings to strings).
    public init(contentsOf path: String) throws(ImagingError) {
        let data: Data
        do {
            data = try FileBytes.read(path: path, maxBytes: 1 << 20)
        } catch let error as ImagingError {
            throw error
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
            throw .malformed(path: path, reason: "a label map must be a JSON object {\"VALUE\": \"class\", ...}")
        }
        var entries: [String: String] = [:]
        for (key, value) in dictionary {
            guard let name = value as? String else {
                throw .malformed(path: path, reason: "the value of \"\(key)\" is not a class name (a string)")
            }
            entries[key] = name
        }
        try self.init(entries, source: "label map '\(path)'")
    }

    /// The entries as read (for configs that record the mapping).
    public var entries: [String: String] {
        var result = Dictionary(uniqueKeysWithValues: classOfValue.map { (String($0.key), classes[Int($0.value)]) })
        if let otherClass { result["*"] = classes[Int(otherClass)] }
        return result
    }

    /// The label values the dataset stores: the class indices 0..<K.
    public var labelValues: [Int] { Array(0..<classes.count) }

    /// The class index of every stored value of `labels`; an unlisted value
    /// without `"*"` is an error naming it and its first voxel.
    public func classIndices(_ labels: [Int32], source: String) throws(ImagingError) -> [Int32] {
        var out = [Int32](repeating: 0, count: labels.count)
        for (i, value) in labels.enumerated() {
            if let c = classOfValue[value] {
                out[i] = c
            } else if let otherClass {
                out[i] = otherClass
            } else {
                throw .invalidArgument("\(source): label value \(value) at voxel \(i) is not in the label map "
                                       + "(listed: \(classOfValue.keys.sorted()); add it or a \"*\" entry)")
            }
        }
        return out
    }
}
