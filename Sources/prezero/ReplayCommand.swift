import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroTrace

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a trace through the allocator model under a prezeroing policy.",
        discussion: """
            Policies: \(Policies.names.joined(separator: ", ")) (prezero policies). Profiles: \
            \(BuiltinProfiles.names.joined(separator: ", ")) or a TOML/JSON file (prezero profiles). \
            --set KEY=VALUE sets a policy parameter; --set profile.KEY=VALUE a profile field. \
            Every metric is described in docs/metrics.md (prezero metrics).
            """
    )

    @Argument(help: "Trace file, or - for standard input.", completion: .file()) var input: String
    @Option(help: "Policy.") var policy: PolicyName = PolicyName("zero-on-fault")
    @OptionGroup var setup: ReplaySetupOptions
    @Option(help: "Write the LLC access stream (Dinero IV din format) to this file.", completion: .file()) var dumpCacheTrace: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try Paths.checkInput(input)
        if let dumpCacheTrace {
            try Paths.checkOutput(dumpCacheTrace, option: "--dump-cache-trace")
            try Paths.createParent(of: dumpCacheTrace)
        }
        var chosen = try setup.setup(policies: [policy.name], single: policy.name)
        chosen.cacheTracePath = dumpCacheTrace
        try failingOnSetupProblems {
            try failingOnTraceError {
                let (options, metadata) = try chosen.options(for: input)
                let replayed = try chosen.policies([policy.name], for: options)
                if let page = metadata?.pageSize, page != options.profile.pageBytes, metadata?.kernelRelease == "synthetic" {
                    writeStandardError("prezero: note: trace page size \(page) B differs from profile \(options.profile.name)'s \(options.profile.pageBytes) B\n")
                }
                let progress = ProgressReporter(label: "replaying \(input)")
                let result = try Replay.run(
                    path: input, policy: replayed[0], options: options, metadata: metadata,
                    progress: { progress.update(done: $0, total: $1) })
                progress.finish()
                if setup.strict, let error = result.strictError() { throw error }
                print(json ? try result.json() : ReplayText.render(result), terminator: "")
                if !result.invariantViolations.isEmpty {
                    writeStandardError("prezero: invariant violations:\n" + result.invariantViolations.joined(separator: "\n") + "\n")
                    throw ExitCode(3)
                }
                if let noVerdict = result.noVerdict {
                    writeStandardError("prezero: \(input): \(noVerdict)\n")
                    throw ExitCode(4)
                }
            }
        }
    }
}

/// The text form of a replay result: one line per metric of `Metric.all`.
enum ReplayText {
    static func render(_ r: RunResult) -> String {
        var out = "policy \(r.policy) on \(r.profile.name), trace \(r.trace.path) (touch \(r.trace.touch), timebase \(r.trace.timebase.rawValue)"
        out += (r.trace.privateL2 ? ", private L2" : "")
        out += r.trace.kernelInit.map { ", kernel \($0.settings) (\($0.source == "capture" ? "the capture's" : $0.source == "option" ? "--kernel-init" : "assumed"))" } ?? ""
        out += ")\n"
        if !r.parameters.isEmpty {
            out += "parameters: " + r.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        if !r.capturedMachine.isEmpty {
            out += "captured machine (from the trace: its metadata, or the CPUs its events name; --ignore-capture-machine keeps the profile's): "
            out += r.capturedMachine.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ") + "\n"
        }
        out += "\n"
        for metric in Metric.all {
            let text: String
            switch metric.access {
            case .count(let path, _): text = String(r.metrics[keyPath: path])
            case .real(let path, _):
                let v = r.metrics[keyPath: path]
                text = v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
            case .series(let path, _):
                let v = r.metrics[keyPath: path]
                text = "\(v.count) samples" + (v.last.map { $0.count > 1 ? ", last \(Int($0[1])) pages" : "" } ?? "")
            case .counts(let path):
                text = r.metrics[keyPath: path].sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            out += metric.name.padding(toLength: 40, withPad: " ", startingAt: 0) + text + "\n"
        }
        return out
    }
}
