import Foundation
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
        let e = sink.events
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
        #expect(summary.notes.contains { $0.contains("freed at the end") })
        #expect(statistics.allocRequests == statistics.freeRequests)
    }
}
