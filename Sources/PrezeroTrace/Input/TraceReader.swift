/// What reading a trace produced besides its events.
public struct TraceReadSummary: Sendable {
    public var input: String
    public var format: TextFormat?
    public var compressed: Bool
    public var storedBytes: UInt64
    public var textBytes: UInt64
    public var diagnostics: TraceDiagnostics
    public var symbols: SymbolTable
    /// Event lines per name: known events under their canonical `system:event` name, unknown
    /// events as they appear in the trace.
    public var eventNameCounts: [String: Int]
    public var metadata: TraceMetadata?
    public var metadataPath: String?
}

/// Reads a trace file (or `-`) to the end, feeding its events to a sink.
public enum TraceReader {
    /// - Parameters:
    ///   - path: a file, or `-` for standard input; zstd-compressed or plain.
    ///   - metadata: the capture's sidecar, if already loaded (sets the `__GFP_ZERO` bit).
    ///   - progress: called now and then with stored bytes read and the stored size, if known.
    /// - Complexity: O(input) time; memory bounded by the read buffers and the longest line.
    public static func read<S: TraceEventSink>(
        path: String, into sink: inout S, metadata: TraceMetadata? = nil, metadataPath: String? = nil,
        readSize: Int = TraceInput.defaultReadSize, progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> TraceReadSummary {
        let input = try TraceInput(path: path, readSize: readSize)
        var decoder = TextTraceDecoder(fileName: input.name)
        if let mask = metadata?.gfpZeroMask { decoder.parser.gfpZeroMask = mask }
        var chunks = 0
        let storedSize = input.storedSize
        // Decompression on a second thread, parsing here.
        try ChunkPipeline(input: input).run { chunk, storedBytesRead in
            try decoder.feed(chunk, into: &sink)
            chunks += 1
            if let progress, chunks & 15 == 0 { progress(storedBytesRead, storedSize) }
        }
        try decoder.finish(into: &sink)
        progress?(input.storedBytesRead, input.storedSize)

        var names: [String: Int] = [:]
        for known in KnownEvent.allCases where decoder.parser.knownEventCounts[known.rawValue] > 0 {
            names[known.canonicalName] = decoder.parser.knownEventCounts[known.rawValue]
        }
        for (name, count) in decoder.parser.unknownEvents { names[name, default: 0] += count }
        if decoder.diagnostics.lostRecords > 0 { names["LOST"] = decoder.diagnostics.lostRecords }
        return TraceReadSummary(
            input: input.name, format: decoder.format, compressed: input.isCompressed,
            storedBytes: input.storedBytesRead, textBytes: decoder.textOffset, diagnostics: decoder.diagnostics,
            symbols: decoder.parser.symbols, eventNameCounts: names, metadata: metadata, metadataPath: metadataPath)
    }
}
