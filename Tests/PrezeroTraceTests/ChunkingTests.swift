import Testing

@testable import PrezeroTrace

let fixtureNames = [
    "perf-default-us.txt.zst", "perf-pid-tid-ns.txt.zst", "perf-with-lost.txt.zst", "ftrace-pipe.txt.zst",
    "ftrace-trace-file.txt.zst", "ftrace-tgid-no-irq-info.txt.zst", "trace-cmd-report.txt.zst",
]

/// Lines that carry an event or a lost record, counted with a method independent of the parser:
/// everything but blank lines, `#` comments and trace-cmd's `cpus=` header.
func countRecordLines(_ text: [UInt8]) -> Int {
    String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).filter {
        let t = $0.drop(while: { $0 == " " })
        return !t.isEmpty && !t.hasPrefix("#") && !t.hasPrefix("cpus=")
    }.count
}

@Suite("Chunked decoding")
struct ChunkingTests {
    @Test(arguments: fixtureNames)
    func everyLineOfARealCaptureDecodes(_ name: String) throws {
        let text = try decompressedBytes(Paths.fixture(name))
        let (events, decoder) = try decode(text, chunkSize: 0)
        #expect(decoder.diagnostics.malformedLines == 0, "\(decoder.diagnostics.malformedExamples)")
        let unknown = decoder.parser.unknownEventCounts.values.reduce(0, +)
        #expect(events.count + unknown == countRecordLines(text))
        #expect(!events.isEmpty)
    }

    @Test(arguments: fixtureNames, [1, 2, 3, 7, 64, 4096])
    func chunkSizeDoesNotChangeEvents(_ name: String, _ chunkSize: Int) throws {
        let text = try decompressedBytes(Paths.fixture(name))
        // One-byte chunks over a whole fixture are slow in debug builds: use its first 300 lines.
        let sample = chunkSize < 4 ? Array(text.prefix(40_000)) : text
        let (whole, wholeDecoder) = try decode(sample, chunkSize: 0)
        let (chunked, chunkedDecoder) = try decode(sample, chunkSize: chunkSize)
        #expect(chunked == whole)
        #expect(chunkedDecoder.diagnostics == wholeDecoder.diagnostics)
        // Interned names agree too.
        for (a, b) in zip(whole, chunked).prefix(200) {
            #expect(wholeDecoder.parser.symbols.name(a.comm) == chunkedDecoder.parser.symbols.name(b.comm))
        }
    }

    @Test func lineCutAtTheEndWithoutNewlineIsStillDecoded() throws {
        let text = Array("         python3  2250 [001]   111.349737:         kmem:mm_page_free: page=0x1 pfn=0x1 order=0".utf8)
        let (events, decoder) = try decode(text, chunkSize: 5)
        #expect(events.count == 1)
        #expect(decoder.diagnostics.unterminatedLastLine)
    }

    @Test func readSizeDoesNotChangeEvents() throws {
        // The same through TraceInput with tiny read buffers: zstd frames split across reads.
        let path = Paths.fixture("perf-pid-tid-ns.txt.zst")
        var small = CollectingSink()
        _ = try TraceReader.read(path: path, into: &small, readSize: 17)
        var large = CollectingSink()
        _ = try TraceReader.read(path: path, into: &large)
        #expect(small.events == large.events)
        #expect(large.events.count > 1000)
    }
}

@Suite("NUL bytes in text traces")
struct NulByteTests {
    /// A zero-filled region (what a crash leaves in a file being written) inside one line of a
    /// real capture: that line, and only that line, is malformed, with the NUL's column,
    /// whatever the chunking; every other event still decodes.
    @Test(arguments: [1, 5, 64, 0])
    func aLineWithNulsIsMalformedAndTheRestDecodes(_ chunkSize: Int) throws {
        let text = try decompressedBytes(Paths.fixture("perf-pid-tid-ns.txt.zst"))
        let (clean, _) = try decode(text, chunkSize: 0)
        // Overwrite 3 bytes in the middle of the 11th line.
        var lineStarts = [0]
        for (i, byte) in text.enumerated() where byte == 0x0A { lineStarts.append(i + 1) }
        var corrupted = text
        let at = lineStarts[10] + 20
        for i in at..<(at + 3) { corrupted[i] = 0 }
        let (events, decoder) = try decode(corrupted, chunkSize: chunkSize)
        #expect(decoder.diagnostics.malformedLines == 1)
        let example = try #require(decoder.diagnostics.malformedExamples.first)
        #expect(example.line == 11)
        #expect(example.reason.hasPrefix("NUL byte at column 21"))
        #expect(example.text.contains("^@^@^@"))
        #expect(events.count == clean.count - 1)
    }
}
