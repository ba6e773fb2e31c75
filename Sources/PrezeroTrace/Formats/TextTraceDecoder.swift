#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits decompressed text into lines and parses each into events, whatever the chunking.
///
/// A line cut at a chunk boundary is carried over to the next chunk. The shape of swift-nio's
/// decoder: `feed` for each chunk, `finish` at end of input.
public struct TextTraceDecoder: LineDecoder {
    public var parser = TextLineParser()
    public private(set) var diagnostics = TraceDiagnostics()
    /// Bytes of decompressed text consumed so far.
    public var textOffset: UInt64 { splitter.offset }
    public let fileName: String
    /// Longest line accepted; a longer one is an error, so memory stays bounded.
    public var maxLineBytes = 1 << 20
    /// Lines to read before giving up on finding a trace line at all.
    public var detectionLineLimit = 1000

    var splitter = LineSplitter()
    private var eventLines = 0
    /// The first events' times: how many went back from the one before (`checkTimes`).
    private var timesChecked = 0
    private var timesBackwards = 0
    private var lastTime: UInt64 = 0
    static let timesToCheck = 4096
    private var scratch = TraceEvent(kind: .pageAlloc)

    public init(fileName: String) {
        self.fileName = fileName
    }

    public var format: TextFormat? { parser.format }

    /// Decodes the complete lines in `chunk`, keeping a trailing partial line for later.
    public mutating func feed<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws {
        try feedLines(chunk, into: &sink)
    }

    static let expectedLines = "trace text"

    /// Decodes a final line without a newline and checks that the input held a trace at all.
    public mutating func finish<S: TraceEventSink>(into sink: inout S) throws {
        if try finishLines(into: &sink) { diagnostics.unterminatedLastLine = true }
        diagnostics.mixedFormatLines = parser.mixedFormatLines
        if eventLines == 0 && diagnostics.malformedLines > 0, let example = diagnostics.malformedExamples.first {
            throw TraceError(
                .unrecognizedFormat,
                "not a perf script or ftrace text trace (\(example.reason)); expected lines like "
                    + "'comm  pid [cpu] seconds.micros: kmem:mm_page_alloc: pfn=0x... order=0 ...'",
                at: location(line: example.line, offset: nil))
        }
    }

    private func location(line: Int, offset: UInt64?) -> InputLocation {
        InputLocation(file: fileName, line: line, byteOffset: offset, offsetIsDecompressed: true)
    }

    @inline(__always)
    mutating func handleLine<S: TraceEventSink>(
        _ line: UnsafeRawBufferPointer, offset: UInt64, hasNul: Bool, into sink: inout S
    ) throws {
        diagnostics.lines += 1
        let result: LineOutcome = hasNul ? .malformed(reason: LineSplitter.nulReason(line)) : parser.parse(line, into: &scratch)
        switch result {
        case .event:
            eventLines += 1
            if timesChecked < Self.timesToCheck { try checkTimes(scratch.timestampNs) }
            sink.consume(scratch)
        case .ignored:
            diagnostics.ignoredLines += 1
        case .unknownEvent:
            eventLines += 1
        case .lost:
            eventLines += 1
            diagnostics.lostRecords += 1
            diagnostics.lostEvents &+= scratch.lostCount
            sink.consume(scratch)
        case .malformed(let reason):
            diagnostics.malformedLines += 1
            if diagnostics.malformedExamples.count < TraceDiagnostics.maxExamples {
                let text = TraceDiagnostics.exampleText(line)
                diagnostics.malformedExamples.append(.init(line: diagnostics.lines, reason: reason, text: text))
            }
            // A layout whose every page event would be malformed: not a partial problem.
            if reason == TextLineParser.fieldsLayoutReason {
                throw TraceError(.unrecognizedFormat, reason, at: location(line: diagnostics.lines, offset: offset))
            }
            // Give up early on something that is not a trace at all (binary data, another format).
            if eventLines == 0 && diagnostics.malformedLines >= detectionLineLimit {
                let first = diagnostics.malformedExamples.first ?? .init(line: diagnostics.lines, reason: reason, text: "")
                throw TraceError(
                    .unrecognizedFormat,
                    "no perf script or ftrace line in the first \(detectionLineLimit) lines (line \(first.line): "
                        + "\(first.reason)); expected lines like 'comm  pid [cpu] seconds.micros: kmem:mm_page_alloc: ...'",
                    at: location(line: first.line, offset: nil))
            }
        }
    }
}

extension TextTraceDecoder {
    /// perf and ftrace print events in time order (trace_pipe's CPUs interleave, now and then a
    /// little back); `perf script --deltatime` prints each event's time since the one before,
    /// which goes back at about every other event. Read as times, it would squeeze the capture
    /// into its largest gap. An error once more than a quarter of the first events went back.
    mutating func checkTimes(_ time: UInt64) throws {
        if timesChecked > 0 && time < lastTime { timesBackwards += 1 }
        lastTime = time
        timesChecked += 1
        guard timesChecked >= 256, timesBackwards * 4 > timesChecked else { return }
        throw TraceError(
            .unrecognizedFormat,
            "the time goes back at \(timesBackwards) of the first \(timesChecked) events: these are not times since a fixed point "
                + "(perf script --deltatime prints each event's time since the one before); print absolute times (perf script's default) or --reltime",
            at: location(line: diagnostics.lines, offset: nil))
    }

    /// Counts a record of the unknown event `id` (`TextLineParser.unknownEventID`), which prezero
    /// does not read (a helper's OTHER frame): one event line in `layout`, as its line is counted.
    mutating func countUnknownEvent(_ id: SymbolID, layout: TextFormat) {
        diagnostics.lines += 1
        eventLines += 1
        parser.countUnknown(id, layout: layout)
    }

    /// Counts and passes on `event`, which a binary-trace helper decoded from the numeric fields
    /// of a `known` record (`HelperStreamDecoder`): one event line in `layout`, as if parsed.
    @inline(__always)
    mutating func consumeDecoded<S: TraceEventSink>(_ event: TraceEvent, known: KnownEvent, layout: TextFormat, into sink: inout S) {
        diagnostics.lines += 1
        eventLines += 1
        parser.countDecoded(known, layout: layout)
        sink.consume(event)
    }
}
