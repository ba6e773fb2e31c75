import Foundation
import PrezeroModel
import PrezeroTrace

/// A batch plan: traces x profiles x touch models x policies with parameter sweeps.
///
/// ```toml
/// baseline = "zero-on-fault"
/// traces = ["traces/*.perf.txt.zst"]      # paths or globs
/// profiles = ["epyc-zen5-vm"]              # names or TOML/JSON files
/// touch = ["first-line", "lines:8"]       # optional; default: each trace's metadata
/// private_l2 = true                       # optional: simulate each profile's private L2
/// [profile_set]                           # optional profile overrides
/// llc.size_bytes = 16777216
/// [[policy]]
/// name = "kscrubd-v4"
/// scrub_start = [4, 5, 6]                  # a list sweeps
/// scrub_stop = { from = 0, to = 3, step = 1 }   # so does a range
/// ```
public struct BatchPlan {
    public struct Run: Sendable {
        public var id: String
        public var trace: String
        public var profileName: String
        public var profile: MachineProfile
        public var touch: String?
        public var privateL2: Bool
        public var policy: String
        public var settings: [(String, String)]
    }

    public var baseline: String
    public var runs: [Run]

    public struct Problems: Error, CustomStringConvertible {
        public var list: [String]
        public var description: String { list.joined(separator: "\n") }
    }

    /// Reads and expands a plan; every problem is reported together, before anything runs.
    public static func load(path: String, toolVersion: String) throws -> BatchPlan {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problems(list: ["\(path): cannot read: \(error.localizedDescription)"])
        }
        let doc: [String: Any]
        do { doc = try TOML.parse(text) } catch let error as TOMLError {
            throw Problems(list: ["\(path):\(error.line): \(error.message)"])
        }
        return try expand(doc, planPath: path, toolVersion: toolVersion)
    }

    static let topKeys: Set<String> = ["baseline", "traces", "profiles", "touch", "private_l2", "policy", "profile_set"]

    public static func expand(_ doc: [String: Any], planPath: String, toolVersion: String) throws -> BatchPlan {
        var problems: [String] = []
        let base = (planPath as NSString).deletingLastPathComponent
        for key in doc.keys.sorted() where !topKeys.contains(key) {
            problems.append("\(planPath): unknown key '\(key)'; valid: \(topKeys.sorted().joined(separator: ", "))")
        }
        let baseline = doc["baseline"] as? String ?? "zero-on-fault"
        if Policies.type(named: baseline) == nil { problems.append("\(planPath): baseline '\(baseline)' is not a policy") }

        // Traces: paths or globs, relative to the plan.
        var traces: [String] = []
        for pattern in strings(doc["traces"], "traces", planPath, &problems) {
            let full = pattern.hasPrefix("/") ? pattern : (base.isEmpty ? pattern : (base as NSString).appendingPathComponent(pattern))
            let matches = glob(full)
            if matches.isEmpty { problems.append("\(planPath): traces: '\(pattern)' matches no file") }
            traces += matches
        }
        if traces.isEmpty && doc["traces"] == nil { problems.append("\(planPath): 'traces' is missing") }

        // Profiles, with overrides.
        var profiles: [(String, MachineProfile)] = []
        let profileNames = doc["profiles"] == nil ? ["epyc-zen5-vm"] : strings(doc["profiles"], "profiles", planPath, &problems)
        for name in profileNames {
            if let builtin = BuiltinProfiles.named(name) {
                profiles.append((name, builtin))
            } else {
                let file = name.hasPrefix("/") ? name : (base as NSString).appendingPathComponent(name)
                if !FileManager.default.fileExists(atPath: file) {
                    problems.append("\(planPath): profiles: '\(name)' is neither a built-in (\(BuiltinProfiles.names.joined(separator: ", "))) nor a file")
                } else {
                    do { profiles.append((name, try MachineProfile.load(path: file))) } catch {
                        problems.append("\(planPath): profiles: \(error)")
                    }
                }
            }
        }
        if let overrides = doc["profile_set"] as? [String: Any] {
            for (key, value) in flatten(overrides) {
                for i in profiles.indices {
                    do { try profiles[i].1.set(key, "\(value)") } catch { problems.append("\(planPath): profile_set: \(error)") }
                }
            }
        }
        for (name, profile) in profiles {
            for problem in profile.validationErrors() { problems.append("\(planPath): profile \(name): \(problem)") }
        }

        let touches: [String?] = doc["touch"] == nil ? [nil] : strings(doc["touch"], "touch", planPath, &problems).map { Optional($0) }
        for case let touch? in touches where !isTouch(touch) {
            problems.append("\(planPath): touch '\(touch)' must be first-line, lines:N or full")
        }

        var privateL2 = false
        if let value = doc["private_l2"] {
            if let flag = value as? Bool { privateL2 = flag } else { problems.append("\(planPath): private_l2 must be true or false") }
        }
        if privateL2 {
            for (name, profile) in profiles where profile.l2 == nil {
                problems.append("\(planPath): private_l2: profile \(name) has no l2")
            }
        }

        // Policies and their sweeps.
        var policyPoints: [(String, [(String, String)])] = []
        let policyTables = doc["policy"] as? [[String: Any]] ?? []
        if policyTables.isEmpty { problems.append("\(planPath): no [[policy]] tables") }
        for (index, table) in policyTables.enumerated() {
            guard let name = table["name"] as? String else {
                problems.append("\(planPath): policy \(index + 1) has no name")
                continue
            }
            guard let type = Policies.type(named: name) else {
                problems.append("\(planPath): policy \(index + 1): unknown policy '\(name)'; valid: \(Policies.names.joined(separator: ", "))")
                continue
            }
            var axes: [(String, [String])] = []
            for key in table.keys.sorted() where key != "name" {
                switch sweepValues(table[key]) {
                case .success(let values): axes.append((key, values))
                case .failure(let message): problems.append("\(planPath): policy \(name): \(key): \(message)")
                }
            }
            for point in crossProduct(axes) {
                do {
                    _ = try Policies.make(type.name, settings: point, profile: profiles.first?.1 ?? BuiltinProfiles.epycZen5VM)
                    policyPoints.append((name, point))
                } catch {
                    problems.append("\(planPath): policy \(name): \(error)")
                    break
                }
            }
        }
        if !policyPoints.contains(where: { $0.0 == baseline }) && Policies.type(named: baseline) != nil {
            policyPoints.insert((baseline, []), at: 0)
        }
        guard problems.isEmpty else { throw Problems(list: problems) }

        var runs: [Run] = []
        for trace in traces {
            let fingerprint = fileFingerprint(trace)
            for (profileName, profile) in profiles {
                let profileJSON = canonicalJSON(profile)
                for touch in touches {
                    for (policy, settings) in policyPoints {
                        let key = [
                            "prezero-batch-v1", toolVersion, trace, fingerprint, profileJSON, touch ?? "metadata", policy,
                            settings.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ";"),
                        ].joined(separator: "\u{1}") + (privateL2 ? "\u{1}private-l2" : "")
                        runs.append(
                            Run(id: hash(key), trace: trace, profileName: profileName, profile: profile, touch: touch,
                                privateL2: privateL2, policy: policy, settings: settings))
                    }
                }
            }
        }
        runs.sort { $0.id < $1.id }
        return BatchPlan(baseline: baseline, runs: runs)
    }

    /// Runs of shard `k` (1-based) of `n`: every n-th run, so the shards partition the plan.
    public func shard(_ k: Int, of n: Int) -> [Run] {
        runs.enumerated().filter { $0.offset % n == k - 1 }.map(\.element)
    }

    // MARK: Helpers

    static func isTouch(_ text: String) -> Bool {
        text == "first-line" || text == "full" || (text.hasPrefix("lines:") && (Int(text.dropFirst(6)) ?? 0) >= 1)
    }

    static func strings(_ value: Any?, _ key: String, _ plan: String, _ problems: inout [String]) -> [String] {
        if let s = value as? String { return [s] }
        if let list = value as? [Any] {
            let strings = list.compactMap { $0 as? String }
            if strings.count != list.count { problems.append("\(plan): \(key) must hold strings") }
            return strings
        }
        if value != nil { problems.append("\(plan): \(key) must be a string or a list of strings") }
        return []
    }

    enum SweepResult {
        case success([String])
        case failure(String)
    }

    /// A scalar, a list (sweep), or `{ from, to, step }` (inclusive range).
    static func sweepValues(_ value: Any?) -> SweepResult {
        func text(_ v: Any) -> String? {
            if let s = v as? String { return s }
            if let n = v as? NSNumber { return "\(n)" }
            if let b = v as? Bool { return b ? "true" : "false" }
            return nil
        }
        if let range = value as? [String: Any] {
            guard let from = (range["from"] as? NSNumber)?.doubleValue, let to = (range["to"] as? NSNumber)?.doubleValue,
                let step = (range["step"] as? NSNumber)?.doubleValue, step > 0, to >= from, (to - from) / step <= 1000
            else { return .failure("a range needs numeric from <= to and step > 0 (at most 1000 points)") }
            let integral = [from, to, step].allSatisfy { $0.rounded() == $0 }
            var values: [String] = []
            var i = 0.0
            while from + i * step <= to + step * 1e-9 {
                let v = from + i * step
                values.append(integral ? String(Int(v.rounded())) : String(format: "%.10g", v))
                i += 1
            }
            return .success(values)
        }
        if let list = value as? [Any] {
            // A list of strings may be one value of a list parameter (drivers): sweep only scalars.
            let values = list.compactMap(text)
            guard values.count == list.count, !values.isEmpty else { return .failure("a sweep list must hold numbers, strings or booleans") }
            return .success(values)
        }
        if let v = value.flatMap(text) { return .success([v]) }
        return .failure("must be a value, a list (sweep) or { from, to, step }")
    }

    static func crossProduct(_ axes: [(String, [String])]) -> [[(String, String)]] {
        var points: [[(String, String)]] = [[]]
        for (key, values) in axes {
            points = points.flatMap { point in values.map { point + [(key, $0)] } }
        }
        return points
    }

    static func flatten(_ table: [String: Any], prefix: String = "") -> [(String, Any)] {
        table.keys.sorted().flatMap { key -> [(String, Any)] in
            let full = prefix.isEmpty ? key : prefix + "." + key
            if let nested = table[key] as? [String: Any] { return flatten(nested, prefix: full) }
            return [(full, table[key] ?? "")]
        }
    }

    static func glob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            return FileManager.default.fileExists(atPath: pattern) ? [pattern] : []
        }
        let directory = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.filter { fnmatch(namePattern, $0) }.sorted().map {
            directory.isEmpty ? $0 : (directory as NSString).appendingPathComponent($0)
        }
    }

    /// `*` and `?` wildcards.
    static func fnmatch(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern)
        let n = Array(name)
        var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: n.count + 1), count: p.count + 1)
        func match(_ i: Int, _ j: Int) -> Bool {
            if let m = memo[i][j] { return m }
            let result: Bool
            if i == p.count {
                result = j == n.count
            } else if p[i] == "*" {
                result = match(i + 1, j) || (j < n.count && match(i, j + 1))
            } else {
                result = j < n.count && (p[i] == "?" || p[i] == n[j]) && match(i + 1, j + 1)
            }
            memo[i][j] = result
            return result
        }
        return match(0, 0)
    }

    static func fileFingerprint(_ path: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(size)@\(Int64(mtime))"
    }

    static func canonicalJSON(_ profile: MachineProfile) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(profile)).map { String(decoding: $0, as: UTF8.self) } ?? profile.name
    }

    /// FNV-1a 64, hex: the run's file name.
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
