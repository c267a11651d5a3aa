import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar with ETA on stderr. When stderr is not a
/// terminal (a log file, CI) it prints a plain line every 10 % instead of
/// redrawing.
final class ProgressBar {
    static let interactive = isatty(2) != 0
    private var lastDecile = -1

    let total: Int
    let label: String
    var done = 0
    var midLine = false
    let start = Date()

    init(total: Int, label: String = "") {
        self.total = max(1, total)
        self.label = label.isEmpty ? "" : label + " "
    }

    func advance() { update(done: done + 1) }

    /// Draws the bar at `done` steps (for callers that count themselves).
    func update(done newDone: Int) {
        done = min(max(newDone, 0), total)
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(max(done, 1)) * Double(total - done)
        let width = 30, filled = width * done / total
        let bar = label + "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + String(format: "] %d/%d  ETA %@", done, total, ProgressBar.format(eta))
        if ProgressBar.interactive {
            FileHandle.standardError.write(Data(("\r" + bar).utf8))
            midLine = true
        } else if done * 10 / total > lastDecile {
            lastDecile = done * 10 / total
            FileHandle.standardError.write(Data((bar + "\n").utf8))
        }
    }

    /// Ends the bar's line with `message` (the bar continues on the next line).
    func finishLine(_ message: String) {
        let prefix = ProgressBar.interactive ? "\r" : ""
        FileHandle.standardError.write(Data((prefix + message + String(repeating: " ", count: 20) + "\n").utf8))
        midLine = false
    }

    /// Ends a half-drawn bar line (before an error message or the end).
    func endLine() {
        if midLine { FileHandle.standardError.write(Data("\n".utf8)) }
        midLine = false
    }

    static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

/// A JSON-lines file: one JSON object per line, keys sorted, flushed per line
/// so a killed run leaves every finished epoch on disk.
final class JSONLinesLog {
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    /// Creates (or truncates) `path`.
    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CLIError("cannot create '\(path)'") }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        encoder.outputFormatting = [.sortedKeys]
    }

    deinit { try? handle.close() }

    func append<T: Encodable>(_ record: T) {
        guard let line = try? encoder.encode(record) else { return }
        handle.write(line + Data("\n".utf8))
    }
}
