import Foundation
import MedaugEngine

/// What a `medaug_model_t*` points to: the Swift model, retained by the
/// handle (`Unmanaged.passRetained`) until `medaug_model_free`.
final class ModelHandle {
    let model: Model
    init(model: Model) { self.model = model }
}

/// What a `medaug_session_t*` points to. `isBusy` (guarded by the
/// registry's lock) marks a call in progress, so a second thread's call or
/// a free during a call is refused instead of racing.
final class SessionHandle {
    let session: Session
    var isBusy = false
    init(session: Session) { self.session = session }
}

/// The live handles, by address. Every handle argument is looked up here
/// before it is dereferenced, so NULL, freed, foreign and wrong-kind
/// pointers are reported instead of crashing; a freed address that malloc
/// has since reused for a new handle of the same kind cannot be told apart.
///
/// Thread-safety: every access holds `lock`. Lookups return strong
/// references, so a concurrent free cannot pull an object out from under a
/// call in progress.
final class HandleRegistry: @unchecked Sendable {
    static let shared = HandleRegistry()

    private let lock = NSLock()
    private var models: Set<UInt> = []
    private var sessions: Set<UInt> = []

    // MARK: Models

    /// Registers a new model and returns its handle.
    func register(_ model: Model) -> OpaquePointer {
        let pointer = Unmanaged.passRetained(ModelHandle(model: model)).toOpaque()
        lock.lock()
        models.insert(UInt(bitPattern: pointer))
        lock.unlock()
        return OpaquePointer(pointer)
    }

    /// The model behind a live handle.
    func model(_ handle: OpaquePointer?, argument: String = "model") throws -> Model {
        guard let handle else { throw ABIFailure.invalid("\(argument) is NULL") }
        let address = UInt(bitPattern: UnsafeRawPointer(handle))
        lock.lock()
        defer { lock.unlock() }
        guard models.contains(address) else { throw notLive(address, expected: "model", argument: argument) }
        return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue().model
    }

    /// Unregisters and releases a model handle (NULL: nothing to do).
    func releaseModel(_ handle: OpaquePointer?) throws {
        guard let handle else { return }
        let address = UInt(bitPattern: UnsafeRawPointer(handle))
        lock.lock()
        guard models.remove(address) != nil else {
            lock.unlock()
            throw notLive(address, expected: "model", argument: "model")
        }
        lock.unlock()
        Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(handle)).release()
    }

    // MARK: Sessions

    func register(_ session: Session) -> OpaquePointer {
        let pointer = Unmanaged.passRetained(SessionHandle(session: session)).toOpaque()
        lock.lock()
        sessions.insert(UInt(bitPattern: pointer))
        lock.unlock()
        return OpaquePointer(pointer)
    }

    /// The session behind a live handle, for calls that only read its model.
    func session(_ handle: OpaquePointer?) throws -> Session {
        try withLiveSession(handle) { $0.session }
    }

    /// Runs `body` with the session marked busy; refuses a session that
    /// another thread is using.
    func using<T>(_ handle: OpaquePointer?, _ body: (Session) throws -> T) throws -> T {
        let box = try withLiveSession(handle) { box -> SessionHandle in
            guard !box.isBusy else {
                throw ABIFailure.invalid("session is in use by another thread (a session serves one call at a time; create one session per thread)")
            }
            box.isBusy = true
            return box
        }
        defer {
            lock.lock()
            box.isBusy = false
            lock.unlock()
        }
        return try body(box.session)
    }

    /// Unregisters and releases a session handle (NULL: nothing to do).
    func releaseSession(_ handle: OpaquePointer?) throws {
        guard let handle else { return }
        _ = try withLiveSession(handle) { box in
            guard !box.isBusy else { throw ABIFailure.invalid("session is in use by another thread; free it after that call returns") }
            sessions.remove(UInt(bitPattern: UnsafeRawPointer(handle)))
        }
        Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(handle)).release()
    }

    private func withLiveSession<T>(_ handle: OpaquePointer?, _ body: (SessionHandle) throws -> T) throws -> T {
        guard let handle else { throw ABIFailure.invalid("session is NULL") }
        let address = UInt(bitPattern: UnsafeRawPointer(handle))
        lock.lock()
        defer { lock.unlock() }
        guard sessions.contains(address) else { throw notLive(address, expected: "session", argument: "session") }
        return try body(Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue())
    }

    /// The message for an address that is not a live handle of the expected
    /// kind. Call with `lock` held.
    private func notLive(_ address: UInt, expected: String, argument: String) -> ABIFailure {
        let hex = "0x" + String(address, radix: 16)
        if expected == "model", sessions.contains(address) {
            return .invalid("\(argument) \(hex) is a session handle, not a model handle")
        }
        if expected == "session", models.contains(address) {
            return .invalid("\(argument) \(hex) is a model handle, not a session handle")
        }
        return .invalid("\(argument) \(hex) is not a live \(expected) handle (already freed, or not from medaug)")
    }
}
