import Foundation

/// A model architecture: what `__metadata__["medaug"]` holds.
public enum ModelConfig: Equatable, Sendable {
    case generator(GeneratorConfig)
    case discriminator(DiscriminatorConfig)
    case segmenter(SegmenterConfig)

    public var common: CommonConfig {
        switch self {
        case .generator(let g): return g.common
        case .discriminator(let d): return d.common
        case .segmenter(let s): return s.common
        }
    }

    public var kind: ModelKind { common.kind }

    /// Parses and validates the JSON string stored in a model file.
    /// - Throws: `ModelError.invalidConfig` saying which key is missing or wrong.
    public init(json: String) throws {
        let data = Data(json.utf8)
        struct Header: Decodable { var format_version: Int?; var kind: String? }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw ModelError.invalidConfig("the \"medaug\" metadata is not a JSON object (\(ModelConfig.describe(error)))")
        }
        guard let version = header.format_version else { throw ModelError.invalidConfig("key 'format_version' is missing") }
        guard version == 1 else { throw ModelError.invalidConfig("format_version is \(version), this library reads 1") }
        guard let kindName = header.kind else { throw ModelError.invalidConfig("key 'kind' is missing") }
        guard let kind = ModelKind(rawValue: kindName) else {
            throw ModelError.invalidConfig("kind '\(kindName)', expected generator, discriminator or segmenter")
        }
        do {
            switch kind {
            case .generator: self = .generator(try JSONDecoder().decode(GeneratorConfig.self, from: data))
            case .discriminator: self = .discriminator(try JSONDecoder().decode(DiscriminatorConfig.self, from: data))
            case .segmenter: self = .segmenter(try JSONDecoder().decode(SegmenterConfig.self, from: data))
            }
        } catch {
            throw ModelError.invalidConfig(ModelConfig.describe(error))
        }
        try validate()
    }

    /// Throws `ModelError.invalidConfig` naming the first inconsistency.
    public func validate() throws {
        switch self {
        case .generator(let g): try g.validate()
        case .discriminator(let d): try d.validate()
        case .segmenter(let s): try s.validate()
        }
    }

    /// The JSON string for `__metadata__["medaug"]`, keys sorted.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        switch self {
        case .generator(let g): data = try! encoder.encode(g)
        case .discriminator(let d): data = try! encoder.encode(d)
        case .segmenter(let s): data = try! encoder.encode(s)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// One line for a DecodingError: which key, what was wrong.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "key '\(key.stringValue)' is missing"
        case .typeMismatch(let type, let context): return "key '\(path(context))' should be \(type)"
        case .valueNotFound(let type, let context): return "key '\(path(context))' is null, expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "key '\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
