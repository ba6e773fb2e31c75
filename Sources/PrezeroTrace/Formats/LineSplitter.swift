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

    /// Calls `body` with each complete line of `chunk` (without its newline), the line's text
    /// offset and whether it holds a NUL byte (never part of trace text: a corrupted or
    /// zero-filled region, as a crash leaves in a file). `tooLong` builds the error for an
    /// overlong line from its offset.
    @inline(__always)
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, tooLong: (UInt64) -> TraceError,
        _ body: (UnsafeRawBufferPointer, UInt64, Bool) throws -> Void
    ) throws {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        let end = chunk.count
        // One memchr per chunk finds the NULs; lines before the next one are clean.
        var nextNul = Self.firstNul(base, from: 0, end: end)
        while start < end {
            let lineOffset = offset + UInt64(start) - UInt64(carry.count)
            guard let found = memchr(base + start, 0x0A, end - start) else {
                if carry.count + end - start > maxLineBytes { throw tooLong(lineOffset) }
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
                carryHasNul = carryHasNul || nextNul < end
                break
            }
            let newline = UnsafeRawPointer(found) - base
            let hasNul = nextNul < newline
            if carry.isEmpty {
                try body(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]), lineOffset, hasNul)
            } else {
                if carry.count + (newline - start) > maxLineBytes { throw tooLong(lineOffset) }
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                let carried = carryHasNul || hasNul
                try carry.withUnsafeBytes { try body($0, lineOffset, carried) }
                carry.removeAll(keepingCapacity: true)
                carryHasNul = false
            }
            start = newline + 1
            if hasNul { nextNul = Self.firstNul(base, from: start, end: end) }
        }
        offset += UInt64(end)
    }

    private var carryHasNul = false

    /// The malformed-line reason for a line holding a NUL byte, with its column.
    static func nulReason(_ line: UnsafeRawBufferPointer) -> String {
        let column = (line.firstIndex(of: 0) ?? 0) + 1
        return "NUL byte at column \(column) (a corrupted or zero-filled region of the file)"
    }

    private static func firstNul(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int {
        guard start < end, let found = memchr(base + start, 0, end - start) else { return end }
        return UnsafeRawPointer(found) - base
    }

    /// Calls `body` with a final line that had no newline, if any; returns whether there was one.
    mutating func finish(_ body: (UnsafeRawBufferPointer, UInt64, Bool) throws -> Void) throws -> Bool {
        guard !carry.isEmpty else { return false }
        let line = carry
        let hasNul = carryHasNul
        carry = []
        carryHasNul = false
        try line.withUnsafeBytes { try body($0, offset - UInt64(line.count), hasNul) }
        return true
    }
}

/// A decoder of newline-separated text (perf and ftrace text, lackey): `LineSplitter` does the
/// chunking, carry-over, line cap and NUL detection; the decoder handles one line at a time.
protocol LineDecoder {
    var splitter: LineSplitter { get set }
    var maxLineBytes: Int { get }
    var fileName: String { get }
    var diagnostics: TraceDiagnostics { get }
    /// What the lines should have been, for the overlong-line error ("trace text").
    static var expectedLines: String { get }
    mutating func handleLine<S: TraceEventSink>(
        _ line: UnsafeRawBufferPointer, offset: UInt64, hasNul: Bool, into sink: inout S) throws
    /// Decodes a chunk of any size (the decoder's public entry points).
    mutating func feed<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws
    /// Decodes what is left at the end of the input and checks that it held a trace at all.
    mutating func finish<S: TraceEventSink>(into sink: inout S) throws
}

extension LineDecoder {
    /// Handles the complete lines of `chunk`, keeping a trailing partial line for later.
    mutating func feedLines<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws {
        // The splitter is moved out so the line handler may mutate self.
        var lines = splitter
        splitter = LineSplitter()
        defer { splitter = lines }
        lines.maxLineBytes = maxLineBytes
        try lines.feed(chunk, tooLong: { offset in
            TraceError(
                .lineTooLong, "line longer than \(self.maxLineBytes) bytes; expected \(Self.expectedLines)",
                at: InputLocation(file: self.fileName, line: self.diagnostics.lines + 1, byteOffset: offset, offsetIsDecompressed: true))
        }) { line, offset, hasNul in
            try handleLine(line, offset: offset, hasNul: hasNul, into: &sink)
        }
    }

    /// Handles a final line without a newline; returns whether there was one.
    mutating func finishLines<S: TraceEventSink>(into sink: inout S) throws -> Bool {
        var lines = splitter
        splitter = LineSplitter()
        defer { splitter = lines }
        return try lines.finish { line, offset, hasNul in try handleLine(line, offset: offset, hasNul: hasNul, into: &sink) }
    }
}
