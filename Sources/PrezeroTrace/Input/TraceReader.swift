import Foundation

/// What reading a trace produced besides its events.
public struct TraceReadSummary: Sendable {
    public var input: String
    public var format: TextFormat?
    /// perf-script, ftrace, lackey, or native (from ...).
    public var formatName: String
    public var compressed: Bool
    /// Bytes of the input as stored (compressed or not).
    public var storedBytes: UInt64
    /// Bytes decoded: the text after decompression; for a trace.dat or perf.data, its helper's
    /// output (binary events and lines of text).
    public var textBytes: UInt64
    public var diagnostics: TraceDiagnostics
    public var symbols: SymbolTable
    /// Event lines per name: known events under their canonical `system:event` name, unknown
    /// events as they appear in the trace.
    public var eventNameCounts: [String: Int]
    public var metadata: TraceMetadata?
    public var metadataPath: String?
    /// Things the reader wants the user to know (lackey: pages freed at the end).
    public var notes: [String] = []
    /// Lines of events prezero does not use (counted by name in `eventNameCounts`, skipped).
    public var unknownEventLines = 0
}

/// The decoder for the input's format, chosen from its first bytes.
enum AnyTraceDecoder {
    case text(TextTraceDecoder)
    case lackey(LackeyDecoder)
    case native(PztDecoder)
    /// trace.dat or perf.data: the decoder that read its helper's output.
    case binary(BinaryTraceFormat, HelperStreamDecoder)
}

/// Reads a trace file (or `-`) to the end, feeding its events to a sink.
public enum TraceReader {
    /// - Parameters:
    ///   - path: a file, or `-` for standard input; perf script or ftrace text, a valgrind lackey
    ///     log (plain or zstd), or a native `.pzt` file.
    ///   - metadata: the capture's sidecar, if already loaded (sets the `__GFP_ZERO` bit, lackey's
    ///     page and line sizes).
    ///   - progress: called now and then with stored bytes read and the stored size, if known.
    ///   - commClasses: commands of a touch profile: each fault carries its task's class
    ///     (`TraceEvent.commClass`, through `CommTagger`).
    /// - Complexity: O(input) time; memory bounded by the read buffers and the longest line.
    public static func read<S: TraceEventSink>(
        path: String, into sink: inout S, metadata: TraceMetadata? = nil, metadataPath: String? = nil,
        readSize: Int = TraceInput.defaultReadSize, progress: ((UInt64, UInt64?) -> Void)? = nil, commClasses: [String] = []
    ) throws -> TraceReadSummary {
        // Every reader sees the huge folios a memory cgroup refused, shmem's, and THPs freed unmapped marked (`HugeFolioMarks`).
        let pmdOrder = ZeroFillFaultMatcher.pmdOrder(pageBytes: metadata?.pageSize, hugePageBytes: metadata?.hpagePmdSize ?? 2 << 20)
        var marker = HugeFolioMarks(base: sink, pageBytes: metadata?.pageSize, pmdOrder: pmdOrder)
        defer { sink = marker.base }
        let summary = try decode(
            path: path, into: &marker, metadata: metadata, metadataPath: metadataPath, readSize: readSize, progress: progress,
            commClasses: commClasses)
        marker.finish()
        return summary
    }

    private static func decode<S: TraceEventSink>(
        path: String, into sink: inout S, metadata: TraceMetadata?, metadataPath: String?,
        readSize: Int, progress: ((UInt64, UInt64?) -> Void)?, commClasses: [String]
    ) throws -> TraceReadSummary {
        if !commClasses.isEmpty {
            var tagger = CommTagger(base: sink, classNames: commClasses)
            defer { sink = tagger.base }
            return try decode(
                path: path, into: &tagger, metadata: metadata, metadataPath: metadataPath, readSize: readSize, progress: progress, commClasses: [])
        }
        let input = try TraceInput(path: path, readSize: readSize)
        var decoder: AnyTraceDecoder?
        var chunks = 0
        let storedSize = input.storedSize
        // A trace.dat or perf.data is read by a helper that seeks: a plain file in place (no reads
        // here), anything else (compressed, standard input) written out to a temporary file first.
        var binary = input.headOfRegularFile(16).flatMap { head in head.withUnsafeBytes { BinaryTraceFormat(head: $0) } }
        let readInPlace = binary != nil
        var spool: BinarySpool?
        if !readInPlace {
            // Decompression on a second thread, parsing here.
            try ChunkPipeline(input: input).run { chunk, storedBytesRead in
                if decoder == nil && spool == nil {
                    if chunks == 0, let format = BinaryTraceFormat(head: chunk) {
                        binary = format
                        spool = try BinarySpool(name: input.name, format: format)
                    } else {
                        if chunks == 0 { try ForeignFormat.check(chunk, name: input.name) }
                        decoder = try choose(input: input, firstChunk: chunk, metadata: metadata)
                    }
                }
                switch decoder {
                case .text(var d)?:
                    decoder = nil  // keep the decoder uniquely referenced while it runs
                    defer { decoder = .text(d) }
                    try d.feed(chunk, into: &sink)
                    sink.endOfChunk(symbols: d.parser.symbols)
                case .lackey(var d)?:
                    decoder = nil
                    defer { decoder = .lackey(d) }
                    try d.feed(chunk, into: &sink)
                    sink.endOfChunk(symbols: d.symbols)
                case .native(var d)?:
                    decoder = nil
                    defer { decoder = .native(d) }
                    try d.feed(chunk, into: &sink)
                    sink.endOfChunk(symbols: d.symbols)
                case .binary?, nil:
                    try spool?.append(chunk)
                }
                chunks += 1
                if let progress, spool == nil, chunks & 15 == 0 { progress(storedBytesRead, storedSize) }
            }
        }
        if let binary, readInPlace || spool != nil {
            defer { spool?.remove() }
            try spool?.finish()
            decoder = .binary(
                binary,
                try BinaryTraceDecoder.decode(
                    binary, path: spool?.path ?? path, fileName: input.name, gfpZeroMask: metadata?.gfpZeroMask, into: &sink,
                    progress: progress.map { report in { fraction in
                        // The helper's share of the file done, in stored bytes (a spool's reading is not shown).
                        let total = storedSize ?? input.storedBytesRead
                        report(UInt64(Double(total) * fraction), total)
                    } }))
            progress?(storedSize ?? input.storedBytesRead, storedSize)
        } else {
            progress?(input.storedBytesRead, input.storedSize)
        }
        if decoder == nil {
            decoder = try choose(input: input, firstChunk: UnsafeRawBufferPointer(start: nil, count: 0), metadata: metadata)
        }

        var names: [String: Int] = [:]
        var summary = TraceReadSummary(
            input: input.name, format: nil, formatName: "perf-script", compressed: input.isCompressed,
            storedBytes: input.storedBytesRead, textBytes: 0, diagnostics: TraceDiagnostics(), symbols: SymbolTable(),
            eventNameCounts: [:], metadata: metadata, metadataPath: metadataPath)
        func summarize(_ d: TextTraceDecoder, formatName: String) {
            for known in KnownEvent.allCases where d.parser.knownEventCounts[known.rawValue] > 0 {
                names[known.canonicalName] = d.parser.knownEventCounts[known.rawValue]
            }
            for (name, count) in d.parser.unknownEvents {
                names[name, default: 0] += count
                summary.unknownEventLines += count
            }
            if d.diagnostics.lostRecords > 0 { names["LOST"] = d.diagnostics.lostRecords }
            summary.format = d.format
            summary.formatName = formatName
            summary.textBytes = d.textOffset
            summary.diagnostics = d.diagnostics
            summary.symbols = d.parser.symbols
        }
        switch decoder {
        case .text(var d)?:
            try d.finish(into: &sink)
            sink.endOfChunk(symbols: d.parser.symbols)
            summarize(d, formatName: d.format?.rawValue ?? "unknown")
        case .binary(let format, let d)?:
            summarize(d.text, formatName: format.name)
            summary.notes += d.notes
            summary.textBytes = d.streamBytes
            summary.storedBytes = storedSize ?? input.storedBytesRead
        case .lackey(var d)?:
            try d.finish(into: &sink)
            sink.endOfChunk(symbols: d.symbols)
            names = d.eventCounts
            summary.formatName = "lackey"
            summary.textBytes = d.textOffset
            summary.diagnostics = d.diagnostics
            summary.symbols = d.symbols
            summary.notes.append(
                "lackey: \(d.accesses) data accesses (\(d.instructionFetches) instruction fetches "
                    + "\(d.includeInstructionFetches ? "included" : "left out")) of \(d.processesSeen) processes valgrind announced; "
                    + "every page (\(d.pagesFreedAtEnd)) is freed when its process ends or execs, or at the end of the trace")
            if d.accessesOfNoProcess > 0 {
                summary.notes.append(
                    "lackey: \(d.accessesOfNoProcess) accesses came before any valgrind banner ('==PID== Command:', left out by valgrind -q) "
                        + "and belong to an unnamed command, which no kernel comm matches")
            }
        case .native(var d)?:
            try d.finish(into: &sink)
            sink.endOfChunk(symbols: d.symbols)
            let trailer = d.trailer ?? [:]
            names = (trailer["event_names"] as? [String: Int]) ?? [:]
            let source = (trailer["source_format"] as? String) ?? "?"
            summary.formatName = "native (from \(source))"
            summary.format = TextFormat(rawValue: source)
            summary.symbols = d.symbols
            var diagnostics = TraceDiagnostics()
            diagnostics.lines = trailer["lines"] as? Int ?? d.events
            diagnostics.malformedLines = trailer["malformed_lines"] as? Int ?? 0
            diagnostics.mixedFormatLines = trailer["mixed_format_lines"] as? Int ?? 0
            diagnostics.lostEvents = UInt64(trailer["lost_events"] as? Int ?? 0)
            diagnostics.lostRecords = trailer["lost_records"] as? Int ?? 0
            summary.diagnostics = diagnostics
            summary.notes += (trailer["notes"] as? [String]) ?? []
            summary.unknownEventLines = trailer["unknown_event_lines"] as? Int ?? 0
        case nil:
            break
        }
        summary.eventNameCounts = names
        return summary
    }

    /// True when `path` is a plain trace.dat or perf.data, which its helper process decodes
    /// (`read` only reads the helper's output).
    public static func decodesInHelper(_ path: String) -> Bool {
        guard let head = TraceInput.head(ofRegularFile: path, count: 16) else { return false }
        return head.withUnsafeBytes { BinaryTraceFormat(head: $0) } != nil
    }

    static func choose(input: TraceInput, firstChunk: UnsafeRawBufferPointer, metadata: TraceMetadata?) throws(TraceError) -> AnyTraceDecoder {
        if input.isNative {
            // A file made from a lackey trace before version 4 lacks its faults' line records.
            let header = (try? JSONSerialization.jsonObject(with: Data(input.nativeMetadata))) as? [String: Any]
            // "lackey", or "native (from lackey)" for a .pzt converted again.
            let fromLackey = (header?["source_format"] as? String).map { $0 == "lackey" || $0.hasSuffix("(from lackey)") } == true
            return .native(PztDecoder(
                fileName: input.name, version: input.nativeVersion, pageTouchGeometry: fromLackey ? try LackeyDecoder.geometry(metadata, file: input.name) : nil))
        }
        if LackeyDecoder.looksLikeLackey(firstChunk) {
            let (page, line) = try LackeyDecoder.geometry(metadata, file: input.name)
            return .lackey(LackeyDecoder(fileName: input.name, pageBytes: page, lineBytes: line))
        }
        var decoder = TextTraceDecoder(fileName: input.name)
        if let mask = metadata?.gfpZeroMask { decoder.parser.gfpZeroMask = mask }
        return .text(decoder)
    }
}

