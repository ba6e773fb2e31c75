import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One directory for every file a test process writes, removed when the process exits, so
/// `swift test` leaves the system's temporary directory as it found it.
public enum Scratch {
    /// `$TMPDIR/prezero-tests-PID/`, created on first use.
    public static let directory: String = {
        let path = NSTemporaryDirectory() + "prezero-tests-\(getpid())/"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { Scratch.remove() }
        return path
    }()

    static func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
