import CTraceStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the frames a binary-trace helper writes (`Sources/CTraceStream/include/trace_stream.h`),
/// whatever the chunking: TEXT lines go to the text decoder as lines of its input, EVENT frames
/// become events with the meaning the text parser gives the same record's line (the comm trimmed
/// as the line's layout trims it, the gfp text classified by `GFPClass`, pfn 0 a failed allocation,
/// `page_fault_kernel` a kernel fault), and both are counted the same way, so a summary does
/// not depend on which way a record came.
struct HelperStreamDecoder {
    /// Reads the TEXT lines; its parser and diagnostics count every record.
    var text: TextTraceDecoder
    /// The layout of the helper's text (perf script or ftrace): the layout of its EVENT frames too.
    let layout: TextFormat
    /// Bytes of the stream read so far.
    private(set) var streamBytes: UInt64 = 0
    /// What the helper said of a file it read whole but for a part it left (a cut last record).
    var notes: [String] = []

    /// A frame cut at a chunk's end.
    private var pending: [UInt8] = []
    /// STRING frames by id (index 0 is no string).
    private var strings: [[UInt8]] = [[]]
    /// Per string id: the comm's symbol, once the string has served as one.
    private var comms: [SymbolID?] = [nil]
    /// Per string id: what it sets as gfp_flags text, once it has served as that.
    private var gfpFields: [(flags: EventFlags, b: UInt64, c: UInt64)?] = [nil]
    /// Per string id: the unknown event it names, once an OTHER frame has named it.
    private var unknownEventIDs: [SymbolID?] = [nil]

    init(fileName: String, layout: TextFormat) {
        text = TextTraceDecoder(fileName: fileName)
        self.layout = layout
    }

    static let textHeader = MemoryLayout<pz_frame_text>.size
    static let stringHeader = MemoryLayout<pz_frame_string>.size
    static let eventSize = MemoryLayout<pz_frame_event>.size
    static let otherSize = MemoryLayout<pz_frame_other>.size

    mutating func feed<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        if !pending.isEmpty {
            // Complete the cut frame from this chunk: its header first, then its body.
            while start < chunk.count {
                let needed = try pending.withUnsafeBytes { try checkedFrameLength($0, at: 0) } ?? (pending.count + 1)
                if pending.count >= needed { break }
                let take = min(needed - pending.count, chunk.count - start)
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: take))
                start += take
            }
            let needed = try pending.withUnsafeBytes { try checkedFrameLength($0, at: 0) }
            guard let needed, pending.count >= needed else { return }
            let frame = pending
            pending.removeAll(keepingCapacity: true)
            try frame.withUnsafeBytes { try handleFrame($0, at: 0, into: &sink) }
            streamBytes += UInt64(needed)
        }
        let maxLineBytes = text.maxLineBytes
        while start < chunk.count {
            let length: Int
            switch Self.frameLength(chunk, at: start, maxLineBytes: maxLineBytes) {
            case .whole(let n) where n <= chunk.count - start: length = n
            case .whole, .cut:
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: chunk.count - start))
                return
            case .bad(let what): throw streamError(what)
            }
            try handleFrame(chunk, at: start, into: &sink)
            start += length
            streamBytes += UInt64(length)
        }
    }

    /// Checks that the stream did not stop inside a frame.
    mutating func finish<S: TraceEventSink>(into sink: inout S) throws {
        if !pending.isEmpty { throw streamError("the helper's output ends inside a frame (\(pending.count) bytes of it)") }
        try text.finish(into: &sink)
    }

    enum FrameLength {
        case whole(Int)
        /// `bytes` ends before the frame's header does.
        case cut
        case bad(String)
    }

    /// The whole length of the frame at `offset`. Static, so the per-frame loop does not copy the
    /// decoder (608 bytes a frame, a fifth of `stat`'s own time on the bench perf.data).
    @inline(__always)
    private static func frameLength(_ bytes: UnsafeRawBufferPointer, at offset: Int, maxLineBytes: Int) -> FrameLength {
        let available = bytes.count - offset
        guard available > 0 else { return .cut }
        switch UInt32(bytes[offset]) {
        case PZ_FRAME_EVENT.rawValue:
            return .whole(eventSize)
        case PZ_FRAME_TEXT.rawValue:
            guard available >= textHeader else { return .cut }
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            guard length <= maxLineBytes else { return .bad("a record renders as a line over \(maxLineBytes) bytes (\(length))") }
            return .whole(textHeader + length)
        case PZ_FRAME_OTHER.rawValue:
            return .whole(otherSize)
        case PZ_FRAME_STRING.rawValue:
            guard available >= stringHeader else { return .cut }
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            guard length <= maxLineBytes else { return .bad("a string of \(length) bytes") }
            return .whole(stringHeader + length)
        default:
            return .bad("a frame of unknown type \(bytes[offset])")
        }
    }

    /// `frameLength`, nil for a cut frame, a bad one thrown.
    private func checkedFrameLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws -> Int? {
        switch Self.frameLength(bytes, at: offset, maxLineBytes: text.maxLineBytes) {
        case .whole(let n): return n
        case .cut: return nil
        case .bad(let what): throw streamError(what)
        }
    }

    @inline(__always)
    private mutating func handleFrame<S: TraceEventSink>(_ bytes: UnsafeRawBufferPointer, at offset: Int, into sink: inout S) throws {
        switch UInt32(bytes[offset]) {
        case PZ_FRAME_EVENT.rawValue:
            try handleEvent(bytes.loadUnaligned(fromByteOffset: offset, as: pz_frame_event.self), into: &sink)
        case PZ_FRAME_TEXT.rawValue:
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let line = UnsafeRawBufferPointer(rebasing: bytes[(offset + Self.textHeader)..<(offset + Self.textHeader + length)])
            let hasNul = line.baseAddress.map { memchr($0, 0, length) != nil } ?? false
            try text.handleLine(line, offset: streamBytes, hasNul: hasNul, into: &sink)
        case PZ_FRAME_OTHER.rawValue:
            let id = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            guard id > 0, id < strings.count else { throw streamError("a record names event string \(id), not defined") }
            let event = unknownEventIDs[id] ?? strings[id].withUnsafeBytes { text.parser.unknownEventID($0) }
            unknownEventIDs[id] = event
            text.countUnknownEvent(event, layout: layout)
        default:  // STRING
            let id = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            guard id == strings.count else { throw streamError("string \(id) defined out of order (expected \(strings.count))") }
            strings.append(Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + Self.stringHeader)..<(offset + Self.stringHeader + length)])))
            comms.append(nil)
            gfpFields.append(nil)
            unknownEventIDs.append(nil)
        }
    }

    @inline(__always)
    private mutating func handleEvent<S: TraceEventSink>(_ frame: pz_frame_event, into sink: inout S) throws {
        guard let known = KnownEvent(streamEvent: UInt32(frame.event)) else { throw streamError("an event frame of unknown event \(frame.event)") }
        // What the text parser would have refused never comes as an event: a helper that sends
        // it is broken, and its values must not reach the statistics' tables.
        let inRange = switch known.kind {
        case .pageFault: true
        case .rssStat: frame.a <= UInt32.max && frame.c < 0x200 && frame.c & 0xFF < 4
        default: frame.a < 1 << 40
        }
        guard frame.pid >= 0, frame.order < 64, frame.migratetype >= -1, inRange else {
            throw streamError("an event frame out of range (pid \(frame.pid), order \(frame.order), migratetype \(frame.migratetype), a \(frame.a), c \(frame.c) of \(known.canonicalName))")
        }
        var event = TraceEvent(
            kind: known.kind, cpu: frame.cpu, pid: frame.pid, comm: try comm(frame.comm), timestampNs: frame.time_ns,
            order: frame.order, migratetype: frame.migratetype, a: frame.a, b: frame.b, c: frame.c)
        switch known {
        case .mmPageAlloc:
            let gfp = try gfp(frame.c)
            event.flags.formUnion(gfp.flags)
            event.b = gfp.b
            event.c = gfp.c
            if event.pfn == 0 { event.flags.insert(.allocFailed) }
        case .pageFaultKernel:
            event.flags.insert(.kernelFault)
        default:
            break
        }
        text.consumeDecoded(event, known: known, layout: layout, into: &sink)
    }

    /// The comm of string `id`, as the text parser takes it from a line: without leading spaces,
    /// and in perf script's layout without trailing ones (they pad the pid column there; in
    /// ftrace's `comm-pid` they are the comm's).
    @inline(__always)
    private mutating func comm(_ raw: UInt32) throws -> SymbolID {
        let id = Int(raw)
        guard id > 0, id < strings.count else { throw streamError("an event names comm string \(id), not defined") }
        if let symbol = comms[id] { return symbol }
        let bytes = strings[id]
        var start = 0
        var end = bytes.count
        while start < end && bytes[start] == 0x20 { start += 1 }
        while layout == .perfScript && end > start && bytes[end - 1] == 0x20 { end -= 1 }
        let symbol = bytes[start..<end].withUnsafeBytes { text.parser.symbols.intern($0) }
        comms[id] = symbol
        return symbol
    }

    private mutating func gfp(_ raw: UInt64) throws -> (flags: EventFlags, b: UInt64, c: UInt64) {
        guard raw > 0, raw < UInt64(strings.count) else { throw streamError("an allocation names gfp string \(raw), not defined") }
        let id = Int(raw)
        if let fields = gfpFields[id] { return fields }
        let fields = strings[id].withUnsafeBytes { text.parser.gfpFields(text: $0) }
        gfpFields[id] = fields
        return fields
    }

    private func streamError(_ what: String) -> TraceError {
        TraceError(
            .readFailed, "the binary-trace helper's output is not what prezero reads: \(what), at byte \(streamBytes) of it",
            at: InputLocation(file: text.fileName))
    }
}

extension KnownEvent {
    /// The event of a helper's EVENT frame (`pz_stream_event`).
    init?(streamEvent code: UInt32) {
        switch code {
        case PZ_EVENT_PAGE_ALLOC.rawValue: self = .mmPageAlloc
        case PZ_EVENT_PAGE_FREE.rawValue: self = .mmPageFree
        case PZ_EVENT_PAGE_FREE_BATCHED.rawValue: self = .mmPageFreeBatched
        case PZ_EVENT_ALLOC_ZONE_LOCKED.rawValue: self = .mmPageAllocZoneLocked
        case PZ_EVENT_PCPU_DRAIN.rawValue: self = .mmPagePcpuDrain
        case PZ_EVENT_FAULT_USER.rawValue: self = .pageFaultUser
        case PZ_EVENT_FAULT_KERNEL.rawValue: self = .pageFaultKernel
        case PZ_EVENT_RSS_STAT.rawValue: self = .rssStat
        default: return nil
        }
    }
}
