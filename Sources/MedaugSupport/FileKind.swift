#if canImport(Glibc)
import Glibc
#endif

/// The kind of a file from its `stat` mode, for messages that refuse
/// anything but a regular file (a FIFO, socket or device could block a read
/// forever; a folder has no bytes).
public enum FileKind {
    public static func name(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "an unknown kind of file"
        }
    }
}

extension FileKind {
    /// Why `openRegular` refused a path.
    public enum OpenFailure: Error {
        /// open or fstat failed: the system's reason.
        case system(String)
        /// Not a regular file; the `stat` mode says what it is (`name(_:)`).
        case notRegular(mode_t)
    }

    /// Opens `path` read-only and non-blocking, so a FIFO or device cannot
    /// hang the open, and keeps it only if it is a regular file: the shared
    /// check of every reader of files a user hands over (each turns the
    /// failure into its own error). The caller closes the descriptor.
    public static func openRegular(path: String) -> Result<(fd: Int32, info: stat), OpenFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(.system(String(cString: strerror(errno)))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(.system(reason))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(.notRegular(info.st_mode))
        }
        return .success((fd, info))
    }
}
