import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroReport
import PrezeroTrace

/// Writes text through a temporary file renamed into place (never a half-written file).
func writeAtomically(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
}

/// Writes a report and its charts (beside the markdown), JSON and CSV.
func writeReport(runs: [RunRecord], baseline: String, output: String, json: String?, csv: String?) throws {
    let stem = ((output as NSString).lastPathComponent as NSString).deletingPathExtension
    let directory = (output as NSString).deletingLastPathComponent
    if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    let report = ComparisonReport(runs: runs, baseline: baseline, toolVersion: Prezero.version, chartPrefix: stem)
    let rendered = report.render()
    for chart in rendered.charts {
        try writeAtomically(chart.svg, to: directory.isEmpty ? chart.name : (directory as NSString).appendingPathComponent(chart.name))
    }
    try writeAtomically(rendered.markdown, to: output)
    if let json { try writeAtomically(try ResultFiles.json(runs: runs, toolVersion: Prezero.version), to: json) }
    if let csv { try writeAtomically(ResultFiles.csv(runs: runs), to: csv) }
    writeStandardError("wrote \(output) and \(rendered.charts.count) charts\(json.map { ", \($0)" } ?? "")\(csv.map { ", \($0)" } ?? "")\n")
}

/// Resolves a profile name or file.
func loadProfile(_ name: String) throws -> MachineProfile {
    if let builtin = BuiltinProfiles.named(name) { return builtin }
    if FileManager.default.fileExists(atPath: name) { return try MachineProfile.load(path: name) }
    throw ValidationError("unknown profile '\(name)'; valid: \(BuiltinProfiles.names.joined(separator: ", ")) or a TOML/JSON file")
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Replay traces under several policies and write a markdown report (with charts), JSON and CSV.",
        discussion: """
            Each trace is decoded once and fanned out to all policy replays, which run concurrently. \
            --set POLICY.KEY=VALUE sets one policy's parameter; --set profile.KEY=VALUE a profile field.
            """
    )

    @Argument(help: "Trace files.") var inputs: [String]
    @Option(help: "Comma-separated policies.") var policies: String = Policies.names.joined(separator: ",")
    @Option(help: "Policy the others are compared with.") var baseline: String = "zero-on-fault"
    @Option(help: "Built-in profile name or a TOML/JSON profile file.") var profile: String = "epyc-zen5-vm"
    @Option(name: .customLong("set"), parsing: .singleValue, help: "POLICY.KEY=VALUE or profile.KEY=VALUE.")
    var settings: [String] = []
    @Option(help: "What a fault touches: first-line, lines:N or full (default: each trace's metadata, else first-line).")
    var touch: String?
    @Flag(help: "Model the profile's sizes even when a trace's metadata describes its machine.") var ignoreCaptureMachine = false
    @Flag(help: "Make trace anomalies fatal (see 'prezero replay --help').") var strict = false
    @Flag(help: "Run the allocator invariant checker in every replay; exit 3 if any fails.") var check = false
    @Flag(help: "Simulate the profile's private L2 per CPU (see 'prezero replay --help').") var privateL2 = false
    @Option(help: "Events between two invariant checks (with --check; each check walks every page).") var checkEvery: Int = 100_000
    @Option(name: .shortAndLong, help: "Markdown report; charts are written beside it.") var output: String
    @Option(help: "Write all results as JSON.") var json: String?
    @Option(help: "Write all results as CSV, one row a run.") var csv: String?

    func run() throws {
        var names = policies.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !names.contains(baseline) { names.insert(baseline, at: 0) }
        var problems: [String] = []
        for name in names where Policies.type(named: name) == nil {
            problems.append("unknown policy '\(name)'; valid: \(Policies.names.joined(separator: ", "))")
        }
        var base = try loadProfile(profile)
        var perPolicy: [String: [(String, String)]] = [:]
        for setting in settings {
            guard let eq = setting.firstIndex(of: "="), let dot = setting[..<eq].firstIndex(of: ".") else {
                problems.append("--set '\(setting)' is not POLICY.KEY=VALUE or profile.KEY=VALUE")
                continue
            }
            let scope = String(setting[..<dot])
            let key = String(setting[setting.index(after: dot)..<eq])
            let value = String(setting[setting.index(after: eq)...])
            if scope == "profile" {
                do { try base.set(key, value) } catch { problems.append("\(error)") }
            } else if names.contains(scope) {
                perPolicy[scope, default: []].append((key, value))
            } else {
                problems.append("--set \(setting): '\(scope)' is not one of the compared policies (\(names.joined(separator: ", ")))")
            }
        }
        for input in inputs where !FileManager.default.fileExists(atPath: input) { problems.append("\(input): no such trace") }
        if let touch, TouchModel(touch) == nil { problems.append("--touch '\(touch)' must be first-line, lines:N or full") }
        for name in names where Policies.type(named: name) != nil {
            do { _ = try Policies.make(name, settings: perPolicy[name] ?? [], profile: base) } catch { problems.append("\(name): \(error)") }
        }
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }

        var runs: [RunRecord] = []
        var invariantFailures = 0
        try failingOnTraceError {
            for (index, input) in inputs.enumerated() {
                let loaded = try TraceMetadata.load(besideTrace: input)
                var options = ReplayOptions.forTrace(
                    profile: base, metadata: loaded?.0, sidecar: loaded?.1, touch: touch, useCaptureMachine: !ignoreCaptureMachine)
                if privateL2 {
                    guard options.profile.l2 != nil else { throw ValidationError("--private-l2: profile \(options.profile.name) has no l2") }
                    options.privateL2 = true
                }
                if check {
                    guard checkEvery > 0 else { throw ValidationError("--check-every must be positive") }
                    options.checkInvariants = true
                    options.checkInterval = checkEvery
                }
                let machine = options.profile
                let chosen = try names.map { try Policies.make($0, settings: perPolicy[$0] ?? [], profile: machine) }
                let progress = ProgressReporter(label: "trace \(index + 1)/\(inputs.count): \(names.count) policies on \(input)")
                let results = try Replay.runMany(
                    path: input, policies: chosen, options: Array(repeating: options, count: chosen.count), metadata: loaded?.0,
                    progress: { progress.update(done: $0, total: $1) })
                progress.finish()
                if strict, let error = results.first?.strictError() { throw error }
                for result in results {
                    if !result.invariantProblems.isEmpty {
                        writeStandardError("prezero: \(result.policy) on \(input): invariant violations: \(result.invariantProblems.prefix(3))\n")
                        invariantFailures += 1
                    } else if check {
                        writeStandardError("prezero: \(result.policy) on \(input): \(result.metrics.invariantChecks) invariant checks passed\n")
                    }
                    runs.append(try RunRecord(json: try result.jsonObject()))
                }
            }
        }
        try writeReport(runs: runs, baseline: baseline, output: output, json: json, csv: csv)
        if invariantFailures > 0 { throw ExitCode(3) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate the markdown report (and charts, JSON, CSV) from result files or directories."
    )

    @Argument(help: "Result files (`replay --json`, `compare --json`) or batch result directories.") var inputs: [String]
    @Option(help: "Policy the others are compared with.") var baseline: String = "zero-on-fault"
    @Option(name: .shortAndLong, help: "Markdown report; charts are written beside it.") var output: String
    @Option(help: "Write all results as JSON.") var json: String?
    @Option(help: "Write all results as CSV.") var csv: String?

    func run() throws {
        let runs: [RunRecord]
        do { runs = try ResultFiles.load(inputs) } catch let error as RunRecord.FormatError {
            writeStandardError("prezero: error: \(error)\n")
            throw ExitCode(2)
        }
        guard !runs.isEmpty else { throw ValidationError("no runs found in \(inputs.joined(separator: " "))") }
        try writeReport(runs: runs, baseline: baseline, output: output, json: json, csv: csv)
    }
}
