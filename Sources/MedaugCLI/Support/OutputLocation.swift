import Foundation

/// Plain checks of where a command will write, made before any work, so a
/// mistyped `--out` gets one sentence about the user's own path instead of
/// a Foundation error code or libtiff's complaint about a temporary file.
enum OutputLocation {
    private enum Kind { case missing, file, folder }

    private static func kind(of path: String) -> Kind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        return isFolder.boolValue ? .folder : .file
    }

    private static func parent(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// `path` will be written as a file (or, for a prefix, files next to
    /// it): it must not be a folder, and its folder must exist.
    static func checkFile(_ path: String, option: String = "--out", isPrefix: Bool = false) throws {
        if !isPrefix, kind(of: path) == .folder {
            throw CLIError("\(option) '\(path)' is a folder; give a file name")
        }
        let folder = parent(of: path)
        switch kind(of: folder) {
        case .folder: return
        case .file: throw CLIError("\(option) '\(path)': '\(folder)' is a file, not a folder")
        case .missing: throw CLIError("\(option) '\(path)': the folder '\(folder)' does not exist")
        }
    }

    /// `path` will be a folder. It must not be a file; when the command
    /// does not create missing parents (`createsParents`), its parent must
    /// exist, and when it does, no ancestor may be a file.
    static func checkFolder(_ path: String, option: String = "--out", createsParents: Bool = false) throws {
        switch kind(of: path) {
        case .folder: return
        case .file: throw CLIError("\(option) '\(path)' is a file; give a folder")
        case .missing: break
        }
        var ancestor = parent(of: path)
        if !createsParents {
            switch kind(of: ancestor) {
            case .folder: return
            case .file: throw CLIError("\(option) '\(path)': '\(ancestor)' is a file, not a folder")
            case .missing: throw CLIError("\(option) '\(path)': the folder '\(ancestor)' does not exist")
            }
        }
        while true {
            switch kind(of: ancestor) {
            case .folder: return
            case .file: throw CLIError("\(option) '\(path)': '\(ancestor)' is a file, not a folder")
            case .missing:
                let next = parent(of: ancestor)
                if next == ancestor { return }
                ancestor = next
            }
        }
    }
}

/// swift-argument-parser reads a token that starts with "-" as an option
/// name, so `--count -3` reached a command as "Missing value for
/// '--count'", and `--stored-range -1024,3071` (a CT window) could not be
/// given at all. A token that looks like a negative number (or a list
/// starting with one) right after a long option without "=" is joined to it
/// (`--count=-3`), so the command's own check names the value.
func joiningNegativeValues(_ arguments: [String]) -> [String] {
    var joined: [String] = []
    for token in arguments {
        if let option = joined.last, option.hasPrefix("--"), option.count > 2, !option.contains("="),
           looksNegative(token) {
            joined[joined.count - 1] = option + "=" + token
        } else {
            joined.append(token)
        }
    }
    return joined
}

private func looksNegative(_ token: String) -> Bool {
    guard token.hasPrefix("-"), let next = token.dropFirst().first else { return false }
    return next.isNumber || (next == "." && token.dropFirst(2).first?.isNumber == true)
}
