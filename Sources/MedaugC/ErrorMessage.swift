#if canImport(Glibc)
import Glibc
#endif

/// Each thread's last error message: a C string owned by the library in
/// pthread-specific storage, replaced (and the old one freed) by the
/// thread's next status-returning call, freed when the thread exits.
enum ErrorMessage {
    /// The key, created once (Swift globals initialise thread-safely), or nil
    /// if the process has run out of keys; the destructor frees a thread's
    /// message when the thread exits.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { message in
            if let message, message != ErrorMessage.unrecordedRaw { free(message) }
        }
        return result == 0 ? key : nil
    }()

    /// Static strings (allocated once, never freed).
    private static let empty = StaticCString.make("")
    private static let unrecorded = StaticCString.make(
        "out of memory while recording the error message (the status code is accurate)")
    private static let noStorage = StaticCString.make(
        "medaug could not create thread-specific storage for error messages (the status code is accurate)")
    private static var unrecordedRaw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(mutating: unrecorded) }

    /// Records `text` as this thread's message.
    static func set(_ text: String) {
        replace(with: strdup(text).map { UnsafeMutableRawPointer($0) } ?? unrecordedRaw)
    }

    /// Marks this thread's last call as successful (message "").
    static func clear() {
        guard let key, pthread_getspecific(key) != nil else { return }
        replace(with: nil)
    }

    /// This thread's message; never NULL.
    static var current: UnsafePointer<CChar> {
        guard let key else { return noStorage }
        guard let text = pthread_getspecific(key) else { return empty }
        return UnsafePointer(text.assumingMemoryBound(to: CChar.self))
    }

    private static func replace(with new: UnsafeMutableRawPointer?) {
        guard let key else {
            if let new, new != unrecordedRaw { free(new) }
            return
        }
        let old = pthread_getspecific(key)
        if pthread_setspecific(key, new) != 0 {
            // No slot for this thread (ENOMEM): keep the old message.
            if let new, new != unrecordedRaw { free(new) }
            return
        }
        if let old, old != unrecordedRaw { free(old) }
    }
}

/// NUL-terminated copies of strings that live as long as the process.
enum StaticCString {
    static func make(_ text: String) -> UnsafePointer<CChar> {
        // strdup fails only when the process is out of memory; "" is then a
        // one-byte buffer that is never freed either.
        if let copy = strdup(text) { return UnsafePointer(copy) }
        let empty = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        empty.initialize(to: 0)
        return UnsafePointer(empty)
    }
}
