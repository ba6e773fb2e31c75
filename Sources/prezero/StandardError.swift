import ArgumentParser
import PrezeroTrace

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to standard error (fd 2) without touching the C `stderr` global.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = write(2, base + offset, bytes.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

/// Runs a command's work; bad input (a `TraceError`: the file, the line or byte offset, what was
/// expected) becomes one line on standard error and exit status 2.
func failingOnTraceError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TraceError {
        writeStandardError("prezero: error: \(error)\n")
        throw ExitCode(2)
    }
}
