import Foundation
import PrezeroTestSupport
import Testing

import PrezeroReport
import PrezeroTrace

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
private let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

private func report(for path: String) throws -> StatReport {
    let loaded = try TraceMetadata.load(besideTrace: path)
    let metadata = loaded?.0 ?? TraceMetadata()
    let metadataPath = loaded?.1
    var statistics = TraceStatistics(pageSize: UInt64(metadata.pageSize ?? 4096))
    let read = try TraceReader.read(path: path, into: &statistics, metadata: metadata, metadataPath: metadataPath)
    return StatReport(
        statistics: statistics, read: read, migratetypeKernel: metadata.kernelVersion ?? KernelVersion(major: 6, minor: 0),
        migratetypeKernelSource: "test", pageSizeSource: "test", toolVersion: "test")
}

private let handTrace = """
             a  1 [000]     1.000001:         kmem:mm_page_alloc: page=0x100 pfn=0x100 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO
             a  1 [000]     1.000002:         kmem:mm_page_alloc: page=0x0 pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE
             b  2 [001]     1.000003:          kmem:mm_page_free: page=0x100 pfn=0x100 order=2
             b  2 [001]     1.000004:  kmem:mm_page_free_batched: page=0x100 pfn=0x100 order=0
             b  2 [001]     1.000005:          kmem:mm_page_free: page=0x200 pfn=0x200 order=0
             a  1 [000]     1.000006: exceptions:page_fault_user: address=0x7f0000000000 ip=0x401000 error_code=0x6
             a  1 [000]     1.000007:         kmem:mm_page_alloc: page=0x300 pfn=0x300 order=0 migratetype=0 gfp_flags=GFP_KERNEL
             a  1 [000]     1.000008:               kmem:kmalloc: call_site=x ptr=0x1 bytes_req=8 bytes_alloc=8
             a  1 [000]     1.000009:         kmem:mm_page_free: page=0x300 pfn=0x300 order=banana

"""

@Suite("stat report")
struct StatReportTests {
    /// Real captures (perf 6.1, kernel 6.18) of the same kind of program: `perf record -e ...
    /// -- python3` records its task's events only, so its 12 switches are all out of that task,
    /// 10 of them into idle, none chained to the one before on its CPU and 1 not; `perf record -a`
    /// on a machine kept busy by a build has 424, none into or out of idle, chained on every CPU
    /// but 3. Only the first says its idle times are not measured.
    @Test func aCaptureOfOneTaskSaysItsIdleTimeIsNotMeasured() throws {
        let fixtures = repository.appendingPathComponent("Tests/PrezeroTraceTests/Fixtures")
        let perTask = try report(for: fixtures.appendingPathComponent("perf-per-task.perf.data.zst").path)
        #expect(perTask.schedSwitches == 12 && perTask.schedSwitchesOutOfIdle == 0 && perTask.schedSwitchesUnchained == 1)
        #expect(perTask.schedSwitchScope == .someTasks)
        #expect(perTask.text().contains("(not measured: the capture records some tasks' switches only"))
        // No per-CPU idle figure beside it (a user read "cpu 0 0.150 s idle 58.9%" above the note).
        #expect(!perTask.text().contains("% of span"))
        let busy = try report(for: fixtures.appendingPathComponent("perf-record.perf.data.zst").path)
        #expect(busy.schedSwitches == 424 && busy.schedSwitchesOutOfIdle == 0 && busy.schedSwitchesUnchained == 3)
        #expect(busy.schedSwitchScope == .everyTaskNeverIdle)
        #expect(busy.text().contains("(no CPU idle: none of the 424 sched_switch events goes into or out of the idle task)"))
    }

    /// The text's SUMMARY block is byte for byte what perf kmem printed for the same perf.data.
    @Test(arguments: ["gcc-lz4", "git-clone", "zstd-15"])
    func summaryBlockIsPerfKmemVerbatim(_ name: String) throws {
        let path = repository.appendingPathComponent("traces/\(name).perf.txt.zst").path
        let (metadata, _) = try #require(try TraceMetadata.load(besideTrace: path))
        let perf = try #require(metadata.perfKmemPageStat)
        let text = try report(for: path).text()
        #expect(text.hasPrefix("\n" + perf + "\n"))
    }

    @Test func goldenTextAndJSON() throws {
        let path = Scratch.directory + "prezero-golden-hand.txt"
        try Data(handTrace.utf8).write(to: URL(fileURLWithPath: path))
        var r = try report(for: path)
        r.trace.input = "hand.txt"
        let text = r.text()
        let json = try r.json()
        let expectedText = try String(contentsOf: golden.appendingPathComponent("stat-hand.txt"), encoding: .utf8)
        let expectedJSON = try String(contentsOf: golden.appendingPathComponent("stat-hand.json"), encoding: .utf8)
        if ProcessInfo.processInfo.environment["PREZERO_UPDATE_GOLDEN"] != nil {
            try text.write(to: golden.appendingPathComponent("stat-hand.txt"), atomically: true, encoding: .utf8)
            try json.write(to: golden.appendingPathComponent("stat-hand.json"), atomically: true, encoding: .utf8)
        }
        #expect(text == expectedText)
        #expect(json == expectedJSON)
    }

    @Test(arguments: [
        (1.0, 1, "1.0"), (0.05, 1, "0.1"), (-2.345, 2, "-2.35"), (1234.5, 0, "1235"), (0.0004, 3, "0.000"), (99.95, 1, "100.0"),
    ])
    func fixedPointFormatting(_ value: Double, _ digits: Int, _ expected: String) {
        #expect(TextFormatting.fixed(value, digits) == expected)
    }

    @Test func byteUnits() {
        #expect(TextFormatting.bytes(512) == "512 B")
        #expect(TextFormatting.bytes(1536) == "1.5 KiB")
        #expect(TextFormatting.bytes(3 << 30) == "3.0 GiB")
    }
}
