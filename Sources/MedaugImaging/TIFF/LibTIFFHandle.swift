import CTIFF
import Foundation

/// libtiff's errors and warnings for one open file, collected instead of
/// printed.
///
/// libtiff 4.5 calls the handlers given through `TIFFOpenOptions` for every
/// message about that handle (the `…ExtR` functions), and calls the
/// process-global handlers (which print to stderr) only when ours returns 0.
/// Ours always returns 1, so nothing reaches stderr and two files open on two
/// threads never see each other's messages. The lock is there because the
/// callback runs on whatever thread is calling into libtiff.
final class LibTIFFMessages: @unchecked Sendable {
    /// The file's path; libtiff often passes it as the "module", which our
    /// message names already.
    let path: String
    private let lock = NSLock()
    private var errorList: [String] = []
    private var warningList: [String] = []

    /// Caps what a hostile file can make us keep: libtiff may warn once per
    /// tag or strip.
    private static let maxKept = 20

    init(path: String) { self.path = path }

    var errors: [String] { lock.lock(); defer { lock.unlock() }; return errorList }
    var warnings: [String] { lock.lock(); defer { lock.unlock() }; return warningList }

    func add(_ message: String, isError: Bool) {
        lock.lock(); defer { lock.unlock() }
        // libtiff repeats itself (e.g. once per size computation); once is enough.
        if isError {
            if errorList.count < Self.maxKept && !errorList.contains(message) { errorList.append(message) }
        } else if warningList.count < Self.maxKept && !warningList.contains(message) {
            warningList.append(message)
        }
    }

    /// Forgets earlier errors, so a failure reports only what libtiff said
    /// during the call that failed.
    func clearErrors() {
        lock.lock(); defer { lock.unlock() }
        errorList.removeAll()
    }

    /// libtiff's explanation of a failure as one line for an `ImagingError`
    /// reason: its errors, or if there are none its warnings (it reports an
    /// IFD loop, for one, only as a warning); "" if it said nothing.
    var diagnosis: String {
        let list = errors.isEmpty ? warnings : errors
        return list.isEmpty ? "" : " (libtiff: " + list.joined(separator: "; ") + ")"
    }

    /// Formats one message. Swift cannot declare a C variadic function, but a
    /// `va_list` parameter arrives as `CVaListPointer`, which `vsnprintf`
    /// accepts; the list is consumed once, so the buffer is sized for
    /// libtiff's longest messages and longer ones are cut.
    static let handler: TIFFErrorHandlerExtR = { _, userData, module, format, arguments in
        guard let userData else { return 1 }
        let box = Unmanaged<MessageSink>.fromOpaque(userData).takeUnretainedValue()
        var buffer = [CChar](repeating: 0, count: 1024)
        if let format, let arguments { _ = vsnprintf(&buffer, buffer.count, format, arguments) }
        // Messages often end with a newline or contain one; our errors are one line.
        var text = String(cString: buffer).replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        if let module {
            let name = String(cString: module)
            let path = box.messages.path
            if !name.isEmpty && name != path && name != (path as NSString).lastPathComponent {
                text = name + ": " + text
            }
        }
        box.messages.add(text, isError: box.isError)
        return 1
    }
}

/// What the C callback gets as user data: the collector and which kind of
/// message the handler was registered for (libtiff uses the same function
/// type for both).
final class MessageSink {
    let messages: LibTIFFMessages
    let isError: Bool
    init(messages: LibTIFFMessages, isError: Bool) {
        self.messages = messages
        self.isError = isError
    }
}

/// One open libtiff handle with its message collector; closes on deinit
/// unless ``close()`` was called. Not thread-safe: one thread at a time
/// (libtiff's `TIFF *` is not).
final class LibTIFFHandle {
    let tif: OpaquePointer
    private var isClosed = false
    let path: String
    let messages: LibTIFFMessages
    // Kept alive as long as the handle: libtiff holds raw pointers to them.
    private let errorSink: MessageSink
    private let warningSink: MessageSink

    /// Opens `path` with `mode` ("r", "w", "w8", …); `maxSingleAllocation`
    /// caps each of libtiff's own allocations (a forged tag count cannot make
    /// libtiff allocate more).
    init(path: String, mode: String, maxSingleAllocation: Int) throws {
        let messages = LibTIFFMessages(path: path)
        let errorSink = MessageSink(messages: messages, isError: true)
        let warningSink = MessageSink(messages: messages, isError: false)
        guard let options = TIFFOpenOptionsAlloc() else {
            throw ImagingError.io(path: path, reason: "libtiff could not allocate its open options")
        }
        defer { TIFFOpenOptionsFree(options) }
        TIFFOpenOptionsSetMaxSingleMemAlloc(options, tmsize_t(maxSingleAllocation))
        TIFFOpenOptionsSetErrorHandlerExtR(
            options, LibTIFFMessages.handler, Unmanaged.passUnretained(errorSink).toOpaque())
        TIFFOpenOptionsSetWarningHandlerExtR(
            options, LibTIFFMessages.handler, Unmanaged.passUnretained(warningSink).toOpaque())
        guard let tif = TIFFOpenExt(path, mode, options) else {
            // Distinguish "cannot open" (io) from "opened but not a TIFF" (malformed).
            if mode.hasPrefix("r") && access(path, R_OK) != 0 {
                throw ImagingError.io(path: path, reason: String(cString: strerror(errno)))
            }
            if !mode.hasPrefix("r") {
                throw ImagingError.io(path: path, reason: "cannot create the file" + messages.diagnosis)
            }
            let diagnosis = messages.diagnosis
            throw ImagingError.malformed(
                path: path, reason: "not a readable TIFF file" + (diagnosis.isEmpty ? " (libtiff gave no reason)" : diagnosis))
        }
        self.tif = tif
        self.path = path
        self.messages = messages
        self.errorSink = errorSink
        self.warningSink = warningSink
    }

    deinit { close() }

    /// Closes the file (a writer must before renaming it); idempotent.
    func close() {
        if !isClosed { TIFFClose(tif) }
        isClosed = true
    }

    // MARK: - Tags

    /// Reads a scalar tag through `TIFFVGetField`. `TIFFGetField` is C
    /// variadic and not imported into Swift; `withVaList` builds the
    /// `va_list` holding one pointer, which is exactly what the variadic
    /// call would pass. `T` must be the tag's C type (uint16_t, uint32_t, …)
    /// as documented in TIFFGetField(3tiff), or libtiff writes the wrong
    /// number of bytes.
    func field<T: FixedWidthInteger>(_ tag: Int32, _: T.Type, defaulted: Bool = false) -> T? {
        var value = T.zero
        let found = withUnsafeMutablePointer(to: &value) { pointer in
            withVaList([pointer]) { list in
                defaulted ? TIFFVGetFieldDefaulted(tif, UInt32(tag), list) : TIFFVGetField(tif, UInt32(tag), list)
            }
        }
        return found == 1 ? value : nil
    }

    /// Sets a tag through `TIFFVSetField` (see `field(_:_:)` for why). Integer
    /// tags take their value as a C `int`/`uint32_t` slot, as the default
    /// argument promotions of the variadic `TIFFSetField` would pass it.
    func setField(_ tag: Int32, _ values: CVarArg...) throws {
        let ok = withVaList(values) { TIFFVSetField(tif, UInt32(tag), $0) }
        guard ok == 1 else {
            throw ImagingError.io(path: path, reason: "libtiff refused tag \(tag)" + messages.diagnosis)
        }
    }
}
