import MedaugModels

/// Errors from building graphs and running sessions. Each says what was
/// expected and what was found.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// The input's shape does not fit the model.
    case shapeMismatch(what: String, expected: String, found: String)
    /// An input value is NaN or infinite.
    case nonFiniteInput(index: Int, value: Float)
    /// A label map holds a value that is not one of the model's label values.
    case unknownLabel(value: Int, index: Int, known: [Int])
    /// An argument is out of its documented range.
    case invalidArgument(String)
    /// The operation does not apply to this kind of model.
    case wrongModelKind(expected: String, found: ModelKind)
    /// The model file or configuration is invalid.
    case model(ModelError)

    public var description: String {
        switch self {
        case .shapeMismatch(let what, let expected, let found):
            return "\(what): expected \(expected), found \(found)"
        case .nonFiniteInput(let index, let value):
            return "input element \(index) is \(value); inputs must be finite"
        case .unknownLabel(let value, let index, let known):
            return "label value \(value) at pixel \(index) is not one of the model's label values \(known)"
        case .invalidArgument(let message):
            return message
        case .wrongModelKind(let expected, let found):
            return "this needs a \(expected) model, the file holds a \(found.rawValue)"
        case .model(let error):
            return error.description
        }
    }
}
