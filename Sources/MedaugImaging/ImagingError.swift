/// Everything that can be wrong with an image or volume file, a dataset
/// folder or an augmentation request. Each case says what was expected and
/// what was found, and names the file when there is one.
public enum ImagingError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or written.
    case io(path: String, reason: String)
    /// The file is not a valid file of its format (truncated, bad header, …).
    case malformed(path: String, reason: String)
    /// A valid file in a layout or sample type medaug does not read.
    case unsupported(path: String, reason: String)
    /// The image would exceed the configured size budget.
    case tooLarge(path: String, reason: String)
    /// An argument is out of its documented range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "cannot access '\(path)': \(reason)"
        case .malformed(let path, let reason): return "'\(path)' is not a valid file: \(reason)"
        case .unsupported(let path, let reason): return "'\(path)' is not supported: \(reason)"
        case .tooLarge(let path, let reason): return "'\(path)' is too large: \(reason)"
        case .invalidArgument(let message): return message
        }
    }
}
