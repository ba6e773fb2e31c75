import Testing

import PrezeroModel
import PrezeroTrace
@testable import PrezeroReplay

/// "Matches the published work": Lameter's figures (V2 0/3, V3 0/4; notes §1) and this
/// machine's measurements (notes §4), on small synthetic page-fault tests. The full-size runs
/// are in docs/validation.md (tools/validate-lameter.py).
@Suite("Matches the published work")
struct PublishedWorkTests {
    func within(_ value: Double, _ published: Double, _ tolerance: Double = 0.2) -> Bool {
        abs(value / published - 1) <= tolerance
    }

    /// Lameter's runs began on an idle machine whose kscrubd had zeroed free memory: a minute
    /// of idle warm-up, the scrubber zeroing at its own cost before the measured window.
    let idleMinute: (inout ReplayOptions) -> Void = { $0.warmup = .idle(seconds: 60) }

    @Test func altixWithoutPrezeroing() throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, pageBytes: 16_384, cpus: 8)
        let r = try replay(trace, policy: "zero-on-fault", profile: BuiltinProfiles.altixSN2)
        #expect(r.invariantViolations.isEmpty)
        #expect(within(r.metrics.faultRate, 69_585), "\(r.metrics.faultRate)")
    }

    @Test(arguments: [(1, 500_814.0), (8, 424_742.0), (128, 102_300.0)])
    func altixPrezeroedLinesSeries(_ lines: Int, _ published: Double) throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, lines: lines, pageBytes: 16_384, cpus: 8)
        let r = try replay(trace, policy: "kscrubd-v4", profile: BuiltinProfiles.altixSN2, lines: lines, configure: idleMinute)
        #expect(r.metrics.zeroHits == r.metrics.zeroRequests)
        #expect(r.metrics.pagesZeroedBeforeWindow >= r.metrics.zeroHitPages && r.metrics.warmupCPUNs > 0)
        #expect(within(r.metrics.faultRate, published), "\(lines) lines: \(r.metrics.faultRate)")
    }

    /// 4 GB x 3 back to back, 1 thread, "no HW zeroing": between repetitions kscrubd re-zeroes
    /// the freed memory on idle CPUs. Scaled as the PIII case is (4 of 6 GB -> 128 of 192 MB).
    @Test func altixThreeRepsBackToBackWithoutHardwareZeroing() throws {
        let (trace, _) = try pftTrace(memory: 128 << 20, reps: 3, pageBytes: 16_384, cpus: 8)
        let altix = BuiltinProfiles.altixSN2.withMemory(192 << 20)
        let without = try replay(trace, policy: "zero-on-fault", profile: altix).metrics.faultRate
        let result = try replay(trace, policy: "kscrubd-v4", profile: altix, settings: [("drivers", "cpu")], configure: idleMinute)
        #expect(result.metrics.poolEmptyEvents > 0)
        #expect(result.metrics.pagesZeroedByDriver["bte"] == nil)
        #expect(within(result.metrics.faultRate / without, 268_078.0 / 69_585.0), "\(result.metrics.faultRate / without)")
    }

    @Test func pentiumIIIOneRep() throws {
        let (trace, _) = try pftTrace(memory: 16 << 20, pageBytes: 4_096, cpus: 2)
        let piii = BuiltinProfiles.pentium3x450
        let without = try replay(trace, policy: "zero-on-fault", profile: piii).metrics.faultRate
        let with = try replay(trace, policy: "kscrubd-v4", profile: piii, configure: idleMinute).metrics.faultRate
        #expect(within(with / without, 672_151.0 / 157_455.0), "\(with / without)")
    }

    /// 10 reps back to back: the pool runs dry and kscrubd refills it from the idle CPU. The
    /// machine is scaled down with the test (256 of 384 MB -> 16 of 24 MB); the dynamics depend
    /// on the ratio, not the size.
    @Test func pentiumIIITenRepsBackToBack() throws {
        let (trace, _) = try pftTrace(memory: 16 << 20, reps: 10, pageBytes: 4_096, cpus: 2)
        let piii = BuiltinProfiles.pentium3x450.withMemory(24 << 20)
        let without = try replay(trace, policy: "zero-on-fault", profile: piii).metrics.faultRate
        let result = try replay(trace, policy: "kscrubd-v4", profile: piii, configure: idleMinute)
        #expect(result.metrics.poolEmptyEvents > 0)
        #expect(within(result.metrics.faultRate / without, 330_226.0 / 157_077.0), "\(result.metrics.faultRate / without)")
    }

    @Test func epycSmallPagesGainLittle() throws {
        let (trace, _) = try pftTrace(memory: 16 << 20, pageBytes: 4_096, cpus: 2)
        let epyc = BuiltinProfiles.epycZen5VM.withMemory(1 << 30)
        let without = try replay(trace, policy: "zero-on-fault", profile: epyc).metrics.faultRate
        let oracle = try replay(trace, policy: "oracle", profile: epyc).metrics.faultRate
        // Notes §4: at most ~1.15x, and a loss once the cold touched line is charged.
        #expect(oracle / without <= 1.15)
        #expect(oracle / without > 0.85)
    }

    /// Notes §4: re-reading a 1 MiB working set after 256 fresh 4 KiB faults costs ~255 ns more
    /// per fault than re-reading it without them: the faults' cached clears push it out of the
    /// 1 MiB L2. `llc_hit_ns` is derived from this figure through this very run (8,768 more L2
    /// misses in the re-read), so this guards the calibration and the mechanism (a private L2
    /// per CPU that clears fill); it is not a prediction. Faults served from a pool zeroed
    /// before the window (kscrubd-v4 after an idle warm-up) write only the touched line and
    /// pollute less.
    @Test func l2PollutionByInlineClears() throws {
        let epyc = BuiltinProfiles.epycZen5VM.withMemory(1 << 30)
        func reread(_ policy: String, faults: Int, privateL2: Bool = true) throws -> (ns: Double, llcMisses: UInt64) {
            var options = ReplayOptions(profile: epyc)
            options.timebase = .trace
            options.privateL2 = privateL2
            idleMinute(&options)
            return try rereadAfterFaults(try Policies.make(policy, settings: [], profile: epyc), options, faults: faults)
        }
        func rereadAfterFaults<P: PrezeroPolicy>(_ policy: P, _ options: ReplayOptions, faults: Int) throws -> (ns: Double, llcMisses: UInt64) {
            var engine = try ReplayEngine(policy: policy, options: options)
            var t: UInt64 = 1_000
            func touchWorkingSet() {
                for page in 0..<UInt64(256) {
                    t += 100
                    engine.consume(TraceEvent(kind: .touch, cpu: 0, pid: 7, timestampNs: t, a: 0x1000 + page, b: ~0, c: 0))
                }
            }
            for page in 0..<UInt64(256) {
                t += 100
                engine.consume(TraceEvent(kind: .pageAlloc, cpu: 0, pid: 7, timestampNs: t, order: 0, migratetype: 1, a: 0x1000 + page))
            }
            touchWorkingSet()
            for i in 0..<UInt64(faults) {
                t += 100
                engine.consume(TraceEvent(kind: .pageFault, cpu: 0, pid: 7, timestampNs: t, a: 0x7f00_0000_0000 + i << 12, c: 0x6))
                engine.consume(TraceEvent(kind: .pageAlloc, cpu: 0, pid: 7, timestampNs: t + 1, order: 0, migratetype: 1, flags: [.gfpZero, .gfpUser], a: 0x10_0000 + i))
            }
            let before = engine.metrics.laterTouchNs
            touchWorkingSet()
            engine.finish()
            #expect(engine.metrics.faults == UInt64(faults))
            return (engine.metrics.laterTouchNs - before, engine.metrics.llcMisses)
        }
        let quiet = try reread("zero-on-fault", faults: 0)
        let inline = try reread("zero-on-fault", faults: 256)
        let perFault = (inline.ns - quiet.ns) / 256
        #expect(within(perFault, 255), "\(perFault) ns per fault")
        #expect(try reread("kscrubd-v4", faults: 256).ns < inline.ns)
        // The LLC sees the same accesses whether or not the L2 is simulated.
        #expect(try reread("zero-on-fault", faults: 256, privateL2: false).llcMisses == inline.llcMisses)
    }

    @Test func epycHugePagesGainTwentyfold() throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, pageBytes: 4_096, cpus: 2, order: 9)
        let epyc = BuiltinProfiles.epycZen5VM.withMemory(1 << 30)
        let without = try replay(trace, policy: "zero-on-fault", profile: epyc).metrics.faultRate
        let oracle = try replay(trace, policy: "oracle", profile: epyc).metrics.faultRate
        #expect(within(oracle / without, 20), "\(oracle / without)")
    }

    /// The same experiment as a real program (tools/workloads/l2-pollution.c) under valgrind
    /// lackey: traces/l2-pollution-256 write-faults 256 fresh pages between two laps over a
    /// 1 MiB working set, traces/l2-pollution-0 is the control without them. Replayed as
    /// `prezero replay` does, with no options. Hand-computed: the 256 cached clears install
    /// 256 x 64 = 16,384 lines, the 1 MiB L2's capacity, so under LRU every working-set line
    /// re-misses the L2 (and hits the LLC): ~16,384 more L2 misses, each costing
    /// llc_hit_ns - line_hit_ns. Measured natively on this machine (`taskset -c 1
    /// ./l2-pollution -r 101 256`, two runs): 254 and 268 ns per fault; the model's ~460 ns is
    /// 1.7-1.8x that (docs/validation.md says why): this test pins the disagreement so a change
    /// to it is seen and documented.
    @Test func l2PollutionThroughTheProgramsLackeyTrace() throws {
        let traces = repositoryRoot.appendingPathComponent("traces").path
        func run(_ faults: Int, _ policy: String) throws -> RunResult {
            let setup = ReplaySetup(profile: BuiltinProfiles.epycZen5VM)
            let path = "\(traces)/l2-pollution-\(faults).lackey.zst"
            let (options, metadata) = try setup.options(for: path)
            return try Replay.run(path: path, policy: try setup.policies([policy], for: options)[0], options: options, metadata: metadata)
        }
        let (quiet, disturbed) = (try run(0, "zero-on-fault"), try run(256, "zero-on-fault"))
        #expect(disturbed.trace.privateL2, "the private L2 is simulated by default")
        #expect(disturbed.metrics.faults - quiet.metrics.faults == 256)
        let extraMisses = Double(disturbed.metrics.l2MissesTouch) - Double(quiet.metrics.l2MissesTouch)
        #expect(within(extraMisses, 16_384, 0.03), "\(extraMisses) more L2 misses")
        let epyc = BuiltinProfiles.epycZen5VM
        let perMiss = (epyc.llcHitNs ?? 0) - epyc.lineHitNs
        // The later touches differ only by those misses and by a few lines of loop bookkeeping (hits).
        let extraLines = Double(disturbed.metrics.laterTouchLines) - Double(quiet.metrics.laterTouchLines)
        let extraNs = disturbed.metrics.laterTouchNs - quiet.metrics.laterTouchNs
        #expect(abs(extraNs - extraMisses * perMiss - extraLines * epyc.lineHitNs) <= 0.02 * extraNs, "\(extraNs) ns")
        let predicted = extraNs / 256
        #expect(predicted / 261 > 1.5 && predicted / 261 < 2.0, "\(predicted) ns per fault against 254-268 measured")
        #expect(disturbed.metrics.totalCPUNs - quiet.metrics.totalCPUNs > extraNs, "the re-misses are in total_cpu_ns")
    }
}
