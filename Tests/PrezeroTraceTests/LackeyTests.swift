import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroTrace

@Suite("valgrind lackey importer")
struct LackeyTests {
    /// Hand-computed: 4 KiB pages, 64 B lines, intervals of 3 data accesses.
    @Test func firstTouchFaultsTouchMasksStraddlesAndFinalFrees() throws {
        let log = """
            ==4242== Lackey, an example Valgrind tool
            ==4242== Command: /usr/bin/sort in.txt
            I  04000000,3
             S 7ff000000,8
             L 7ff000040,8
             M 7ff000ffc,8
             L 7ff001100,4
            I  04000003,2
             L 7ff000000,1

            """
        var decoder = LackeyDecoder(fileName: "log", pageBytes: 4096, lineBytes: 64, intervalAccesses: 3)
        var sink = CollectingSink()
        try Array(log.utf8).withUnsafeBytes { try decoder.feed($0, into: &sink) }
        try decoder.finish(into: &sink)
        // Each fault is followed by a record of its line (below).
        let e = sink.events.filter { !$0.flags.contains(.touchAtFault) || $0.kind != .touch }
        let atFault = sink.events.filter { $0.kind == .touch && $0.flags.contains(.touchAtFault) }
        #expect(atFault.map(\.touchPage) == [0x7ff000, 0x7ff001] && atFault.map(\.touchMaskLow) == [1, 1])
        // Access 1 (S 7ff000000): first touch of page 0x7ff000 -> fault + allocation.
        #expect(e[0].kind == .pageFault && e[0].address == 0x7ff00_0000 && e[0].errorCode == 0x6)
        #expect(e[1].kind == .pageAlloc && e[1].pfn == 0x7ff000 && e[1].order == 0 && e[1].wantsZero)
        // Access 3 (M 7ff000ffc,8) straddles into page 0x7ff001. Before its first touch faults
        // there, the interval so far is flushed: page 0x7ff000 touched lines 1 (access 2) and 63
        // (access 3), so the fault's clear comes after the touches that preceded it.
        #expect(e[2].kind == .touch && e[2].touchPage == 0x7ff000 && e[2].touchMaskLow == (1 << 1 | 1 << 63))
        #expect(e[3].kind == .pageFault && e[3].address == 0x7ff00_1000)
        #expect(e[4].kind == .pageAlloc && e[4].pfn == 0x7ff001)
        // Interval 2: access 4 (L 7ff001100 -> page 0x7ff001, line 4), access 5 (line 0 of 0x7ff000).
        let touches = e.filter { $0.kind == .touch }
        #expect(touches.count == 3)
        #expect(touches.contains { $0.touchPage == 0x7ff001 && $0.touchMaskLow == 1 << 4 })
        #expect(touches.contains { $0.touchPage == 0x7ff000 && $0.touchMaskLow == 1 })
        // Every page is freed at the end.
        let frees = e.filter { $0.kind == .pageFree }
        #expect(Set(frees.map(\.pfn)) == [0x7ff000, 0x7ff001])
        #expect(decoder.accesses == 5)
        #expect(decoder.instructionFetches == 2)
        #expect(decoder.symbols.name(e[0].comm) == "sort")
        #expect(e[0].pid == 4242)
    }

    @Test func instructionFetchesCountWhenAskedFor() throws {
        var decoder = LackeyDecoder(fileName: "log", intervalAccesses: 100)
        decoder.includeInstructionFetches = true
        var sink = CollectingSink()
        try Array("I  04000000,3\nI  04000040,3\n".utf8).withUnsafeBytes { try decoder.feed($0, into: &sink) }
        try decoder.finish(into: &sink)
        #expect(sink.events.filter { $0.kind == .pageFault }.count == 1)
        #expect(decoder.accesses == 2)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 4096])
    func chunkingDoesNotChangeEvents(_ size: Int) throws {
        let text = try decompressedBytes(Paths.fixture("lackey-sort.txt.zst"))
        func run(_ step: Int) throws -> [TraceEvent] {
            try decode(text, chunkSize: step, with: LackeyDecoder(fileName: "x", intervalAccesses: 1000)).0
        }
        let whole = try run(text.count)
        #expect(try run(size) == whole)
        #expect(whole.count > 20)
    }

    @Test func garbageIsNotLackey() throws {
        var decoder = LackeyDecoder(fileName: "x")
        var sink = CollectingSink()
        #expect(throws: TraceError.self) {
            try Array(" L nothex,8\n S 12,zz\n".utf8).withUnsafeBytes { try decoder.feed($0, into: &sink) }
            try decoder.finish(into: &sink)
        }
    }

    @Test func readerDetectsLackeyAndShowsTouchStatistics() throws {
        var statistics = TraceStatistics()
        let summary = try TraceReader.read(path: Paths.fixture("lackey-sort.txt.zst"), into: &statistics)
        #expect(summary.formatName == "lackey")
        #expect(statistics.touches.pages > 0)
        #expect(summary.notes.contains { $0.contains("freed when its process ends or execs") })
        #expect(statistics.allocRequests == statistics.freeRequests)
    }

    static func read(_ log: String, pageBytes: Int = 4096) throws -> ([TraceEvent], LackeyDecoder) {
        try decode(Array(log.utf8), chunkSize: log.utf8.count, with: LackeyDecoder(fileName: "log", pageBytes: pageBytes, intervalAccesses: 100))
    }

    /// The faulting line counts among a page's lines: a page touched only at its fault has one
    /// line (before, it was left out of the lines per page, and the others lost a line each).
    /// Hand-computed: page 0x7ff000 faults at line 0 and is touched at lines 1 and 2 (3 lines);
    /// page 0x7ff001 faults at line 4 and nothing else (1 line): 2 pages, 4 lines, 2 records.
    @Test func theFaultingLineCountsAmongAPagesLines() throws {
        let log = """
            ==1== Command: ./a
             S 7ff000000,8
             L 7ff000040,8
             L 7ff000080,8
             S 7ff001100,4

            """
        let (events, _) = try Self.read(log)
        let atFault = events.filter { $0.kind == .touch && $0.flags.contains(.touchAtFault) }
        #expect(atFault.map(\.touchPage) == [0x7ff000, 0x7ff001])
        #expect(atFault.map(\.touchMaskLow) == [1, 1 << 4])
        var statistics = TraceStatistics()
        for event in events { statistics.consume(event) }
        #expect(statistics.touches.pages == 2)
        #expect(statistics.touches.meanLines == 2)
        #expect(statistics.touches.touchRecords == 1)  // the interval's record of page 0x7ff000
    }

    /// valgrind --trace-children=yes into one log (tools/capture-lackey.sh), a real capture of
    /// `parent` (static: writes 8 pages at 8 lines, forks a child that execs `kid`, which writes
    /// 4 pages at 2 lines, waits, then writes 8 more pages whole and 8 more lines of its first
    /// 8). The kid's banner and its `Exit code` bracket its accesses; the parent's after it are the
    /// parent's again. An independent reading of the same log (a Python script: accesses to the
    /// process whose ==PID== line came last, back to its Parent PID after its Exit code; every
    /// 64-byte line an access covers) gives kid 23 pages and 285 lines, parent 36 pages and 920
    /// lines. Run separately (--log-file=%p, another run), the two gave 23 and 36 pages, kid 285
    /// lines. Before, the kid's name went on for the rest of the trace: the parent's last 16
    /// pages were the kid's, and its first 8 faulted again.
    @Test func childProcessesHaveTheirOwnPagesAndCommands() throws {
        var sink = CollectingSink()
        let summary = try TraceReader.read(path: Paths.fixture("lackey-children.lackey.zst"), into: &sink)
        var pages: [String: Set<UInt64>] = [:]
        var lines: [String: [UInt64: LineMask]] = [:]
        for event in sink.events {
            let name = summary.symbols.name(event.comm)
            if event.kind == .pageAlloc { pages[name, default: []].insert(event.pfn) }
            if event.kind == .touch { lines[name, default: [:]][event.touchPage, default: LineMask()] = lines[name]?[event.touchPage]?.union(LineMask(touch: event)) ?? LineMask(touch: event) }
        }
        #expect(pages.mapValues(\.count) == ["parent": 36, "kid": 23])
        #expect(lines.mapValues { $0.values.reduce(0) { $0 + $1.count } } == ["parent": 920, "kid": 285])
        // The kid's pages are its own (not the parent's at the same addresses), freed at its exit.
        #expect(pages["parent", default: []].isDisjoint(with: pages["kid", default: []]))
        let kidExit = try #require(sink.events.lastIndex { $0.kind == .pageFree && summary.symbols.name($0.comm) == "kid" })
        #expect(sink.events[...kidExit].filter { $0.kind == .pageFree }.count == 23)
        #expect(sink.events[kidExit...].contains { $0.kind == .pageFault && summary.symbols.name($0.comm) == "parent" })
        #expect(summary.diagnostics.malformedLines == 0)
        // The touch profile: each command's pages under its own name.
        var builder = TouchProfileBuilder()
        _ = try TraceReader.read(path: Paths.fixture("lackey-children.lackey.zst"), into: &builder)
        let profile = try #require(builder.profile(symbols: summary.symbols, sources: []))
        #expect(profile.commands["parent"]?.total == 36)
        #expect(profile.commands["kid"]?.total == 23)
    }

    /// An exec in place (the same pid's second banner) ends the old image: its pages are freed,
    /// and the new image's first touch of the same address faults under the new name; a touch
    /// profile counts each page under the command that touched it. Hand-computed.
    @Test func anExecInPlaceFreesTheOldImage() throws {
        let log = """
            ==7== Command: ./a
             S 7ff000000,8
             S 7ff000040,8
            ==7== Command: ./b x
            ==7== Parent PID: 6
             S 7ff000000,8

            """
        let (events, decoder) = try Self.read(log)
        let kinds = events.filter { $0.kind != .touch }.map { "\($0.kind):\(decoder.symbols.name($0.comm))" }
        #expect(kinds == ["pageFault:a", "pageAlloc:a", "pageFree:a", "pageFault:b", "pageAlloc:b", "pageFree:b"])
        var builder = TouchProfileBuilder()
        for event in events { builder.consume(event) }
        // Two pages' lives at one address: 2 lines and 1, as stat counts them.
        var statistics = TraceStatistics()
        for event in events { statistics.consume(event) }
        #expect(statistics.touches.pages == 2 && statistics.touches.meanLines == 1.5)
        let profile = try #require(builder.profile(symbols: decoder.symbols, sources: []))
        #expect(profile.commands["a"]?.pages[1] == 1)  // 2 lines
        #expect(profile.commands["b"]?.pages[0] == 1)  // 1 line
    }

    /// Lines valgrind prints besides accesses are not malformed: `SB` (--trace-superblocks=yes),
    /// `--PID--` (-v), `**PID**` (VALGRIND_PRINTF); a program's own line that starts with 'I ' is.
    /// A file that starts with `SB` (valgrind -q --trace-superblocks=yes) is lackey's.
    @Test func otherValgrindLinesAreNotAccesses() throws {
        let log = """
            SB 04000000
            --5-- Reading syms from /usr/bin/true
            ==5== Command: ./p
            **5** hello from the client
             S 7ff000000,8
            I am a log line

            """
        #expect(Array(log.utf8).withUnsafeBytes { LackeyDecoder.looksLikeLackey($0) })
        let (events, decoder) = try Self.read(log)
        #expect(events.filter { $0.kind == .pageFault }.count == 1)
        #expect(decoder.diagnostics.malformedLines == 1)
        #expect(decoder.diagnostics.malformedExamples.first?.line == 6)
    }

    /// An exec of a process other than the current one: the current process's interval is
    /// written before the exec's frees, so no time goes backwards (the reviewer's log; --strict
    /// refused it).
    @Test func anExecOfAnotherProcessKeepsTimeInOrder() throws {
        let log = "==1== Command: ./a\n L 1000,8\n L 2000,8\n==2== Command: ./b\n S 5000,8\n S 5040,8\n==1== Command: ./c\n L 1000,8\n"
        let (events, _) = try Self.read(log)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.timestampNs <= $1.timestampNs })
        var statistics = TraceStatistics()
        for event in events { statistics.consume(event) }
        #expect(statistics.timestampRegressions == 0)
    }

    /// The faulting line's records are the reader's, not the trace's events: stat's counts by
    /// event and its record count agree, and --count-only counts what the events table lists.
    @Test func faultLineRecordsAreNotCountedAsEvents() throws {
        var statistics = TraceStatistics()
        let summary = try TraceReader.read(path: Paths.fixture("lackey-children.lackey.zst"), into: &statistics)
        #expect(UInt64(summary.eventNameCounts["lackey:touch"] ?? 0) == statistics.touches.touchRecords)
        #expect(statistics.eventsByKind[Int(EventKind.touch.rawValue)] == statistics.touches.touchRecords)
        #expect(statistics.eventsByKind.reduce(0, +) == summary.eventNameCounts.values.reduce(0) { $0 + UInt64($1) })
    }

    /// valgrind writes a space, backslash, < or > in a command's words as \ and the character.
    @Test func commandNamesAreUnescaped() throws {
        let (events, decoder) = try Self.read("==1== Command: /tmp/my\\ dir/my\\ prog --x\n S 7ff000000,8\n")
        #expect(decoder.symbols.name(events[0].comm) == "my prog")
    }

    /// An address above the 57-bit user space (the last page of the address space: its end was
    /// computed past 2^64, a trap) is malformed, as no program touches it and a page's identity
    /// keeps its process there (two processes' pages were one); the highest user page is read;
    /// pages of more lines than a touch record holds (16 KiB of 64-byte lines) are refused with
    /// the reason, not a trap.
    @Test func extremePagesAreReadOrRefused() throws {
        let (events, decoder) = try Self.read("==1== Command: ./x\n S fffffffffffffff0,8\n S 1fffffffffffff8,8\n==2== Command: ./y\n S 0,8\n")
        #expect(events.filter { $0.kind == .pageAlloc }.map(\.pfn).count == 2)
        #expect(Set(events.filter { $0.kind == .pageAlloc }.map(\.pfn)).count == 2)
        #expect(decoder.diagnostics.malformedLines == 1)
        #expect(decoder.diagnostics.malformedExamples.first?.reason.contains("57-bit") == true)
        var metadata = TraceMetadata()
        metadata.pageSize = 16384
        #expect((try? LackeyDecoder.geometry(metadata, file: "x")) == nil)
        let path = Scratch.directory + "sixteen-k.lackey"
        try Data("==1== Command: ./x\n S 7ff000000,8\n".utf8).write(to: URL(fileURLWithPath: path))
        var sink = CollectingSink()
        let error = try #require(throws: TraceError.self) { try TraceReader.read(path: path, into: &sink, metadata: metadata) }
        #expect("\(error)".contains("256 lines a page"), "\(error)")
        metadata.pageSize = 8192
        #expect(try LackeyDecoder.geometry(metadata, file: "x") == (8192, 64))
    }
}
