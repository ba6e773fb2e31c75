import Testing

import PrezeroModel
@testable import PrezeroReplay

/// "Matches the published work": Lameter's figures (V2 0/3, V3 0/4; notes §1) and this
/// machine's measurements (notes §4), on small synthetic page-fault tests. The full-size runs
/// are in docs/validation.md (tools/validate-lameter.py).
@Suite("Matches the published work")
struct PublishedWorkTests {
    func within(_ value: Double, _ published: Double, _ tolerance: Double = 0.2) -> Bool {
        abs(value / published - 1) <= tolerance
    }

    @Test func altixWithoutPrezeroing() throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, pageBytes: 16_384, cpus: 8)
        let r = try replay(trace, policy: "zero-on-fault", profile: BuiltinProfiles.altixSN2)
        #expect(r.invariantProblems.isEmpty)
        #expect(within(r.metrics.faultRate, 69_585), "\(r.metrics.faultRate)")
    }

    @Test(arguments: [(1, 500_814.0), (8, 424_742.0), (128, 102_300.0)])
    func altixPrezeroedLinesSeries(_ lines: Int, _ published: Double) throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, lines: lines, pageBytes: 16_384, cpus: 8)
        let r = try replay(trace, policy: "kscrubd-v4", profile: BuiltinProfiles.altixSN2, lines: lines)
        #expect(r.metrics.zeroHits == r.metrics.zeroRequests)
        #expect(within(r.metrics.faultRate, published), "\(lines) lines: \(r.metrics.faultRate)")
    }

    /// 4 GB x 3 back to back, 1 thread, "no HW zeroing": between repetitions kscrubd re-zeroes
    /// the freed memory on idle CPUs. Scaled as the PIII case is (4 of 6 GB -> 128 of 192 MB).
    @Test func altixThreeRepsBackToBackWithoutHardwareZeroing() throws {
        let (trace, _) = try pftTrace(memory: 128 << 20, reps: 3, pageBytes: 16_384, cpus: 8)
        let altix = BuiltinProfiles.altixSN2.withMemory(192 << 20)
        let without = try replay(trace, policy: "zero-on-fault", profile: altix).metrics.faultRate
        let result = try replay(trace, policy: "kscrubd-v4", profile: altix, settings: [("drivers", "cpu")])
        #expect(result.metrics.poolEmptyEvents > 0)
        #expect(result.metrics.pagesZeroedByDriver["bte"] == nil)
        #expect(within(result.metrics.faultRate / without, 268_078.0 / 69_585.0), "\(result.metrics.faultRate / without)")
    }

    @Test func pentiumIIIOneRep() throws {
        let (trace, _) = try pftTrace(memory: 16 << 20, pageBytes: 4_096, cpus: 2)
        let piii = BuiltinProfiles.pentium3x450
        let without = try replay(trace, policy: "zero-on-fault", profile: piii).metrics.faultRate
        let with = try replay(trace, policy: "kscrubd-v4", profile: piii).metrics.faultRate
        #expect(within(with / without, 672_151.0 / 157_455.0), "\(with / without)")
    }

    /// 10 reps back to back: the pool runs dry and kscrubd refills it from the idle CPU. The
    /// machine is scaled down with the test (256 of 384 MB -> 16 of 24 MB); the dynamics depend
    /// on the ratio, not the size.
    @Test func pentiumIIITenRepsBackToBack() throws {
        let (trace, _) = try pftTrace(memory: 16 << 20, reps: 10, pageBytes: 4_096, cpus: 2)
        let piii = BuiltinProfiles.pentium3x450.withMemory(24 << 20)
        let without = try replay(trace, policy: "zero-on-fault", profile: piii).metrics.faultRate
        let result = try replay(trace, policy: "kscrubd-v4", profile: piii)
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

    @Test func epycHugePagesGainTwentyfold() throws {
        let (trace, _) = try pftTrace(memory: 64 << 20, pageBytes: 4_096, cpus: 2, order: 9)
        let epyc = BuiltinProfiles.epycZen5VM.withMemory(1 << 30)
        let without = try replay(trace, policy: "zero-on-fault", profile: epyc).metrics.faultRate
        let oracle = try replay(trace, policy: "oracle", profile: epyc).metrics.faultRate
        #expect(within(oracle / without, 20), "\(oracle / without)")
    }
}
