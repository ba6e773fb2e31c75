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
            Policies: \(Policies.names.joined(separator: ", ")). Profiles: \(BuiltinProfiles.names.joined(separator: ", ")), \
            or a JSON file. --set KEY=VALUE sets a policy parameter; --set profile.KEY=VALUE a profile field.
            """
    )

    @Argument(help: "Trace file, or - for standard input.") var input: String
    @Option(help: "Policy name.") var policy: String = "zero-on-fault"
    @Option(help: "Built-in profile name or a profile JSON file.") var profile: String = "epyc-zen5-vm"
    @Option(name: .customLong("set"), parsing: .singleValue, help: "KEY=VALUE policy parameter, or profile.KEY=VALUE.")
    var settings: [String] = []
    @Option(help: "What a fault touches: first-line, lines:N or full (default: the trace's metadata, else first-line).")
    var touch: String?
    @Option(help: "Time from the trace's timestamps (trace) or from modelled costs (model). Default: the metadata's, else trace.")
    var timebase: String?
    @Option(help: "Share of each CPU idle when the trace has no sched_switch events (0...1).") var idleFraction: Double = 0
    @Flag(help: "Run the allocator invariant checker during the replay.") var check = false
    @Option(help: "Events between two invariant checks (with --check; each check walks every page).") var checkEvery: Int = 100_000
    @Flag(help: "Start with the policy's pool empty instead of letting its scrubber finish first.") var coldStart = false
    @Option(help: "Write the LLC access stream (Dinero IV din format) to this file.") var dumpCacheTrace: String?
    @Flag(help: "Simulate the profile's private L2 per CPU: LLC hits outside the CPU's L2 cost llc_hit_ns; cached clears fill the clearing CPU's L2.")
    var privateL2 = false
    @Flag(help: "Model the profile's memory, nodes and CPUs even when the trace's metadata describes the captured machine.")
    var ignoreCaptureMachine = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Make trace anomalies fatal (malformed or mixed lines, timestamps going backwards, CPUs beyond the machine's, orders above its max, second allocations of a live pfn).")
    var strict = false

    func run() throws {
        do {
            try failingOnTraceError {
                try runChecked()
            }
        } catch let error as PolicyError {
            throw ValidationError(error.description)
        } catch let error as ProfileError {
            throw ValidationError(error.description)
        }
    }

    private func runChecked() throws {
        var machine: MachineProfile
        if let builtin = BuiltinProfiles.named(profile) {
            machine = builtin
        } else if FileManager.default.fileExists(atPath: profile) {
            machine = try MachineProfile.load(path: profile)
        } else {
            throw ValidationError("unknown profile '\(profile)'; valid: \(BuiltinProfiles.names.joined(separator: ", ")) or a JSON file")
        }
        var policySettings: [(String, String)] = []
        for setting in settings {
            guard let eq = setting.firstIndex(of: "=") else { throw ValidationError("--set '\(setting)' is not KEY=VALUE") }
            let key = String(setting[..<eq])
            let value = String(setting[setting.index(after: eq)...])
            if key.hasPrefix("profile.") {
                try machine.set(String(key.dropFirst(8)), value)
            } else {
                policySettings.append((key, value))
            }
        }
        let loaded = try TraceMetadata.load(besideTrace: input)
        let meta = loaded?.0
        if let touch, TouchModel(touch) == nil {
            throw ValidationError("--touch '\(touch)' must be first-line, lines:N or full")
        }
        var options = ReplayOptions.forTrace(
            profile: machine, metadata: meta, sidecar: loaded?.1, touch: touch, useCaptureMachine: !ignoreCaptureMachine)
        machine = options.profile
        let chosen = try Policies.make(policy, settings: policySettings, profile: machine)
        if let page = meta?.pageSize, page != machine.pageBytes, meta?.kernelRelease == "synthetic" {
            writeStandardError("prezero: note: trace page size \(page) B differs from profile \(machine.name)'s \(machine.pageBytes) B\n")
        }
        if let timebase {
            guard let base = Timebase(rawValue: timebase) else { throw ValidationError("--timebase must be trace or model") }
            options.timebase = base
        }
        guard (0...1).contains(idleFraction) else { throw ValidationError("--idle-fraction must be within 0...1") }
        options.idleFraction = idleFraction
        if check {
            guard checkEvery > 0 else { throw ValidationError("--check-every must be positive") }
            options.checkInvariants = true
            options.checkInterval = checkEvery
        }
        options.warmStart = !coldStart
        options.cacheTracePath = dumpCacheTrace
        if privateL2 {
            guard machine.l2 != nil else { throw ValidationError("--private-l2: profile \(machine.name) has no l2") }
            options.privateL2 = true
        }

        let progress = ProgressReporter(label: "replaying \(input)")
        let result = try Replay.run(
            path: input, policy: chosen, options: options, metadata: meta,
            progress: { progress.update(done: $0, total: $1) })
        progress.finish()
        if strict, let error = result.strictError() { throw error }
        print(json ? try result.json() : ReplayText.render(result), terminator: "")
        if !result.invariantProblems.isEmpty {
            writeStandardError("prezero: invariant violations:\n" + result.invariantProblems.joined(separator: "\n") + "\n")
            throw ExitCode(3)
        }
    }
}

/// The text form of a replay result.
enum ReplayText {
    static func render(_ r: ReplayResult) -> String {
        var out = "policy \(r.policy) on \(r.profile.name), trace \(r.trace) (touch \(r.touch), timebase \(r.timebase.rawValue)\(r.privateL2 ? ", private L2" : ""))\n"
        if !r.parameters.isEmpty {
            out += "parameters: " + r.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        out += "\n"
        for (name, value) in r.metrics.named() {
            let text: String
            switch value {
            case .int(let v): text = String(v)
            case .double(let v): text = v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
            case .samples(let v): text = "\(v.count) samples" + (v.last.map { ", last \(Int($0[1])) pages" } ?? "")
            case .map(let v): text = v.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            out += name.padding(toLength: 40, withPad: " ", startingAt: 0) + text + "\n"
        }
        return out
    }
}
