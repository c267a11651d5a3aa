/// Errors from training: bad data, bad configuration, numerical failure.
/// Each says what was expected and what was found, naming the file if any.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case shapeMismatch(String)
    /// A loss became NaN or infinite; training stops and keeps the last good
    /// checkpoint.
    case nonFiniteLoss(step: Int, loss: String)

    public var description: String {
        switch self {
        case .invalidArgument(let message), .shapeMismatch(let message): return message
        case .nonFiniteLoss(let step, let loss): return "the \(loss) loss became non-finite at step \(step); training stopped"
        }
    }
}
