import Foundation

/// Bytes of a binary capture by offset, for reading its header's machine facts (`PerfDataHeader`,
/// `TraceDatHeader`) before its events: a plain regular file is read where asked; a
/// zstd-compressed one is streamed once, keeping its first bytes and a window whose offset its
/// first bytes give (where perf.data's features and trace.dat v7's options are: after the data).
struct HeaderBytes {
    /// The bytes at an offset, nil where they are not all there.
    let read: (UInt64, Int) -> [UInt8]?

    /// `path`'s first `head` bytes and the reader, nil for stdin, a file that is not regular, or
    /// one shorter than `head`. For a compressed file `window(head)` says where the window of
    /// `windowBytes` starts (nil: no window; a head it does not accept: no reader), and the
    /// first `keep` bytes (at least `head`) are kept besides.
    static func open(path: String, head count: Int, keep: Int = 0, window: ([UInt8]) -> UInt64??, windowBytes: Int) -> ([UInt8], HeaderBytes)? {
        guard path != "-", let head = TraceInput.head(ofRegularFile: path, count: count), !head.isEmpty else { return nil }
        if !head.withUnsafeBytes({ TraceInput.looksLikeZstd($0) }) {
            guard head.count == count, let handle = FileHandle(forReadingAtPath: path) else { return nil }
            return (head, HeaderBytes { offset, size in
                guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: size), data.count == size else { return nil }
                return [UInt8](data)
            })
        }
        return compressed(path: path, head: count, keep: max(keep, count), window: window, windowBytes: windowBytes)
    }

    private struct Stop: Error {}

    private static func compressed(path: String, head count: Int, keep: Int, window: ([UInt8]) -> UInt64??, windowBytes: Int) -> ([UInt8], HeaderBytes)? {
        guard let input = try? TraceInput(path: path) else { return nil }
        var head: [UInt8] = []
        var windowAt: UInt64??  // nil: not known yet; .some(nil): no window
        var kept: [UInt8] = []
        var offset: UInt64 = 0
        do {
            try input.forEachChunk { chunk in
                let end = offset + UInt64(chunk.count)
                defer { offset = end }
                if head.count < keep {
                    let before = head.count
                    head += chunk.prefix(keep - head.count)
                    if before < count && head.count >= count {
                        guard let at = window(Array(head.prefix(count))) else { throw Stop() }
                        windowAt = .some(at)
                    }
                }
                if case .some(nil) = windowAt, head.count >= keep { throw Stop() }
                guard case let at?? = windowAt, end > at else { return }
                let from = Int(max(at, offset) - offset)
                kept += chunk[from...].prefix(windowBytes - kept.count)
                if kept.count >= windowBytes { throw Stop() }
            }
        } catch {
            if !(error is Stop) { return nil }
        }
        guard head.count >= count, windowAt != nil else { return nil }
        let start: UInt64? = windowAt ?? nil
        let first = head, tail = kept
        return (Array(first.prefix(count)), HeaderBytes { offset, size in
            if offset <= UInt64(first.count), UInt64(size) <= UInt64(first.count) - offset { return Array(first[Int(offset)..<(Int(offset) + size)]) }
            guard let at = start, offset >= at, offset - at <= UInt64(tail.count), UInt64(size) <= UInt64(tail.count) - (offset - at) else { return nil }
            let from = Int(offset - at)
            return Array(tail[from..<(from + size)])
        })
    }
}
