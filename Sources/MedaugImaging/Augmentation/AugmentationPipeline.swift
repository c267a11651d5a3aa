import Foundation

/// A classic augmentation pipeline: a list of operations, each applied with
/// its own probability and parameters drawn from its ranges, plus how pixels
/// outside the image are filled. A value that round-trips through JSON (the
/// form the C ABI and the CLI take):
///
/// ```json
/// {"border": {"mode": "constant", "value": -1},
///  "operations": [{"type": "rotate", "probability": 0.5, "degrees": [-15, 15]},
///                 {"type": "flip", "probability": 0.5, "axis": "horizontal"},
///                 {"type": "elastic", "probability": 0.3, "alpha_mm": [2, 6], "sigma_mm": 10}]}
/// ```
///
/// Ranges are `[low, high]`, sampled uniformly. Geometric operations
/// (rotate, shift, flip, zoom, elastic) are composed into one resampling of
/// the image (bilinear) and the mask (nearest neighbour), whatever their
/// order in the list; intensity operations then run on the image only, in
/// list order.
public struct AugmentationPipeline: Codable, Equatable, Sendable {
    public var operations: [AugmentationOperation]
    public var border: BorderHandling

    public init(operations: [AugmentationOperation], border: BorderHandling = BorderHandling()) {
        self.operations = operations
        self.border = border
    }

    enum CodingKeys: String, CodingKey { case operations, border }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        operations = try c.decode([AugmentationOperation].self, forKey: .operations)
        border = try c.decodeIfPresent(BorderHandling.self, forKey: .border) ?? BorderHandling()
    }

    /// Parses and validates pipeline JSON.
    /// - Throws: `ImagingError.invalidArgument` naming the bad key or value.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(AugmentationPipeline.self, from: Data(json.utf8))
        } catch let error as ImagingError {
            throw error
        } catch let error as DecodingError {
            throw ImagingError.invalidArgument("augmentation pipeline: \(AugmentationPipeline.describe(error))")
        }
        try validate()
    }

    /// The pipeline as JSON, keys sorted.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Throws `ImagingError.invalidArgument` naming the first bad parameter.
    public func validate() throws {
        guard operations.count <= 64 else {
            throw ImagingError.invalidArgument("augmentation pipeline has \(operations.count) operations, at most 64")
        }
        for (index, operation) in operations.enumerated() {
            do { try operation.validate() } catch let ImagingError.invalidArgument(message) {
                throw ImagingError.invalidArgument("operation \(index) (\(operation.kind.rawValue)): \(message)")
            }
        }
        guard border.value.isFinite else { throw ImagingError.invalidArgument("border value must be finite") }
    }

    /// The paper's classic set (docs/design.md §1): rotation, shift, flip on both axes,
    /// brightness, zoom, each at probability 0.5.
    public static let paper = AugmentationPipeline(operations: [
        .init(kind: .rotate, probability: 0.5, range: [-15, 15]),
        .init(kind: .shift, probability: 0.5, range: [-0.1, 0.1]),
        .init(kind: .flip, probability: 0.5, axis: .horizontal),
        .init(kind: .flip, probability: 0.5, axis: .vertical),
        .init(kind: .brightness, probability: 0.5, range: [-0.1, 0.1]),
        .init(kind: .zoom, probability: 0.5, range: [0.9, 1.1]),
    ])

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "key '\(key.stringValue)' is missing\(at.isEmpty ? "" : " in \(at)")"
        case .typeMismatch(let type, let context): return "'\(path(context))' should be \(type)"
        case .valueNotFound(let type, let context): return "'\(path(context))' is null, expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "'\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// How pixels that map outside the input are filled.
public struct BorderHandling: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, Sendable {
        /// Image: `value`; mask: the background label (class 0 / label 0) if
        /// the input mask has it, else the nearest edge label (so no label
        /// absent from the input can appear).
        case constant
        /// Repeat the nearest edge pixel.
        case edge
        /// Mirror at the border (…c b a | a b c…).
        case reflect
    }

    public var mode: Mode
    /// Fill value of the image in `constant` mode (-1: black in [-1, 1]).
    public var value: Float

    public init(mode: Mode = .constant, value: Float = -1) {
        self.mode = mode
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case mode, value }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .constant
        value = try c.decodeIfPresent(Float.self, forKey: .value) ?? -1
    }
}
