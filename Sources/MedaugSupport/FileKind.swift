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
