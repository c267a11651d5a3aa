/// Errors from training: bad data, bad configuration, numerical failure.
/// Each says what was expected and what was found, naming the file if any.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// An argument is outside its documented range (a rate, a count, a flag
    /// combination); the message names it, its range and the value found.
    case invalidArgument(String)
    /// A tensor's shape disagrees with what a layer, loss or parameter
    /// expects; the message gives both shapes.
    case shapeMismatch(String)
    /// `backward` was called on a layer (named) that has not run `forward`
    /// since it was created, so there is nothing to differentiate.
    case backwardBeforeForward(layer: String)
    /// A class label in a target map is not a class index in 0..<classes.
    case labelOutOfRange(label: Int, classes: Int)
    /// A loss became NaN or infinite; training stops and keeps the last good
    /// checkpoint.
    case nonFiniteLoss(step: Int, loss: String)

    /// The one-line message shown to the user.
    public var description: String {
        switch self {
        case .invalidArgument(let message), .shapeMismatch(let message): return message
        case .backwardBeforeForward(let layer):
            return "backward on '\(layer)' before any forward: there are no saved activations"
        case .labelOutOfRange(let label, let classes):
            return "label \(label) is not a class index (expected 0..<\(classes))"
        case .nonFiniteLoss(let step, let loss): return "the \(loss) loss became non-finite at step \(step); training stopped"
        }
    }
}
