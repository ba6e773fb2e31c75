#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes of a binary capture by offset, for reading its header's machine facts (`PerfDataHeader`,
/// `TraceDatHeader`) before its events: a plain regular file is read where asked; a
/// zstd-compressed one is streamed once, keeping its first bytes and a window whose offset its
/// first bytes give (where perf.data's features and trace.dat v7's options are: after the data).
/// Offsets and sizes come from the file: a read outside it is nil, never a trap.
struct HeaderBytes {
    /// What to keep of a compressed file, decided from its first bytes.
    struct Plan {
        /// Leading bytes to keep (at least the head).
        var keep: Int
        /// Where the window starts, nil: none.
        var windowAt: UInt64?
        var windowBytes: Int
    }

    /// The bytes at an offset, nil where they are not all there.
    let read: (UInt64, Int) -> [UInt8]?

    /// `path`'s first `head` bytes and the reader, nil for stdin, a file that is not regular, one
    /// shorter than `head`, or a head `plan` does not accept (nil).
    static func reading(path: String, head count: Int, plan: ([UInt8]) -> Plan?) -> ([UInt8], HeaderBytes)? {
        guard path != "-", let head = TraceInput.head(ofRegularFile: path, count: count), !head.isEmpty else { return nil }
        if head.withUnsafeBytes({ TraceInput.looksLikeZstd($0) }) { return compressed(path: path, head: count, plan: plan) }
        guard head.count == count, plan(head) != nil else { return nil }
        let file = PlainFile(path: path)
        return (head, HeaderBytes { offset, size in file.read(offset, size) })
    }

    /// A plain file read with pread, closed with its last reader.
    private final class PlainFile {
        let fd: Int32
        init(path: String) { fd = open(path, O_RDONLY | O_CLOEXEC) }
        deinit { if fd >= 0 { close(fd) } }

        func read(_ offset: UInt64, _ size: Int) -> [UInt8]? {
            guard size >= 0 else { return nil }
            if size == 0 { return [] }
            guard fd >= 0, offset <= UInt64(Int64.max) - UInt64(size), size <= 1 << 30,
                let bytes = TraceInput.bytes(of: fd, at: offset, count: size), bytes.count == size
            else { return nil }
            return bytes
        }
    }

    private struct Stop: Error {}

    private static func compressed(path: String, head count: Int, plan: ([UInt8]) -> Plan?) -> ([UInt8], HeaderBytes)? {
        guard let input = try? TraceInput(path: path) else { return nil }
        var head: [UInt8] = []
        var chosen: Plan?
        var kept: [UInt8] = []
        var keptFrom: UInt64 = 0
        var offset: UInt64 = 0
        do {
            try input.forEachChunk { chunk in
                let start = offset
                let end = start + UInt64(chunk.count)
                offset = end
                if chosen == nil {
                    head += chunk.prefix(count - head.count)
                    guard head.count == count else { return }
                    guard let plan = plan(head) else { throw Stop() }
                    chosen = plan
                }
                guard let plan = chosen else { return }
                if head.count < plan.keep && end > UInt64(head.count) {
                    let from = Int(UInt64(head.count) - start)
                    head += chunk[from...].prefix(plan.keep - head.count)
                }
                if let at = plan.windowAt, end > at, kept.count < plan.windowBytes {
                    if kept.isEmpty {
                        // A window starting in earlier chunks (inside the head) takes them from the head.
                        keptFrom = at
                        if at < start && start <= UInt64(head.count) { kept = Array(head[Int(at)..<Int(start)].prefix(plan.windowBytes)) }
                    }
                    let from = Int(max(at, start) - start)
                    kept += chunk[from...].prefix(plan.windowBytes - kept.count)
                }
                let windowDone = plan.windowAt == nil || kept.count >= plan.windowBytes
                if head.count >= plan.keep && windowDone { throw Stop() }
            }
        } catch {
            if !(error is Stop) { return nil }
        }
        guard chosen != nil, head.count >= count else { return nil }
        let first = head, window = kept, windowStart = keptFrom
        return (Array(first.prefix(count)), HeaderBytes { offset, size in
            guard size >= 0 else { return nil }
            if offset <= UInt64(first.count), UInt64(size) <= UInt64(first.count) - offset { return Array(first[Int(offset)..<(Int(offset) + size)]) }
            guard !window.isEmpty, offset >= windowStart, offset - windowStart <= UInt64(window.count),
                UInt64(size) <= UInt64(window.count) - (offset - windowStart)
            else { return nil }
            let from = Int(offset - windowStart)
            return Array(window[from..<(from + size)])
        })
    }
}

extension [UInt8] {
    /// The little-endian integer at `at`, as perf.data and trace.dat headers store them (the
    /// caller has checked that its bytes are there).
    func little<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, at: Int) -> T {
        (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(self[at + $1]) << (8 * $1) }
    }
}
