import MedaugEngine
import MedaugExpansion
import MedaugVolumes
import MedaugImaging
import MedaugMetrics
import MedaugModels
import MedaugSupport

/// The status codes of `include/medaug.h`. Numbered once, never renumbered.
enum Status {
    static let ok: Int32 = 0
    static let error: Int32 = 1
    static let invalidArgument: Int32 = 2
    static let ioError: Int32 = 3
    static let formatError: Int32 = 4
    static let shapeMismatch: Int32 = 5
    static let bufferTooSmall: Int32 = 6
    static let outOfMemory: Int32 = 7
    static let unsupported: Int32 = 8
    static let cancelled: Int32 = 9

    /// What `medaug_status_string` returns, by code.
    static let descriptions: [Int32: String] = [
        ok: "success",
        error: "internal error",
        invalidArgument: "invalid argument",
        ioError: "I/O error",
        formatError: "malformed file",
        shapeMismatch: "shape mismatch",
        bufferTooSmall: "output buffer too small",
        outOfMemory: "out of memory",
        unsupported: "unsupported operation",
        cancelled: "cancelled",
    ]

    /// The status and message for an error thrown while serving a call.
    static func classify(_ error: Error) -> (status: Int32, message: String) {
        switch error {
        case let failure as ABIFailure:
            return (failure.status, failure.message)
        case let error as EngineError:
            switch error {
            case .shapeMismatch: return (shapeMismatch, error.description)
            case .nonFiniteInput, .unknownLabel, .invalidArgument: return (invalidArgument, error.description)
            case .wrongModelKind: return (unsupported, error.description)
            case .model(let modelError): return classify(modelError)
            }
        case let error as ModelError:
            if case .io = error { return (ioError, error.description) }
            return (formatError, error.description)
        case let error as ImagingError:
            switch error {
            case .io: return (ioError, error.description)
            case .malformed: return (formatError, error.description)
            case .unsupported: return (unsupported, error.description)
            case .tooLarge, .invalidArgument: return (invalidArgument, error.description)
            }
        case let error as CPUTierError:
            return (unsupported, error.description)
        case let error as MetricsError:
            if case .shapeMismatch = error { return (shapeMismatch, error.description) }
            return (invalidArgument, error.description)
        case let error as VolumeSegmentationError:
            switch error {
            case .cancelled: return (cancelled, error.description)
            }
        case let error as ExpansionError:
            switch error {
            case .cancelled: return (cancelled, error.description)
            case .invalidArgument: return (invalidArgument, error.description)
            case .failed: return (Status.error, error.description)
            }
        default:
            return (Status.error, "internal error: \(error)")
        }
    }
}

/// A failure detected by the ABI layer itself: a status and what was wrong.
struct ABIFailure: Error {
    var status: Int32
    var message: String

    static func invalid(_ message: String) -> ABIFailure { ABIFailure(status: Status.invalidArgument, message: message) }
}

/// Runs the body of an exported function: a thrown error becomes a status
/// and this thread's message (prefixed with the function's name); success
/// clears the message. A `MEDAUG_CPU` this CPU cannot honour fails every
/// call with MEDAUG_ERROR_UNSUPPORTED. Only thrown errors are caught, so every argument is
/// validated before the Swift API can reach a precondition.
func serve(_ function: StaticString, _ body: () throws -> Void) -> Int32 {
    do {
        // MEDAUG_CPU naming a tier this CPU lacks fails every call.
        try CPUTier.checkEnvironment()
        try body()
        ErrorMessage.clear()
        return Status.ok
    } catch {
        let (status, message) = Status.classify(error)
        ErrorMessage.set("\(function): \(message)")
        return status
    }
}
