import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One directory for every file a test process writes, removed when the process exits, so
/// `swift test` leaves the system's temporary directory as it found it.
public enum Scratch {
    /// `$TMPDIR/prezero-tests-PID/`, created on first use.
    /// Created on first use; it also points `PREZERO_CONFIG_DIR` (inherited by the `prezero`
    /// processes tests start) at an empty folder in it, so a profile `prezero calibrate` wrote
    /// for this machine does not change what the tests replay.
    public static let directory: String = {
        let path = NSTemporaryDirectory() + "prezero-tests-\(getpid())/"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        setenv("PREZERO_CONFIG_DIR", path + "config", 1)
        atexit { Scratch.remove() }
        return path
    }()

    /// Makes sure the isolation above is in place (call before starting a `prezero` process).
    public static func isolate() { _ = directory }

    static func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
