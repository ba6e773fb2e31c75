import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroReport
import PrezeroTrace

/// The report's outputs checked before any work: the markdown (charts go beside it), JSON, CSV.
func checkReportOutputs(output: String, json: String?, csv: String?) throws {
    try Paths.checkOutput(output, option: "-o")
    if let json { try Paths.checkOutput(json, option: "--json") }
    if let csv { try Paths.checkOutput(csv, option: "--csv") }
    let distinct = Set([output, json, csv].compactMap { $0 })
    guard distinct.count == [output, json, csv].compactMap({ $0 }).count else {
        throw ValidationError("-o, --json and --csv must name different files")
    }
}

/// Exit 4 when no trace of the run supports a verdict (each is said on stderr).
func exitWhenNothingJudged(_ runs: [RunResult]) throws {
    guard !runs.isEmpty, runs.allSatisfy({ $0.noVerdict != nil }) else { return }
    var said = Set<String>()
    for run in runs where said.insert(run.trace.path).inserted {
        writeStandardError("prezero: \(run.trace.path): \(run.noVerdict ?? "")\n")
    }
    throw ExitCode(4)
}

/// Writes a report and its charts (beside the markdown), JSON and CSV, all or none.
func writeReport(runs: [RunResult], baseline: String, output: String, json: String?, csv: String?) throws {
    let stem = ((output as NSString).lastPathComponent as NSString).deletingPathExtension
    let directory = PathNames.directory(of: output)
    let rendered = ComparisonReport(runs: runs, baseline: baseline, toolVersion: Prezero.version, chartPrefix: stem).render()
    var outputs = OutputSet()
    for chart in rendered.charts {
        outputs.add(directory.isEmpty ? chart.name : (directory as NSString).appendingPathComponent(chart.name), chart.svg)
    }
    outputs.add(output, rendered.markdown)
    if let json { outputs.add(json, try ResultFiles.json(runs: runs, toolVersion: Prezero.version)) }
    if let csv { outputs.add(csv, ResultFiles.csv(runs: runs)) }
    do { try outputs.commit() } catch let error as OutputSet.OutputError {
        writeStandardError("prezero: error: \(error)\n")
        throw ExitCode(1)
    }
    writeStandardError("wrote \(output) and \(rendered.charts.count) charts\(json.map { ", \($0)" } ?? "")\(csv.map { ", \($0)" } ?? "")\n")
}

/// An option that is on or off.
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Replay traces under several policies and write a markdown report (with charts), JSON and CSV.",
        discussion: """
            Each trace is decoded once and fanned out to all policy replays, which run concurrently. \
            --set POLICY.KEY=VALUE sets one policy's parameter; --set profile.KEY=VALUE a profile field. \
            The report, charts, JSON and CSV are written together at the end, or none of them.
            """
    )

    @Argument(help: "Trace files; - reads one trace from standard input.", completion: .file()) var inputs: [String]
    @Option(help: "Comma-separated policies.") var policies: String = Policies.names.joined(separator: ",")
    @Option(help: "Policy the others are compared with.") var baseline: PolicyName = PolicyName("zero-on-fault")
    @OptionGroup var setup: ReplaySetupOptions
    @Option(
        help: """
            Replay every policy at each of these touch densities (comma-separated: first-line, lines:N, \
            full), from the same decode; the report gives each verdict at each density and flags those \
            whose sign depends on it. Not with --touch.
            """)
    var touchRange: String?
    @Option(
        help: ArgumentHelp("""
            on: each verdict's range over the uncertain inputs (touch density, start state, cached clear cost, \
            line miss and LLC hit costs: the profile's ranges), with its break-even touch density; the extra \
            replays run from the same decode. off: the nominal replays only. Off with --touch-range.
            """, valueName: "on|off"))
    var sensitivity: Switch = .on
    @Option(name: .shortAndLong, help: "Markdown report; charts are written beside it.", completion: .file(extensions: ["md"])) var output: String
    @Option(help: "Write all results as JSON.", completion: .file(extensions: ["json"])) var json: String?
    @Option(help: "Write all results as CSV, one row a run.", completion: .file(extensions: ["csv"])) var csv: String?

    /// The densities of --touch-range, or [nil]: each trace's own.
    func touches() throws -> [TouchModel?] {
        guard let touchRange else { return [nil] }
        if setup.touch != nil { throw ValidationError("--touch-range replays several densities; give it or --touch, not both") }
        var touches: [TouchModel?] = []
        for text in touchRange.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let touch = TouchModel(text) else {
                throw ValidationError("--touch-range: '\(text)' is not a touch density (\(TouchModel.expected))")
            }
            if !touches.contains(touch) { touches.append(touch) }
        }
        guard touches.count > 1 else { throw ValidationError("--touch-range needs at least two densities, e.g. first-line,full") }
        return touches
    }

    func run() throws {
        var names = policies.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !names.contains(baseline.name) { names.insert(baseline.name, at: 0) }
        guard !inputs.isEmpty else { throw ValidationError("give at least one trace") }
        if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        for input in inputs { try Paths.checkInput(input) }
        try checkReportOutputs(output: output, json: json, csv: csv)
        let densities = try touches()
        let chosen = try setup.setup(policies: names)

        var runs: [RunResult] = []
        var invariantFailures = 0
        try failingOnSetupProblems {
            try failingOnTraceError {
                for (index, input) in inputs.enumerated() {
                    let (traceOptions, metadata) = try chosen.options(for: input)
                    // Every policy at every density, all from one decode of the trace.
                    var replayed: [any PrezeroPolicy] = []
                    var options: [ReplayOptions] = []
                    for touch in densities {
                        var variant = traceOptions
                        if let touch {
                            try ReplaySetup.check(touch: touch, profile: variant.profile)
                            variant.touch = touch
                            variant.touchSource = .option
                        }
                        let policies = try chosen.policies(names, for: variant)
                        replayed += policies
                        options += Array(repeating: variant, count: policies.count)
                    }
                    // The verdicts' ranges: extra replays of the same decode (not with --touch-range).
                    let nominalCount = replayed.count
                    let variants = sensitivity == .on && densities.count == 1
                        ? Sensitivity.variants(policies: replayed, options: traceOptions) : []
                    let placement = Sensitivity.Placement(variants, nominalPolicies: replayed.map { type(of: $0).name }, options: &options)
                    for variant in placement.alone {
                        replayed += try chosen.policies([variant.policy], for: variant.options)
                        options.append(variant.options)
                    }
                    var what = densities.count > 1 ? "\(names.count) policies x \(densities.count) densities" : "\(names.count) policies"
                    if !variants.isEmpty {
                        what += " + \(variants.count) for the verdicts' ranges"
                        if placement.inNominalRuns > 0 { what += " (\(placement.inNominalRuns) inside the nominal replays)" }
                    }
                    let progress = ProgressReporter(label: "trace \(index + 1)/\(inputs.count): \(what) on \(input)")
                    let results = try Replay.runMany(
                        path: input, policies: replayed, options: options, metadata: metadata,
                        progress: { progress.update(done: $0, total: $1) })
                    progress.finish()
                    if setup.strict, let error = results.first?.strictError() { throw error }
                    var nominal = Array(results.prefix(nominalCount))
                    if !variants.isEmpty {
                        Sensitivity.attach(
                            to: &nominal,
                            variants: placement.results(results, nominalCount: nominalCount),
                            baseline: baseline.name,
                            options: traceOptions)
                    }
                    for result in nominal {
                        if !result.invariantViolations.isEmpty {
                            writeStandardError("prezero: \(result.policy) on \(input): invariant violations: \(result.invariantViolations.prefix(3))\n")
                            invariantFailures += 1
                        } else if setup.check {
                            writeStandardError("prezero: \(result.policy) on \(input): \(result.metrics.invariantChecks) invariant checks passed\n")
                        }
                        runs.append(result)
                    }
                }
            }
        }
        try writeReport(runs: runs, baseline: baseline.name, output: output, json: json, csv: csv)
        if invariantFailures > 0 { throw ExitCode(3) }
        try exitWhenNothingJudged(runs)
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate the markdown report (and charts, JSON, CSV) from result files or directories."
    )

    @Argument(help: "Result files (`replay --json`, `compare --json`) or batch result directories.", completion: .file()) var inputs: [String]
    @Option(help: "Policy the others are compared with.") var baseline: PolicyName = PolicyName("zero-on-fault")
    @Option(name: .shortAndLong, help: "Markdown report; charts are written beside it.", completion: .file(extensions: ["md"])) var output: String
    @Option(help: "Write all results as JSON.", completion: .file(extensions: ["json"])) var json: String?
    @Option(help: "Write all results as CSV.", completion: .file(extensions: ["csv"])) var csv: String?

    func run() throws {
        try checkReportOutputs(output: output, json: json, csv: csv)
        let runs: [RunResult]
        do { runs = try ResultFiles.load(inputs) } catch let error as ResultFiles.LoadError {
            writeStandardError("prezero: error: \(error)\n")
            throw ExitCode(2)
        }
        guard !runs.isEmpty else { throw ValidationError("no runs found in \(inputs.joined(separator: " "))") }
        try writeReport(runs: runs, baseline: baseline.name, output: output, json: json, csv: csv)
    }
}
