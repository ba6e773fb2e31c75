import Foundation
import PrezeroModel
import PrezeroTrace

/// One replay's result, typed from the engine to every output: `replay`'s text and JSON, batch
/// result files, `compare`'s JSON and CSV, and the markdown report (`prezero report` decodes it
/// back from the JSON). Every key of the format-1 JSON is kept; later formats only add keys.
public struct RunResult: Sendable, Equatable, Codable {
    /// 1: prezero 0.1.0 (no `format` key); 2: typed results (this version).
    public static let currentFormat = 2

    public struct Trace: Sendable, Equatable, Codable {
        public var path: String
        public var lines: Int
        public var touch: TouchModel
        public var timebase: Timebase
        /// The profile's private L2 per CPU was simulated.
        public var privateL2: Bool
        public var malformedLines: Int
        public var lostEvents: UInt64

        public init(
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

        enum CodingKeys: String, CodingKey {
            case path, lines, touch, timebase
            case privateL2 = "private_l2"
            case malformedLines = "malformed_lines"
            case lostEvents = "lost_events"
        }
    }

    public var format: Int = RunResult.currentFormat
    public var trace: Trace
    /// The profile the replay ran on, after `--set` and the captured machine's sizes.
    public var profile: MachineProfile
    /// The profile's fields the trace's metadata replaced (memory, nodes, CPUs), each with the
    /// profile's value and the capture's: said in the output and the report.
    public var capturedMachine: [String: String] = [:]
    public var policy: String
    public var parameters: [String: String]
    public var metrics: RunMetrics
    public var invariantViolations: [String] = []
    /// The first occurrence of each replay anomaly, by metric name (for `--strict` messages).
    public var firstAnomalies: [String: String] = [:]
    /// Batch runs: the run's id and the plan's name for the profile.
    public var runId: String?
    public var profileName: String?
    /// The reader's diagnostics with their examples (in memory only: not written).
    public var diagnostics: TraceDiagnostics?

    /// The name a report shows the profile under.
    public var profileLabel: String { profileName ?? profile.name }

    public init(
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
    }

    public init(from decoder: Decoder) throws {
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
        metrics = try c.decode(RunMetrics.self, forKey: .metrics)
        invariantViolations = try c.decodeIfPresent([String].self, forKey: .invariantViolations) ?? []
        firstAnomalies = try c.decodeIfPresent([String: String].self, forKey: .firstAnomalies) ?? [:]
        runId = try c.decodeIfPresent(String.self, forKey: .runId)
        profileName = try c.decodeIfPresent(String.self, forKey: .profileName)
    }

    /// Sorted-key, pretty JSON with a final newline.
    public func json() throws -> String { try Self.encodeJSON(self) }

    public static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
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
    public func encode(to encoder: Encoder) throws {
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
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: MetricKey.self)
        for metric in Metric.all {
            let key = MetricKey(stringValue: metric.name)
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
