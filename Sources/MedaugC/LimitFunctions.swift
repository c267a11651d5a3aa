import Foundation

/// The process-wide caps of `medaug_limit` (sqlite3_limit's model): each
/// call reads them when it starts, and refuses input over a cap with a
/// message before any large allocation.
enum Limits {
    /// `MEDAUG_LIMIT_*`, with its default and the hard bound a new value is
    /// clamped to.
    enum Cap: Int32, CaseIterable {
        case imagePixels = 1, volumeVoxels = 2, modelBytes = 3, batch = 4

        var defaultValue: Int64 {
            switch self {
            case .imagePixels: return 8192 * 8192
            case .volumeVoxels: return 1 << 28
            case .modelBytes: return 64 << 30
            case .batch: return 1024
            }
        }

        var hardMaximum: Int64 {
            switch self {
            case .imagePixels: return 1 << 31           // 8 GiB of float32 per page
            case .volumeVoxels: return 1 << 31
            case .modelBytes: return 1 << 40
            case .batch: return Int64(1024)             // the engine's own bound (Session.maxBatch)
            }
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var values: [Cap: Int64] = Dictionary(
        uniqueKeysWithValues: Cap.allCases.map { ($0, $0.defaultValue) })

    /// The current value of `cap`.
    static func value(_ cap: Cap) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return Int(values[cap]!)
    }

    /// Sets `cap` to `newValue` clamped to 1...hard maximum (a negative
    /// value changes nothing); returns the previous value.
    static func exchange(_ cap: Cap, _ newValue: Int64) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        let previous = values[cap]!
        if newValue >= 0 { values[cap] = min(max(newValue, 1), cap.hardMaximum) }
        return previous
    }
}

@_cdecl("medaug_limit")
public func medaug_limit(_ id: Int32, _ newValue: Int64) -> Int64 {
    guard let cap = Limits.Cap(rawValue: id) else { return -1 }
    return Limits.exchange(cap, newValue)
}
