import Foundation
import PrezeroModel
import PrezeroTrace

/// The result of one replay: what produced it and what it measured.
public struct ReplayResult: Sendable {
    public var trace: String
    public var traceEvents: Int
    public var touch: TouchModel
    public var timebase: Timebase
    /// Whether the profile's private L2 per CPU was simulated.
    public var privateL2: Bool
    public var profile: MachineProfile
    public var policy: String
    public var parameters: [String: String]
    public var metrics: ReplayMetrics
    public var invariantProblems: [String]
    public var diagnostics: TraceDiagnostics

    /// `{"trace", "profile", "policy", "parameters", "metrics", ...}` as a JSON-ready dictionary.
    public func jsonObject() throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let profileObject = try JSONSerialization.jsonObject(with: encoder.encode(profile))
        var metricObject: [String: Any] = [:]
        for (name, value) in metrics.named() {
            switch value {
            case .int(let v): metricObject[name] = v
            case .double(let v): metricObject[name] = v.isFinite ? v : 0
            case .samples(let v): metricObject[name] = v
            case .map(let v): metricObject[name] = v
            }
        }
        return [
            "trace": ["path": trace, "lines": traceEvents, "touch": touch.description, "timebase": timebase.rawValue,
                      "private_l2": privateL2, "malformed_lines": diagnostics.malformedLines, "lost_events": diagnostics.lostEvents],
            "profile": profileObject,
            "policy": policy,
            "parameters": parameters,
            "metrics": metricObject,
            "invariant_violations": invariantProblems,
        ]
    }

    public func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: try jsonObject(), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

public enum Replay {
    /// Replays the trace at `path` under `policy`.
    public static func run(
        path: String, policy: any PrezeroPolicy, options: ReplayOptions, metadata: TraceMetadata?,
        progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> ReplayResult {
        try runOpened(path: path, policy: policy, options: options, metadata: metadata, progress: progress)
    }

    private static func runOpened<P: PrezeroPolicy>(
        path: String, policy: P, options: ReplayOptions, metadata: TraceMetadata?, progress: ((UInt64, UInt64?) -> Void)?
    ) throws -> ReplayResult {
        var engine = try ReplayEngine(policy: policy, options: options)
        let read = try EventPipeline.read(path: path, into: &engine, metadata: metadata, progress: progress)
        engine.finish()
        return result(engine: engine, policy: policy, read: read)
    }

    static func result<P: PrezeroPolicy>(engine: ReplayEngine<P>, policy: P, read: TraceReadSummary) -> ReplayResult {
        let parameters = policy.parameters.asStrings
        return ReplayResult(
            trace: read.input, traceEvents: read.diagnostics.lines, touch: engine.options.touch,
            timebase: engine.options.timebase, privateL2: engine.options.privateL2 && engine.options.profile.l2 != nil,
            profile: engine.options.profile, policy: P.name, parameters: parameters,
            metrics: engine.metrics, invariantProblems: engine.invariantProblems, diagnostics: read.diagnostics)
    }
}

extension ReplayResult {
    /// The trace anomalies `--strict` makes fatal, as one error naming the trace and the first
    /// bad line or event; nil when there are none. Lost events and frees of pages allocated
    /// before the capture are not among them: every capture of a running system has those.
    public func strictError() -> TraceError? {
        let counted: [(String, UInt64, String)] = [
            ("timestamps_backwards", metrics.timestampsBackwards, "timestamps going backwards"),
            ("events_on_cpus_beyond_profile", metrics.eventsOnCPUsBeyondProfile, "events on CPUs beyond the machine's"),
            ("allocations_above_max_order", metrics.allocationsAboveMaxOrder, "allocations above the max order"),
            ("second_allocations_of_live_pfn", metrics.secondAllocationsOfLivePfn, "allocations of an already-live pfn"),
        ]
        let more = counted.filter { $0.1 > 0 }.map { metric, count, what in
            "\(count) \(what)" + (metrics.firstAnomaly[metric].map { " (first: \($0))" } ?? "")
        }
        return diagnostics.strictError(file: trace, more: more)
    }
}
