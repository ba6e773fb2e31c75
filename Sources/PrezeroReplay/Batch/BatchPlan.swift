#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PrezeroModel
import PrezeroTrace

/// A batch plan: traces x profiles x touch models x policies with parameter sweeps.
///
/// ```toml
/// baseline = "zero-on-fault"
/// traces = ["traces/*.perf.txt.zst"]      # paths or globs
/// profiles = ["epyc-zen5-vm"]              # names or TOML/JSON files; default: host, else epyc-zen5-vm
/// touch = ["first-line", "lines:8"]       # optional; default: each trace's metadata
/// warmup = "idle:10"                       # optional; default "none" (cold start)
/// kernel_init = "alloc"                   # optional: the kernel's init_on_alloc/free (default "capture")
/// private_l2 = false                      # optional: do not simulate the profiles' private L2 (default: where one has it)
/// working_set_kib = 256                   # optional: each running task's hot set in its L2 (default: metadata, else 32 KiB)
/// working_set_reuse = "none"              # optional: "continuous" (default) or "none"
/// ignore_capture_machine = true           # optional: model the profile's sizes, not the capture's
/// [profile_set]                           # optional profile overrides
/// llc.size_bytes = 16777216
/// [[policy]]
/// name = "kscrubd-v4"
/// scrub_start = [4, 5, 6]                  # a list sweeps
/// scrub_stop = { from = 0, to = 3, step = 1 }   # so does a range
/// ```
package struct BatchPlan {
    package struct Run: Sendable {
        package var id: String
        package var trace: String
        package var profileName: String
        /// The profile, touch model and private L2 of this run (the plan's `[profile_set]` applied).
        package var setup: ReplaySetup
        package var touch: String? { setup.touch?.description }
        package var policy: String
        package var settings: [(String, String)]
    }

    package var baseline: String
    package var runs: [Run]

    package struct Problems: Error, CustomStringConvertible {
        package var list: [String]
        package var description: String { list.joined(separator: "\n") }
    }

    /// Reads and expands a plan; every problem is reported together, before anything runs.
    package static func load(path: String, toolVersion: String) throws -> BatchPlan {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problems(list: ["\(path): cannot read (\(FileCheck.reason(error)))"])
        }
        let doc: [String: ConfigValue]
        do { doc = try ConfigValue.parseTOML(text, file: path) } catch let error as ConfigError {
            throw Problems(list: [error.description])
        }
        return try expand(doc, planPath: path, toolVersion: toolVersion)
    }

    static let topKeys: Set<String> = ["baseline", "traces", "profiles", "touch", "private_l2", "working_set_kib", "working_set_reuse", "ignore_capture_machine", "policy", "profile_set", "warmup", "kernel_init"]

    package static func expand(_ doc: [String: ConfigValue], planPath: String, toolVersion: String) throws -> BatchPlan {
        var problems: [String] = []
        let base = PathNames.directory(of: planPath)
        for key in doc.keys.sorted() where !topKeys.contains(key) {
            problems.append("\(planPath): unknown key '\(key)'; valid: \(topKeys.sorted().joined(separator: ", "))")
        }
        let baseline = doc["baseline"]?.string ?? "zero-on-fault"
        if Policies.type(named: baseline) == nil { problems.append("\(planPath): baseline '\(baseline)' is not a policy") }

        // Traces: paths or globs (glob(3)), relative to the plan.
        var traces: [String] = []
        for pattern in strings(doc["traces"], "traces", planPath, &problems) {
            let full = pattern.hasPrefix("/") ? pattern : (base.isEmpty ? pattern : (base as NSString).appendingPathComponent(pattern))
            let matches = glob(full)
            if matches.isEmpty { problems.append("\(planPath): traces: '\(pattern)' matches no file") }
            traces += matches
        }
        if traces.isEmpty && doc["traces"] == nil { problems.append("\(planPath): 'traces' is missing") }

        func flag(_ key: String) -> Bool {
            guard let value = doc[key] else { return false }
            if let flag = value.bool { return flag }
            problems.append("\(planPath): \(key) must be true or false")
            return false
        }
        let privateL2 = doc["private_l2"] == nil || flag("private_l2")
        let ignoreCapture = flag("ignore_capture_machine")
        var workingSetKib: Int?
        if let value = doc["working_set_kib"] {
            if case .integer(let kib) = value { workingSetKib = kib } else { problems.append("\(planPath): working_set_kib must be an integer (KiB)") }
        }
        var workingSetReuse = WorkingSets.Reuse.continuous
        if let value = doc["working_set_reuse"] {
            if let text = value.string, let reuse = WorkingSets.Reuse(rawValue: text) { workingSetReuse = reuse } else {
                problems.append("\(planPath): working_set_reuse must be \"continuous\" or \"none\"")
            }
        }
        var warmup = Warmup.none
        if let value = doc["warmup"] {
            if let text = value.string, let parsed = Warmup(text) { warmup = parsed } else {
                problems.append("\(planPath): warmup must be \"none\" or \"idle:SECONDS\"")
            }
        }
        var kernelInit = KernelInitChoice.capture
        if let value = doc["kernel_init"] {
            if let text = value.string, let parsed = KernelInitChoice(text) { kernelInit = parsed } else {
                problems.append("\(planPath): kernel_init must be \(KernelInitChoice.expected)")
            }
        }
        let touches: [String?] = doc["touch"] == nil ? [nil] : strings(doc["touch"], "touch", planPath, &problems).map { Optional($0) }
        for case let touch? in touches where TouchModel(touch) == nil {
            problems.append("\(planPath): touch '\(touch)' must be first-line, lines:N or full")
        }

        // Profiles, with overrides, through the same setup as replay and compare.
        var setups: [(String, ReplaySetup)] = []
        let profileNames = doc["profiles"] == nil ? [HostProfile.defaultName] : strings(doc["profiles"], "profiles", planPath, &problems)
        let overrides = doc["profile_set"].map { flatten($0) } ?? []
        if let value = doc["profile_set"], value.table == nil { problems.append("\(planPath): profile_set must be a table") }
        for name in profileNames {
            do {
                var setup = ReplaySetup(profile: try ReplaySetup.loadProfile(name, relativeTo: base))
                setup.privateL2 = privateL2
                setup.workingSetKib = workingSetKib
                setup.workingSetReuse = workingSetReuse
                setup.useCaptureMachine = !ignoreCapture
                setup.warmup = warmup
                setup.kernelInit = kernelInit
                try setup.apply(settings: overrides.map { "profile.\($0.0)=\($0.1)" }, policies: [])
                setups.append((name, setup))
            } catch let error as ReplaySetup.Problems {
                problems += error.list.map { "\(planPath): profiles: \(name): \($0)" }
            }
        }

        // Policies and their sweeps.
        var policyPoints: [(String, [(String, String)])] = []
        let policyTables = doc["policy"]?.array ?? []
        if policyTables.isEmpty { problems.append("\(planPath): no [[policy]] tables") }
        for (index, value) in policyTables.enumerated() {
            guard let table = value.table, let name = table["name"]?.string else {
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
                    _ = try Policies.make(type.name, settings: point, profile: setups.first?.1.profile ?? BuiltinProfiles.epycZen5VM)
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
            for (profileName, setup) in setups {
                let profileJSON = canonicalJSON(setup.profile)
                for touch in touches {
                    var runSetup = setup
                    runSetup.touch = touch.flatMap(TouchModel.init)
                    for (policy, settings) in policyPoints {
                        var options = ""
                        if privateL2 && setup.profile.l2 != nil { options += "\u{1}private-l2" }
                        if ignoreCapture { options += "\u{1}ignore-capture" }
                        if warmup != .none { options += "\u{1}warmup-\(warmup)" }
                        if kernelInit != .capture { options += "\u{1}kernel-init-\(kernelInit)" }
                        if let kib = workingSetKib { options += "\u{1}working-set-\(kib)" }
                        if workingSetReuse != .continuous { options += "\u{1}reuse-none" }
                        // v3: a trace's machine may now come from its binary header or the CPUs its
                        // events name, so a v2 result may be another machine's: resumed runs redo it.
                        // v4: the capture's kernel init_on_alloc / init_on_free hold under every policy.
                        // v5: results carry the capture's kernel counters beside the trace's figures.
                        // v6: shmem's huge folios are no THP zero-fill faults (HugeFolioMarks).
                        // v7: nor are THPs freed unmapped (a shmem fault's lost race, a refusal).
                        let key = [
                            "prezero-batch-v7", toolVersion, trace, fingerprint, profileJSON, touch ?? "metadata", policy,
                            settings.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ";"),
                        ].joined(separator: "\u{1}") + options
                        runs.append(Run(id: hash(key), trace: trace, profileName: profileName, setup: runSetup, policy: policy, settings: settings))
                    }
                }
            }
        }
        runs.sort { $0.id < $1.id }
        return BatchPlan(baseline: baseline, runs: runs)
    }

    /// Runs of shard `k` (1-based) of `n`: every n-th run, so the shards partition the plan.
    package func shard(_ k: Int, of n: Int) -> [Run] {
        runs.enumerated().filter { $0.offset % n == k - 1 }.map(\.element)
    }

    // MARK: Helpers

    static func strings(_ value: ConfigValue?, _ key: String, _ plan: String, _ problems: inout [String]) -> [String] {
        guard let value else { return [] }
        if let s = value.string { return [s] }
        if let list = value.array {
            let strings = list.compactMap(\.string)
            if strings.count != list.count { problems.append("\(plan): \(key) must hold strings") }
            return strings
        }
        problems.append("\(plan): \(key) must be a string or a list of strings")
        return []
    }

    enum SweepResult {
        case success([String])
        case failure(String)
    }

    /// A scalar, a list (sweep), or `{ from, to, step }` (inclusive range).
    static func sweepValues(_ value: ConfigValue?) -> SweepResult {
        if let range = value?.table {
            guard let from = range["from"]?.number, let to = range["to"]?.number, let step = range["step"]?.number,
                step > 0, to >= from, (to - from) / step <= 1000
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
        if let list = value?.array {
            let values = list.compactMap(\.scalarText)
            guard values.count == list.count, !values.isEmpty else { return .failure("a sweep list must hold numbers, strings or booleans") }
            return .success(values)
        }
        if let v = value?.scalarText { return .success([v]) }
        return .failure("must be a value, a list (sweep) or { from, to, step }")
    }

    static func crossProduct(_ axes: [(String, [String])]) -> [[(String, String)]] {
        var points: [[(String, String)]] = [[]]
        for (key, values) in axes {
            points = points.flatMap { point in values.map { point + [(key, $0)] } }
        }
        return points
    }

    static func flatten(_ value: ConfigValue, prefix: String = "") -> [(String, String)] {
        guard let table = value.table else { return value.scalarText.map { [(prefix, $0)] } ?? [] }
        return table.keys.sorted().flatMap { key -> [(String, String)] in
            flatten(table[key] ?? .null, prefix: prefix.isEmpty ? key : prefix + "." + key)
        }
    }

    /// Paths matching a shell pattern (`*`, `?`, `[...]`), sorted, through glob(3).
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let cString = result.gl_pathv[i] { paths.append(String(cString: cString)) }
        }
        return paths.sorted()
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
