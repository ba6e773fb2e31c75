import PrezeroModel
import PrezeroTrace

/// What a fault touches when the trace has no touch detail (perf and ftrace captures).
package enum TouchModel: Sendable, Equatable, Hashable, TextCodable {
    /// The line holding the faulting address.
    case firstLine
    /// N consecutive lines from the faulting address, wrapping within the page.
    case lines(Int)
    /// Every line of the page.
    case full

    package init?(_ text: String) {
        switch text {
        case "first-line": self = .firstLine
        case "full": self = .full
        default:
            guard text.hasPrefix("lines:"), let n = Int(text.dropFirst(6)), n >= 1 else { return nil }
            self = .lines(n)
        }
    }

    package var description: String {
        switch self {
        case .firstLine: "first-line"
        case .lines(let n): "lines:\(n)"
        case .full: "full"
        }
    }

    package static let expected = "first-line, lines:N or full"

    package func lineCount(linesPerPage: Int) -> Int {
        switch self {
        case .firstLine: 1
        case .lines(let n): min(n, linesPerPage)
        case .full: linesPerPage
        }
    }
}

/// Where a replay's touch density came from: the report must not present an assumption as a
/// property of the workload.
package enum TouchSource: String, Sendable, Codable {
    /// `--touch` (or a plan's `touch`): the user's choice.
    case option
    /// The trace's sidecar (a synthetic trace says what it touches).
    case trace
    /// `--touch profile:FILE`: measured on a page-touch capture of the same program, applied to
    /// the faults of its commands; the others assume the default.
    case transferred
    /// Neither: the default `first-line`, an assumption (a kernel capture cannot see touches).
    case assumed
}

/// Where time comes from.
package enum Timebase: String, Sendable, Codable, CaseIterable {
    /// The trace's timestamps (real captures): idle time from sched_switch.
    case trace
    /// Modelled costs advance each CPU's clock (synthetic traces, whose timestamps are nominal).
    case model
}

/// What happens before the measured window (the simulator practice: ChampSim's
/// `--warmup-instructions`, gem5's fast-forward). State built there is earned by the policy's own
/// mechanisms at their own cost, which results show apart (`pages_zeroed_before_window`,
/// `warmup_cpu_ns`, `warmup_engine_ns`); nothing is zeroed for free.
package enum Warmup: Sendable, Equatable, Hashable, TextCodable {
    /// Cold start: the window begins with no free page zeroed (except under a policy that zeroes
    /// at free, whose free memory was cleared when it was freed: counted before the window).
    case none
    /// The machine idles for `seconds` before the window: every CPU idle, the policy's scrubber
    /// running on that idle time with its drivers' real throughput.
    case idle(seconds: Double)

    package init?(_ text: String) {
        if text == "none" { self = .none; return }
        guard text.hasPrefix("idle:") else { return nil }
        var number = text.dropFirst(5)
        if number.hasSuffix("s") { number = number.dropLast() }
        guard let seconds = Double(number), seconds.isFinite, seconds >= 0, seconds <= 86_400 else { return nil }
        self = .idle(seconds: seconds)
    }

    package var description: String {
        switch self {
        case .none: "none"
        case .idle(let seconds): "idle:\(TextNumber.compact(seconds))s"
        }
    }

    package static let expected = "none or idle:SECONDS"
}

/// A value written as its text in options, plans and results (`first-line`, `idle:10s`): coded
/// as that string, and an error names what was expected.
package protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
    static var expected: String { get }
}

extension TextCodable {
    package init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not \(Self.expected)"))
        }
        self = value
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Numbers in option text without a trailing ".0".
enum TextNumber {
    static func compact(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

package struct ReplayOptions: Sendable {
    package var profile: MachineProfile
    package var touch: TouchModel = .firstLine
    package var touchSource: TouchSource = .assumed
    /// `--touch profile:FILE`: the faults of its commands touch as many lines as it measured
    /// (drawn from each command's distribution); the others `touch`.
    package var touchProfile: TouchProfile?
    package var touchProfilePath: String?
    package var timebase: Timebase = .trace
    /// Share of each CPU idle when the trace does not give it (`ReplayEngine.idleTraced`).
    package var idleFraction: Double = 0
    /// The capture's metadata lists `sched:sched_switch` among its events (nil: no list): the
    /// capture tools recorded every CPU's switches, so idle time comes from the trace, not
    /// `idleFraction`.
    package var schedSwitchRecorded: Bool?
    /// The CPUs the capture recorded when not every one (`TraceMetadata.recordedCPUs`, `perf
    /// record -C`): the others' idle time is `idleFraction`'s.
    package var recordedCPUs: [Int]?

    /// Per CPU of the profile, whether the capture did not record it (`recordedCPUs`, folded
    /// onto the profile's CPUs as events are), in trace time.
    package var unrecordedCPUs: [Bool] {
        let cpus = max(profile.cpus, 1)
        // In modelled time a CPU's idle time is its own clock's, not a fraction.
        guard let recordedCPUs, timebase == .trace else { return Array(repeating: false, count: cpus) }
        let folded = Set(recordedCPUs.map { $0 % cpus })
        return (0..<cpus).map { !folded.contains($0) }
    }
    /// Run the allocator's invariant checker every `checkInterval` events and at the end.
    package var checkInvariants = false
    package var checkInterval = 100_000
    /// The run is read for its total CPU only (a verdict's extra replays), so the counts no cost
    /// depends on are skipped: the LLC lines clears evict, remembered to count the touches that
    /// miss on them (`llc_misses_pollution`; each eviction a write to a random slot of a 2 MiB
    /// table), and the hot set at the other ends of its range (`working_set_refetch_lines_at_l2_size`,
    /// `_other_reuse`, which re-price the nominal run).
    package var totalOnly = false
    /// Other touch densities replayed beside this one, read for their total only (`TouchShadow`;
    /// the trace's time only): the result's `touchShadows`, one each, in order.
    package var touchShadows: [TouchModel] = []
    /// Write the LLC access stream here in Dinero IV din format.
    package var cacheTracePath: String?
    /// Simulate the profile's private L2 per CPU (when it has one; the default): touches that hit
    /// the LLC but not the CPU's L2 cost `llc_hit_ns`, and cached clears fill the clearing CPU's L2.
    package var privateL2 = true
    /// The hot set each running task keeps re-reading in its CPU's private L2 (`WorkingSets`;
    /// with the private L2 simulated, on traces without the program's own accesses), bytes;
    /// nil: `WorkingSets.defaultBytes` (32 KiB, measured on other programs), at most the L2.
    package var workingSetBytes: Int?
    package var workingSetReuse: WorkingSets.Reuse = .continuous
    /// The trace's metadata gave `workingSetBytes` (a synthetic trace: the program has no data
    /// but the pages it faults).
    package var workingSetFromTrace = false
    /// The nominal hot-set size, and where it came from.
    package var workingSet: WorkingSets.Setting {
        .init(bytes: workingSetBytes ?? min(WorkingSets.defaultBytes, profile.l2?.sizeBytes ?? 0), reuse: workingSetReuse)
    }
    /// What the policy may do before the measured window (default: nothing).
    package var warmup: Warmup = .none
    /// Free blocks per node per order at the start (the capture's /proc/buddyinfo); nil:
    /// `initially_free_fraction` of each zone.
    package var initialFreeBlocks: [[Int]]?
    /// Pages on each per-CPU list at the start, [node][cpu] (the capture's /proc/zoneinfo);
    /// nil: the lists start empty.
    package var initialPCPPages: [[Int]]?
    /// Where the capture's kernel tunes the per-CPU lists' `high` (`high_min`...`high_max`,
    /// 6.7 on); nil: not known, and `pcp_high` is not varied.
    package var pcpHighRange: ClosedRange<Int>?
    /// Each CPU's own `high`, [node][cpu], as the capture's kernel had it (a CPU it did not list
    /// takes `pcp_high`); nil: every list takes `pcp_high`.
    package var pcpHighPerCPU: [[Int]]?
    /// Size of a PMD-mapped THP: the capture's `hpage_pmd_size`, else 2 MiB (x86-64).
    package var hugePageBytes = 2 << 20
    package var pmdOrder: Int { ZeroFillFaultMatcher.pmdOrder(pageBytes: profile.pageBytes, hugePageBytes: hugePageBytes) }
    /// The capture's kernel (its metadata's release); nil: not known.
    package var kernel: KernelVersion?
    /// The capture's kernel counters, whose processes set the spans the engine's tally counts.
    package var kernelCounters: TraceMetadata.KernelCounters?
    /// The kernel's init_on_alloc and init_on_free, which every policy runs on.
    package var kernelInit = KernelMemoryInit.off
    /// Profile fields the trace's metadata replaced: key -> "captured (profile NAME: value)".
    package var capturedMachine: [String: String] = [:]
    /// The 1-minute load average when the capture began (the sidecar's `load_average`, from
    /// /proc/loadavg); nil: 0, the model's own count builds up over the trace.
    package var initialLoadAverage: Double?

    package init(profile: MachineProfile) {
        self.profile = profile
        #if PREZERO_INTERNAL_CHECKS
        checkInvariants = true
        #endif
    }
}
