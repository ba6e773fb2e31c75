#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits decompressed text into lines, whatever the chunking: a line cut at a chunk boundary
/// is carried over to the next chunk, and no line may exceed `maxLineBytes` (so a file without
/// newlines cannot eat memory). Shared by the text and lackey decoders.
struct LineSplitter {
    var maxLineBytes = 1 << 20
    /// Bytes of text consumed so far.
    private(set) var offset: UInt64 = 0
    private var carry: [UInt8] = []

    var hasPartialLine: Bool { !carry.isEmpty }

    /// Calls `body` with each complete line of `chunk` (without its newline) and the line's
    /// text offset. `tooLong` builds the error for an overlong line from its offset.
    @inline(__always)
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, tooLong: (UInt64) -> TraceError,
        _ body: (UnsafeRawBufferPointer, UInt64) throws -> Void
    ) throws {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        let end = chunk.count
        while start < end {
            let lineOffset = offset + UInt64(start) - UInt64(carry.count)
            guard let found = memchr(base + start, 0x0A, end - start) else {
                if carry.count + end - start > maxLineBytes { throw tooLong(lineOffset) }
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
                break
            }
            let newline = UnsafeRawPointer(found) - base
            if carry.isEmpty {
                try body(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]), lineOffset)
            } else {
                if carry.count + (newline - start) > maxLineBytes { throw tooLong(lineOffset) }
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                try carry.withUnsafeBytes { try body($0, lineOffset) }
                carry.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        offset += UInt64(end)
    }

    /// Calls `body` with a final line that had no newline, if any; returns whether there was one.
    mutating func finish(_ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws -> Bool {
        guard !carry.isEmpty else { return false }
        let line = carry
        carry = []
        try line.withUnsafeBytes { try body($0, offset - UInt64(line.count)) }
        return true
    }
}
