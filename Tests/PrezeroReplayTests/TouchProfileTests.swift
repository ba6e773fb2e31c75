import Foundation
import Testing

import PrezeroModel
import PrezeroTrace
@testable import PrezeroReplay

/// `--touch profile:FILE` (issue 12, item 2): touch density measured on a page-touch capture,
/// applied to the faults of the same command in a kernel capture. Oracles: a hand-computed
/// lackey log, the draws' frequencies, and a profile that always says 1 (or 64) lines, which
/// must replay exactly as `--touch first-line` (or `full`) for that command's faults.
@Suite("Touch profiles")
struct TouchProfileTests {
    let traces = repositoryRoot.appendingPathComponent("traces").path

    @Test func drawsFollowTheMeasuredDistribution() {
        // 3 pages touched 1 line, 1 page 4 lines: 3 draws in 4 are 1 line.
        let d = TouchProfile.Distribution(pages: [3, 0, 0, 1] + Array(repeating: 0, count: 60))
        let sampler = d.sampler
        let draws = (0..<4000).map { sampler.lines(draw: UInt64($0)) }
        #expect(Set(draws) == [1, 4])
        #expect(abs(Double(draws.filter { $0 == 1 }.count) / 4000 - 0.75) < 0.005)
        #expect(d.meanLines == 1.75)
    }

    /// Hand-computed: page 0x7ff000 is first touched at line 0 and later at lines 0, 1 and 63
    /// (3 distinct lines); page 0x7ff001 only at its first line (1).
    @Test func builderCountsDistinctLinesPerPageUnderTheCommand() throws {
        let log = """
            ==42== Command: /usr/bin/xz -6
             S 7ff000000,8
             L 7ff000040,8
             M 7ff000ffc,4
             S 7ff001100,4
             L 7ff000000,1

            """
        var decoder = LackeyDecoder(fileName: "log", intervalAccesses: 2)
        var builder = TouchProfileBuilder()
        try Array(log.utf8).withUnsafeBytes { try decoder.feed($0, into: &builder) }
        try decoder.finish(into: &builder)
        let profile = try #require(builder.profile(symbols: decoder.symbols, sources: ["log"]))
        let xz = try #require(profile.commands["xz"])
        #expect(xz.pages[2] == 1 && xz.pages[0] == 1 && xz.total == 2)
        #expect(profile.classNames == ["xz"])
        // A kernel capture has no touch records: no profile.
        var none = TouchProfileBuilder()
        none.consume(TraceEvent(kind: .pageAlloc, order: 0, flags: [.gfpZero, .gfpUser], a: 1))
        #expect(none.profile(symbols: SymbolTable(), sources: []) == nil)
    }

    /// Hand-computed hot set: windows of 131,072 accesses; in the first, 5 lines of the page are
    /// touched in two records (reused), 5 once; in the second, 3 lines twice; an access in a
    /// third closes it. Median of [3, 5] (the upper of two): 5 lines, 320 bytes, 2 windows.
    @Test func hotSetIsTheMedianOfLinesTouchedAgainPerWindow() throws {
        var builder = TouchProfileBuilder()
        let comm: SymbolID = 1
        var symbols = SymbolTable()
        #expect(symbols.intern("xz") == comm)
        func touch(_ t: UInt64, _ lines: ClosedRange<Int>) {
            let mask = lines.reduce(UInt64(0)) { $0 | 1 << UInt64($1) }
            builder.consume(TraceEvent(kind: .touch, pid: 9, comm: comm, timestampNs: t, a: 0x10, b: mask, c: 0))
        }
        builder.consume(TraceEvent(kind: .pageFault, pid: 9, comm: comm, timestampNs: 0, a: 0x10_000, c: 0x6))
        builder.consume(TraceEvent(kind: .pageAlloc, pid: 9, comm: comm, timestampNs: 0, order: 0, flags: [.gfpZero, .gfpUser], a: 0x10))
        touch(1, 0...9)
        touch(100, 0...4)
        touch(140_000, 0...2)
        touch(140_100, 0...2)
        touch(300_000, 7...7)
        let xz = try #require(builder.profile(symbols: symbols, sources: ["t"])?.commands["xz"])
        #expect(xz.hotSetBytes == 320 && xz.hotSetWindows == 2)
    }

    func replayBytearray(touch: TouchModel = .firstLine, profile: TouchProfile? = nil) throws -> RunResult {
        var setup = ReplaySetup(profile: BuiltinProfiles.epycZen5VM)
        setup.touch = touch
        setup.touchProfile = profile
        setup.touchProfilePath = profile.map { _ in "test.touch.json" }
        let path = "\(traces)/python-bytearray.ftrace.txt.zst"
        let (options, metadata) = try setup.options(for: path)
        return try Replay.run(path: path, policy: try setup.policies(["zero-on-fault"], for: options)[0], options: options, metadata: metadata)
    }

    /// python-bytearray: most of its zero-fill faults are python3's. A profile of python3 that
    /// always says 64 lines replays those faults exactly as `--touch full` does, and the
    /// others (bash, ...) as the default `first-line`.
    @Test func aProfileAppliesToItsCommandsFaultsOnly() throws {
        func always(_ lines: Int, for name: String) -> TouchProfile {
            var pages = [UInt64](repeating: 0, count: 64)
            pages[lines - 1] = 10
            return TouchProfile(linesPerPage: 64, sources: ["test"], commands: [name: .init(pages: pages)])
        }
        let firstLine = try replayBytearray()
        let viaProfileOfOne = try replayBytearray(profile: always(1, for: "python3"))
        #expect(viaProfileOfOne.metrics.totalCPUNs == firstLine.metrics.totalCPUNs)
        #expect(viaProfileOfOne.trace.touchSource == .transferred)
        let full = try replayBytearray(touch: .full)
        let everyone = try replayBytearray(profile: always(64, for: "python3"))
        let transferred = everyone.metrics.faultsTouchTransferred
        #expect(transferred > everyone.metrics.faults / 2 && transferred < everyone.metrics.faults, "\(transferred) of \(everyone.metrics.faults)")
        // Between the two ends: python3's faults touch the whole page, the others one line.
        #expect(everyone.metrics.touchNs > firstLine.metrics.touchNs && everyone.metrics.touchNs < full.metrics.touchNs)
        // A profile of no command in the trace changes nothing.
        let nobody = try replayBytearray(profile: always(64, for: "gcc"))
        #expect(nobody.metrics.faultsTouchTransferred == 0 && nobody.metrics.totalCPUNs == firstLine.metrics.totalCPUNs)
    }

    /// The tag comes from the comm as the kernel prints it: the first 15 bytes.
    @Test func commandsMatchOnTheKernelsFifteenBytes() {
        #expect(TouchProfile.commKey("a-very-long-program-name") == "a-very-long-pro")
        var tagger = CommTagger(base: CollectingSink(), classNames: ["a-very-long-program-name", "xz"])
        var symbols = SymbolTable()
        let id = "a-very-long-pro".utf8CString.withUnsafeBytes { symbols.intern(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        tagger.consume(TraceEvent(kind: .pageFault, comm: id, a: 0x1000, c: 0x6))
        tagger.consume(TraceEvent(kind: .pageFault, comm: 0, a: 0x2000, c: 0x6))
        #expect(tagger.base.events.isEmpty)  // waits for the chunk's end
        tagger.endOfChunk(symbols: symbols)
        #expect(tagger.base.events.map(\.commClass) == [1, 0])
    }
}
