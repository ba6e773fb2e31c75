import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A trace file (or standard input, `-`) read as a stream of decompressed byte chunks.
///
/// zstd is recognised by its magic bytes (a data frame `28 B5 2F FD` or a skippable frame
/// `5? 2A 4D 18`); anything else passes through unchanged. Memory use is two fixed buffers,
/// whatever the input size.
public final class TraceInput {
    /// The name used in messages: the path, or `<stdin>`.
    public let name: String
    public let path: String
    public private(set) var isCompressed = false
    /// True for a native `.pzt` file; its header's metadata JSON is in `nativeMetadata`.
    public private(set) var isNative = false
    /// The `.pzt` version of a native file.
    public private(set) var nativeVersion = PztFormat.version
    public private(set) var nativeMetadata: [UInt8] = []
    /// Size of the stored file, when it is a regular file (for progress).
    public let storedSize: UInt64?
    /// Bytes of the stored file consumed so far.
    public private(set) var storedBytesRead: UInt64 = 0

    private let fd: Int32
    private let ownsDescriptor: Bool
    private let readSize: Int

    public static let defaultReadSize = 1 << 20

    /// Opens `path`, or standard input when `path` is `-`.
    public init(path: String, readSize: Int = TraceInput.defaultReadSize) throws(TraceError) {
        self.path = path
        self.readSize = max(readSize, 16)
        if path == "-" {
            name = "<stdin>"
            fd = 0
            ownsDescriptor = false
        } else {
            name = path
            let opened = open(path, O_RDONLY)
            guard opened >= 0 else {
                let reason = String(cString: strerror(errno))
                throw TraceError(.cannotOpen, "cannot open: \(reason)", at: InputLocation(file: path))
            }
            fd = opened
            ownsDescriptor = true
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            storedSize = UInt64(info.st_size)
        } else {
            storedSize = nil
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if ownsDescriptor { close(fd) }
            throw TraceError(.cannotOpen, Self.directoryProblem(path), at: InputLocation(file: path))
        }
    }

    /// What to say of a directory given as a trace: perf record --threads writes a perf.data as a
    /// directory (a `data` file with the header, `data.N` with each thread's records), which
    /// `perf inject -i DIR -o MERGED` merges into one `MERGED/data`.
    public static func directoryProblem(_ path: String) -> String {
        var magic = [UInt8](repeating: 0, count: 8)
        if let file = fopen(path + "/data", "rb") {
            defer { fclose(file) }
            if fread(&magic, 1, 8, file) == 8, magic == Array("PERFILE2".utf8) {
                return "is a perf.data directory (perf record --threads writes one), which prezero does not read; merge it into one "
                    + "file with `perf inject -i \(path) -o MERGED` and give prezero MERGED/data"
            }
        }
        return "is a directory, expected a trace file"
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// The first `count` bytes of a plain file named by its path (pread: the read position stays
    /// put); nil for standard input or anything but a regular file.
    func headOfRegularFile(_ count: Int) -> [UInt8]? {
        guard storedSize != nil, path != "-" else { return nil }
        return Self.bytes(of: fd, at: 0, count: count)
    }

    /// The first `count` bytes of the regular file at `path`, nil for anything else: a pipe
    /// (`<(zstd -dc ...)`, a named pipe) is never opened, so its bytes stay for the reader.
    package static func head(ofRegularFile path: String, count: Int) -> [UInt8]? {
        var info = stat()
        guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return bytes(of: fd, at: 0, count: count)
    }

    /// Up to `count` bytes of `fd` at `offset` (pread), nil when none could be read.
    static func bytes(of fd: Int32, at offset: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, offset <= UInt64(Int64.max) else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return n > 0 ? Array(bytes.prefix(n)) : nil
    }

    /// Reads the whole input, calling `body` with each chunk of decompressed bytes in order.
    ///
    /// The buffer passed to `body` is valid only during the call. With `output`, zstd
    /// decompresses straight into the buffers it returns (one per chunk passed to `body`, asked
    /// for only when needed), so a consumer that keeps them saves a copy.
    public func forEachChunk(
        output: (() throws -> UnsafeMutableRawBufferPointer)? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 16)
        defer { readBuffer.deallocate() }

        // Fill at least 4 bytes (or reach end of input) to look for the zstd magic.
        var filled = 0
        while filled < 4 {
            let n = try readSome(into: UnsafeMutableRawBufferPointer(rebasing: readBuffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        let head = UnsafeRawBufferPointer(rebasing: readBuffer[0..<filled])
        if head.count >= 4 && Array(head.prefix(4)) == PztFormat.magic {
            isNative = true
            isCompressed = true
            let rest = try readNativeHeader(readBuffer: readBuffer, filled: filled)
            // The zstd data starts after the header: offsets in it are the file's.
            let headerBytes = UInt64(PztFormat.headerFixedBytes + nativeMetadata.count)
            try decompressAll(readBuffer: readBuffer, initiallyFilled: rest, storedOffset: headerBytes, output: output, body)
            return
        }
        if path.hasSuffix(".pzt") {
            throw TraceError(
                .unrecognizedFormat, "not a .pzt file: bad magic \(head.prefix(4).map { String(format: "%02x", $0) }.joined()) (expected 505a5452, 'PZTR')",
                at: InputLocation(file: name, byteOffset: 0))
        }
        isCompressed = TraceInput.looksLikeZstd(head)
        if !isCompressed {
            if filled > 0 { try body(head) }
            while true {
                let n = try readSome(into: readBuffer)
                if n == 0 { return }
                try body(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            }
        }
        try decompressAll(readBuffer: readBuffer, initiallyFilled: filled, storedOffset: 0, output: output, body)
    }

    private func decompressAll(
        readBuffer: UnsafeMutableRawBufferPointer, initiallyFilled: Int, storedOffset: UInt64,
        output provided: (() throws -> UnsafeMutableRawBufferPointer)?, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var stream: ZstdStream
        do { stream = try ZstdStream() } catch {
            throw TraceError(.corruptCompression, error.message, at: InputLocation(file: name))
        }
        let outSize = max(ZstdStream.recommendedOutputSize, 1 << 20)
        let own = UnsafeMutableRawBufferPointer.allocate(byteCount: provided == nil ? outSize : 0, alignment: 16)
        defer { own.deallocate() }
        // The buffer the next call writes into: ours, or the caller's until a chunk fills it.
        var current: UnsafeMutableRawBufferPointer?
        func nextOutput() throws -> UnsafeMutableRawBufferPointer {
            if let current { return current }
            let buffer = try provided?() ?? own
            current = buffer
            return buffer
        }

        var available = initiallyFilled
        var chunkStart = storedOffset  // stored offset of readBuffer[0]
        while true {
            var position = 0
            var outputWasFull = false
            let input = UnsafeRawBufferPointer(rebasing: readBuffer[0..<available])
            while position < available || outputWasFull {
                let produced: Int
                let output = try nextOutput()
                do {
                    produced = try stream.decompress(input, inputPosition: &position, into: output)
                } catch {
                    // zstd reads a block whole before it checks it: the bad byte is in the block
                    // that starts here, or a later one of this call's input.
                    throw TraceError(
                        .corruptCompression, "corrupt zstd data at or after this byte (the last block read whole ends before it): \(error.message)",
                        at: InputLocation(file: name, byteOffset: chunkStart + UInt64(position)))
                }
                if produced > 0 {
                    try body(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
                    if provided != nil { current = nil }
                }
                outputWasFull = produced == output.count
                if produced == 0 && position == available { break }
            }
            chunkStart += UInt64(available)
            available = try readSome(into: readBuffer)
            if available == 0 { break }
        }
        if stream.lastHint != 0 {
            throw TraceError(
                .truncatedCompression,
                "zstd stream ends in the middle of a frame (truncated file?); expected more compressed data",
                at: InputLocation(file: name, byteOffset: chunkStart))
        }
    }

    /// Reads the `.pzt` header (magic, version, metadata); leaves the bytes after it at the start
    /// of `readBuffer` and returns their count.
    private func readNativeHeader(readBuffer: UnsafeMutableRawBufferPointer, filled: Int) throws -> Int {
        var header = Array(UnsafeRawBufferPointer(rebasing: readBuffer[0..<filled]))
        func need(_ n: Int, _ what: String) throws {
            while header.count < n {
                let got = try readSome(into: readBuffer)
                if got == 0 {
                    throw TraceError(
                        .truncatedCompression, "truncated .pzt header: the file ends inside the \(what)",
                        at: InputLocation(file: name, byteOffset: UInt64(header.count)))
                }
                header += UnsafeRawBufferPointer(rebasing: readBuffer[0..<got])
            }
        }
        try need(PztFormat.headerFixedBytes, "fixed header")
        let version = UInt16(header[4]) | UInt16(header[5]) << 8
        guard (PztFormat.oldestReadableVersion...PztFormat.version).contains(version) else {
            throw TraceError(
                .unrecognizedFormat,
                "unknown .pzt version \(version); this prezero reads versions \(PztFormat.oldestReadableVersion) to \(PztFormat.version)",
                at: InputLocation(file: name, byteOffset: 4))
        }
        nativeVersion = version
        let length = Int(header[6]) | Int(header[7]) << 8 | Int(header[8]) << 16 | Int(header[9]) << 24
        guard length <= PztFormat.maxMetadataBytes else {
            throw TraceError(.unrecognizedFormat, "metadata of \(length) bytes (at most 16 MiB)", at: InputLocation(file: name, byteOffset: 6))
        }
        let end = PztFormat.headerFixedBytes + length
        try need(end, "metadata")
        nativeMetadata = Array(header[PztFormat.headerFixedBytes..<end])
        let rest = header[end...]
        // The remainder may be larger than the buffer only when the header came in small reads.
        var count = 0
        for byte in rest.prefix(readBuffer.count) {
            readBuffer[count] = byte
            count += 1
        }
        return count
    }

    /// One `read(2)`, retried on EINTR. Returns 0 at end of input.
    private func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 {
                storedBytesRead += UInt64(n)
                return n
            }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            throw TraceError(.readFailed, "read failed: \(reason)", at: InputLocation(file: name, byteOffset: storedBytesRead))
        }
    }

    /// True when `head` starts with a zstd data frame or skippable frame magic number.
    public static func looksLikeZstd(_ head: UnsafeRawBufferPointer) -> Bool {
        guard head.count >= 4 else { return false }
        if head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD { return true }
        return head[0] & 0xF0 == 0x50 && head[1] == 0x2A && head[2] == 0x4D && head[3] == 0x18
    }
}
