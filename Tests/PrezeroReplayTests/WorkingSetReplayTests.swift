import Foundation
import Testing

import PrezeroModel
import PrezeroTrace
@testable import PrezeroReplay

/// Each running task's hot set in its CPU's L2, replayed from kernel events (no touch records).
@Suite("Working sets in replays")
struct WorkingSetReplayTests {
    let epyc = BuiltinProfiles.epycZen5VM.withMemory(1 << 30)

    /// Notes §4's experiment as a kernel capture sees it: pid 7 on cpu 0 write-faults `faults`
    /// fresh pages, 1.3 µs apart (the measured fault), then another task runs.
    func faultRun(_ policy: String, faults: Int, configure: (inout ReplayOptions) -> Void) throws -> RunMetrics {
        try faultRunWithFills(policy, faults: faults, configure: configure).0
    }

    /// The run's metrics and, per set of cpu 0's L2, the lines filled into it after the first
    /// fault (the task has a hot set from its first fault on).
    func faultRunWithFills(_ policy: String, faults: Int, configure: (inout ReplayOptions) -> Void) throws -> (RunMetrics, [Int]) {
        var options = ReplayOptions(profile: epyc)
        options.timebase = .trace
        options.checkInvariants = true
        configure(&options)
        return try replayFaults(try Policies.make(policy, settings: [], profile: epyc), options, count: faults)
    }

    func replayFaults<P: PrezeroPolicy>(_ policy: P, _ options: ReplayOptions, count faults: Int) throws -> (RunMetrics, [Int]) {
        var engine = try ReplayEngine(policy: policy, options: options)
        var t: UInt64 = 1_000
        var afterFirst: [Int] = []
        func fills() throws -> [Int] {
            let l2 = engine.l2[0]
            let perSet = try #require(l2.fillCounters).perSet
            return (0..<l2.sets).map { Int(perSet[$0]) }
        }
        for i in 0..<UInt64(faults) {
            if i == 1 { afterFirst = try fills() }
            t += 1_300
            // order: the touch profile class CommTagger would give pid 7's command (1).
            engine.consume(TraceEvent(kind: .pageFault, cpu: 0, pid: 7, timestampNs: t, order: 1, a: 0x7f00_0000_0000 + i << 12, c: 0x6))
            engine.consume(TraceEvent(kind: .pageAlloc, cpu: 0, pid: 7, timestampNs: t + 1, order: 0, migratetype: 1, flags: [.gfpZero, .gfpUser], a: 0x10_0000 + i))
        }
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 0, pid: 7, timestampNs: t + 1_000, a: 7, b: 8))
        engine.finish()
        #expect(engine.invariantProblems.isEmpty)
        return (RunMetrics(engine.metrics), zip(try fills(), afterFirst).map { $0 - $1 })
    }

    /// A run read for its total only (a verdict's extra replay) follows the nominal hot set alone:
    /// the same refetches, cost and total, without the range's other ends.
    @Test func aRunForItsTotalOnlyKeepsTheNominalHotSet() throws {
        for policy in ["zero-on-fault", "kscrubd-v4"] {
            let full = try faultRun(policy, faults: 256) { $0.workingSetBytes = 512 << 10 }
            let totalOnly = try faultRun(policy, faults: 256) { options in
                options.workingSetBytes = 512 << 10
                options.totalOnly = true
            }
            #expect(full.workingSetRefetchLines > 0 && full.workingSetRefetchLinesAtL2Size > full.workingSetRefetchLines)
            #expect(full.workingSetRefetchLinesOtherReuse > 0)
            var same = full
            same.workingSetRefetchLinesAtL2Size = 0
            same.workingSetRefetchLinesOtherReuse = 0
            same.llcMissesPollution = 0
            #expect(same == totalOnly, "\(policy)")
        }
    }

    /// Expected hot lines lost over the sets, hand-computed: h (1 - (15/16)^k) in a set of the
    /// 16-way L2 after k fills (a random way each).
    func lost(h: Double, _ fills: [Int]) -> Double { fills.reduce(0) { $0 + h * (1 - pow(15.0 / 16, Double($1))) } }

    /// A 1 MiB hot set fills all 16 ways of every set of the 1 MiB L2. The task has it from its
    /// first fault on: the 255 clears after it install 255 x 64 = 16,320 lines (the first touch
    /// hits the line just cleared), ~16 a set, which leave 16 (15/16)^16 = 5.7 of a set's 16:
    /// ~10,500 lines read back when the task leaves the CPU, at llc_hit_ns (10.4 ns), ~430 ns a
    /// fault. Measured on this machine's program (`l2-pollution -w 1024 256`): 261 ns a fault
    /// (docs/model.md).
    @Test func inlineClearsEvictAWholeL2HotSet() throws {
        let (m, fills) = try faultRunWithFills("zero-on-fault", faults: 256) {
            $0.workingSetBytes = 1 << 20
            $0.workingSetReuse = .none
        }
        #expect(m.faults == 256)
        #expect(fills.reduce(0, +) == 16_320)  // the 255 clears after the first
        #expect(abs(Double(m.workingSetRefetchLines) - lost(h: 16, fills)) <= 0.5)
        #expect(m.workingSetRefetchLines >= 10_000 && m.workingSetRefetchLines <= 11_000)
        #expect(abs(m.workingSetRefetchNs - Double(m.workingSetRefetchLines) * 10.4) < 1e-6)
        #expect(m.totalCPUNs >= m.workingSetRefetchNs + m.faultPathNs)
    }

    /// Half the L2, 8 hot lines a set: read back once, what ~16 fills a set leave is 8 (15/16)^16.
    /// Re-read continuously (every 8,192 x 6.8 ns = 55.7 µs, ~43 faults), each re-read restores
    /// the set and the next fills take from it again: more in all.
    @Test func theRangeEndsEqualTheirOwnReplays() throws {
        // The default, where nothing measured the task: 32 KiB (the bundled captures' median).
        #expect(ReplayOptions(profile: epyc).workingSet.bytes == 32 << 10)
        let half: (inout ReplayOptions) -> Void = { $0.workingSetBytes = 512 << 10 }
        let (none, fills) = try faultRunWithFills("zero-on-fault", faults: 256) { half(&$0); $0.workingSetReuse = .none }
        #expect(none.workingSetBytes == 512 * 1024)
        #expect(abs(Double(none.workingSetRefetchLines) - lost(h: 8, fills)) <= 0.5)
        let continuous = try faultRun("zero-on-fault", faults: 256, configure: half)
        #expect(continuous.workingSetRefetchLines > none.workingSetRefetchLines)
        // The range's other ends, counted in the same replay, equal their own replays.
        #expect(continuous.workingSetRefetchLinesOtherReuse == none.workingSetRefetchLines)
        let whole = try faultRun("zero-on-fault", faults: 256) { $0.workingSetBytes = 1 << 20 }
        #expect(continuous.workingSetRefetchLinesAtL2Size == whole.workingSetRefetchLines)
        #expect(whole.workingSetRefetchLines > continuous.workingSetRefetchLines)
        // So the verdict's range re-prices both inputs exactly.
        let size = try #require(Sensitivity.inputs.first { $0.key == "working-set size" }?.reprice)
        let reuse = try #require(Sensitivity.inputs.first { $0.key == "working-set reuse" }?.reprice)
        #expect(abs(size(continuous, epyc, Double(1 << 20)) - whole.totalCPUNs) <= 1e-9 * whole.totalCPUNs)
        #expect(abs(reuse(continuous, epyc, 0) - none.totalCPUNs) <= 1e-9 * none.totalCPUNs)
    }

    /// A touch profile that measured the command's hot set at 1 MiB gives its task that hot set
    /// instead of the assumed 32 KiB: the replay equals `--working-set-kib 1024`'s.
    @Test func aMeasuredHotSetReplacesTheAssumption() throws {
        var profile = TouchProfile(linesPerPage: 64, sources: ["t"], commands: ["l2p": .init(pages: [1] + Array(repeating: 0, count: 63), hotSetBytes: 1 << 20, hotSetWindows: 3)])
        let measured = try faultRun("zero-on-fault", faults: 256) { $0.touchProfile = profile; $0.workingSetReuse = .none }
        let chosen = try faultRun("zero-on-fault", faults: 256) { $0.workingSetBytes = 1 << 20; $0.workingSetReuse = .none }
        #expect(measured.workingSetTasksMeasured == 1 && measured.workingSetTasks == 1)
        #expect(measured.workingSetRefetchLines == chosen.workingSetRefetchLines)
        #expect(measured.workingSetRefetchLines > 10_000)
        // A profile without a hot set (made before it was measured) changes nothing.
        profile.commands["l2p"]?.hotSetBytes = nil
        let old = try faultRun("zero-on-fault", faults: 256) { $0.touchProfile = profile; $0.workingSetReuse = .none }
        let plain = try faultRun("zero-on-fault", faults: 256) { $0.workingSetReuse = .none }
        #expect(old.workingSetTasksMeasured == 0 && old.workingSetRefetchLines == plain.workingSetRefetchLines)
        // A hot set of 0 bytes gives no task one, measured or not.
        let none = try faultRun("zero-on-fault", faults: 16) { $0.workingSetBytes = 0 }
        #expect(none.workingSetTasks == 0 && none.workingSetRefetchLines == 0)
        #expect(plain.workingSetTasks == 1)
    }

    /// Who pays: a scrubber that cleared the pool before the window (on idle CPUs) leaves pid 7's
    /// hot set alone in it; only its prezeroed pages' first touches fill cpu 0's L2, a line each.
    @Test func aScrubberOnAnotherCPUDoesNotEvictIt() throws {
        let inline = try faultRun("zero-on-fault", faults: 256) { $0.workingSetBytes = 1 << 20; $0.workingSetReuse = .none }
        let scrubbed = try faultRun("kscrubd-v4", faults: 256) {
            $0.workingSetBytes = 1 << 20
            $0.workingSetReuse = .none
            $0.warmup = .idle(seconds: 60)
        }
        #expect(scrubbed.zeroHits == 256)
        #expect(scrubbed.workingSetRefetchLines <= 256)  // at most one touched line per fault
        #expect(scrubbed.workingSetRefetchLines * 32 < inline.workingSetRefetchLines)
    }

    /// A page-touch trace records the program's own accesses: the model steps aside.
    @Test func pageTouchTracesReplaceTheModel() throws {
        var options = ReplayOptions(profile: epyc)
        var engine = try ReplayEngine(policy: ZeroOnFault(parameters: NoParameters(), profile: epyc), options: options)
        #expect(engine.workingSets != nil)
        engine.consume(TraceEvent(kind: .touch, cpu: 0, pid: 7, timestampNs: 1, a: 0x1000, b: 1, c: 0))
        engine.finish()
        #expect(engine.workingSets == nil && RunMetrics(engine.metrics).workingSetBytes == 0)
        options.privateL2 = false
        let noL2 = try ReplayEngine(policy: ZeroOnFault(parameters: NoParameters(), profile: epyc), options: options)
        #expect(noL2.workingSets == nil)
    }
}
