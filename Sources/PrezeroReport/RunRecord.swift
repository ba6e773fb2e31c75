import Foundation

/// One replay's result as a report reads it: from `prezero replay --json` output or a batch
/// result file, so reports can be regenerated from JSON alone.
public struct RunRecord: Sendable {
    public var trace: String
    public var traceLines: Int
    public var touch: String
    public var timebase: String
    /// The profile's private L2 per CPU was simulated.
    public var privateL2: Bool
    public var profileName: String
    /// The whole profile, as JSON (snake_case keys).
    public var profile: [String: JSONValue]
    public var policy: String
    public var parameters: [String: String]
    public var metrics: [String: Double]
    public var series: [String: [[Double]]]
    public var maps: [String: [String: Double]]
    /// The run's JSON object, as read (kept to write results back unchanged).
    public var raw: JSONValue

    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(json: Any) throws {
        guard let object = json as? [String: Any] else { throw FormatError(description: "a run is not a JSON object") }
        guard let policy = object["policy"] as? String, let metrics = object["metrics"] as? [String: Any],
            let profile = object["profile"] as? [String: Any]
        else { throw FormatError(description: "a run needs 'policy', 'profile' and 'metrics'") }
        self.policy = policy
        let trace = object["trace"] as? [String: Any] ?? [:]
        self.trace = trace["path"] as? String ?? "?"
        traceLines = (trace["lines"] as? NSNumber)?.intValue ?? 0
        touch = trace["touch"] as? String ?? "?"
        timebase = trace["timebase"] as? String ?? "?"
        privateL2 = (trace["private_l2"] as? NSNumber)?.boolValue ?? false
        profileName = profile["name"] as? String ?? "?"
        self.profile = (JSONValue(profile).objectValue) ?? [:]
        parameters = (object["parameters"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
        var scalars: [String: Double] = [:]
        var series: [String: [[Double]]] = [:]
        var maps: [String: [String: Double]] = [:]
        for (name, value) in metrics {
            if let n = value as? NSNumber {
                scalars[name] = n.doubleValue
            } else if let rows = value as? [[Any]] {
                series[name] = rows.map { $0.compactMap { ($0 as? NSNumber)?.doubleValue } }
            } else if let rows = value as? [Any], rows.isEmpty {
                series[name] = []
            } else if let map = value as? [String: Any] {
                maps[name] = map.compactMapValues { ($0 as? NSNumber)?.doubleValue }
            }
        }
        self.metrics = scalars
        self.series = series
        self.maps = maps
        raw = JSONValue(object)
    }

    public subscript(metric: String) -> Double { metrics[metric] ?? 0 }

    /// The name a report shows: the policy, with the parameters that tell sweep points apart.
    public var displayLabel: String?
    public var label: String { displayLabel ?? policy }
}

/// A JSON value that is `Sendable` and compares equal structurally.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(_ any: Any) {
        switch any {
        case let v as String: self = .string(v)
        case let v as NSNumber:
            let kind = String(cString: v.objCType)
            self = kind == "c" || kind == "B" ? .bool(v.boolValue) : .number(v.doubleValue)
        case let v as Bool: self = .bool(v)
        case let v as [Any]: self = .array(v.map(JSONValue.init))
        case let v as [String: Any]: self = .object(v.mapValues(JSONValue.init))
        default: self = .null
        }
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Back to Foundation objects, for JSONSerialization.
    public var foundation: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let d): return d.rounded() == d && abs(d) < 9e15 ? Int64(d) as Any : d
        case .string(let s): return s
        case .array(let a): return a.map(\.foundation)
        case .object(let o): return o.mapValues(\.foundation)
        }
    }
}
