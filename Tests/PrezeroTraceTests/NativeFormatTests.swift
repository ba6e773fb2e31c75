import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroTrace

@Suite("Native .pzt format")
struct NativeFormatTests {
    func readAll(_ path: String) throws -> ([TraceEvent], TraceReadSummary) {
        var sink = CollectingSink()
        let summary = try TraceReader.read(path: path, into: &sink)
        return (sink.events, summary)
    }

    /// Every bundled trace -> .pzt -> the same events, names and counts as reading the original.
    @Test(arguments: Paths.bundledTraces())
    func roundTripsEveryBundledTrace(_ path: String) throws {
        let out = Scratch.directory + "prezero-\(UUID().uuidString).pzt"
        _ = try TraceConverter.convert(input: path, output: out, metadata: nil)
        let (original, originalSummary) = try readAll(path)
        let (converted, convertedSummary) = try readAll(out)
        #expect(converted == original)
        #expect(convertedSummary.eventNameCounts == originalSummary.eventNameCounts)
        #expect(convertedSummary.diagnostics.lines == originalSummary.diagnostics.lines)
        for id in [1, 2, 5, 10] where id < originalSummary.symbols.count {
            #expect(convertedSummary.symbols.name(SymbolID(id)) == originalSummary.symbols.name(SymbolID(id)))
        }
        #expect(convertedSummary.formatName.hasPrefix("native"))
    }

    /// An older file made from a lackey trace (the bundled python-lackey.pzt, version 1) has no record
    /// of each fault's line, which version 4 writes: the reader derives one after each fault's
    /// allocation, its line the fault address's (4 KiB pages, 64-byte lines), so its lines per
    /// page count the faulting line as a lackey trace's do.
    @Test func faultLinesOfAnOlderPageTouchFileAreDerived() throws {
        let path = Paths.traces.appendingPathComponent("python-lackey.pzt").path
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[4...5] == Data([1, 0]))  // version 1
        let (events, _) = try readAll(path)
        var derived = 0
        for (i, event) in events.enumerated() where event.kind == .touch && event.flags.contains(.touchAtFault) {
            derived += 1
            let (fault, alloc) = (events[i - 2], events[i - 1])
            #expect(fault.kind == .pageFault && alloc.kind == .pageAlloc && alloc.pfn == event.touchPage)
            #expect(LineMask(touch: event) == { var m = LineMask(); m.insert(line: Int(fault.address % 4096 / 64)); return m }())
        }
        #expect(derived == 1851)
        #expect(derived == events.filter { $0.kind == .pageFault }.count)
        // Converted again by an older prezero, its header says "native (from lackey)": the same.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = Int(bytes[6]) | Int(bytes[7]) << 8 | Int(bytes[8]) << 16 | Int(bytes[9]) << 24
        let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
        let renamed = Array(header.replacingOccurrences(of: "\"source_format\":\"lackey\"", with: "\"source_format\":\"native (from lackey)\"").utf8)
        #expect(renamed.count > length)
        bytes[6...9] = [UInt8(renamed.count & 0xFF), UInt8(renamed.count >> 8 & 0xFF), UInt8(renamed.count >> 16 & 0xFF), 0][...]
        bytes.replaceSubrange(10..<(10 + length), with: renamed)
        let again = try writeTemporary(bytes, suffix: ".pzt")
        let (reread, _) = try readAll(again)
        #expect(reread.filter(\.isReaderAnnotation).count == 1851)
    }

    /// Seeded random event streams of every kind, with extreme values, survive the codec.
    @Test(arguments: 0..<6)
    func roundTripsRandomStreams(_ seed: Int) throws {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 7
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
        var symbols = SymbolTable()
        for i in 0..<20 { _ = symbols.intern("comm-\(i) with spaces \(seed)") }
        var events: [TraceEvent] = []
        var t: UInt64 = next() >> 20
        for _ in 0..<5_000 {
            let kind = EventKind.allCases[Int(next() % UInt64(EventKind.allCases.count))]
            t &+= next() % 3 == 0 ? 0 : next() >> 40
            if next() % 50 == 0 { t &-= 1000 }  // timestamps going backwards survive too
            let extreme = next() % 20 == 0
            events.append(TraceEvent(
                kind: kind, cpu: UInt32(next() % 9), pid: Int32(truncatingIfNeeded: Int64(bitPattern: next()) >> 40),
                comm: SymbolID(next() % 21), timestampNs: t, order: UInt8(next() % 64), migratetype: Int8(truncatingIfNeeded: next()),
                flags: EventFlags(rawValue: UInt8(truncatingIfNeeded: next())), a: extreme ? UInt64.max : next() >> (next() % 64),
                b: extreme ? 0 : next(), c: next() >> 32))
        }
        let out = Scratch.directory + "prezero-\(UUID().uuidString).pzt"
        let writer = try PztWriter(path: out, metadata: Array("{}".utf8))
        for e in events { try writer.write(e, symbols: symbols) }
        // The trailer counts the trace's events, not the reader's annotations (a random touch record
        // with flag 0x01 is one).
        #expect(writer.events == events.filter { !$0.isReaderAnnotation }.count)
        try writer.close(trailer: Array("{\"events\": \(writer.events)}".utf8))
        var sink = CollectingSink()
        _ = try TraceReader.read(path: out, into: &sink, readSize: 4096 + seed * 17)
        // An allocation's reader marks (HugeFolioMarks') are not taken from the file: the reader
        // makes them again (none on these events).
        let marks: EventFlags = [.chargeRefused, .shmemFolio, .freedUnmapped]
        #expect(sink.events == events.map { e in
            var e = e
            if e.kind == .pageAlloc { e.flags.subtract(marks) }
            return e
        })
    }

    func corrupt(_ mutate: (inout [UInt8]) -> Void, suffix: String = ".pzt") throws -> TraceError? {
        let source = Paths.bundledTraces().first { $0.contains("git-clone") } ?? ""
        let good = Scratch.directory + "prezero-\(UUID().uuidString).pzt"
        _ = try TraceConverter.convert(input: source, output: good, metadata: nil)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        mutate(&bytes)
        let bad = try writeTemporary(bytes, suffix: suffix)
        do {
            _ = try readAll(bad)
            return nil
        } catch let error as TraceError {
            return error
        }
    }

    @Test func badMagicIsAClearError() throws {
        let error = try #require(try corrupt { $0[0] = 0x51 })
        #expect(error.description.contains("bad magic"))
        #expect(error.location.byteOffset == 0)
    }

    /// The zstd frame's magic, right after the header, damaged: the error names that byte of the
    /// file (offsets in the zstd data were counted from its start, so it said byte offset 0).
    @Test func corruptZstdDataNamesAByteOfTheFile() throws {
        var frameStart = 0
        let error = try #require(try corrupt { bytes in
            frameStart = PztFormat.headerFixedBytes + (Int(bytes[6]) | Int(bytes[7]) << 8 | Int(bytes[8]) << 16 | Int(bytes[9]) << 24)
            bytes[frameStart] ^= 0xFF
        })
        #expect(error.description.contains("corrupt zstd data"), "\(error)")
        #expect(error.location.byteOffset == UInt64(frameStart), "\(error)")
        #expect(frameStart > PztFormat.headerFixedBytes)
    }

    @Test func unknownVersionIsAClearError() throws {
        let error = try #require(try corrupt { $0[4] = 9 })
        #expect(error.description.contains("unknown .pzt version 9"))
    }

    @Test func truncatedFileIsAClearError() throws {
        let error = try #require(try corrupt { $0.removeLast($0.count / 3) })
        #expect(error.code == .truncatedCompression || error.description.contains("truncated"))
    }

    @Test func checksumMismatchIsAClearError() throws {
        // Change one record byte inside the compressed stream by recompressing a tampered stream:
        // write a file by hand whose checksum is wrong.
        let out = Scratch.directory + "prezero-\(UUID().uuidString).pzt"
        let writer = try PztWriter(path: out, metadata: Array("{}".utf8))
        try writer.write(TraceEvent(kind: .pageFree, timestampNs: 5, order: 1, a: 42), symbols: SymbolTable())
        try writer.closeWithWrongChecksumForTesting(trailer: Array("{\"events\": 1}".utf8))
        #expect {
            _ = try readAll(out)
        } throws: { error in
            (error as? TraceError)?.description.contains("checksum mismatch") == true
        }
    }

    @Test func chunkingDoesNotChangeNativeEvents() throws {
        let source = Paths.bundledTraces().first { $0.contains("zstd-15") } ?? ""
        let out = Scratch.directory + "prezero-\(UUID().uuidString).pzt"
        _ = try TraceConverter.convert(input: source, output: out, metadata: nil)
        var small = CollectingSink()
        _ = try TraceReader.read(path: out, into: &small, readSize: 13)
        var large = CollectingSink()
        _ = try TraceReader.read(path: out, into: &large)
        #expect(small.events == large.events)
        #expect(large.events.count == 125_791)
    }
}
