import Foundation
import Testing

@testable import PrezeroTrace

/// perf kmem's SUMMARY block, parsed from the text it printed.
struct PerfKmemSummary: Equatable {
    var values: [String: (UInt64, UInt64)] = [:]

    init(text: String) {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let label = line[..<colon].trimmingCharacters(in: .whitespaces)
            let numbers = line[colon...].split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
            if numbers.count == 2 { values[label] = (numbers[0], numbers[1]) }
        }
    }

    static func == (a: PerfKmemSummary, b: PerfKmemSummary) -> Bool {
        a.values.keys.sorted() == b.values.keys.sorted() && a.values.allSatisfy { b.values[$0.key]! == $0.value }
    }
}

@Suite("Matches perf kmem --page stat")
struct PerfKmemOracleTests {
    /// Every bundled perf capture carries what perf kmem printed for its perf.data at capture time.
    @Test(arguments: Paths.bundledTraces().filter { $0.contains(".perf.") })
    func summaryEqualsPerfKmem(_ path: String) throws {
        let (metadata, _) = try #require(try TraceMetadata.load(besideTrace: path))
        let expected = PerfKmemSummary(text: try #require(metadata.perfKmemPageStat))
        #expect(expected.values.count == 6)

        var statistics = TraceStatistics(pageSize: UInt64(metadata.pageSize ?? 4096))
        _ = try TraceReader.read(path: path, into: &statistics, metadata: metadata)
        let s = statistics
        let ours: [String: (UInt64, UInt64)] = [
            "Total allocation requests": (s.allocRequests, s.allocBytes / 1024),
            "Total free requests": (s.freeRequests, s.freeBytes / 1024),
            "Total alloc+freed requests": (s.allocFreedRequests, s.allocFreedBytes / 1024),
            "Total alloc-only requests": (s.allocOnlyRequests, s.allocOnlyBytes / 1024),
            "Total free-only requests": (s.freeOnlyRequests, s.freeOnlyBytes / 1024),
            "Total allocation failures": (s.allocFailures, s.allocFailureBytes / 1024),
        ]
        for (label, value) in expected.values {
            #expect(ours[label]?.0 == value.0, "\(label) requests")
            #expect(ours[label]?.1 == value.1, "\(label) KB")
        }
    }

    /// A capture with lost events: the lost count equals the sum of the `PERF_RECORD_LOST lost N`
    /// lines, counted here with plain string operations, independently of the parser.
    @Test func lostEventsAreSummedFromTheRecords() throws {
        let text = String(decoding: try decompressedBytes(Paths.fixture("perf-with-lost.txt.zst")), as: UTF8.self)
        var records = 0
        var lost: UInt64 = 0
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "PERF_RECORD_LOST lost ") else { continue }
            records += 1
            lost += UInt64(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        var statistics = TraceStatistics()
        let read = try TraceReader.read(path: Paths.fixture("perf-with-lost.txt.zst"), into: &statistics)
        #expect(records > 0)
        #expect(read.diagnostics.lostRecords == records)
        #expect(statistics.lostEvents == lost)
        #expect(read.diagnostics.lostEvents == lost)
    }

    /// Hand-computed: perf kmem's matching rules on a five-event trace.
    @Test func perfKmemRulesByHand() throws {
        let text = """
                  a  1 [000]     1.000001:         kmem:mm_page_alloc: page=0x100 pfn=0x100 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO
                  a  1 [000]     1.000002:         kmem:mm_page_alloc: page=0x0 pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE
                  a  1 [000]     1.000003:          kmem:mm_page_free: page=0x100 pfn=0x100 order=2
                  a  1 [000]     1.000004:  kmem:mm_page_free_batched: page=0x100 pfn=0x100 order=0
                  a  1 [000]     1.000005:          kmem:mm_page_free: page=0x200 pfn=0x200 order=0
                  a  1 [001]     1.000006:         kmem:mm_page_alloc: page=0x300 pfn=0x300 order=0 migratetype=0 gfp_flags=GFP_KERNEL

            """
        var statistics = TraceStatistics(pageSize: 4096)
        var decoder = TextTraceDecoder(fileName: "hand")
        try Array(text.utf8).withUnsafeBytes { try decoder.feed($0, into: &statistics) }
        try decoder.finish(into: &statistics)
        // Requests include the failure (perf counts before checking the pfn).
        #expect(statistics.allocRequests == 3)
        #expect(statistics.allocBytes == 16384 + 2_097_152 + 4096)
        #expect(statistics.freeRequests == 2)  // the batched record is not a second free
        #expect(statistics.freeBytes == 16384 + 4096)
        #expect(statistics.freeOnlyRequests == 1)  // pfn 0x200 was allocated before the capture
        #expect(statistics.allocFreedRequests == 1)
        #expect(statistics.allocOnlyRequests == 2)
        #expect(statistics.allocFailures == 1)
        #expect(statistics.allocFailureBytes == 2_097_152)
        #expect(statistics.orderCount(order: 2, migratetype: 1) == 1)
        #expect(statistics.orderCount(order: 9, migratetype: 1) == 0)  // failures are not in the table
        #expect(statistics.zeroRequestsByOrder[2] == 1)
        #expect(statistics.cpusSeen == [0, 1])
        #expect(statistics.spanNs == 5000)
    }
}

@Suite("Idle time from sched_switch")
struct IdleTests {
    /// Hand-computed: cpu 0 idle 1.000002-1.000005 (3 µs, switch out traced) and 1.000007 to
    /// the end 1.000010 (3 µs); cpu 1 idle from 1.000003 until task 7's fault at 1.000009
    /// (6 µs, the switch out of idle is missing, as on kernel 6.18).
    @Test func idleIntervalsByHand() throws {
        let text = """
                     a  5 [000]     1.000001:         kmem:mm_page_free: page=0x1 pfn=0x1 order=0
                     a  5 [000]     1.000002:         sched:sched_switch: prev_comm=a prev_pid=5 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
                     b  7 [001]     1.000003:         sched:sched_switch: prev_comm=b prev_pid=7 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
               swapper  0 [001]     1.000004:         kmem:mm_page_free: page=0x2 pfn=0x2 order=0
               swapper  0 [000]     1.000005:         sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=5 next_prio=120
                     a  5 [000]     1.000007:         sched:sched_switch: prev_comm=a prev_pid=5 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
                     b  7 [001]     1.000009:         exceptions:page_fault_user: address=0x1000 ip=0x400000 error_code=0x6
                     b  7 [001]     1.000010:         kmem:mm_page_free: page=0x3 pfn=0x3 order=0

            """
        var statistics = TraceStatistics()
        var decoder = TextTraceDecoder(fileName: "idle")
        try Array(text.utf8).withUnsafeBytes { try decoder.feed($0, into: &statistics) }
        try decoder.finish(into: &statistics)
        let idle = statistics.idle.idleNs(closingAt: statistics.lastTimestampNs)
        #expect(idle == [6000, 6000])
        #expect(statistics.idle.intervals == [1, 1])  // cpu 0's second interval is still open
        #expect(statistics.idle.closedWithoutSwitch == 1)
        #expect(statistics.faults(.zeroFillCandidate) == 1)
    }
}

/// What sched_switch events say of the capture's scope (`SwitchChains`), on hand-made sequences
/// of (cpu, prev_pid, next_pid).
@Suite("Switch chains")
struct SwitchChainTests {
    static func chains(_ switches: [(UInt32, Int64, Int64)]) -> SwitchChains {
        var c = SwitchChains()
        for (cpu, prev, next) in switches { c.record(cpu: cpu, prevPid: prev, nextPid: next) }
        return c
    }

    /// Every task: each switch takes off the task the one before put on its CPU. After a switch
    /// into idle nothing counts (kernel 6.18 records few switches out of idle): 9 -> 4 after
    /// 5 -> 0 is neither chained nor not.
    @Test func everyTaskChains() {
        let c = Self.chains([(0, 5, 0), (1, 7, 8), (0, 0, 5), (1, 8, 7), (0, 5, 9)])
        #expect(c.scope == .everyTask && c.unchained == 0 && c.chained == 2 && !c.missesSwitches)
        #expect(Self.chains([(0, 5, 6), (0, 6, 5), (1, 7, 8), (1, 8, 7)]).scope == .everyTaskNeverIdle)
        let noExits = Self.chains([(0, 5, 6), (0, 6, 0), (0, 9, 4), (0, 4, 9), (1, 7, 8), (1, 8, 7)])
        #expect(noExits.chained == 3 && noExits.unchained == 0 && noExits.scope == .everyTaskNoIdleExits)
    }

    /// One task (5) traced by perf without -a: its switches out only, into idle or others.
    @Test func oneTaskNeitherLeavesIdleNorChains() {
        let c = Self.chains([(0, 5, 0), (0, 5, 9), (1, 5, 0), (0, 5, 0)])
        #expect(c.outOfIdle == 0 && c.unchained == 1 && c.chained == 0)
        #expect(c.scope == .someTasks)
        #expect(Self.chains([(0, 5, 0)]).scope == .someTasks, "one switch: no chain to show every task's are there")
    }

    /// A tracefs pid filter on task 5 records switches with 5 on either side, idle included: they
    /// leave idle, but 9's switch to 4 is missing, so 4 -> 5 does not chain.
    @Test func aPidFilterLeavesIdleButMissesSwitches() {
        let c = Self.chains([(0, 0, 5), (0, 5, 9), (0, 4, 5), (0, 5, 0), (0, 0, 5)])
        #expect(c.scope == .everyTask)
        #expect(c.unchained == 1 && c.chained == 2)
        #expect(c.missesSwitches)  // 1 x 20 > 5
    }
}
