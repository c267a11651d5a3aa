/// Everything that can be wrong with a model file or configuration. Each case
/// says what was expected and what was found.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or mapped.
    case io(path: String, reason: String)
    /// The safetensors container itself is malformed.
    case container(String)
    /// The architecture JSON is missing, unparsable or inconsistent.
    case invalidConfig(String)
    /// A tensor the configuration needs is absent.
    case missingTensor(name: String, expectedShape: [Int])
    /// A tensor is present that the configuration does not use.
    case unexpectedTensor(name: String)
    /// A tensor has the wrong shape.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor has a dtype other than F32.
    case unsupportedDType(name: String, found: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "cannot read '\(path)': \(reason)"
        case .container(let message): return "malformed safetensors file: \(message)"
        case .invalidConfig(let message): return "invalid model configuration: \(message)"
        case .missingTensor(let name, let shape):
            return "tensor '\(name)' is missing (expected F32 of shape \(shape))"
        case .unexpectedTensor(let name):
            return "tensor '\(name)' is not part of this architecture"
        case .shapeMismatch(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case .unsupportedDType(let name, let found):
            return "tensor '\(name)' has dtype \(found), expected F32"
        }
    }
}
