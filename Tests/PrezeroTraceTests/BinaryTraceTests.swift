import CTraceStream
import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroTrace

/// trace.dat files read through libtracecmd. Oracle: `trace-cmd report -t` of the same file
/// (nanosecond times), read by the text path. Fixtures: real captures on this project's VM
/// (kernel 6.18; tracefs events enabled, then `trace-cmd extract`, with /proc/kallsyms hidden
/// so the files stay small): a Python program writing 32 bytearrays of 32 pages, once with
/// 4 MiB buffers and once with 8 KiB ones, whose overruns trace-cmd reports as
/// "CPU:N [EVENTS DROPPED]". Serialized: one test checks that no temporary copy is left behind.
@Suite("trace.dat through libtracecmd", .serialized)
struct TraceDatTests {
    /// Events with their interned names resolved, so two readers' symbol tables may differ.
    struct Resolved: Equatable, CustomStringConvertible {
        var event: TraceEvent
        var comm: String
        var symbol: String
        var description: String { "\(event) comm=\(comm) symbol=\(symbol)" }
    }

    static func read(_ path: String) throws -> ([Resolved], TraceReadSummary) {
        var sink = CollectingSink()
        let summary = try TraceReader.read(path: path, into: &sink)
        let resolved = sink.events.map { event -> Resolved in
            var copy = event
            let comm = summary.symbols.name(event.comm)
            copy.comm = 0
            var symbol = ""
            switch event.kind {
            case .pageAlloc where !event.flags.contains(.gfpIsRaw), .processExec, .processFork:
                symbol = summary.symbols.name(SymbolID(truncatingIfNeeded: event.c))
                copy.c = 0
            default: break
            }
            return Resolved(event: copy, comm: comm, symbol: symbol)
        }
        return (resolved, summary)
    }

    /// Also `trace-cmd extract -B pz` of an instance buffer `pz` (kmem and fault events) beside
    /// the top buffer (sched events), whose report text puts `pz: ` before each of its lines.
    /// And `trace-cmd-rss-stat`: a small C program's anonymous, shared and file pages and a fork,
    /// with kmem:rss_stat (339 records, 237 with curr=1), whose records come as EVENT frames.
    @Test(arguments: ["trace-cmd-record", "trace-cmd-dropped", "trace-cmd-wakeup", "trace-cmd-instance", "trace-cmd-rss-stat"])
    func eventsEqualTheReportText(_ name: String) throws {
        let (read, binarySummary) = try Self.read(Paths.fixture(name + ".trace.dat.zst"))
        let (text, textSummary) = try Self.read(Paths.fixture(name + ".report-t.txt.zst"))
        // After the records, the losses the kernel counted beyond the drops they marked (the
        // file's CPU stats, which `trace-cmd report --stat` prints and its text does not).
        let counted = read.count > text.count ? Array(read[text.count...]) : []
        let binary = Array(read.prefix(text.count))
        #expect(counted.allSatisfy { $0.event.kind == .lost })
        #expect(binary.count > 700)
        #expect(binary.count == text.count)
        if let first = binary.indices.first(where: { $0 < text.count && binary[$0] != text[$0] }) {
            Issue.record("event \(first) differs:\n  trace.dat \(binary[first])\n  text      \(text[first])")
        }
        var names = binarySummary.eventNameCounts
        if !counted.isEmpty { names["LOST"] = (names["LOST"] ?? 0) - counted.count }
        if names["LOST"] == 0 { names["LOST"] = nil }
        #expect(names == textSummary.eventNameCounts)
        #expect(binarySummary.diagnostics.malformedLines == 0)
        #expect(textSummary.diagnostics.malformedLines == 0)
        #expect(binarySummary.diagnostics.lostRecords == textSummary.diagnostics.lostRecords + counted.count)
        #expect(binarySummary.formatName == "trace.dat")
        if name == "trace-cmd-dropped" {
            // Its records mark two drops of unknown count; `trace-cmd report --stat`: CPU 0
            // overrun 9176, CPU 1 overrun 20642 (commit overrun and dropped events 0).
            #expect(textSummary.diagnostics.lostEvents == 0)
            #expect(binarySummary.diagnostics.lostEvents == 9_176 + 20_642)
            #expect(counted.count == 2)
            #expect(counted.map(\.event.cpu) == [0, 1])
        } else {
            #expect(counted.isEmpty)
        }
    }

    /// Every buffer is read, the instance's as the top's: `trace-cmd report` of the fixture has
    /// 1,040 lines of buffer `pz` (406 page faults, 387 allocations, 247 frees) and 55 of the
    /// top (40 switches, 5 forks, 5 execs, 5 exits); before, the trace.dat gave only the top's.
    /// The text's comms are the tasks', without the buffer's name.
    @Test func instanceBuffersAreRead() throws {
        let (binary, summary) = try Self.read(Paths.fixture("trace-cmd-instance.trace.dat.zst"))
        #expect(summary.eventNameCounts == [
            "exceptions:page_fault_user": 406, "kmem:mm_page_alloc": 387, "kmem:mm_page_free": 247,
            "sched:sched_switch": 40, "sched:sched_process_fork": 5, "sched:sched_process_exec": 5, "sched:sched_process_exit": 5,
        ])
        let (text, _) = try Self.read(Paths.fixture("trace-cmd-instance.report-t.txt.zst"))
        #expect(!text.contains { $0.comm.hasPrefix("pz:") || $0.comm.hasPrefix(" ") })
        #expect(Set(binary.map(\.comm)) == Set(text.map(\.comm)))
    }

    /// `trace-cmd report -t -l --ts-diff` of the instance fixture (the latency format: comm in
    /// 8 columns, truncated, the cpu right before the irq flags, no brackets; then each record's
    /// `(+NS)` since the one before) gives the trace.dat's events, comms cut to 8 characters.
    @Test func latencyFormatAndTimeDiffsAreRead() throws {
        let (binary, _) = try Self.read(Paths.fixture("trace-cmd-instance.trace.dat.zst"))
        let (text, summary) = try Self.read(Paths.fixture("trace-cmd-instance.report-t-l-ts-diff.txt.zst"))
        #expect(summary.diagnostics.malformedLines == 0)
        #expect(text.count == binary.count)
        let truncated = binary.map { resolved -> Resolved in
            var copy = resolved
            copy.comm = String(resolved.comm.prefix(8))
            return copy
        }
        if let first = truncated.indices.first(where: { $0 < text.count && truncated[$0] != text[$0] }) {
            Issue.record("event \(first) differs:\n  trace.dat \(truncated[first])\n  text      \(text[first])")
        }
    }

    /// A capture with trace_clock x86-tsc (tracefs, then `trace-cmd extract`: 150 allocations)
    /// has cycle counts for times, which `trace-cmd report` prints as such; they were read as
    /// nanoseconds (a 0.3 s capture spanned 0.797 "s"). An error naming the clock.
    @Test func aCyclesClockIsNamed() throws {
        let bytes = try decompressedBytes(Paths.fixture("trace-cmd-x86-tsc.trace.dat.zst"))
        let error = try Self.errorReading(bytes, as: "x86-tsc.trace.dat")
        #expect(error.contains("its trace_clock is x86-tsc, which counts cycles, not nanoseconds"), "\(error)")
        #expect(!error.contains("truncated or corrupt"), "\(error)")
    }

    /// The dropped-events capture has a lost record per CPU, count unknown, as the text says;
    /// then, after its records, what the file's CPU stats count lost (overrun 9,176 and 20,642,
    /// `trace-cmd report --stat`). Before, 0 events were lost.
    @Test func droppedEventsAreLostRecords() throws {
        let (events, summary) = try Self.read(Paths.fixture("trace-cmd-dropped.trace.dat.zst"))
        #expect(summary.diagnostics.lostRecords == 4)
        let lost = events.filter { $0.event.kind == .lost }
        #expect(lost.map(\.event.cpu).sorted() == [0, 0, 1, 1])
        #expect(lost.map(\.event.lostCount).sorted() == [0, 0, 9_176, 20_642])
    }

    /// A plain file is read in place, a compressed one through a temporary copy: the same events,
    /// and the copy is not left behind. (Standard input, plain
    /// and compressed: tools/hostile-inputs.sh, which can give a process its stdin.)
    @Test func plainAndCompressedGiveTheSameEvents() throws {
        let plain = Scratch.directory + "record.trace.dat"
        try Data(decompressedBytes(Paths.fixture("trace-cmd-record.trace.dat.zst"))).write(to: URL(fileURLWithPath: plain), options: .atomic)
        let (inPlace, _) = try Self.read(plain)
        let (compressed, _) = try Self.read(Paths.fixture("trace-cmd-record.trace.dat.zst"))
        #expect(inPlace.count > 30_000)
        #expect(inPlace == compressed)
        // Only this suite reads trace.dat through a copy, and it runs serialized: no race.
        let left = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("prezero-trace-dat-") }
        #expect(left.isEmpty)
    }

    /// A file libtracecmd crashes on (found by `tools/fuzz.sh trace-dat`: 7,489 bytes of the
    /// record fixture replaced at offset 316,034): a clear error, and this process lives on,
    /// because the library runs in the helper process.
    @Test func aFileThatCrashesLibtracecmdIsAnError() throws {
        var bytes = try decompressedBytes(Paths.fixture("trace-cmd-record.trace.dat.zst"))
        let splice = try decompressedBytes(Paths.fixture("libtracecmd-crash-at-316034.bin.zst"))
        bytes.replaceSubrange(316_034..<(316_034 + splice.count), with: splice)
        let error = try Self.errorReading(bytes, as: "crashes-libtracecmd.trace.dat")
        #expect(error.contains("libtracecmd crashed (signal 11) reading this trace.dat (version 7, 341759 bytes)"), "\(error)")
    }

    /// A truncated file: an error naming the file, the version and where it ends.
    @Test(arguments: [13, 4096, 100_000])
    func truncatedFilesFailClearly(_ length: Int) throws {
        let text = try Self.errorReading("trace-cmd-record.trace.dat.zst", cutAt: length)
        #expect(text.contains("byte offset \(length)"), "\(text)")
        #expect(text.contains("version 7, \(length) bytes"), "\(text)")
    }

    /// The error reading the fixture `name` cut after `length` bytes (a test issue if it reads).
    static func errorReading(_ name: String, cutAt length: Int) throws -> String {
        let bytes = try decompressedBytes(Paths.fixture(name))
        return try errorReading(Array(bytes.prefix(length)), as: "cut-\(length)-" + name.replacingOccurrences(of: ".zst", with: ""))
    }

    /// The error reading `bytes` written to a scratch file `name` (a test issue if it reads).
    static func errorReading(_ bytes: [UInt8], as name: String) throws -> String {
        let path = Scratch.directory + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var sink = CollectingSink()
        do {
            _ = try TraceReader.read(path: path, into: &sink)
            Issue.record("\(name) was read")
            return ""
        } catch let error as TraceError {
            #expect("\(error)".contains(path), "\(error)")
            return "\(error)"
        }
    }
}

/// perf.data files read by the prezero-perf-data helper. Oracle: `perf script -F comm,pid,tid,
/// cpu,time,event,trace --ns --show-lost-events` of the same file (perf 6.1), read by the text
/// path. Fixture: a real `tools/capture-perf.sh --keep-data` capture on this project's VM (kernel
/// 6.18; /proc/kallsyms hidden so the file stays small) of a Python program writing 32
/// bytearrays of 32 pages; and one of `perf record -e cpu-clock -e kmem:mm_page_alloc`.
@Suite("perf.data through prezero-perf-data")
struct PerfDataTests {
    /// Also `perf record -a -d --call-graph dwarf,64` (CALLCHAIN, and REGS_USER, STACK_USER and
    /// DATA_SRC after RAW, which are not read), `perf record -a -z` (66 records of zstd) and
    /// `perf record -a -o -` (pipe mode: attributes and tracing data as records in the stream).
    /// And `perf-rss-stat`, a per-task `perf record` of the trace-cmd-rss-stat program (453
    /// records, 158 of kmem:rss_stat).
    /// And `perf-lost`, whose ring buffer overflowed (below).
    @Test(arguments: ["perf-record", "perf-kmem-slab-page", "perf-dwarf-data-src", "perf-compressed", "perf-pipe-mode", "perf-rss-stat", "perf-lost"])
    func eventsEqualThePerfScriptText(_ name: String) throws {
        let (binary, binarySummary) = try TraceDatTests.read(Paths.fixture(name + ".perf.data.zst"))
        let (text, textSummary) = try TraceDatTests.read(Paths.fixture(name + ".script-ns.txt.zst"))
        #expect(binary.count > (name == "perf-rss-stat" ? 450 : 3000))
        #expect(binary.count == text.count)
        if let first = binary.indices.first(where: { $0 < text.count && binary[$0] != text[$0] }) {
            Issue.record("event \(first) differs:\n  perf.data \(binary[first])\n  text      \(text[first])")
        }
        #expect(binarySummary.eventNameCounts == textSummary.eventNameCounts)
        #expect(binarySummary.diagnostics.malformedLines == 0)
        #expect(binarySummary.formatName == "perf.data")
    }

    /// `perf record -m 1` (a one-page ring buffer) of page allocations, frees and user faults of a
    /// program that faults 2 x 8 MiB (a real capture): `perf script --show-lost-events` prints
    /// 100 PERF_RECORD_LOST lines losing 866 events, and `perf report --stats` counts 100 LOST
    /// records and LOST_SAMPLES of 271 + 308 + 287 = 866 (the same losses, per event, from the
    /// kernel's counters at the end: not counted again). Each LOST record's time and CPU come
    /// from its sample_id trailer, read as the records are delivered (equal to the text's, above).
    @Test func lostRecordsAreCounted() throws {
        let (events, summary) = try TraceDatTests.read(Paths.fixture("perf-lost.perf.data.zst"))
        #expect(summary.diagnostics.lostRecords == 100)
        #expect(summary.diagnostics.lostEvents == 866)
        let lost = events.filter { $0.event.kind == .lost }
        #expect(lost.count == 100)
        #expect(lost.allSatisfy { $0.event.timestampNs > 0 && $0.event.cpu < 2 })
    }

    /// A perf record killed before it ended leaves its data size 0, and no features after the
    /// data (a real one, `kill -9` after 1.5 s: perf script warns and reads no event): an error
    /// that says so, not the garbage its feature table would be read as.
    @Test func aKilledRecordIsNamed() throws {
        var bytes = try decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))
        for k in 48..<56 { bytes[k] = 0 }
        let error = try TraceDatTests.errorReading(bytes, as: "killed.perf.data")
        #expect(error.contains("byte offset 48"), "\(error)")
        #expect(error.contains("did not end properly"), "\(error)")
    }

    /// `perf record -F 99 -e kmem:mm_page_alloc -e kmem:mm_page_free -e exceptions:page_fault_user`
    /// of the rss-stat program (a real capture): the kernel wrote 10 samples where the same run
    /// with perf's default -c 1 wrote 288, their periods up to 335 events. An error naming the
    /// event, the option and the byte of its sample_freq (16 bytes into the first attribute, at
    /// the attributes section's offset, 152, in the header), not counts of a thirtieth of the events.
    /// The fixtures with cpu-clock at 4,000 a second beside the tracepoints still read (above).
    /// Also the same recording to a pipe (`-o - > FILE`, its attributes in the stream), and -c 4
    /// without PERIOD in the samples (the perf-rss-stat fixture's first attribute made so: perf
    /// itself adds PERIOD, with which the kernel writes every hit).
    @Test func aSampledTracepointIsRefused() throws {
        let error = try TraceDatTests.errorReading(decompressedBytes(Paths.fixture("perf-sampled-f99.perf.data.zst")), as: "sampled.perf.data")
        #expect(error.contains("kmem:mm_page_alloc was sampled at 99 samples a second (perf record -F 99)"), "\(error)")
        #expect(error.contains("byte offset 168"), "\(error)")
        #expect(!error.contains("expected a whole file"), "\(error)")
        let piped = try TraceDatTests.errorReading(decompressedBytes(Paths.fixture("perf-sampled-f99-pipe.perf.data.zst")), as: "sampled-pipe.perf.data")
        #expect(piped.contains("kmem:mm_page_alloc was sampled at 99 samples a second (perf record -F 99)"), "\(piped)")
        var bytes = try decompressedBytes(Paths.fixture("perf-rss-stat.perf.data.zst"))
        let attrs = Int(bytes.little(UInt64.self, at: 24))  // the attributes section
        let period = attrs + 16, sampleType = attrs + 24
        #expect(bytes.little(UInt64.self, at: period) == 1 && bytes.little(UInt64.self, at: sampleType) & (1 << 8) != 0)
        bytes.replaceSubrange(period..<(period + 8), with: withUnsafeBytes(of: UInt64(4).littleEndian, Array.init))
        let withoutPeriod = bytes.little(UInt64.self, at: sampleType) & ~(1 << 8)
        bytes.replaceSubrange(sampleType..<(sampleType + 8), with: withUnsafeBytes(of: withoutPeriod.littleEndian, Array.init))
        let counted = try TraceDatTests.errorReading(bytes, as: "sampled-c4.perf.data")
        #expect(counted.contains("was sampled once every 4 hits (perf record -c 4) without the sample period"), "\(counted)")
        #expect(counted.contains("byte offset \(period)"), "\(counted)")
    }

    /// Records of events prezero does not read come as OTHER frames, not rendered text, and are
    /// counted by name as their text lines are (the test above): `perf kmem --slab --page record`
    /// of python (kallsyms hidden) and tracefs with mm_page_alloc, kmalloc and sched_wakeup
    /// enabled, read by trace-cmd extract; the counts are `perf script`'s and `trace-cmd
    /// report`'s lines. sched_wakeup stays text: its plugin handler registers the comms it prints.
    @Test(arguments: [
        ("perf-kmem-slab-page.perf.data.zst", ["kmem:kmem_cache_alloc": 1153, "kmem:kmem_cache_free": 1086, "kmem:kfree": 658, "kmem:kmalloc": 379], 0),
        ("trace-cmd-wakeup.trace.dat.zst", ["kmalloc": 345], 32),
    ])
    func otherEventsAreCountedWithoutText(_ name: String, _ counts: [String: Int], _ textLines: Int) throws {
        let (_, summary) = try TraceDatTests.read(Paths.fixture(name))
        for (event, count) in counts { #expect(summary.eventNameCounts[event] == count, "\(event)") }
        let path = Scratch.directory + name.replacingOccurrences(of: ".zst", with: "")
        try Data(decompressedBytes(Paths.fixture(name))).write(to: URL(fileURLWithPath: path), options: .atomic)
        let format: BinaryTraceFormat = name.hasSuffix(".trace.dat.zst") ? .traceDat : .perfData
        let stream = try HelperStreamTests.stream(path: path, helper: format, arguments: ["--known-events", KnownEvent.names.map(\.0).joined(separator: ",")])
        var others = 0, texts = 0, offset = 0
        while offset < stream.count {
            switch UInt32(stream[offset]) {
            case PZ_FRAME_OTHER.rawValue: others += 1; offset += MemoryLayout<pz_frame_other>.size
            case PZ_FRAME_EVENT.rawValue: offset += MemoryLayout<pz_frame_event>.size
            case PZ_FRAME_TEXT.rawValue:
                texts += 1
                offset += MemoryLayout<pz_frame_text>.size + Int(stream[(offset + 4)..<(offset + 8)].reversed().reduce(0) { $0 << 8 | Int($1) })
            default:
                offset += MemoryLayout<pz_frame_string>.size + Int(stream[(offset + 8)..<(offset + 12)].reversed().reduce(0) { $0 << 8 | Int($1) })
            }
        }
        #expect(others == counts.values.reduce(0, +))
        #expect(texts == textLines, "only the scheduler's records as text")
    }

    /// Events of other kinds in the same file (`perf record -e cpu-clock -e kmem:mm_page_alloc`,
    /// the sampling event first): each sample is read with its own event's layout, found by its
    /// sample id, and the non-tracepoint samples are left out.
    @Test func mixedSampleLayoutsAreReadEachByItsOwn() throws {
        let (binary, binarySummary) = try TraceDatTests.read(Paths.fixture("perf-mixed-cpu-clock.perf.data.zst"))
        let (text, textSummary) = try TraceDatTests.read(Paths.fixture("perf-mixed-cpu-clock.script-ns.txt.zst"))
        #expect(binary.count > 8000)
        #expect(binary == text)
        #expect(binarySummary.eventNameCounts["kmem:mm_page_alloc"] == textSummary.eventNameCounts["kmem:mm_page_alloc"])
        #expect(textSummary.eventNameCounts["cpu-clock", default: 0] > 0)
    }

    /// The helper reports how far it is (fd 3), so long work shows progress: fractions that only
    /// grow, up to the end.
    @Test func theHelperReportsProgress() throws {
        let path = Scratch.directory + "progress.perf.data"
        try Data(decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))).write(to: URL(fileURLWithPath: path), options: .atomic)
        var fractions: [Double] = []
        var sink = CollectingSink()
        _ = try BinaryTraceDecoder.decode(.perfData, path: path, fileName: path, gfpZeroMask: nil, into: &sink) { fractions.append($0) }
        #expect(!fractions.isEmpty)
        #expect(fractions == fractions.sorted())
        #expect(fractions.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect((fractions.last ?? 0) > 0.5)
    }

    /// The helper merges the runs perf writes in order; the radix sort it falls back to when a run
    /// reaches far back gives the same stream, byte for byte (the merge's is checked against
    /// `perf script` above), alone and after a merge that gave up part way (a small budget).
    @Test(arguments: ["perf-record", "perf-mixed-cpu-clock"])
    func mergedAndRadixSortedRecordsAreTheSameStream(_ fixture: String) throws {
        let path = Scratch.directory + "\(fixture)-sorts.perf.data"
        try Data(decompressedBytes(Paths.fixture("\(fixture).perf.data.zst"))).write(to: URL(fileURLWithPath: path), options: .atomic)
        let merged = try HelperStreamTests.stream(path: path)
        let radix = try HelperStreamTests.stream(path: path, arguments: ["--radix-sort"])
        #expect(merged.count > 100_000)
        #expect(merged == radix)
        for budget in ["0", "1000", "20000"] {
            #expect(try HelperStreamTests.stream(path: path, arguments: ["--merge-budget", budget]) == merged, "budget \(budget)")
        }
    }

    /// The helper delivers records on a second thread, handed over in batches through a ring of
    /// four: delivered on the walk's thread (0), one record a batch, or 7 (the ring wraps
    /// thousands of times, and a batch ends inside a round), the stream is the same, byte for byte.
    /// `perf-lost`: the delivery thread looks up its LOST records' attributes as the walk reads on.
    @Test(arguments: ["perf-record", "perf-mixed-cpu-clock", "perf-lost"])
    func recordsDeliveredOnASecondThreadAreTheSameStream(_ fixture: String) throws {
        let path = Scratch.directory + "\(fixture)-delivery.perf.data"
        try Data(decompressedBytes(Paths.fixture("\(fixture).perf.data.zst"))).write(to: URL(fileURLWithPath: path), options: .atomic)
        let inline = try HelperStreamTests.stream(path: path, arguments: ["--delivery-batch", "0"])
        #expect(inline.count > 100_000)
        #expect(try HelperStreamTests.stream(path: path) == inline)
        for batch in ["1", "7"] {
            #expect(try HelperStreamTests.stream(path: path, arguments: ["--delivery-batch", batch]) == inline, "batch \(batch)")
        }
    }

    /// A record older than what perf has already delivered comes where perf puts it, not where
    /// its time would: the fixture with one mm_page_alloc of its 7th round (record at byte
    /// 0x300060, time 2802.509351689) given a time in its 3rd round (2802.243560475), which
    /// the 4th round's flush has passed. `perf script` (6.1) of that file warns "1 out of order
    /// events recorded" and prints the record as line 29,910 of 38,255, first of the final
    /// flush; its other lines are the unpatched file's (diff). A sort of all records by time
    /// would put it near the 3rd round's start.
    @Test func aRecordOutOfOrderComesWherePerfDeliversIt() throws {
        var bytes = try decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))
        let record = 0x300060, oldTime: UInt64 = 2_802_509_351_689, newTime: UInt64 = 2_802_243_560_475
        let timeAt = record + 8 + 24  // header, then IDENTIFIER, IP, TID before TIME
        #expect(bytes[timeAt..<(timeAt + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) } == oldTime)
        for k in 0..<8 { bytes[timeAt + k] = UInt8(truncatingIfNeeded: newTime >> (8 * k)) }
        let path = Scratch.directory + "out-of-order.perf.data"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (binary, _) = try TraceDatTests.read(path)
        var expected = try TraceDatTests.read(Paths.fixture("perf-record.script-ns.txt.zst")).0
        let moved = try #require(expected.firstIndex { $0.event.kind == .pageAlloc && $0.event.timestampNs == oldTime })
        var event = expected.remove(at: moved)
        event.event.timestampNs = newTime
        expected.insert(event, at: 29_909)
        #expect(binary.count == expected.count)
        if let first = binary.indices.first(where: { $0 < expected.count && binary[$0] != expected[$0] }) {
            Issue.record("event \(first) differs:\n  perf.data \(binary[first])\n  perf script \(expected[first])")
        }
    }

    /// Samples of a group read by its leader (`perf record -e '{kmem:mm_page_alloc,
    /// kmem:mm_page_free}:S'`): perf script prints one per member whose count moved, as that
    /// member, with the leader's data; this reader does not, so it says so at the attribute.
    @Test func samplesWithCounterValuesAreRefused() throws {
        let error = try TraceDatTests.errorReading(try decompressedBytes(Paths.fixture("perf-group-read.perf.data.zst")), as: "group-read.perf.data")
        #expect(error.contains("(byte offset 176)") && error.contains("samples with counter values (PERF_SAMPLE_READ"), "\(error)")
    }

    /// A pipe-mode perf.data cut inside its tracing data (15,768 bytes after the record at byte
    /// 4,760): an error at that record.
    @Test func aPipeModeFileCutInItsTracingDataIsAnError() throws {
        let text = try TraceDatTests.errorReading("perf-pipe-mode.perf.data.zst", cutAt: 20_000)
        #expect(text.contains("(byte offset 4760)") && text.contains("the tracing data of 15768 bytes after this record runs past the data"), "\(text)")
    }

    /// An AUXTRACE record (`perf record -e intel_pt//` or `arm_spe//` beside the tracepoints) is
    /// followed by its AUX data, whose size it gives: perf skips both. One with 4,096 bytes of
    /// data, put after the pipe-mode fixture's first FINISHED_ROUND, leaves its events as they
    /// were; before, the data was read as records (an error). A stream that ends inside that data
    /// ends inside its last record: the records before it are read, with a note.
    @Test func auxTraceDataIsSkipped() throws {
        let bytes = try decompressedBytes(Paths.fixture("perf-pipe-mode.perf.data.zst"))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        var at = 16  // after the pipe-mode header, record by record
        while u32(at) != 68 {  // PERF_RECORD_FINISHED_ROUND
            at += (Int(bytes[at + 6]) | Int(bytes[at + 7]) << 8) + (u32(at) == 66 ? u32(at + 8) : 0)
            try #require(at < bytes.count)
        }
        at += 8
        func little(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        let payload = 4096
        // perf_record_auxtrace: header (type 71, misc, size 48), size, offset, reference, idx, tid, cpu, reserved.
        let record = little(71, 4) + little(0, 2) + little(48, 2) + little(UInt64(payload), 8) + little(0, 8) + little(7, 8)
            + little(0, 4) + little(1234, 4) + little(1, 4) + little(0, 4)
        let inserted = Array(bytes[..<at]) + record + [UInt8](repeating: 0xAB, count: payload) + Array(bytes[at...])
        let path = Scratch.directory + "aux-trace.perf.data"
        try Data(inserted).write(to: URL(fileURLWithPath: path))
        let (withAux, summary) = try TraceDatTests.read(path)
        let (plain, _) = try TraceDatTests.read(Paths.fixture("perf-pipe-mode.perf.data.zst"))
        #expect(withAux.count > 3000)
        #expect(withAux == plain)
        #expect(summary.diagnostics.malformedLines == 0)
        let cutPath = Scratch.directory + "aux-trace-cut.perf.data"
        try Data(Array(bytes[..<at]) + record + [UInt8](repeating: 0xAB, count: 100)).write(to: URL(fileURLWithPath: cutPath))
        let (cut, cutSummary) = try TraceDatTests.read(cutPath)
        #expect(cut.count > 0 && cut.count < plain.count)
        let note = cutSummary.notes.joined()
        #expect(note.contains("byte offset \(at): the stream ends inside its last record (148 of its 4144 bytes)"), "\(note)")
    }

    /// A pipe-mode capture cut inside its last record (perf killed while writing `-o -`): perf
    /// script reads the records before it ("unexpected end of event stream"), and so does this
    /// reader, with a note. Oracle: the same file cut at that record's start, which reads clean.
    @Test(arguments: [20, 4, 1])
    func aPipeModeFileCutInItsLastRecordReadsTheRecordsBefore(_ cutBytes: Int) throws {
        let bytes = try decompressedBytes(Paths.fixture("perf-pipe-mode.perf.data.zst"))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let end = bytes.count - cutBytes
        var at = 16, last = 16
        while at < end {
            last = at
            at += (Int(bytes[at + 6]) | Int(bytes[at + 7]) << 8) + (u32(at) == 66 ? u32(at + 8) : 0)
        }
        try #require(at > end, "the cut falls inside a record")
        let cleanPath = Scratch.directory + "pipe-whole-records-\(cutBytes).perf.data"
        try Data(bytes[..<last]).write(to: URL(fileURLWithPath: cleanPath))
        let cutPath = Scratch.directory + "pipe-cut-\(cutBytes).perf.data"
        try Data(bytes[..<end]).write(to: URL(fileURLWithPath: cutPath))
        let (clean, cleanSummary) = try TraceDatTests.read(cleanPath)
        let (cut, cutSummary) = try TraceDatTests.read(cutPath)
        #expect(clean.count > 3000)
        #expect(cut == clean)
        #expect(cleanSummary.notes.isEmpty)
        let note = cutSummary.notes.joined()
        #expect(note.contains("byte offset \(last): the stream ends inside its last record") && note.contains("pipe-mode capture cut short"), "\(note)")
    }

    /// `perf record -z` with its first compressed record's data damaged (bytes 4-63 of it, at
    /// byte 22,568): an error at that record, with zstd's reason.
    @Test func aDamagedCompressedRecordIsAnError() throws {
        var bytes = try decompressedBytes(Paths.fixture("perf-compressed.perf.data.zst"))
        #expect(bytes[22_568] == 81, "PERF_RECORD_COMPRESSED")
        for k in (22_568 + 8 + 4)..<(22_568 + 8 + 64) { bytes[k] ^= 0xFF }
        let error = try TraceDatTests.errorReading(bytes, as: "damaged-compressed.perf.data")
        #expect(error.contains("(byte offset 22568)") && error.contains("a compressed record (perf record -z) does not decompress"), "\(error)")
    }

    /// A FORK record (the fixture's first, at byte 0xb30) whose size leaves out its fields: an
    /// error at its offset, not its neighbour's bytes read as its own.
    @Test func aRecordTooShortForItsFieldsIsAnError() throws {
        var bytes = try decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))
        #expect(bytes[0xb30] == 7, "PERF_RECORD_FORK")
        bytes[0xb30 + 6] = 16
        bytes[0xb30 + 7] = 0
        let error = try TraceDatTests.errorReading(bytes, as: "short-fork.perf.data")
        #expect(error.contains("(byte offset 2864)") && error.contains("a record of type 7 of 16 bytes (expected at least 32)"), "\(error)")
    }

    /// Cut short anywhere: an error with the byte offset, never a crash.
    @Test(arguments: [50, 104, 5000, 1_000_000, 3_000_000])
    func truncatedFilesFailClearly(_ length: Int) throws {
        let text = try TraceDatTests.errorReading("perf-record.perf.data.zst", cutAt: length)
        #expect(text.contains("byte offset"), "\(text)")
        #expect(text.contains("cannot read this perf.data (\(length) bytes)"), "\(text)")
    }
}

/// The frames a helper writes (`trace_stream.h`), read by `HelperStreamDecoder`. Oracle: the
/// same stream read whole (itself checked against `perf script` text above).
@Suite("Helper stream frames")
struct HelperStreamTests {
    /// The perf.data fixture's helper output, as prezero reads it from the pipe.
    static func stream() throws -> [UInt8] {
        let path = Scratch.directory + "stream.perf.data"
        if !FileManager.default.fileExists(atPath: path) {
            // Atomically: the cases run in parallel, and one read a file another was writing.
            try Data(decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        return try stream(path: path)
    }

    /// The output of the helper for `format` (perf.data unless said) on `path`, its options first.
    static func stream(path: String, helper format: BinaryTraceFormat = .perfData, arguments: [String] = []) throws -> [UInt8] {
        guard let helper = BinaryTraceDecoder.helperPath(format) else { throw CocoaError(.fileNoSuchFile) }
        let child = try HelperProcess(helper, arguments: arguments + [path], fileName: path)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        #expect(child.finish().0 == .exited(0))
        return bytes
    }

    static func decode(_ stream: [UInt8], chunkSize: Int) throws -> ([TraceEvent], HelperStreamDecoder) {
        var decoder = HelperStreamDecoder(fileName: "stream", layout: .perfScript)
        var sink = CollectingSink()
        try stream.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + chunkSize)
                try decoder.feed(UnsafeRawBufferPointer(rebasing: all[start..<end]), into: &sink)
                start = end
            }
        }
        try decoder.finish(into: &sink)
        return (sink.events, decoder)
    }

    /// Frames cut anywhere by the pipe's reads: the same events, counts and symbols.
    @Test(arguments: [1, 7, 47, 49, 4096])
    func anyChunkingGivesTheSameEvents(_ chunkSize: Int) throws {
        let stream = try Self.stream()
        let (whole, wholeDecoder) = try Self.decode(stream, chunkSize: stream.count)
        let (chunked, chunkedDecoder) = try Self.decode(stream, chunkSize: chunkSize)
        #expect(whole.count > 30_000)
        #expect(chunked == whole)
        #expect(chunkedDecoder.text.parser.knownEventCounts == wholeDecoder.text.parser.knownEventCounts)
        #expect(chunkedDecoder.text.diagnostics == wholeDecoder.text.diagnostics)
        #expect(chunkedDecoder.streamBytes == UInt64(stream.count))
        #expect(chunkedDecoder.text.parser.symbols.name(chunked[100].comm) == wholeDecoder.text.parser.symbols.name(whole[100].comm))
        // Both kinds of frame are in the stream: scheduler records come as text, page records as events.
        let counts = wholeDecoder.text.parser.knownEventCounts
        #expect(counts[KnownEvent.schedSwitch.rawValue] > 400)
        #expect(counts[KnownEvent.mmPageAlloc.rawValue] > 9000)
    }

    /// Memory counters (kmem:rss_stat) come as EVENT frames, not text lines for prezero to parse
    /// again (they were a fifth of a real capture's records and most of its decoding time). Oracle:
    /// the fixtures' text, by hand: 158 and 339 records, 148 and 237 with curr=1; the values
    /// themselves equal the text's above.
    @Test(arguments: [("perf-rss-stat.perf.data", BinaryTraceFormat.perfData, 158, 148), ("trace-cmd-rss-stat.trace.dat", .traceDat, 339, 237)])
    func memoryCountersComeAsEvents(_ fixture: (name: String, format: BinaryTraceFormat, records: Int, ofCurrent: Int)) throws {
        let path = Scratch.directory + fixture.name
        try Data(decompressedBytes(Paths.fixture(fixture.name + ".zst"))).write(to: URL(fileURLWithPath: path))
        let known = KnownEvent.names.map(\.0).joined(separator: ",")
        let stream = try Self.stream(path: path, helper: fixture.format, arguments: ["--known-events", known])
        var decoder = HelperStreamDecoder(fileName: "stream", layout: fixture.format.layout)
        var sink = CollectingSink()
        try stream.withUnsafeBytes { try decoder.feed($0, into: &sink) }
        try decoder.finish(into: &sink)
        let counters = sink.events.filter { $0.kind == .rssStat }
        #expect(counters.count == fixture.records)
        #expect(counters.filter(\.counterOfCurrentMM).count == fixture.ofCurrent)
        #expect(Set(counters.compactMap(\.counterMember)) == [.anonPages, .filePages, .shmemPages])
        #expect(Self.frames(stream, event: UInt8(PZ_EVENT_RSS_STAT.rawValue)) == fixture.records)
    }

    /// A kernel that prints rss_stat another way keeps the text path's reading: the fixture with
    /// its print format's `type=%s` made `kind=%s` renders every record as text, which the parser
    /// refuses ("missing type="), none as an event read past the format.
    @Test func aCounterPrintedAnotherWayIsText() throws {
        var bytes = try decompressedBytes(Paths.fixture("perf-rss-stat.perf.data.zst"))
        let format = Array("curr=%d type=%s".utf8)
        guard let at = (0...(bytes.count - format.count)).first(where: { bytes[$0..<($0 + format.count)].elementsEqual(format) }) else {
            Issue.record("no rss_stat print format in the fixture")
            return
        }
        bytes.replaceSubrange((at + 8)..<(at + 12), with: Array("kind".utf8))  // `curr=%d ` is 8 bytes
        let path = Scratch.directory + "rss-kind.perf.data"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let known = KnownEvent.names.map(\.0).joined(separator: ",")
        let stream = try Self.stream(path: path, arguments: ["--known-events", known])
        #expect(Self.frames(stream, event: UInt8(PZ_EVENT_RSS_STAT.rawValue)) == 0)
        var sink = CollectingSink()
        let summary = try TraceReader.read(path: path, into: &sink)
        #expect(summary.diagnostics.malformedLines == 158)
        #expect(!sink.events.contains { $0.kind == .rssStat })
    }

    /// EVENT frames of `event` in `stream`.
    static func frames(_ stream: [UInt8], event: UInt8) -> Int {
        stream.withUnsafeBytes { bytes in
            var count = 0
            var at = 0
            while at < bytes.count {
                switch UInt32(bytes[at]) {
                case PZ_FRAME_EVENT.rawValue:
                    if bytes[at + 1] == event { count += 1 }
                    at += MemoryLayout<pz_frame_event>.size
                case PZ_FRAME_OTHER.rawValue:
                    at += MemoryLayout<pz_frame_other>.size
                case PZ_FRAME_TEXT.rawValue:
                    at += MemoryLayout<pz_frame_text>.size + Int(bytes.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self))
                default:
                    at += MemoryLayout<pz_frame_string>.size + Int(bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self))
                }
            }
            return count
        }
    }

    /// A stream cut inside a frame, or with a byte that starts no frame: an error naming the
    /// byte, never a trap.
    @Test func aDamagedStreamIsAnError() throws {
        let stream = try Self.stream()
        #expect(throws: TraceError.self) { try Self.decode(Array(stream.dropLast(5)), chunkSize: 4096) }
        // An event the text parser would have refused (order 70): a broken helper, an error.
        var comm: [UInt8] = [2, 0, 0, 0] + withUnsafeBytes(of: UInt32(1).littleEndian, Array.init) + withUnsafeBytes(of: UInt32(2).littleEndian, Array.init) + Array("sh".utf8)
        var event = pz_frame_event()
        event.frame = UInt8(PZ_FRAME_EVENT.rawValue)
        event.event = UInt8(PZ_EVENT_PAGE_FREE.rawValue)
        event.order = 70
        event.migratetype = -1
        event.comm = 1
        comm += withUnsafeBytes(of: event, Array.init)
        do {
            _ = try Self.decode(comm, chunkSize: 4096)
            Issue.record("an event of order 70 was read")
        } catch let error as TraceError {
            #expect("\(error)".contains("an event frame out of range (pid 0, order 70"), "\(error)")
        }
        var damaged = stream
        damaged[0] = 0x7F
        do {
            _ = try Self.decode(damaged, chunkSize: 4096)
            Issue.record("a frame of unknown type was read")
        } catch let error as TraceError {
            #expect("\(error)".contains("a frame of unknown type 127, at byte 0"), "\(error)")
        }
    }
}

/// A perf.data file's header features as metadata, where no sidecar is beside it. Oracle: `perf
/// report --header-only` of the fixtures (perf 6.1): os release 6.18.44-fc-v1300, arch x86_64,
/// nrcpus online 2, cpudesc AMD EPYC, total memory 24683772 kB, and the cmdline.
@Suite("perf.data header as metadata")
struct PerfDataHeaderTests {
    /// Also a pipe-mode file (`perf record -o -`), whose features come as HEADER_FEATURE records
    /// before its samples.
    @Test(arguments: ["perf-record", "perf-per-task", "perf-compressed", "perf-pipe-mode"])
    func headerFeaturesAreTheMachine(_ name: String) throws {
        for metadata in try headerMetadata(name + ".perf.data", source: "its perf.data header") {
            #expect(metadata.kernelRelease == "6.18.44-fc-v1300")
            #expect(metadata.machine == "x86_64")
            #expect(metadata.cpus == 2)
            #expect(metadata.cpuModel == "AMD EPYC")
            #expect(metadata.memTotalKB == 24_683_772)
            #expect(metadata.command?.prefix(2) == ["/usr/bin/perf", "record"])
            #expect(metadata.command?.contains("-a") == (name != "perf-per-task"))
        }
    }

    /// `perf record -C LIST` in the command line: the CPUs recorded (perf's cpu list syntax).
    @Test func cpuListsOfTheCommandLine() {
        let cases: [([String], [Int]?)] = [
            (["/usr/bin/perf", "record", "-q", "-C", "0", "-e", "kmem:mm_page_alloc", "--", "bash", "-C", "1"], [0]),
            (["perf", "record", "--cpu", "0,2-3", "-a"], [0, 2, 3]),
            (["perf", "record", "--cpu=1"], [1]),
            (["perf", "record", "-C3-4"], [3, 4]),
            (["perf", "record", "-a", "--", "taskset", "-C", "0"], nil),
            (["perf", "record", "-C", "x"], nil),
            (["perf", "record", "-C", "3-1"], nil),
            // The workload's own options, without a `--`: perf's options end at its first word.
            (["perf", "record", "-a", "-g", "stress-ng", "--cpu", "4", "--vm", "2"], nil),
            (["perf", "record", "-e", "kmem:mm_page_alloc", "-o", "x.data", "-C", "1", "stress", "--cpu", "8"], [1]),
            (["perf", "record", "-C", "0-99999"], nil),
            (["perf", "record", "-C", Array(repeating: "0-8191", count: 10_000).joined(separator: ",")], nil),
        ]
        for (command, cpus) in cases { #expect(PerfDataHeader.recordedCPUs(command) == cpus, "\(command)") }
    }

    /// A damaged table is no metadata, not a crash.
    @Test func damagedHeadersGiveNone() throws {
        let bytes = try decompressedBytes(Paths.fixture("perf-record.perf.data.zst"))
        // The data section's offset's low byte, then its top byte: offsets past 2^63 (as a killed
        // perf record's sample bytes read as a feature table give) are nil, not a trap in seek.
        for (offset, value) in [(40, UInt8(0xFF)), (47, 0x7F), (47, 0x80), (47, 0xFF)] {
            var damaged = bytes
            damaged[offset] = value
            let path = Scratch.directory + "damaged-\(offset).perf.data"
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            #expect(TraceMetadata.fromBinaryHeader(path: path) == nil)
        }
    }
}

/// A trace.dat file's page size, CPU count and uname as metadata, where no sidecar is beside it.
/// Oracle: `trace-cmd dump --options` of the fixtures (UNAME "Linux vm 6.18.44-fc-v1300 x86_64")
/// and `trace-cmd report`'s `cpus=2`. The version 6 file is the instance fixture converted by
/// `trace-cmd convert --file-version 6`: its facts sit before the data, version 7's in options
/// sections after it.
@Suite("trace.dat header as metadata")
struct TraceDatHeaderTests {
    @Test(arguments: ["trace-cmd-record", "trace-cmd-instance", "trace-cmd-instance-v6"])
    func headerIsTheMachine(_ name: String) throws {
        for metadata in try headerMetadata(name + ".trace.dat", source: "its trace.dat header") {
            #expect(metadata.kernelRelease == "6.18.44-fc-v1300")
            #expect(metadata.machine == "x86_64")
            #expect(metadata.cpus == 2)
            #expect(metadata.pageSize == 4096)
        }
    }

    /// Version 6 reads through libtracecmd as version 7 does: the converted file's events are the
    /// original's, both buffers.
    @Test func version6EqualsVersion7() throws {
        let (v6, _) = try TraceDatTests.read(Paths.fixture("trace-cmd-instance-v6.trace.dat.zst"))
        let (v7, _) = try TraceDatTests.read(Paths.fixture("trace-cmd-instance.trace.dat.zst"))
        #expect(v6.count == 1_095)
        #expect(v6 == v7)
    }

    /// Offsets and sizes past any file (the options section's at 2^63 and beyond) are nothing,
    /// not a trap; a damaged uname is what it says.
    @Test func damagedOffsetsGiveNone() throws {
        let bytes = try decompressedBytes(Paths.fixture("trace-cmd-record.trace.dat.zst"))
        let layout = try #require(TraceDatHeader.Layout(Array(bytes.prefix(64))))
        let at = Int(layout.sectionsAt) - 8  // the first options section's offset
        for top in [UInt8(0x80), 0xFF, 0x7F] {
            var damaged = bytes
            for k in 0..<8 { damaged[at + k] = k == 7 ? top : 0xFF }
            let path = Scratch.directory + "options-at-\(top).trace.dat"
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            let metadata = TraceMetadata.fromBinaryHeader(path: path)?.0
            #expect(metadata?.kernelRelease == nil)
            #expect(metadata?.pageSize == 4096, "the page size is in the first bytes")
        }
    }

    /// A version 6 file's header walk is one read per format it claims: a crafted sparse file
    /// (a few KB on disk, 160 MiB long) took 22 s, a larger one hours. Over an endless file of
    /// zeros after the two header sections (1,048,575 formats of size 0, then as many systems),
    /// the walk stops after at most 65,536 entries, not a million reads later.
    @Test func aHostileVersion6WalkStops() throws {
        let head = try decompressedBytes(Paths.fixture("trace-cmd-instance-v6.trace.dat.zst"))
        let layout = try #require(TraceDatHeader.Layout(Array(head.prefix(64))))
        var at = Int(layout.sectionsAt)
        for name in ["header_page", "header_event"] {
            at += name.utf8.count + 1
            at += 8 + Int(head.little(UInt64.self, at: at))
        }
        var prefix = Array(head.prefix(at))
        prefix += [0xFF, 0xFF, 0x0F, 0x00]  // 1,048,575 ftrace formats
        var reads = 0
        let bytes = HeaderBytes { offset, size in
            reads += 1
            guard offset <= UInt64(Int.max - size) else { return nil }
            return (0..<size).map { k in Int(offset) + k < prefix.count ? prefix[Int(offset) + k] : 0 }
        }
        #expect(TraceDatHeader.v6CPUCountOffset(layout, bytes) == nil)
        #expect(reads <= 65_600, "\(reads) reads")  // 65,536 entries and the two names read a byte at a time
    }

    /// Cut files give what their bytes hold, or nothing, not a crash.
    @Test(arguments: [12, 30, 5_000, 100_000])
    func cutFilesDoNotTrap(_ length: Int) throws {
        for name in ["trace-cmd-record", "trace-cmd-instance-v6"] {
            let bytes = try decompressedBytes(Paths.fixture(name + ".trace.dat.zst"))
            let path = Scratch.directory + "cut-\(length)-" + name + ".trace.dat"
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
            let metadata = TraceMetadata.fromBinaryHeader(path: path)?.0
            #expect(metadata?.kernelRelease == nil, "the uname comes after the first 100,000 bytes")
        }
    }
}

/// The metadata `TraceMetadata.load(besideTrace:)` finds for the fixture `name`.zst, read
/// compressed and as a plain copy; a test issue where it names another source.
func headerMetadata(_ name: String, source: String) throws -> [TraceMetadata] {
    let compressed = Paths.fixture(name + ".zst")
    let plain = Scratch.directory + name
    try Data(decompressedBytes(compressed)).write(to: URL(fileURLWithPath: plain))
    return try [plain, compressed].map { path in
        let loaded = try TraceMetadata.load(besideTrace: path)
        #expect(loaded?.1 == path + " (\(source))")
        return try #require(loaded?.0)
    }
}
