#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file through a temporary name, renamed into place only by `commit()`, optionally
/// zstd-compressed. A writer dropped without `commit()` removes its temporary file.
public final class TraceFileWriter {
    public let path: String
    private let temporary: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var compressor: ZstdCompressor?
    private var committed = false

    public init(path: String, compressLevel: Int32?) throws {
        self.path = path
        temporary = path + ".tmp-\(getpid())"
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw TraceError(.cannotOpen, "cannot create: \(String(cString: strerror(errno)))", at: InputLocation(file: temporary))
        }
        if let compressLevel {
            do { compressor = try ZstdCompressor(level: compressLevel) } catch {
                throw TraceError(.corruptCompression, error.message, at: InputLocation(file: path))
            }
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporary) }
    }

    /// Compresses everything written from now on (what was written before stays plain).
    public func startCompression(level: Int32) throws {
        try flush(end: false)
        do { compressor = try ZstdCompressor(level: level) } catch {
            throw TraceError(.corruptCompression, error.message, at: InputLocation(file: path))
        }
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= 1 << 20 { try flush(end: false) }
    }

    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush(end: false) }
    }

    private func flush(end: Bool) throws {
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { bytes in
            if compressor == nil {
                try writeAll(bytes)
            } else {
                try compressor?.compress(bytes, end: end) { try writeAll($0) }
            }
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError(.readFailed, "write failed: \(String(cString: strerror(errno)))", at: InputLocation(file: temporary))
            }
            offset += n
        }
    }

    /// Flushes, closes and renames the temporary file to `path`.
    public func commit() throws {
        try flush(end: true)
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else {
            throw TraceError(.cannotOpen, "cannot rename into place: \(String(cString: strerror(errno)))", at: InputLocation(file: path))
        }
        committed = true
    }
}
