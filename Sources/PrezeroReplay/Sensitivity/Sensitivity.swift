import PrezeroModel

/// How sure a verdict is: each policy's total-CPU change against the baseline, replayed (or, for
/// a pure price, re-priced exactly) at both ends of every uncertain input, one input at a time.
///
/// Inputs (`Sensitivity.inputs`): touch density and the start state change what the model does,
/// so they are replays from the same decode; a clear's cost changes what a scrubber gets done in
/// its idle time, so policies with a zeroed pool whose drivers clear that way replay it, the
/// others are re-priced;
/// line hit and miss costs change no state, so every run is re-priced from its counts
/// (`touch_lines_*`), which is exact.
package struct VerdictRange: Sendable, Equatable, Codable {
    /// A total-CPU change against the baseline, as a fraction (+0.094 = 9.4 % more CPU).
    package struct Delta: Sendable, Equatable, Codable {
        package var value: Double
        package var low: Double
        package var high: Double
        /// The change reads alike over every input's range: less, more, or no change (within
        /// `Sensitivity.noChange`) at the nominal and at both ends (`Sensitivity.readAlike`).
        package var signStable: Bool
        /// The input whose range moves the change most; nil when none moved it.
        package var driver: String?

        enum CodingKeys: String, CodingKey {
            case value, low, high, driver
            case signStable = "sign_stable"
        }

        package init(value: Double, low: Double, high: Double, signStable: Bool, driver: String?) {
            self.value = value
            self.low = low
            self.high = high
            self.signStable = signStable
            self.driver = driver
        }

        /// The nominal change and each input's changes at its ends: the range spans them all,
        /// and the driver is the input whose ends lie furthest apart.
        init(value: Double, ends: [(input: String, atLow: Double, atHigh: Double)]) {
            let all = [value] + ends.flatMap { [$0.atLow, $0.atHigh] }
            let (low, high) = (all.min() ?? value, all.max() ?? value)
            let widest = ends.max { abs($0.atHigh - $0.atLow) < abs($1.atHigh - $1.atLow) }
            self.init(
                value: value, low: low, high: high, signStable: Sensitivity.readAlike([value, low, high]),
                driver: widest.flatMap { abs($0.atHigh - $0.atLow) > 0 ? $0.input : nil })
        }

        package func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(value, forKey: .value)
            try c.encode(low, forKey: .low)
            try c.encode(high, forKey: .high)
            try c.encode(signStable, forKey: .signStable)
            try c.encode(driver, forKey: .driver)
        }
    }

    /// One input's effect on the change: a tornado row.
    package struct Swing: Sendable, Equatable, Codable {
        package var input: String
        package var lowSetting: String
        package var highSetting: String
        package var atLow: Double
        package var atHigh: Double
        /// Where the range comes from.
        package var source: String
        /// Measured by the trace, so not part of the verdict's range (shown for what-if only).
        package var measured: Bool

        package var width: Double { abs(atHigh - atLow) }

        enum CodingKeys: String, CodingKey {
            case input, source, measured
            case lowSetting = "low_setting"
            case highSetting = "high_setting"
            case atLow = "at_low"
            case atHigh = "at_high"
        }
    }

    package var totalCPUDelta: Delta
    /// The fault rate's change (+0.05 = 5 % more faults a second), over the same inputs; nil in
    /// results of format 12 and older.
    package var faultRateDelta: Delta?
    /// Lines touched per fault where the policy's total CPU crosses the baseline's (linear
    /// between the replayed densities); nil when it does not cross between 1 line and the page.
    package var breakEvenLines: Double?
    /// [lines touched per fault, total-CPU change] at each replayed density.
    package var touchPoints: [[Double]]
    package var swings: [Swing]
    /// Inputs not varied, each with why (no range declared for this profile, not simulated).
    package var notVaried: [String]

    enum CodingKeys: String, CodingKey {
        case swings
        case totalCPUDelta = "total_cpu_delta"
        case faultRateDelta = "fault_rate_delta"
        case breakEvenLines = "break_even_lines"
        case touchPoints = "touch_points"
        case notVaried = "not_varied"
    }

    /// Written with `break_even_lines: null` where it never crosses: the key is always there.
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(totalCPUDelta, forKey: .totalCPUDelta)
        try c.encodeIfPresent(faultRateDelta, forKey: .faultRateDelta)
        try c.encode(breakEvenLines, forKey: .breakEvenLines)
        try c.encode(touchPoints, forKey: .touchPoints)
        try c.encode(swings, forKey: .swings)
        try c.encode(notVaried, forKey: .notVaried)
    }
}

package enum Sensitivity {
    /// Changes smaller than this (half a percent) are no change.
    package static let noChange = 0.005

    /// A change read as a verdict: -1 less, +1 more, 0 no change (within `noChange`).
    package static func reading(_ change: Double) -> Int { change > noChange ? 1 : change < -noChange ? -1 : 0 }

    /// Whether changes all read alike: a verdict holds only if "no change" and "better" (or
    /// "worse") are not both among them; a nominal of no change beside an end of -99 % is not
    /// a stable "no change".
    package static func readAlike(_ changes: [Double]) -> Bool { Set(changes.map(reading)).count <= 1 }
    /// The warm start: a minute of idle before the window, as Lameter's runs began (notes §1).
    static let warmStart = Warmup.idle(seconds: 60)

    package enum End: String, Sendable { case low, high }

    /// One extra replay: a policy of the compare at one end of one input.
    package struct Variant: Sendable {
        package var policy: String
        package var input: String
        package var end: End
        package var options: ReplayOptions
        /// A touch density under the trace's time: replayed inside the policy's nominal run
        /// (`ReplayOptions.touchShadows`), whose every decision it shares.
        package var inNominalRun = false
    }

    /// An uncertain input: its ends for these options (nil: not varied, with why), and how a run
    /// is evaluated at an end: a replay with changed options, or a re-pricing of its counts.
    struct Input: Sendable {
        var key: String
        var ends: @Sendable (ReplayOptions) -> Result<Ends, NotVaried>
        /// Changes the options to an end; nil: a pure price (re-price instead of replaying).
        var replay: (@Sendable (inout ReplayOptions, Double) -> Void)?
        /// Policies with a zeroed pool replay; the others are re-priced (`reprice`).
        var replayOnlyPools = false
        /// The zero driver this input prices: a policy replays only where its drivers use it (with
        /// the trace's time a clear's cost moves no clock, so the fault path's clears are prices).
        var pricedDriver: String?
        /// Varied only where the hot-set model ran (a kernel capture with a private L2).
        var needsHotSetModel = false
        /// Replayed only under a modelled timebase (where the price moves the CPUs' clocks, and
        /// with them a scrubber's idle time); re-priced, exactly, under the trace's time.
        var replayOnlyUnderModelTime = false
        /// The total-CPU change at an end is its time over the baseline's nominal total: the
        /// input adds the same to every policy's faults, so a relative change would only dilute
        /// (a change reading "no change" at an end is then no change of direction).
        var changeOfNominalBaseline = false
        /// The total CPU of a run at `value` of the input (for re-priced inputs).
        var reprice: (@Sendable (RunMetrics, MachineProfile, Double) -> Double)?
        /// The faulting time (fault path + first touches: the fault rate's denominator) of a run
        /// at `value`, for re-priced inputs that move it; nil: they do not. NaN: the counts do not
        /// tell (touch counts that mix later touches, in page-touch traces).
        var repriceFaultTime: (@Sendable (RunMetrics, MachineProfile, Double) -> Double)?
        /// Why the baseline's run, once replayed, shows the capture gave the input after all
        /// (not varied then); nil when it did not.
        var givenByCapture: (@Sendable (RunResult) -> String?)?
        /// Why it is not varied, said better once the baseline's run is replayed, where `ends`
        /// could not vary it; nil: `ends`' reason stands.
        var notVariedOnceReplayed: (@Sendable (RunResult) -> String?)?
    }

    struct Ends: Sendable {
        var low: Double
        var high: Double
        var nominal: Double
        var lowText: String
        var highText: String
        var source: String
    }

    struct NotVaried: Error {
        var why: String
    }

    static let touchDensity = "touch density"

    /// The inputs, in the order reports list them. A new input is one entry here.
    static let inputs: [Input] = [
        Input(
            key: touchDensity,
            ends: { o in
                let lines = Double(o.profile.linesPerPage)
                return .success(Ends(
                    low: 1, high: lines, nominal: Double(o.touch.lineCount(linesPerPage: o.profile.linesPerPage)),
                    lowText: "first-line", highText: "full (\(Int(lines)) lines)",
                    source: "a kernel capture cannot see how many lines of a page the program touches: 1 line to the whole page"))
            },
            replay: { o, lines in
                o.touch = lines <= 1 ? .firstLine : Int(lines) >= o.profile.linesPerPage ? .full : .lines(Int(lines))
                o.touchSource = .option
            }),
        Input(
            key: "start state",
            ends: { o in
                let nominal: Double = o.warmup == .none ? 0 : 1
                return .success(Ends(
                    low: 0, high: 1, nominal: nominal, lowText: "cold (nothing zeroed)", highText: "warm (\(warmStart) idle first)",
                    source: "what the machine did before the capture is not in it: from nothing zeroed to a minute of idle (no load), the scrubber zeroing at its own cost then, which is not in total CPU (warmup_cpu_ns)"))
            },
            replay: { o, warm in o.warmup = warm > 0 ? Sensitivity.warmStart : .none },
            replayOnlyPools: true),
        Input(
            key: "idle fraction",
            ends: { o in
                if o.timebase != .trace { return .failure(NotVaried(why: "time is modelled (a synthetic or page-touch trace has no captured clock)")) }
                if o.schedSwitchRecorded == true && !o.unrecordedCPUs.contains(true) {
                    return .failure(NotVaried(why: "the capture tools recorded every task's sched_switch events (its metadata): idle time comes from them"))
                }
                return .success(Ends(
                    low: 0, high: 1, nominal: o.idleFraction, lowText: "every CPU busy", highText: "every CPU idle",
                    source: "how much of each CPU was idle for a scrubber is not in the capture (no sched_switch, as perf kmem record takes none; or switches that do not give it: the report's idle paragraph, trace.idle_source), 0 to 1 (--idle-fraction sets the nominal)"))
            },
            replay: { o, fraction in o.idleFraction = fraction },
            replayOnlyPools: true,
            // A capture without metadata whose switches gave idle time, known only once replayed.
            givenByCapture: Sensitivity.idleFromSwitches,
            notVariedOnceReplayed: { base in
                // The metadata said the switches were recorded, but none came (cut out?).
                guard base.trace.idleSource == .noSchedSwitch, base.trace.timebase == .trace else { return nil }
                let percent = String(format: "%.0f", (base.trace.idleFraction ?? 0) * 100)
                return "the metadata lists sched:sched_switch, yet the capture has none: each CPU taken idle \(percent) %, not varied (--idle-fraction sets it)"
            }),
        Input(
            key: "per-CPU list high",
            ends: { o in
                guard let range = o.pcpHighRange else {
                    return .failure(NotVaried(why: "no high_min and high_max from the capture (its sidecar's /proc/zoneinfo, 6.7 on; not taken under --set profile.pcp_high or --ignore-capture-machine): pcp_high stays \(o.profile.pcpHigh) pages (\(o.profile.sources["pcp_high"] ?? "the profile's"))"))
                }
                return .success(Ends(
                    low: Double(range.lowerBound), high: Double(range.upperBound), nominal: Double(o.profile.pcpHigh),
                    lowText: "\(range.lowerBound) pages (high_min)", highText: "\(range.upperBound) pages (high_max)",
                    source: "how many freed pages a CPU keeps off the buddy lists (where a scrubber finds them): the capture's kernel tunes each CPU's high between high_min and high_max as it runs (decay_pcp_high, nr_pcp_high, 6.7 on); from its /proc/zoneinfo, one zone's list at its lowest high_min to every zone's at its highest high_max summed (the model has one zone a node, so which zone's list a free reaches is not modelled)"))
            },
            replay: { o, high in
                o.profile.pcpHigh = Int(high)
                o.pcpHighPerCPU = nil
            },
            replayOnlyPools: true),
        clearCost("cached clear cost", key: "clear_cached_page_ns", \.clearCached, spent: \.cachedClearCPUNs, driver: CPUCachedDriver.name),
        clearCost(
            "non-temporal clear cost", key: "clear_non_temporal_page_ns", \.clearNonTemporal, spent: \.nonTemporalClearCPUNs,
            driver: CPUNonTemporalDriver.name),
        priced("line miss cost", key: "line_miss_ns", count: \.touchLinesMiss, folioTouches: \.folioTouchLinesMiss, nominal: { $0.lineMissNs }),
        // A streamed LLC hit costs the lower of the two: each end moves it when it is the lower.
        priced(
            "streamed line miss cost", key: "line_miss_stream_ns", count: \.touchLinesMissStream, folioTouches: \.folioTouchLinesMissStream,
            nominal: { $0.lineMissStreamNs },
            streamedLLCHit: { p, stream in min(p.llcHitPriceNs, stream) }),
        priced(
            "LLC hit cost", key: "llc_hit_ns", count: \.linesPricedAsLLCHits, firstTouches: \RunMetrics.touchLinesLLCHit,
            folioTouches: \.folioTouchLinesLLCHit, nominal: { $0.llcHitPriceNs }, needsL2: true,
            streamedLLCHit: { p, hit in min(hit, p.lineMissStreamNs) }),
        faultWarmth,
        Input(
            key: "working-set size",
            ends: { o in
                guard let l2 = o.profile.l2, o.privateL2 else { return .failure(NotVaried(why: "no private L2 simulated")) }
                if o.workingSetFromTrace { return .failure(NotVaried(why: "the trace's metadata gives it (\(o.workingSet.bytes / 1024) KiB)")) }
                return .success(Ends(
                    low: 0, high: Double(l2.sizeBytes), nominal: Double(o.workingSet.bytes),
                    lowText: "none", highText: "\(l2.sizeBytes / 1024) KiB (the L2)",
                    source: o.workingSetBytes == nil ? WorkingSets.sizeSource
                        : "chosen: \(o.workingSet.bytes / 1024) KiB (--working-set-kib or a plan's working_set_kib), the range none to the whole L2"))
            },
            needsHotSetModel: true,
            reprice: { m, p, bytes in
                let lines = bytes == 0 ? 0 : bytes == m.workingSetBytes ? m.workingSetRefetchLines : m.workingSetRefetchLinesAtL2Size
                return m.totalCPUNs + (Double(lines) - Double(m.workingSetRefetchLines)) * (p.llcHitPriceNs)
            }),
        Input(
            key: "working-set reuse",
            ends: { o in
                guard o.profile.l2 != nil, o.privateL2 else { return .failure(NotVaried(why: "no private L2 simulated")) }
                return .success(Ends(
                    low: 0, high: 1, nominal: o.workingSetReuse == .continuous ? 1 : 0,
                    lowText: "none (once, when the task leaves the CPU)", highText: "continuous (as fast as the L2 is re-read)", source: WorkingSets.reuseSource))
            },
            needsHotSetModel: true,
            reprice: { m, p, continuous in
                // The nominal end is the run itself; the other is counted in the same replay.
                m.totalCPUNs + (Double(m.workingSetRefetchLinesOtherReuse) - Double(m.workingSetRefetchLines)) * (p.llcHitPriceNs)
            }),
    ]

    /// A zero-fill fault's base cost, from back to back (its code and data in cache, as
    /// fault_base_ns is measured) to after the program's own work pushed them out. Under the
    /// trace's time it is a price of every fault, re-priced exactly; under a modelled timebase it
    /// moves the CPUs' clocks, so policies with a zeroed pool replay it (a scrubber's idle time),
    /// the others are re-priced. Its total-CPU change is in time (`changeOfNominalBaseline`): it
    /// moves only where the policies' fault counts differ; the fault rate's change it dilutes.
    static let faultWarmth = Input(
        key: "fault path warmth",
        ends: { o in
            guard let r = o.profile.range(of: "fault_base_ns") else {
                return .failure(NotVaried(why: "no range of fault_base_ns in profile \(o.profile.name) (a calibrated profile has one: prezero calibrate)"))
            }
            return .success(Ends(
                low: r.low, high: r.high, nominal: o.profile.faultBaseNs,
                lowText: "\(ns(r.low)) ns a fault", highText: "\(ns(r.high)) ns a fault", source: r.source))
        },
        replay: { o, base in o.profile.faultBaseNs = base },
        replayOnlyPools: true,
        replayOnlyUnderModelTime: true,
        changeOfNominalBaseline: true,
        reprice: { m, p, base in m.totalCPUNs + (base - p.faultBaseNs) * Double(m.faults) },
        repriceFaultTime: { m, p, base in m.faultPathNs + m.touchNs + (base - p.faultBaseNs) * Double(m.faults) })

    /// A clear's cost a page, every extent's rate scaled alike: it changes what a scrubber gets
    /// done in its idle time, so policies with a zeroed pool whose drivers include `driver` replay
    /// it; the others are re-priced from the time their clears of that kind took.
    static func clearCost(
        _ name: String, key: String, _ path: WritableKeyPath<MachineProfile, ClearCost> & Sendable,
        spent: KeyPath<RunMetrics, Double> & Sendable, driver: String
    ) -> Input {
        // A fault clears inline with cached stores (fault_zeroing_ns), never non-temporally.
        var faultTime: (@Sendable (RunMetrics, MachineProfile, Double) -> Double)?
        if driver == CPUCachedDriver.name {
            faultTime = { (m: RunMetrics, p: MachineProfile, pageNs: Double) -> Double in
                let factor: Double = pageNs / max(p[keyPath: path].ns(bytes: p.pageBytes), 1e-9)
                return m.faultPathNs + m.touchNs + (factor - 1) * m.faultZeroingNs
            }
        }
        return Input(
            key: name,
            ends: { o in
                let nominal = o.profile[keyPath: path].ns(bytes: o.profile.pageBytes)
                guard let r = o.profile.range(of: key) else {
                    return .failure(NotVaried(why: "no range of \(key) in profile \(o.profile.name)"))
                }
                return .success(Ends(
                    low: r.low, high: r.high, nominal: nominal, lowText: "\(ns(r.low)) ns a page", highText: "\(ns(r.high)) ns a page", source: r.source))
            },
            replay: { o, pageNs in
                o.profile[keyPath: path] = scaled(o.profile[keyPath: path], by: pageNs / max(o.profile[keyPath: path].ns(bytes: o.profile.pageBytes), 1e-9))
            },
            replayOnlyPools: true,
            pricedDriver: driver,
            reprice: { m, p, pageNs in
                m.totalCPUNs + (pageNs / max(p[keyPath: path].ns(bytes: p.pageBytes), 1e-9) - 1) * m[keyPath: spent]
            },
            repriceFaultTime: faultTime)
    }

    /// A cost per counted touch: re-priced exactly from the run's counts.
    /// `firstTouches`: the lines of `count` a fault's first touches and a huge folio's later ones
    /// made; nil: all of them. `folioTouches`: the folio's share, not in the fault rate's time.
    static func priced(
        _ name: String, key: String, count: KeyPath<RunMetrics, UInt64> & Sendable, firstTouches: (KeyPath<RunMetrics, UInt64> & Sendable)? = nil,
        folioTouches: KeyPath<RunMetrics, UInt64> & Sendable,
        nominal: @escaping @Sendable (MachineProfile) -> Double,
        needsL2: Bool = false, streamedLLCHit: (@Sendable (MachineProfile, Double) -> Double)? = nil
    ) -> Input {
        Input(
            key: name,
            ends: { o in
                if needsL2 && !(o.privateL2 && o.profile.l2 != nil && o.profile.llcHitNs != nil) {
                    return .failure(NotVaried(why: "\(key): no private L2 simulated"))
                }
                guard let r = o.profile.range(of: key) else { return .failure(NotVaried(why: "no range of \(key) in profile \(o.profile.name)")) }
                return .success(Ends(
                    low: r.low, high: r.high, nominal: nominal(o.profile), lowText: "\(ns(r.low)) ns", highText: "\(ns(r.high)) ns", source: r.source))
            },
            replay: nil,
            reprice: { m, p, value in
                let streamed = streamedLLCHit.map { price in (price(p, value) - p.llcHitStreamPriceNs) * Double(m.touchLinesLLCHitStream) } ?? 0
                return m.totalCPUNs + (value - nominal(p)) * Double(m[keyPath: count]) + streamed
            },
            repriceFaultTime: { m, p, value in
                // A page-touch trace's counts mix in its later touches: the faults' share is unknown.
                guard m.laterTouchLines == 0 else { return .nan }
                let streamedLines = m.touchLinesLLCHitStream &- m.folioTouchLinesLLCHitStream
                let streamed = streamedLLCHit.map { price in (price(p, value) - p.llcHitStreamPriceNs) * Double(streamedLines) } ?? 0
                let lines = m[keyPath: firstTouches ?? count] &- m[keyPath: folioTouches]
                return m.faultPathNs + m.touchNs + (value - nominal(p)) * Double(lines) + streamed
            })
    }

    static func ns(_ v: Double) -> String { v.rounded() == v ? String(Int(v)) : String(format: "%.1f", v) }

    /// A clear `factor` times as long: every extent's rate divided by it, the fixed cost times it.
    static func scaled(_ cost: ClearCost, by factor: Double) -> ClearCost {
        ClearCost(setupNs: cost.setupNs * factor, points: cost.points.map { .init(extentBytes: $0.extentBytes, bytesPerNs: $0.bytesPerNs / factor) })
    }

    /// The extra replays for `policies` (the compare's, baseline included) under `options`: each
    /// replayed input's ends that differ from the nominal, for every policy it applies to.
    package static func variants(policies: [any PrezeroPolicy], options: ReplayOptions) -> [Variant] {
        var out: [Variant] = []
        for input in inputs {
            guard let replay = input.replay, case .success(let ends) = input.ends(options) else { continue }
            if input.replayOnlyUnderModelTime && options.timebase == .trace { continue }
            for policy in policies where !input.replayOnlyPools || policy.keepsZeroedPool {
                if let driver = input.pricedDriver, !clears(policy, with: driver, options) { continue }
                for (end, value) in [(End.low, ends.low), (.high, ends.high)] where value != ends.nominal {
                    var variant = options
                    replay(&variant, value)
                    variant.totalOnly = true
                    out.append(Variant(
                        policy: type(of: policy).name, input: input.key, end: end, options: variant,
                        inNominalRun: input.key == touchDensity && options.timebase == .trace))
                }
            }
        }
        return out
    }

    /// Where each variant runs: a touch-density end under the trace's time rides in its policy's
    /// nominal run (its density added to that run's `ReplayOptions.touchShadows`); the others
    /// replay alone, after the nominal runs, in the order of `alone`.
    package struct Placement {
        package private(set) var alone: [Variant] = []
        private var inNominal: [(variant: Variant, run: Int, shadow: Int)] = []

        /// - Parameters:
        ///   - nominalPolicies: the policy of each nominal run, in order;
        ///   - options: the nominal runs' options, given the shadows here.
        package init(_ variants: [Variant], nominalPolicies: [String], options: inout [ReplayOptions]) {
            for variant in variants {
                if variant.inNominalRun, let run = nominalPolicies.firstIndex(of: variant.policy) {
                    inNominal.append((variant, run, options[run].touchShadows.count))
                    options[run].touchShadows.append(variant.options.touch)
                } else {
                    alone.append(variant)
                }
            }
        }

        /// How many variants ride in nominal runs.
        package var inNominalRuns: Int { inNominal.count }

        /// Each variant with its result, from the runs: the nominal ones first, then `alone`'s.
        package func results(_ runs: [RunResult], nominalCount: Int) -> [(Variant, RunResult)] {
            Array(zip(alone, runs.dropFirst(nominalCount))) + inNominal.map { ($0.variant, runs[$0.run].touchShadows[$0.shadow]) }
        }
    }

    /// Whether the cost of `driver`'s clears can change what `policy` does: under the model
    /// timebase every cost moves a CPU's clock; under the trace's, only the clears its drivers
    /// do in the background (a scrubber's budget) do, the fault path's are prices. A chain that
    /// cannot be built is replayed (its replay reports the error).
    static func clears(_ policy: any PrezeroPolicy, with driver: String, _ options: ReplayOptions) -> Bool {
        guard options.timebase == .trace, let chain = try? ZeroDrivers.chain(policy.drivers, profile: options.profile) else { return true }
        return chain.contains { $0.name == driver }
    }

    /// Each non-baseline run's `verdict`, from the nominal runs and the variants' results.
    package static func attach(to runs: inout [RunResult], variants: [(Variant, RunResult)], baseline: String, options: ReplayOptions) {
        guard let base = runs.first(where: { $0.policy == baseline }), base.noVerdict == nil, base.metrics.totalCPUNs > 0 else { return }
        func replayed(_ policy: String, _ input: String, _ end: End) -> RunResult? {
            variants.first { $0.0.policy == policy && $0.0.input == input && $0.0.end == end }?.1
        }
        // Touch density is the trace's own where it has touch records (lackey, .pzt) or says
        // what it touches (synthetic): then it is a what-if, not part of the range.
        let touchMeasured = base.metrics.touchedLinesPerPageMean > 0 || base.trace.touchSource == .trace
        for index in runs.indices where runs[index].policy != baseline {
            let run = runs[index]
            let value = change(run.metrics.totalCPUNs, base.metrics.totalCPUNs)
            var swings: [VerdictRange.Swing] = []
            var notVaried: [String] = []
            var points: [(Double, Double, Double)] = []  // lines, policy total, baseline total
            var rateSwings: [(input: String, atLow: Double, atHigh: Double)] = []
            for input in inputs {
                if let reason = input.givenByCapture?(base) {
                    notVaried.append("\(input.key): \(reason)")
                    continue
                }
                if input.needsHotSetModel, base.trace.workingSetReuse == nil {
                    notVaried.append("\(input.key): not modelled here (the trace records the program's own accesses, or no private L2)")
                    continue
                }
                let ends: Ends
                switch input.ends(options) {
                case .success(let e): ends = e
                case .failure(let reason):
                    notVaried.append("\(input.key): \(input.notVariedOnceReplayed?(base) ?? reason.why)")
                    continue
                }
                /// A run's figure at one end: the nominal run's, a replayed variant's, or re-priced
                /// (nil: the input does not move it); NaN where a replay that should have run did not.
                func atEnd(
                    _ r: RunResult, _ end: End, _ at: Double, _ figure: (RunResult) -> Double,
                    repriced: ((RunMetrics, MachineProfile, Double) -> Double)?
                ) -> Double {
                    if at == ends.nominal { return figure(r) }
                    if let variant = replayed(r.policy, input.key, end) { return figure(variant) }
                    if input.replay != nil && !input.replayOnlyPools { return .nan }
                    return repriced?(r.metrics, r.profile, at) ?? figure(r)
                }
                func total(_ r: RunResult, _ end: End, _ at: Double) -> Double {
                    atEnd(r, end, at, { $0.metrics.totalCPUNs }, repriced: input.reprice)
                }
                /// Faults over the faulting time.
                func rate(_ r: RunResult, _ end: End, _ at: Double) -> Double {
                    atEnd(r, end, at, { $0.metrics.faultRate }, repriced: input.repriceFaultTime.map { time in
                        { m, p, v in let t = time(m, p, v); return t > 0 ? Double(m.faults) / (t / 1e9) : .nan }
                    })
                }
                func totalChange(_ end: End, _ at: Double) -> Double {
                    let (r, b) = (total(run, end, at), total(base, end, at))
                    return input.changeOfNominalBaseline ? (r.isNaN || b.isNaN ? .nan : (r - b) / base.metrics.totalCPUNs) : change(r, b)
                }
                let atLow = totalChange(.low, ends.low)
                let atHigh = totalChange(.high, ends.high)
                guard atLow.isFinite, atHigh.isFinite else { continue }
                let measured = input.key == "touch density" && touchMeasured
                if !measured {
                    let rateLow = change(rate(run, .low, ends.low), rate(base, .low, ends.low))
                    let rateHigh = change(rate(run, .high, ends.high), rate(base, .high, ends.high))
                    if rateLow.isFinite && rateHigh.isFinite {
                        rateSwings.append((input.key, rateLow, rateHigh))
                    } else if base.metrics.faultRate > 0 {
                        notVaried.append("\(input.key), for the fault rate: a page-touch trace's touch counts mix its later touches in")
                    }
                }
                swings.append(.init(
                    input: input.key, lowSetting: ends.lowText, highSetting: ends.highText, atLow: atLow, atHigh: atHigh,
                    source: measured ? "measured by the trace: a what-if, not part of the range" : ends.source, measured: measured))
                if input.key == "touch density" {
                    points = [(ends.low, total(run, .low, ends.low), total(base, .low, ends.low))]
                    if ends.nominal != ends.low && ends.nominal != ends.high { points.append((ends.nominal, run.metrics.totalCPUNs, base.metrics.totalCPUNs)) }
                    points.append((ends.high, total(run, .high, ends.high), total(base, .high, ends.high)))
                }
            }
            let counted = swings.filter { !$0.measured }.map { ($0.input, $0.atLow, $0.atHigh) }
            let faultRateDelta = base.metrics.faultRate > 0 && run.metrics.faultRate > 0
                ? VerdictRange.Delta(value: change(run.metrics.faultRate, base.metrics.faultRate), ends: rateSwings) : nil
            runs[index].verdict = VerdictRange(
                totalCPUDelta: .init(value: value, ends: counted),
                faultRateDelta: faultRateDelta,
                breakEvenLines: breakEven(points), touchPoints: points.map { [$0.0, change($0.1, $0.2)] },
                swings: swings.sorted { $0.width > $1.width }, notVaried: notVaried)
        }
    }

    /// Why the idle fraction is no uncertain input of `base`'s trace once replayed, nil when it is:
    /// its switches gave idle time from its first 1 % on, or showed no CPU idle as the fraction took.
    @Sendable static func idleFromSwitches(_ base: RunResult) -> String? {
        let m = base.metrics
        guard base.trace.recordedCPUs == nil else { return nil }  // the CPUs not recorded take the fraction
        switch base.trace.idleSource {
        case .schedSwitch? where m.idleUntracedNs <= 0.01 * m.spanNs:
            return "idle time comes from the capture's sched_switch events"
        case .neverIdle? where base.trace.idleFraction == 0:
            return "the capture's sched_switch events show no CPU idle, as --idle-fraction 0 takes"
        default:
            return nil
        }
    }

    /// NaN (a replay that did not run) stays NaN.
    static func change(_ value: Double, _ base: Double) -> Double {
        if value.isNaN || base.isNaN { return .nan }
        return base > 0 ? value / base - 1 : (value > 0 ? .infinity : 0)
    }

    /// Where (policy - baseline) total CPU crosses zero, linear between densities; nil if never.
    /// Points where the two are equal are skipped: a crossing needs a sign on each side.
    static func breakEven(_ points: [(lines: Double, policy: Double, base: Double)]) -> Double? {
        let d = points.sorted { $0.lines < $1.lines }.map { ($0.lines, $0.policy - $0.base) }.filter { $0.1 != 0 && $0.1.isFinite }
        for k in d.indices.dropLast() {
            let (x1, y1) = d[k]
            let (x2, y2) = d[k + 1]
            if (y1 < 0) != (y2 < 0) { return x1 + (x2 - x1) * y1 / (y1 - y2) }
        }
        return nil
    }

    /// The inputs that alone change how the change reads (`readAlike`), widest first.
    package static func signFlippers(_ verdict: VerdictRange) -> [String] {
        let value = verdict.totalCPUDelta.value
        return verdict.swings.filter { swing in
            !swing.measured && !readAlike([value, swing.atLow, swing.atHigh])
        }.map(\.input)
    }
}
