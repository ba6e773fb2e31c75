import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the machine profiles (this machine's, when calibrated, and the built-ins), or show one with every parameter and its source."
    )

    @Argument(help: "Profile to show (default: list them).", completion: .list([HostProfile.name] + BuiltinProfiles.names)) var name: String?
    @Flag(help: "Print the profile as JSON (a format --profile FILE reads).") var json = false
    @Flag(help: "Print the profile as TOML (a format --profile FILE reads).") var toml = false

    func run() throws {
        guard let name else {
            if let host = try HostProfile.load() {
                print(host.name.padding(toLength: 16, withPad: " ", startingAt: 0) + host.description + " (\(HostProfile.path); the default)")
            } else {
                writeStandardError("host: not calibrated; run prezero calibrate to measure this machine (until then the default is epyc-zen5-vm)\n")
            }
            for profile in BuiltinProfiles.all { print(profile.name.padding(toLength: 16, withPad: " ", startingAt: 0) + profile.description) }
            return
        }
        let found = name == HostProfile.name ? try HostProfile.load() : BuiltinProfiles.named(name)
        guard let profile = found else {
            throw ValidationError(name == HostProfile.name
                ? "this machine has no calibrated profile at \(HostProfile.path): run prezero calibrate"
                : "unknown profile '\(name)'; valid: \(([HostProfile.name] + BuiltinProfiles.names).joined(separator: ", "))")
        }
        if toml {
            print("# prezero machine profile: edit and pass with --profile FILE.toml\n" + (try profile.tomlText()), terminator: "")
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(profile), as: UTF8.self))
            return
        }
        print(ProfileTable.markdown(profile), terminator: "")
    }
}

/// A profile as a markdown table: parameter, value with unit, source.
enum ProfileTable {
    static func markdown(_ p: MachineProfile) -> String {
        func clear(_ c: ClearCost) -> String {
            c.points.map { "\($0.extentBytes >= 1 << 20 ? "\($0.extentBytes >> 20) MiB" : $0.extentBytes >= 1024 ? "\($0.extentBytes >> 10) KiB" : "\($0.extentBytes) B")+: \(fmt($0.bytesPerNs)) B/ns" }
                .joined(separator: "; ") + (c.setupNs > 0 ? "; setup \(fmt(c.setupNs)) ns" : "")
        }
        let rows: [(String, String)] = [
            ("page_bytes", "\(p.pageBytes) B"), ("line_bytes", "\(p.lineBytes) B"),
            ("memory_bytes", "\(p.memoryBytes >> 20) MiB"), ("nodes", "\(p.nodes)"), ("cpus", "\(p.cpus)"),
            ("max_order", "\(p.maxOrder)"), ("pcp_batch", "\(p.pcpBatch) pages"), ("pcp_high", "\(p.pcpHigh) pages"),
            ("initially_free_fraction", fmt(p.initiallyFreeFraction)),
            ("fault_base_ns", "\(fmt(p.faultBaseNs)) ns"), ("fault_per_extra_page_ns", "\(fmt(p.faultPerExtraPageNs)) ns"),
            ("line_hit_ns", "\(fmt(p.lineHitNs)) ns"),
            ("llc_hit_ns", p.llcHitNs.map { "\(fmt($0)) ns (an L2 miss that hits the LLC)" } ?? "- (line_hit_ns)"),
            ("line_miss_ns", "\(fmt(p.lineMissNs)) ns"),
            ("line_miss_stream_ns", "\(fmt(p.lineMissStreamNs)) ns"), ("free_path_ns", "\(fmt(p.freePathNs)) ns"),
            ("clear_cached", clear(p.clearCached)), ("clear_non_temporal", clear(p.clearNonTemporal)),
            ("llc", "\(p.llc.sizeBytes >> 10) KiB, \(p.llc.ways)-way, \(p.llc.lineBytes) B lines"),
            ("l2", p.l2.map { "\($0.sizeBytes >> 10) KiB, \($0.ways)-way, per CPU (simulated unless --no-private-l2)" } ?? "-"),
        ] + (p.engines.isEmpty ? [("engines", "none")] : []) + p.engines.map { e in
            ("engines.\(e.kind)", "\(e.minBytes) B .. \(e.maxBytes >> 20) MiB, \(fmt(e.bytesPerNs)) B/ns, setup \(fmt(e.setupNs)) ns, completion \(fmt(e.completionNs)) ns, \(e.perNode) per node")
        }
        var out = "### \(p.name)\n\n\(p.description)\n\n| parameter | value | source |\n|---|---|---|\n"
        for (key, value) in rows { out += "| `\(key)` | \(value) | \(p.sources[key] ?? "-") |\n" }
        let ranged = MachineProfile.uncertainParameters.compactMap { key in p.range(of: key).map { (key, $0) } }
        if !ranged.isEmpty {
            out += "\nUncertain parameters: the range `compare` varies each over for a verdict's range (docs/model.md).\n\n"
            out += "| parameter | low | high | source |\n|---|---|---|---|\n"
            for (key, r) in ranged { out += "| `\(key)` | \(fmt(r.low)) ns | \(fmt(r.high)) ns | \(r.source) |\n" }
        }
        return out + "\n"
    }

    static func fmt(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.3f", v)
    }
}

struct PoliciesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies",
        abstract: "List the prezeroing policies with their parameters, defaults and sources."
    )

    func run() throws {
        print(PolicyTable.markdown(), terminator: "")
    }
}

enum PolicyTable {
    static func markdown() -> String {
        var out = ""
        for type in Policies.registry { out += section(type) }
        return out
    }

    private static func section<P: PrezeroPolicy>(_ type: P.Type) -> String {
        var out = "### \(P.name)\n\n\(P.summary)\n\n"
        let defaults = P.Parameters().asStrings
        if defaults.isEmpty { return out + "No parameters.\n\n" }
        out += "| parameter | default | unit | valid range | meaning and source |\n|---|---|---|---|---|\n"
        for key in defaults.keys.sorted() {
            let spec = P.Parameters.documentation[key]
            out += "| `\(key)` | \(defaults[key] ?? "") | \(spec?.unit ?? "-") | \(spec?.range?.rangeText ?? "-") | \(spec?.meaning ?? "-") |\n"
        }
        return out + "\n"
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "List every metric a replay result carries: JSON key (= CSV column), unit, meaning, how it is computed.",
        discussion: "docs/metrics.md is this command's --markdown output."
    )

    @Flag(help: "Print the markdown table of docs/metrics.md.") var markdown = false

    func run() throws {
        if markdown {
            var out = "# Metrics\n\nEvery metric of a replay result, from the one table that declares them (`Metric.all` in "
            out += "`Sources/PrezeroReplay/Results/Metric.swift`). The name is the JSON key under `metrics`, the CSV column "
            out += "and the label in `prezero replay`'s text output. Generated by `prezero metrics --markdown`.\n\n"
            out += "| metric | unit | meaning | how it is computed |\n|---|---|---|---|\n"
            for metric in Metric.all { out += "| `\(metric.name)` | \(metric.unit) | \(metric.meaning) | \(metric.how) |\n" }
            print(out, terminator: "")
        } else {
            for metric in Metric.all {
                print(metric.name.padding(toLength: 40, withPad: " ", startingAt: 0) + metric.unit.padding(toLength: 14, withPad: " ", startingAt: 0) + metric.meaning)
            }
        }
    }
}
