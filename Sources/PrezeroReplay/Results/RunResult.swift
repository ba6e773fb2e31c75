import Foundation
import PrezeroModel
import PrezeroTrace

/// One replay's result, typed from the engine to every output: `replay`'s text and JSON, batch
/// result files, `compare`'s JSON and CSV, and the markdown report (`prezero report` decodes it
/// back from the JSON). Every key of the format-1 JSON is kept; later formats only add keys.
package struct RunResult: Sendable, Equatable, Codable {
    /// 1: prezero 0.1.0 (no `format` key); 2: typed results; 3: THP/mTHP zero-fill faults;
    /// 4: honest columns, scrubbers as posted, lost frees, touch_source; 5: the private L2 by
    /// default, touch lines by price, verdict ranges; 6: each running task's hot set in its L2;
    /// 7: first writes served without __GFP_ZERO counted; 8: zero-fill faults taken in kernel
    /// mode replayed, user pages zeroed without a fault counted; 9: first writes that took no
    /// page counted; 10: what the memory counters say of them, and the capture's own fault time;
    /// 11: where idle time came from, and the sched_switch events that say; 12: LLC hits after
    /// the first of a page in one visit streamed; 13: per-CPU lists as the capture's
    /// /proc/zoneinfo had them (high, batch, pages on them), and their drains against the
    /// capture's; 14: the kernel's init_on_alloc / init_on_free every policy ran on; 15: the
    /// capture's kernel counters beside the trace's figures; 16: shmem's huge folios, apart from
    /// the THP zero-fill faults; 17: THPs freed unmapped, no zero-fill; 18: the capture's free
    /// page reporting (this version; metrics a format adds carry `Metric.since`).
    package static let currentFormat = 18

    package struct Trace: Sendable, Equatable, Codable {
        package var path: String
        package var lines: Int
        package var touch: TouchModel
        package var timebase: Timebase
        /// The profile's private L2 per CPU was simulated.
        package var privateL2: Bool
        package var malformedLines: Int
        package var lostEvents: UInt64
        /// What ran before the window (`Warmup`); nil in results of format 1 and 2, whose
        /// scrubbers filled their pool before the trace at no cost.
        package var warmup: String?
        /// Where `touch` came from (`TouchSource`); nil in results before format 4.
        package var touchSource: TouchSource?
        /// The touch profile applied (`--touch profile:FILE`), its commands' mean lines a page, and
        /// the mean over all its pages.
        package var touchProfile: String?
        package var touchProfileMeans: [String: Double]?
        package var touchProfileMeanLines: Double?
        /// The hot-set model's reuse and where its size came from (`assumed`, `option`, `trace`);
        /// nil before format 6, or when it was not modelled.
        package var workingSetReuse: WorkingSets.Reuse?
        package var workingSetSource: String?
        /// The touch profile's measured hot set per command, bytes, and where the size the other
        /// tasks took came from (when `workingSetSource` is `transferred`).
        package var touchProfileHotSets: [String: Int]?
        package var workingSetNominalSource: String?
        /// Pages the capture's hugetlb pool could hand out (`TraceMetadata.hugetlbPoolPages`): 0
        /// means no fault was a hugetlb fault; nil when the capture did not record it.
        package var hugetlbPoolPages: Int?
        /// Whether the capture recorded `kmem:mm_page_pcpu_drain` (so `captured_pcp_drained_pages`
        /// is the kernel's count); nil when its metadata does not say and none came.
        package var pcpDrainsRecorded: Bool?
        /// Where each CPU's idle time came from (`IdleSource`); nil before format 11.
        package var idleSource: IdleSource?
        /// The share of each CPU taken as idle (`--idle-fraction`) where the capture did not give it
        /// (all the span, or its first `idle_untraced_ns`); nil where it gave it throughout.
        package var idleFraction: Double?
        /// The CPUs the capture recorded when not every one (`perf record -C`); the others were
        /// taken idle `idleFraction` of the time.
        package var recordedCPUs: [Int]?
        /// The kernel's init_on_alloc and init_on_free the replay ran on; nil before format 14 (off).
        package var kernelInit: KernelMemoryInit?
        /// The capture's kernel counters beside the trace's figures; nil when the sidecar has none.
        package var kernelCounters: KernelCounterCheck?
        /// The capture's free page reporting device (`TraceMetadata.freePageReporting`) and its
        /// order; nil before format 18, or when the capture did not record it.
        package var freePageReporting: String?
        package var freePageReportingOrder: Int?

        package init(
            path: String, lines: Int, touch: TouchModel, timebase: Timebase, privateL2: Bool, malformedLines: Int, lostEvents: UInt64
        ) {
            self.path = path
            self.lines = lines
            self.touch = touch
            self.timebase = timebase
            self.privateL2 = privateL2
            self.malformedLines = malformedLines
            self.lostEvents = lostEvents
        }

        /// How the report names the warm-up.
        package var warmupDescription: String { warmup ?? "free warm start (results of format 1-2: the scrubber filled its pool before the trace at no cost)" }

        enum CodingKeys: String, CodingKey {
            case path, lines, touch, timebase
            case privateL2 = "private_l2"
            case malformedLines = "malformed_lines"
            case lostEvents = "lost_events"
            case warmup
            case touchSource = "touch_source"
            case touchProfile = "touch_profile"
            case touchProfileMeans = "touch_profile_means"
            case touchProfileMeanLines = "touch_profile_mean_lines"
            case workingSetReuse = "working_set_reuse"
            case workingSetSource = "working_set_source"
            case touchProfileHotSets = "touch_profile_hot_sets"
            case workingSetNominalSource = "working_set_nominal_source"
            case hugetlbPoolPages = "hugetlb_pool_pages"
            case pcpDrainsRecorded = "pcp_drains_recorded"
            case idleSource = "idle_source"
            case recordedCPUs = "recorded_cpus"
            case idleFraction = "idle_fraction"
            case kernelInit = "kernel_init"
            case kernelCounters = "kernel_counters"
            case freePageReporting = "free_page_reporting"
            case freePageReportingOrder = "free_page_reporting_order"
        }
    }

    /// Where a replay's idle time came from: the capture's sched_switch events, or `--idle-fraction`
    /// of every CPU because the capture has none, or records every task's but no CPU was idle, or
    /// every task's but none out of idle, or some tasks' only (`SwitchChains.Scope`), or because
    /// time is modelled.
    package enum IdleSource: String, Sendable, Equatable, Codable {
        case schedSwitch = "sched_switch"
        case noSchedSwitch = "no_sched_switch"
        case neverIdle = "never_idle"
        case noIdleExits = "no_idle_exits"
        case someTasks = "some_tasks"
        case modelTime = "model_time"
    }

    package var format: Int = RunResult.currentFormat
    package var trace: Trace
    /// The profile the replay ran on, after `--set` and the captured machine's sizes.
    package var profile: MachineProfile
    /// The profile's fields the trace's metadata replaced (memory, nodes, CPUs), each with the
    /// profile's value and the capture's: said in the output and the report.
    package var capturedMachine: [String: String] = [:]
    package var policy: String
    package var parameters: [String: String]
    package var metrics: RunMetrics
    package var invariantViolations: [String] = []
    /// The first occurrence of each replay anomaly, by metric name (for `--strict` messages).
    package var firstAnomalies: [String: String] = [:]
    /// Batch runs: the run's id and the plan's name for the profile.
    package var runId: String?
    package var profileName: String?
    /// Why the trace supports no verdict (no page allocations, no user faults, no zero-fill
    /// faults); nil when it does. Reports and exit codes follow it.
    package var noVerdict: String?
    /// How sure the verdict is against the compare's baseline (`Sensitivity`); nil for the
    /// baseline, a replay alone, `--sensitivity off`, and results before format 5.
    package var verdict: VerdictRange?
    /// The reader's diagnostics with their examples (in memory only: not written).
    package var diagnostics: TraceDiagnostics?
    /// The runs of `ReplayOptions.touchShadows`, one each (in memory only, read for their
    /// totals): `touch_ns`, `later_touch_ns`, `working_set_refetch_lines` and `_ns`, and so
    /// `total_cpu_ns`, are their own; every other metric is this run's.
    package var touchShadows: [RunResult] = []

    /// The name a report shows the profile under.
    package var profileLabel: String { profileName ?? profile.name }

    package init(
        trace: Trace, profile: MachineProfile, capturedMachine: [String: String] = [:], policy: String,
        parameters: [String: String], metrics: RunMetrics, invariantViolations: [String] = [], firstAnomalies: [String: String] = [:]
    ) {
        self.trace = trace
        self.profile = profile
        self.capturedMachine = capturedMachine
        self.policy = policy
        self.parameters = parameters
        self.metrics = metrics
        self.invariantViolations = invariantViolations
        self.firstAnomalies = firstAnomalies
    }

    enum CodingKeys: String, CodingKey {
        case format, trace, profile, policy, parameters, metrics
        case capturedMachine = "captured_machine"
        case invariantViolations = "invariant_violations"
        case firstAnomalies = "first_anomalies"
        case runId = "run_id"
        case profileName = "profile_name"
        case noVerdict = "no_verdict"
        case verdict
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(Int.self, forKey: .format) ?? 1
        guard format <= Self.currentFormat else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [CodingKeys.format],
                debugDescription: "result format \(format) is newer than this prezero reads (\(Self.currentFormat)): upgrade prezero"))
        }
        trace = try c.decode(Trace.self, forKey: .trace)
        profile = try c.decode(MachineProfile.self, forKey: .profile)
        capturedMachine = try c.decodeIfPresent([String: String].self, forKey: .capturedMachine) ?? [:]
        policy = try c.decode(String.self, forKey: .policy)
        parameters = try c.decode([String: String].self, forKey: .parameters)
        metrics = try RunMetrics(from: try c.superDecoder(forKey: .metrics), format: format)
        invariantViolations = try c.decodeIfPresent([String].self, forKey: .invariantViolations) ?? []
        firstAnomalies = try c.decodeIfPresent([String: String].self, forKey: .firstAnomalies) ?? [:]
        runId = try c.decodeIfPresent(String.self, forKey: .runId)
        profileName = try c.decodeIfPresent(String.self, forKey: .profileName)
        noVerdict = try c.decodeIfPresent(String.self, forKey: .noVerdict)
        verdict = try c.decodeIfPresent(VerdictRange.self, forKey: .verdict)
        if format < 2 && metrics.faults == 0 { noVerdict = "no verdict: the result has no zero-fill faults" }
    }

    /// Sorted-key, pretty JSON with a final newline.
    package func json() throws -> String { try Self.encodeJSON(self) }

    package static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// Metric names as JSON keys: the metrics object is written and read through `Metric.all`.
struct MetricKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension RunMetrics: Codable {
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: MetricKey.self)
        for metric in Metric.all {
            let key = MetricKey(stringValue: metric.name)
            switch metric.access {
            case .count(let path, _): try c.encode(self[keyPath: path], forKey: key)
            case .real(let path, _):
                let v = self[keyPath: path]
                try c.encode(v.isFinite ? v : 0, forKey: key)
            case .series(let path, _): try c.encode(self[keyPath: path], forKey: key)
            case .counts(let path): try c.encode(self[keyPath: path], forKey: key)
            }
        }
    }

    /// Every declared metric must be present: a result file without one names it (a silent 0
    /// would change a verdict).
    package init(from decoder: Decoder) throws { try self.init(from: decoder, format: RunResult.currentFormat) }

    init(from decoder: Decoder, format: Int) throws {
        self.init()
        let c = try decoder.container(keyedBy: MetricKey.self)
        for metric in Metric.all {
            let key = MetricKey(stringValue: metric.name)
            if format < metric.since && !c.contains(key) { continue }
            switch metric.access {
            case .count(let path, _):
                // Format-1 files wrote some counts through Double arithmetic (e.g. 1.0e3).
                if let v = try? c.decode(UInt64.self, forKey: key) {
                    self[keyPath: path] = v
                } else {
                    let d = try c.decode(Double.self, forKey: key)
                    guard d >= 0, d < 1.8e19 else {
                        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(metric.name) must be a count")
                    }
                    self[keyPath: path] = UInt64(d)
                }
            case .real(let path, _): self[keyPath: path] = try c.decode(Double.self, forKey: key)
            case .series(let path, _): self[keyPath: path] = try c.decode([[Double]].self, forKey: key)
            case .counts(let path): self[keyPath: path] = try c.decode([String: UInt64].self, forKey: key)
            }
        }
    }
}
