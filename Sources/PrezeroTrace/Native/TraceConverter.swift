import Foundation

/// Converts any trace prezero reads into the native `.pzt` format.
public enum TraceConverter {
    /// Writes events and symbols as the reader decodes them.
    final class WritingSink: TraceEventSink {
        let writer: PztWriter
        let symbols: SymbolTable
        var error: Error?
        init(writer: PztWriter, symbols: SymbolTable) {
            self.writer = writer
            self.symbols = symbols
        }
        func consume(_ event: TraceEvent) {
            guard error == nil else { return }
            do { try writer.write(event, symbols: symbols) } catch { self.error = error }
        }
    }

    struct Box: TraceEventSink {
        let sink: WritingSink
        mutating func consume(_ event: TraceEvent) { sink.consume(event) }
    }

    struct Counting: TraceEventSink {
        var count = 0
        mutating func consume(_ event: TraceEvent) { count += 1 }
    }

    /// Two passes over the input (the first learns the symbol table, so ids are written in the
    /// order the reader assigns them); memory stays constant. Standard input is spooled first.
    /// - Returns: the number of events written and what the reader saw.
    public static func convert(
        input: String, output: String, metadata: TraceMetadata?, level: Int32 = 3,
        progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> (events: Int, summary: TraceReadSummary) {
        var path = input
        var spool: String?
        if input == "-" {
            let temporary = NSTemporaryDirectory() + "prezero-stdin-\(getpid())"
            let writer = try TraceFileWriter(path: temporary, compressLevel: nil)
            let source = try TraceInput(path: "-")
            try source.forEachChunk { try writer.write(bytes: Array($0)) }
            try writer.commit()
            path = temporary
            spool = temporary
        }
        defer { if let spool { unlink(spool) } }

        var counting = Counting()
        // Progress over both passes: the first reports half of twice the size.
        let first = try TraceReader.read(
            path: path, into: &counting, metadata: metadata, progress: { done, total in progress?(done, total.map { $0 * 2 }) })
        var header = metadata.flatMap { try? JSONEncoder().encode($0) }.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        header["source_format"] = first.formatName
        header["source_file"] = input
        let headerBytes = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))

        let writer = try PztWriter(path: output, metadata: headerBytes, level: level)
        let sink = WritingSink(writer: writer, symbols: first.symbols)
        var box = Box(sink: sink)
        let firstBytes = first.storedBytes
        let summary = try TraceReader.read(
            path: path, into: &box, metadata: metadata, progress: { done, total in progress?(firstBytes + done, total.map { $0 * 2 }) })
        if let error = sink.error { throw error }
        let d = summary.diagnostics
        let trailer: [String: Any] = [
            "events": writer.events, "event_names": summary.eventNameCounts, "source_format": summary.formatName,
            "lines": d.lines, "malformed_lines": d.malformedLines, "mixed_format_lines": d.mixedFormatLines,
            "lost_events": Int(d.lostEvents), "lost_records": d.lostRecords, "notes": summary.notes,
            "unknown_event_lines": summary.unknownEventLines,
        ]
        try writer.close(trailer: [UInt8](try JSONSerialization.data(withJSONObject: trailer, options: [.sortedKeys])))
        return (writer.events, summary)
    }
}
