import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroTrace

/// The markdown report of a comparison: per trace and profile, every policy against the
/// baseline, a one-line verdict each, the workload's regime, sweeps, and SVG charts.
package struct ComparisonReport {
    package var runs: [RunResult]
    package var baseline: String
    package var toolVersion: String
    /// File-name prefix of the charts, written beside the markdown.
    package var chartPrefix: String

    package init(runs: [RunResult], baseline: String, toolVersion: String, chartPrefix: String) {
        self.runs = runs
        self.baseline = baseline
        self.toolVersion = toolVersion
        self.chartPrefix = chartPrefix
    }

    package struct Output {
        package var markdown: String
        package var charts: [(name: String, svg: String)]
    }

    /// A run with the name the report shows it under.
    struct Run {
        var result: RunResult
        var label: String
        var policy: String { result.policy }
        var parameters: [String: String] { result.parameters }
        var metrics: RunMetrics { result.metrics }
    }

    struct Group {
        var trace: String
        var profile: String
        var touch: String
        /// The kernel's init_on_alloc / init_on_free the runs ran on ("" before format 14).
        var kernel: String = ""
        /// Other sections of the trace and profile ran on other kernel settings: the heading, the
        /// chart names and the touch-range table name them.
        var kernelVaries = false
        /// How headings name `kernel`.
        var kernelText: String { kernel.isEmpty ? "kernel settings not recorded" : kernel }
        var heading: String
        var runs: [Run]
    }

    /// Runs labelled by policy, plus the parameters that differ between runs of the same policy.
    static func labelled(_ runs: [RunResult]) -> [Run] {
        var byPolicy: [String: [RunResult]] = [:]
        for run in runs { byPolicy[run.policy, default: []].append(run) }
        return runs.map { run in
            let siblings = byPolicy[run.policy] ?? []
            let varying = Set(siblings.flatMap(\.parameters.keys)).sorted().filter { key in
                Set(siblings.map { $0.parameters[key] ?? "" }).count > 1
            }
            let label = varying.isEmpty
                ? run.policy : run.policy + " (" + varying.map { "\($0)=\(run.parameters[$0] ?? "")" }.joined(separator: " ") + ")"
            return Run(result: run, label: label)
        }
    }

    /// Orders parameter sets key by key, numerically where both values are numbers.
    static func parameterOrder(_ a: [String: String], _ b: [String: String]) -> Bool {
        for key in Set(a.keys).union(b.keys).sorted() {
            let x = a[key] ?? ""
            let y = b[key] ?? ""
            if x == y { continue }
            if let dx = Double(x), let dy = Double(y) { return dx < dy }
            return x < y
        }
        return false
    }

    /// Where a trace's touch density comes from, as the regime line says it: the touch records,
    /// the synthetic trace, a touch profile (the rest `touch`), the user's option, or assumed.
    static func touchText(_ run: RunResult) -> String {
        if run.metrics.touchedLinesPerPageMean > 0 { return "measured by the trace's touch records (faults: `\(run.trace.touch)`)" }
        switch run.trace.touchSource {
        case .trace?: return "`\(run.trace.touch)`, set by the synthetic trace"
        case .transferred?: return "transferred from `\(run.trace.touchProfile ?? "?")` for its commands; the rest `\(run.trace.touch)`, assumed"
        case .option?: return "`\(run.trace.touch)`, chosen"
        case .assumed?, nil: return "`\(run.trace.touch)`, assumed"
        }
    }

    /// Sections sorted by trace, profile, touch model and kernel settings, each with a heading no other has.
    var groups: [Group] {
        var byKey: [String: [RunResult]] = [:]
        for run in runs {
            let key = [run.trace.path, run.profileLabel, run.trace.touch.description, run.trace.kernelInit?.settings ?? ""]
            byKey[key.joined(separator: "\u{0}"), default: []].append(run)
        }
        var groups = byKey.keys.sorted().compactMap { key -> Group? in
            guard let first = byKey[key]?.first else { return nil }
            return Group(
                trace: first.trace.path, profile: first.profileLabel, touch: first.trace.touch.description,
                kernel: first.trace.kernelInit?.settings ?? "", heading: "", runs: Self.labelled(byKey[key] ?? []))
        }
        // The trace's file name, unless two traces share it; the touch model where it varies.
        var pathsByName: [String: Set<String>] = [:]
        var touchesByTrace: [String: Set<String>] = [:]
        var kernelsByTrace: [String: Set<String>] = [:]
        for g in groups {
            pathsByName[(g.trace as NSString).lastPathComponent, default: []].insert(g.trace)
            touchesByTrace[g.trace + "\u{0}" + g.profile, default: []].insert(g.touch)
            kernelsByTrace[g.trace + "\u{0}" + g.profile, default: []].insert(g.kernel)
        }
        for i in groups.indices {
            let name = (groups[i].trace as NSString).lastPathComponent
            var heading = ((pathsByName[name]?.count ?? 0) > 1 ? groups[i].trace : name) + " on " + groups[i].profile
            if (touchesByTrace[groups[i].trace + "\u{0}" + groups[i].profile]?.count ?? 0) > 1 { heading += ", touch \(groups[i].touch)" }
            groups[i].kernelVaries = (kernelsByTrace[groups[i].trace + "\u{0}" + groups[i].profile]?.count ?? 0) > 1
            if groups[i].kernelVaries { heading += ", " + groups[i].kernelText }
            groups[i].heading = heading
        }
        return groups.map { group in
            var g = group
            // Baseline first, then policies in order of first appearance, sweep points by value.
            var firstSeen: [String: Int] = [:]
            for (i, run) in g.runs.enumerated() where firstSeen[run.policy] == nil { firstSeen[run.policy] = i }
            g.runs.sort { a, b in
                if (a.policy == baseline) != (b.policy == baseline) { return a.policy == baseline }
                if a.policy != b.policy { return (firstSeen[a.policy] ?? 0) < (firstSeen[b.policy] ?? 0) }
                return Self.parameterOrder(a.parameters, b.parameters)
            }
            return g
        }
    }

    package func render() -> Output {
        var md = "# prezero report\n\n"
        md += "Generated by prezero \(toolVersion) from \(runs.count) replay runs. Baseline: `\(baseline)`. "
        md += "Δ is the change against the baseline on the same trace and profile. Times are model time: "
        md += "what the machine profile predicts, not what this machine measured.\n\n"
        md += "## Traces\n\n| trace | lines | touch density | timebase | before the window |\n|---|---:|---|---|---|\n"
        let sorted = runs.sorted { ($0.trace.path, $0.trace.touch.description) < ($1.trace.path, $1.trace.touch.description) }
        var seenTraces = Set<String>()
        for run in sorted where seenTraces.insert(run.trace.path + "\u{0}" + run.trace.touch.description).inserted {
            md += "| `\(run.trace.path)` | \(run.trace.lines) | \(Self.touchText(run)) | \(run.trace.timebase.rawValue) | \(Self.warmupText(run.trace)) |\n"
        }
        md += "\n## Profiles\n\n"
        md += "| profile | page | line | memory | CPUs / nodes | LLC | fault base | line hit / miss | engines |\n"
        md += "|---|---:|---:|---:|---|---|---:|---|---|\n"
        var seenProfiles = Set<String>()
        var captured: [String] = []
        for run in runs.sorted(by: { $0.profileLabel < $1.profileLabel }) where seenProfiles.insert(profileRow(run)).inserted {
            md += profileRow(run)
        }
        for run in sorted where !run.capturedMachine.isEmpty {
            let line = "- `\((run.trace.path as NSString).lastPathComponent)` on \(run.profileLabel): "
                + run.capturedMachine.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ")
            if !captured.contains(line) { captured.append(line) }
        }
        md += "\nEvery profile parameter and its source: `prezero profiles NAME`.\n\n"
        // A built-in profile describes the machine it was written for, not the reader's.
        let builtins = Set(runs.map(\.profile).filter { $0.measuredRanges == nil && BuiltinProfiles.named($0.name) != nil }.map(\.name)).sorted()
        if !builtins.isEmpty {
            md += "**Not this machine**: \(builtins.map { "`\($0)`" }.joined(separator: ", ")) \(builtins.count == 1 ? "is a built-in profile" : "are built-in profiles"), "
            md += "not measured on the machine you run; run `prezero calibrate` to measure yours (then `--profile host`, the default once calibrated).\n\n"
        }
        if !captured.isEmpty {
            md += "The captured machine's sizes replace the profile's where a trace describes it, by its metadata or the CPUs its events name "
            md += "(`--ignore-capture-machine` keeps the profile's):\n\n" + captured.joined(separator: "\n") + "\n\n"
        }

        var charts: [(String, String)] = []
        let groups = self.groups
        let colours = Self.colours(groups.flatMap { $0.runs.map(\.label) }, baseline: baseline)
        md += touchRanges(groups)
        for (index, group) in groups.enumerated() {
            let (section, groupCharts) = render(group, index: index, colours: colours)
            md += section
            charts += groupCharts
        }
        return Output(markdown: md, charts: charts)
    }

    func profileRow(_ run: RunResult) -> String {
        let p = run.profile
        var llc = "\(p.llc.sizeBytes >> 10) KiB \(p.llc.ways)-way"
        if run.trace.privateL2, let l2 = p.l2 {
            llc += " + \(l2.sizeBytes >> 10) KiB private L2 (LLC hit \(SVGChart.trim(p.llcHitPriceNs)) ns)"
        }
        let engines = p.engines.isEmpty
            ? "-" : p.engines.map { "\($0.kind) \(SVGChart.trim($0.bytesPerNs)) GB/s" + ($0.hypothetical == true ? " (hypothetical)" : "") }.joined(separator: ", ")
        return "| \(run.profileLabel) | \(p.pageBytes) B | \(p.lineBytes) B | \(p.memoryBytes >> 20) MiB | "
            + "\(p.cpus) / \(p.nodes) | \(llc) | \(SVGChart.trim(p.faultBaseNs)) ns | "
            + "\(SVGChart.trim(p.lineHitNs)) / \(SVGChart.trim(p.lineMissNs)) ns | \(engines) |\n"
    }

    /// One colour per label across every chart of the report, in order of first appearance; the
    /// baseline grey.
    static func colours(_ labels: [String], baseline: String) -> [String: String] {
        var out: [String: String] = [baseline: SVGChart.baselineColour]
        var next = 0
        for label in labels where out[label] == nil {
            out[label] = SVGChart.palette[next % SVGChart.palette.count]
            next += 1
        }
        return out
    }

    static func delta(_ value: Double, _ base: Double) -> String {
        guard base != 0 else { return value == 0 ? "0%" : "from 0" }
        let d = (value / base - 1) * 100
        if abs(d) < 0.05 { return "0%" }
        return (d > 0 ? "+" : "") + String(format: abs(d) >= 10 ? "%.0f%%" : "%.1f%%", d)
    }

    static func ms(_ ns: Double) -> String { SVGChart.trim(ns / 1e6) }

    static func slug(_ text: String) -> String {
        let base = (text as NSString).lastPathComponent
        var out = ""
        for c in base.lowercased() {
            if c.isLetter || c.isNumber { out.append(c) } else if out.last != "-" { out.append("-") }
        }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    func render(_ group: Group, index: Int, colours: [String: String]) -> (String, [(String, String)]) {
        let base = group.runs.first { $0.policy == baseline }
        var md = "## \(group.heading)\n\n"
        let noVerdict = group.runs.compactMap(\.result.noVerdict).first
        if let noVerdict {
            // The model's defaults are all such a replay measures: say so instead of a regime and verdicts.
            md += "**No verdict**: " + noVerdict.replacingOccurrences(of: "no verdict: ", with: "") + ". "
            md += "The table shows what the model does with the trace's other events, not the workload's page faults.\n\n"
        } else {
            md += regime(group) + "\n\n"
            let workingSet = workingSetText(group)
            if !workingSet.isEmpty { md += workingSet + "\n\n" }
            let idle = idleText(group)
            if !idle.isEmpty { md += idle + "\n\n" }
            if let kernel = kernelInitText(group) { md += kernel + "\n\n" }
            if let run = group.runs.first?.result,
                let reporting = FreePageReporting.reportText(
                    device: run.trace.freePageReporting, order: run.trace.freePageReportingOrder, pageBytes: UInt64(max(0, run.profile.pageBytes)))
            {
                md += reporting + "\n\n"
            }
        }
        if base == nil { md += "_No `\(baseline)` run for this trace and profile: Δ columns are empty._\n\n" }
        md += "| policy | faults/s | Δ | p50 ns | Δ | p99 ns | Δ | zero hits | zeroing CPU ms (fault / alloc / scrubber / free) "
        md += "| wasted zeroing pages | LLC demand misses | Δ | total CPU ms | Δ | bytes zeroed |\n"
        md += "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n"
        func d(_ run: Run, _ path: KeyPath<RunMetrics, Double>) -> String {
            base.map { Self.delta(run.metrics[keyPath: path], $0.metrics[keyPath: path]) } ?? ""
        }
        func d(_ run: Run, _ path: KeyPath<RunMetrics, UInt64>) -> String {
            base.map { Self.delta(Double(run.metrics[keyPath: path]), Double($0.metrics[keyPath: path])) } ?? ""
        }
        for run in group.runs {
            let m = run.metrics
            let zeroing = [m.faultZeroingNs, m.allocPathZeroingNs, m.scrubberCPUNs, m.freePathZeroingNs].map(Self.ms).joined(separator: " / ")
            md += "| \(run.label) | \(SVGChart.short(m.faultRate)) | \(d(run, \.faultRate)) "
            md += "| \(m.faultLatencyP50Ns) | \(d(run, \.faultLatencyP50Ns)) "
            md += "| \(m.faultLatencyP99Ns) | \(d(run, \.faultLatencyP99Ns)) "
            md += "| \(Self.hitRate(m)) | \(zeroing) | \(m.wastedZeroingPages) "
            md += "| \(SVGChart.short(Double(m.llcDemandMisses))) | \(d(run, \.llcDemandMisses)) "
            md += "| \(Self.ms(m.totalCPUNs)) | \(d(run, \.totalCPUNs)) "
            md += "| \(SVGChart.short(Double(m.bytesZeroed)))B |\n"
        }
        md += "\n" + Self.columnLegend + "\n\n"
        if let base, noVerdict == nil {
            md += "Verdicts:\n\n"
            for run in group.runs where run.policy != baseline || run.label != base.label {
                md += "- **\(run.label)**: \(verdict(run.result, base.result))" + (run.result.verdict.map(Self.rangeText) ?? "") + "\n"
            }
            md += "\n"
            md += ranges(group)
            if group.runs.contains(where: { $0.policy != baseline }) && !group.runs.contains(where: { $0.result.verdict != nil }) {
                md += "These verdicts have no ranges: the runs were replayed at their nominal inputs only (a batch, `compare --sensitivity off` or `--touch-range`), "
                md += "so how the assumed inputs move them is not shown; `compare` on the trace without those gives each its range.\n\n"
            }
        }
        md += sweeps(group, base: base)

        // Charts.
        let stem = "\(chartPrefix)-\(index + 1)-\(Self.slug(group.trace))-\(Self.slug(group.profile))"
            + (group.heading.contains(", touch ") ? "-" + Self.slug(group.touch) : "")
            + (group.kernelVaries ? "-" + Self.slug(group.kernelText) : "")
        func colour(_ run: Run) -> String { colours[run.label] ?? SVGChart.palette[0] }
        var charts: [(String, String)] = []
        charts.append((
            "\(stem)-fault-rate.svg",
            SVGChart.bars(
                title: "Zero-fill fault rate", unit: "faults per second of fault-path time",
                rows: group.runs.map { ($0.label, $0.metrics.faultRate, colour($0)) })
        ))
        charts.append((
            "\(stem)-latency-cdf.svg",
            SVGChart.lines(
                title: "Fault latency (CDF)", xLabel: "fault latency, ns (log scale)", yLabel: "fraction of faults",
                series: group.runs.map { run in
                    (run.label, colour(run), run.metrics.faultLatencyCDF.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
                },
                logX: true, steps: true)
        ))
        let pooled = group.runs.filter { $0.metrics.poolSamples.count > 1 }
        if !pooled.isEmpty {
            charts.append((
                "\(stem)-zeroed-pool.svg",
                SVGChart.lines(
                    title: "Zeroed free pages over time", xLabel: "time, s", yLabel: "zeroed free pages",
                    series: pooled.map { run in
                        (run.label, colour(run), run.metrics.poolSamples.compactMap { $0.count == 2 ? ($0[0] / 1e9, $0[1]) : nil })
                    })
            ))
        }
        charts.append((
            "\(stem)-cpu-cost.svg",
            SVGChart.stacked(
                title: "Who pays: CPU time by place", unit: "ms of CPU time",
                segments: ["fault path", "alloc path (zeroing, refills)", "scrubber on idle CPUs", "scrubber taken from tasks", "free path", "program's touches and re-reads"],
                rows: group.runs.map { run in
                    let m = run.metrics
                    let fromTasks = m.scrubberCPUFromTasksNs
                    return (run.label, [m.faultPathNs, m.allocPathZeroingNs + m.allocPathRefillNs, m.scrubberCPUNs - fromTasks, fromTasks, m.freePathNs, m.touchNs + m.laterTouchNs + m.workingSetRefetchNs].map { $0 / 1e6 })
                })
        ))
        let ranged = group.runs.filter { $0.result.verdict != nil && $0.result.noVerdict == nil }
        if !ranged.isEmpty {
            // Each policy's inputs, widest swing first (measured ones are what-ifs, left out).
            var rows: [(label: String, low: Double, high: Double, nominal: Double, colour: String)] = []
            for run in ranged {
                guard let v = run.result.verdict else { continue }
                for swing in v.swings where !swing.measured && swing.width > 0 {
                    rows.append(("\(run.label): \(swing.input)", swing.atLow * 100, swing.atHigh * 100, v.totalCPUDelta.value * 100, colour(run)))
                }
            }
            if !rows.isEmpty {
                charts.append((
                    "\(stem)-tornado.svg",
                    SVGChart.tornado(
                        title: "What moves each verdict: total CPU Δ over each input's range", unit: "total CPU Δ against \(baseline), % (signed log scale; tick: nominal)",
                        rows: rows)
                ))
            }
            let linesPerPage = Double(ranged.first?.result.profile.linesPerPage ?? 64)
            charts.append((
                "\(stem)-break-even.svg",
                SVGChart.breakEven(
                    title: "Total CPU Δ by touch density (break-even where a line crosses 0)", xLabel: "lines touched per faulted page (log2 scale)",
                    yLabel: "total CPU Δ against \(baseline), %",
                    series: ranged.map { run in
                        (run.label, colour(run), (run.result.verdict?.touchPoints ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1] * 100) : nil })
                    }, maxX: linesPerPage)
            ))
        }
        md += "Charts:\n\n"
        for (name, _) in charts {
            let caption = name.replacingOccurrences(of: stem + "-", with: "").replacingOccurrences(of: ".svg", with: "")
            md += "![\(caption)](\(name))\n"
        }
        return (md + "\n", charts)
    }

    /// What the table's columns count, under every table (docs/metrics.md has each metric).
    static let columnLegend = "_Faults/s_: zero-fill faults per second of their own modelled time (the kernel's fault path and the first touches), not per second of the trace; faults of every size count alike, a THP's as one. "
        + "_p50, p99 ns_: that time per fault. "
        + "_Zeroing CPU_: clearing time by where it ran (free: clearing at free only, not the free path's base cost). "
        + "_Wasted zeroing pages_: zeroed pages handed to allocations that did not ask for zero, or cleared again by a THP/mTHP "
        + "fault (folio_zero_user); pages a scrubber zeroed that nothing took are not in it (its clears are in zeroing CPU and total CPU). "
        + "_LLC demand misses_: misses of the program's touches; a clear's stores are not counted (`rep stosb` and non-temporal stores write whole lines with no read for ownership; `llc_lines_filled_by_zeroing` in the JSON). "
        + "_Total CPU_: every CPU cost that depends on the policy: the fault path, zeroing wherever it ran (idle CPU's too), the free path and the program's touches of its new pages; not the program's other work, so its Δ is of these costs alone."

    /// Where a trace was replayed at several touch densities that no page-touch trace measured
    /// (a plan's `touch = ["first-line", "full"]`, `compare --touch-range`): each policy's change against the baseline at
    /// each density, and whether its sign holds. A verdict whose sign flips is not the workload's:
    /// it depends on touch density.
    func touchRanges(_ groups: [Group]) -> String {
        var byTrace: [String: [Group]] = [:]
        for group in groups where group.runs.allSatisfy({ $0.metrics.touchedLinesPerPageMean == 0 && $0.result.trace.touchSource != .trace }) {
            byTrace[group.trace + "\u{0}" + group.profile + "\u{0}" + group.kernel, default: []].append(group)
        }
        var md = ""
        for key in byTrace.keys.sorted() {
            guard let sets = byTrace[key], sets.count > 1, let first = sets.first else { continue }
            let touches = sets.map(\.touch)
            var rows = ""
            var labels: [String] = []
            for group in sets { for run in group.runs where !labels.contains(run.label) && run.policy != baseline { labels.append(run.label) } }
            for label in labels {
                var rates: [Double?] = [], cpus: [Double?] = []
                for group in sets {
                    let base = group.runs.first { $0.policy == baseline }
                    let run = group.runs.first { $0.label == label }
                    func change(_ path: KeyPath<RunMetrics, Double>) -> Double? {
                        guard let run, let base, base.metrics[keyPath: path] > 0 else { return nil }
                        return run.metrics[keyPath: path] / base.metrics[keyPath: path] - 1
                    }
                    rates.append(change(\.faultRate))
                    cpus.append(change(\.totalCPUNs))
                }
                func cells(_ values: [Double?]) -> String {
                    values.map { $0.map { String(format: "%+.1f%%", $0 * 100) } ?? "-" }.joined(separator: " | ")
                }
                // A verdict holds when every density reads alike (less, more, or no change).
                let alike = Sensitivity.readAlike(rates.compactMap { $0 }) && Sensitivity.readAlike(cpus.compactMap { $0 })
                // Alike in direction, a change twice the size at one density as at another (of
                // 1 % or more) is said too: +5 % and +28 % are one reading, not one figure.
                func spread(_ values: [Double?]) -> Bool {
                    let sizes = values.compactMap { $0.map(abs) }
                    guard let low = sizes.min(), let high = sizes.max() else { return false }
                    return high >= 0.01 && high > 2 * low
                }
                let reading = !alike ? "**depends on touch density**"
                    : spread(rates) || spread(cpus) ? "same direction at every density, not the same size" : "same reading at every density"
                rows += "| \(label) | \(cells(rates)) | \(cells(cpus)) | \(reading) |\n"
            }
            guard !rows.isEmpty else { continue }
            let name = (first.trace as NSString).lastPathComponent
            let kernel = first.kernelVaries ? ", " + first.kernelText : ""
            md += "### \(name) on \(first.profile)\(kernel): across touch densities\n\n"
            md += "No page-touch trace measured how many lines a fault's page is touched, so the density is a range, not a fact: "
            md += "each policy's change against `\(baseline)` at each density replayed.\n\n"
            md += "| policy | " + touches.map { "faults/s Δ (`\($0)`)" }.joined(separator: " | ") + " | "
            md += touches.map { "total CPU Δ (`\($0)`)" }.joined(separator: " | ") + " | verdict |\n"
            md += "|---|" + String(repeating: "---:|", count: 2 * touches.count) + "---|\n" + rows + "\n"
        }
        return md.isEmpty ? "" : "## Touch density as a range\n\n" + md
    }

    /// " (-3.1 % to +48 % over the inputs' ranges; moved most by touch density): **sign not
    /// stable: depends on touch density**", after the verdict's total CPU.
    static func rangeText(_ v: VerdictRange) -> String {
        let d = v.totalCPUDelta
        var text = spanText(d)
        if !d.signStable {
            let flippers = Sensitivity.signFlippers(v)
            text += flippers.isEmpty
                ? ": **not stable** (the inputs together change how it reads)"
                : ": **not stable: depends on \(flippers.joined(separator: " and "))**"
        }
        return text
    }

    /// " (low to high over the inputs' ranges; moved most by X)" of a verdict's range.
    static func spanText(_ d: VerdictRange.Delta) -> String {
        " (\(signedPercent(d.low)) to \(signedPercent(d.high)) over the inputs' ranges" + (d.driver.map { "; moved most by \($0)" } ?? "") + ")"
    }

    /// A change as a fraction, in percent with its sign: "+9.4%".
    static func signedPercent(_ fraction: Double) -> String { String(format: "%+.1f%%", fraction * 100) }

    /// Each verdict's range, what moves it most, and its break-even touch density.
    func ranges(_ group: Group) -> String {
        let ranged = group.runs.compactMap { run in run.result.verdict.map { (run, $0) } }
        guard !ranged.isEmpty else { return "" }
        var md = "Verdict ranges (total CPU Δ against `\(baseline)`, each uncertain input at both ends of its range, the others nominal; "
        md += "the inputs, their ranges and sources are in the JSON's `verdict`):\n\n"
        md += "| policy | total CPU Δ | low | high | moved most by | sign | break-even lines/page |\n|---|---:|---:|---:|---|---|---:|\n"
        for (run, v) in ranged {
            let d = v.totalCPUDelta
            let sign = d.signStable ? "stable" : "**not stable**"
            let breakEven = v.breakEvenLines.map { SVGChart.trim($0) } ?? "never"
            md += "| \(run.label) | \(Self.signedPercent(d.value)) | \(Self.signedPercent(d.low)) | \(Self.signedPercent(d.high)) | \(d.driver ?? "-") | \(sign) | \(breakEven) |\n"
        }
        let notVaried = Set(ranged.flatMap { $0.1.notVaried }).sorted()
        if !notVaried.isEmpty { md += "\nNot varied: " + notVaried.joined(separator: "; ") + ".\n" }
        let measured = ranged.contains { $0.1.swings.contains { $0.measured } }
        if measured { md += "\nTouch density is the trace's own here: its what-if ends are in the JSON and the break-even column, not in the range.\n" }
        md += "\n_Break-even_: lines touched per faulted page where the policy's total CPU equals the baseline's, linear between the densities replayed (first line, the nominal one, the whole page); never: no crossing in that span.\n\n"
        return md
    }

    static func hitRate(_ m: RunMetrics) -> String {
        m.zeroRequests > 0 ? String(format: "%.1f%%", Double(m.zeroHits) / Double(m.zeroRequests) * 100) : "-"
    }

    /// A touch profile counts every page its program first writes (lackey cannot tell shared or
    /// file mappings from anonymous memory); where the capture shows at least a tenth as many
    /// first writes served without __GFP_ZERO (shmem, file copy-on-write) as zero-fill faults,
    /// the density it transfers may be those pages'.
    static func profileMayCountOtherPages(_ base: RunMetrics) -> Bool {
        base.firstWritesWithoutGFPZero * 10 >= max(base.faults, 1)
    }

    func regime(_ group: Group) -> String {
        guard let run = group.runs.first else { return "" }
        let linesPerPage = Double(run.result.profile.linesPerPage)
        let touched = Double(run.result.trace.touch.lineCount(linesPerPage: Int(linesPerPage)))
        // Page-touch traces measure it: distinct lines touched per page over the whole trace.
        let measured = group.runs.map(\.metrics.touchedLinesPerPageMean).first { $0 > 0 }
        var lines = measured ?? touched
        // A touch profile: the share of faults it covered touch its commands' measured mean.
        let profileBase = group.runs.first { $0.policy == baseline } ?? run
        let profileMeans = profileBase.result.trace.touchProfileMeans ?? [:]
        let profileCovered = profileBase.metrics.faults > 0 ? Double(profileBase.metrics.faultsTouchTransferred) / Double(profileBase.metrics.faults) : 0
        if run.result.trace.touchSource == .transferred, let profileMean = profileBase.result.trace.touchProfileMeanLines {
            // The profile's pages weigh its commands (xz's 4,262 pages, not its shell's 91, set xz-6's mean).
            lines = profileCovered * profileMean + (1 - profileCovered) * touched
        }
        let share = min(1, lines / linesPerPage)
        let name = share <= 0.25 ? "sparse touch" : share >= 0.75 ? "full touch" : "partial touch"
        var text: String
        if let measured {
            text = "Workload regime: **\(name)**, measured: the trace's touch records show \(SVGChart.trim(measured)) of \(Int(linesPerPage)) lines "
            text += "touched per page on average over its life (faults touch `\(group.touch)`). "
        } else {
            switch run.result.trace.touchSource {
            case .trace?:
                text = "Workload regime: **\(name)**, set by the synthetic trace: each zero-fill fault touches \(Int(touched)) of \(Int(linesPerPage)) lines "
                text += "(`\(group.touch)`). "
            case .transferred?:
                let base = profileBase.metrics
                let means = profileMeans.sorted { $0.key < $1.key }.map { "`\($0.key)` \(SVGChart.trim($0.value)) lines a page" }.joined(separator: ", ")
                text = "Workload regime: **\(name)**, touch density **transferred** from a page-touch capture of the same program "
                text += "(`\(profileBase.result.trace.touchProfile ?? "?")`: \(means)): \(base.faultsTouchTransferred) of \(base.faults) zero-fill faults "
                text += "(\(String(format: "%.1f", profileCovered * 100)) %) are its commands' and touch what it measured; the other "
                text += "\(base.faults - base.faultsTouchTransferred) assume `\(group.touch)` (\(Int(touched)) of \(Int(linesPerPage)) lines). "
                if Self.profileMayCountOtherPages(base) {
                    text += "**The measured density may not be these faults'**: a page-touch capture counts every page the program first "
                    text += "writes, and this capture has \(base.firstWritesWithoutGFPZero) first writes served without __GFP_ZERO (shmem pages, "
                    text += "file copy-on-write copies) beside its \(base.faults) zero-fill faults. Replay with `--touch first-line` and `--touch full` "
                    text += "(or `compare --touch-range`) for the verdicts at either end. "
                }
            case .option?:
                text = "Touch density **chosen**, not measured: `--touch \(group.touch)`, \(Int(touched)) of \(Int(linesPerPage)) lines a fault; "
                text += "the verdicts hold for that choice. "
            case .assumed?, nil:
                // A kernel capture cannot see how many lines of a page the program touches.
                text = "Touch density **assumed**, not measured: a kernel capture cannot see how many lines of a page the program touches, "
                text += "and the replay assumed `\(group.touch)` (\(Int(touched)) of \(Int(linesPerPage)) lines a fault). The verdicts hold for that "
                text += "assumption only: replay with `--touch full` for the other end, or measure it with a page-touch capture (`tools/capture-lackey.sh`). "
            }
        }
        let property = measured != nil || run.result.trace.touchSource == .trace
            || (run.result.trace.touchSource == .transferred && profileCovered >= 0.999 && !Self.profileMayCountOtherPages(profileBase.metrics))
        let reading = share <= 0.25
            ? "The best case for prezeroing: most of the page is never read back (Andrew Morton's 'net win if it touches it sparsely'), but each touched line of a prezeroed page is still a cold miss."
            : "The prezeroed page is cold and its lines must come from memory: the saving moves into touch misses (Arjan van de Ven's point)."
        text += property ? reading : "At that density, " + reading.prefix(1).lowercased() + reading.dropFirst()
        if let base = group.runs.first(where: { $0.policy == baseline }) {
            text += Self.pagesBesideTheVerdicts(base)
            let pools = group.runs.filter { Policies.type(named: $0.policy)?.predatesHugePages == true }.map(\.label)
            if base.metrics.hugeFaults > 0 && !pools.isEmpty {
                // Lameter's lists served __GFP_ZERO requests; a THP's fault asks for none (folio_zero_user clears it).
                text += " Under \(pools.joined(separator: ", ")), a THP or mTHP fault is served from the zeroed lists like any zero request, "
                text += "and skips its clear when it gets a zeroed block: those designs (Lameter's 2004-05 patches, the Windows and FreeBSD "
                text += "zeroing threads) predate THP and served base-page zero requests (`__GFP_ZERO`), so this carries them to today's "
                text += "fault path; it is not what they did."
            }
            if base.result.trace.pcpDrainsRecorded == true {
                let others = group.runs.filter { $0.policy != baseline }.map { ($0.label, $0.metrics.pcpDrainedPages) }
                text += " " + Self.perCPUListDrains(base.metrics, pcpHigh: base.result.profile.pcpHigh, policies: others)
            }
        }
        return text
    }

    /// What the baseline's run counted of the capture's zeroing beside the replayed faults: the
    /// faults and their kinds, the capture's own fault time, and the pages and first writes no
    /// verdict includes, each a clause that starts with a space.
    static func pagesBesideTheVerdicts(_ base: Run) -> String {
        let m = base.metrics
        var text = ""
        if m.faults > 0 {
            text += " \(m.faults) zero-fill faults"
            if m.hugeFaults > 0 { text += " (\(m.hugeFaults) of them THP/mTHP, \(m.hugeFaultPages) pages)" }
            if m.faultsInKernelMode > 0 {
                text += " (\(m.faultsInKernelMode) of them taken in kernel mode: the kernel wrote a page the program had not "
                text += "touched, a read() into a fresh buffer for one; the trace does not say how much of the page its copy wrote, so "
                text += "the touch assumption holds for them too)"
            }
            text += ", \(m.zeroRequests) zero requests in the baseline."
            if m.faults < fewFaults {
                text += " **Only \(m.faults) zero-fill faults**: the verdicts are about \(duration(m.faultPathNs + m.touchNs)) of fault work, "
                text += "and a percentile of so few is no distribution."
            }
        }
        if m.capturedFaultsTimed > 0 && m.tally.countersTellEachFault {
            text += " " + capturedFaultTime(m, coldFaultBaseNs: base.result.profile.range(of: "fault_base_ns")?.high)
        }
        if m.zeroedUserPagesWithoutFault > 0 { text += " " + Evidence.zeroedWithoutFault(m.zeroedUserPagesWithoutFault, brief: true) }
        if m.hugeUserPagesWithoutFault > 0 { text += " Not in the verdicts: " + Evidence.hugeWithoutFault(m.tally, brief: true) }
        if m.hugePagesChargeRefused > 0 { text += " " + Evidence.chargeRefused(m.hugePagesChargeRefused) }
        if m.shmemHugePages > 0 { text += " Not in the verdicts: " + Evidence.shmemHuge(m.shmemHugePages) }
        if m.firstWritesWithoutGFPZero > 0 { text += " Not in the verdicts: " + Evidence.withoutGFPZero(m.tally) }
        let pool = base.result.trace.hugetlbPoolPages
        if m.firstWritesWithoutAllocation > 0 {
            text += (pool == 0 ? " " : " Not in the verdicts: ") + Evidence.withoutAllocation(m.tally, brief: true, hugetlbPoolPages: pool)
        }
        if let leftOut = zeroFillsLeftOut(m, hugetlbPoolPages: pool) { text += " " + leftOut }
        if let sentence = base.result.trace.kernelCounters?.sentence, !sentence.isEmpty { text += " " + sentence }
        return text
    }

    /// Where the memory counters name more zero-fills outside the verdicts (shmem pages, and first
    /// writes that raised no counter: hugetlb faults or lost races) than the verdicts replay, a
    /// verdict speaks for the smaller part of the workload's zeroing, and the report says so.
    static func zeroFillsLeftOut(_ m: RunMetrics, hugetlbPoolPages: Int? = nil) -> String? {
        let t = m.tally
        guard t.countersTellEachFault else { return nil }
        // With an empty hugetlb pool the writes that raised no counter were races, not zero-fills.
        let noCounter = hugetlbPoolPages == 0 ? 0 : t.firstWritesWithoutAllocation - min(t.firstWritesWithoutAllocation, t.firstWritesToCachedPages)
        let (sum, overflow) = t.shmemZeroFills.addingReportingOverflow(noCounter)
        let leftOut = overflow ? UInt64.max : sum
        // A tenth or more of the first writes: the verdicts are of a part, and the report says so.
        let all = Double(m.faults) + Double(leftOut)
        guard leftOut > 0, Double(leftOut) * 10 >= all else { return nil }
        let share = Double(leftOut) / all * 100
        let head = leftOut > m.faults ? "Most of this capture's first writes to fresh memory are not in the verdicts"
            : "\(Int(share.rounded())) % of this capture's first writes to fresh memory are not in the verdicts"
        return "**\(head)**: they replay \(m.faults) zero-fill "
            + "faults, while \(t.shmemZeroFills) shmem zero-fills and \(noCounter) first writes that raised no memory counter (hugetlb "
            + "faults, each clearing a huge page, among them; or lost races, handled signals, userfaultfd) are left out; the verdicts "
            + "hold for the replayed part only."
    }

    /// The pages the capture's kernel drained from its per-CPU lists beside the baseline model's:
    /// a scrubber or a zeroed pool sees only pages on the buddy lists, so a model that drains far
    /// more (or less) than the kernel did moves the pool policies' verdicts.
    /// `policies`: each other run's label and drained pages; those far from the kernel's are named.
    static func perCPUListDrains(_ m: RunMetrics, pcpHigh: Int, policies: [(String, UInt64)] = []) -> String {
        let kernel = m.capturedPCPDrainedPages
        func far(_ model: UInt64) -> Bool { max(model, kernel) > 2 * min(model, kernel) + 1000 }
        var text = "Per-CPU lists: the capture's kernel gave \(kernel) pages back from them to the buddy lists (mm_page_pcpu_drain), "
        text += "the baseline model \(m.pcpDrainedPages) (pcp_high \(pcpHigh) pages)."
        // The baseline, then the policies whose drains differ from it, those with the same count together.
        var named: [(String, UInt64)] = far(m.pcpDrainedPages) ? [("the baseline", m.pcpDrainedPages)] : []
        for (label, drained) in policies where far(drained) && drained != m.pcpDrainedPages {
            if let i = named.firstIndex(where: { $0.1 == drained }) { named[i].0 += ", " + label } else { named.append((label, drained)) }
        }
        if !named.isEmpty {
            text += " **The model's per-CPU lists drain far from the kernel's**: " + named.map { "\($0.0) \($0.1)" }.joined(separator: "; ") + ": "
            text += "a scrubber and a zeroed pool see only the buddy lists, so those verdicts rest partly on this; "
            text += "the per-CPU list high's range shows how much, where the capture gives it."
        }
        return text
    }

    /// Below this many faults a percentile is no distribution: the report says so, and makes no
    /// claim of a tail.
    static let fewFaults: UInt64 = 100

    /// The capture's own fault time beside the baseline's modelled one: the tracepoints inside a
    /// traced fault make the first the larger at the median; a tail several times the model's is
    /// work the model does not have. `coldFaultBaseNs`: the high end of the profile's
    /// fault_base_ns range (the fault path's warmth), nil without one.
    static func capturedFaultTime(_ m: RunMetrics, coldFaultBaseNs: Double? = nil) -> String {
        let enough = m.capturedFaultsTimed >= fewFaults
        var text = "Measured in the capture: its \(m.capturedFaultsTimed) order-0 zero-fill faults took \(m.capturedFaultP50Ns) ns at the "
        text += "median" + (enough ? " and \(m.capturedFaultP99Ns) ns at p99" : " (too few for a tail)")
        text += " from the fault event to their page's counter rise (the allocation, clear "
        text += "and charge, with the tracepoints inside them, not the fault's entry, mapping or exit); the baseline models "
        // Like with like: the model's order-0 faults (results of format 12 and older: every order).
        let (p50, p99) = m.faultLatencyBaseP50Ns > 0 ? (m.faultLatencyBaseP50Ns, m.faultLatencyBaseP99Ns) : (m.faultLatencyP50Ns, m.faultLatencyP99Ns)
        text += (enough ? "\(p50) ns and \(p99) ns " : "\(p50) ns at the median ") + (m.faultLatencyBaseP50Ns > 0 ? "an order-0 fault" : "a fault of any order") + ", untraced, with its first touch."
        if m.capturedFaultResolutionNs == 1000 {
            text += " The capture's timestamps are to the microsecond (ftrace's trace_pipe, or perf script without --ns), so its times are only to ±1 µs."
        }
        // The tracepoints inside a traced fault make it about a quarter slower (notes: measured on
        // this project's VM): a median further off is a disagreement, said, not fitted away.
        // Times to the microsecond are off by up to 1 us each: a gap within that says nothing.
        let resolution = m.capturedFaultResolutionNs > 1 ? m.capturedFaultResolutionNs : 0
        let gap = m.capturedFaultP50Ns > p50 ? m.capturedFaultP50Ns - p50 : p50 - m.capturedFaultP50Ns
        if enough && p50 > 0 && gap > resolution {
            let ratio = Double(m.capturedFaultP50Ns) / Double(p50)
            let said = " **The capture's median is \(String(format: "%.1f", ratio))x the model's**: "
            if ratio >= 1.5 {
                text += said + "the tracepoints inside a traced fault add about a quarter here (measured on this project's VM); the rest is not in "
                text += "the model's nominal: a fault path colder than the back-to-back faults the profile measured (the program's own work between "
                text += "faults evicts its code and data"
                if let cold = coldFaultBaseNs { text += "; the verdicts' ranges take its base cost up to \(Int(cold.rounded())) ns, `fault path warmth`" }
                text += "), a profile measured on another machine (`prezero calibrate` on the capture's machine measures its own), or work inside the fault the model does not have."
            } else if ratio <= 1 / 1.5 {
                text += said + "the capture's faults were faster than the model's, tracepoints and all: a profile measured on another machine "
                text += "(`prezero calibrate` on the capture's machine measures its own), or a fault the model prices higher than this kernel's."
            }
        }
        if enough && p99 > 0 && m.capturedFaultP99Ns / 4 > p99 {
            text += " **The capture's tail is \(String(format: "%.0f", Double(m.capturedFaultP99Ns) / Double(p99)))x the model's**: "
            text += "reclaim, lock waits or preemption inside faults, which the model does not replay and no verdict includes."
        }
        return text
    }

    /// The kernel's init_on_alloc / init_on_free every replay ran on, and where it came from: the
    /// baseline's clears rest on it. Nil for results before format 14.
    func kernelInitText(_ group: Group) -> String? {
        guard let kernel = group.runs.first?.result.trace.kernelInit else { return nil }
        var text: String
        switch kernel.source {
        case "capture":
            text = kernel.onAlloc || kernel.onFree ? "**The capture's kernel ran \(kernel.settings)**" : "Kernel memory initialisation: \(kernel.settings), the capture's"
            text += " (\(kernel.evidence.map { "`\($0)`" } ?? "its metadata"))"
        case "option":
            text = "Kernel memory initialisation: **\(kernel.settings), chosen** (`--kernel-init`), not the capture's"
        default:
            text = "Kernel memory initialisation: **\(kernel.settings), assumed**: the trace does not record it (no `mem auto-init:` line "
            text += "in its metadata); a kernel built with `CONFIG_INIT_ON_ALLOC_DEFAULT_ON` (as several distributions are) runs init_on_alloc=1, "
            text += "which `--kernel-init alloc` replays"
            // The init-on-alloc policy on this kernel is the baseline on such a kernel.
            if !kernel.onAlloc, let base = group.runs.first(where: { $0.policy == baseline }), base.policy != InitOnAlloc.name,
                let alloc = group.runs.first(where: { $0.policy == InitOnAlloc.name && $0.label == $0.policy }), base.metrics.totalCPUNs > 0 {
                text += " (the `\(InitOnAlloc.name)` row is that kernel's \(base.policy): total CPU \(Self.delta(alloc.metrics.totalCPUNs, base.metrics.totalCPUNs)))"
            }
        }
        // Linux 6.13's user_alloc_needs_zeroing(): no folio_zero_user once init_on_alloc is on.
        let skips = kernel.faultSkipsClearUnderInitOnAlloc
        let since = kernel.release == nil ? "6.13 on, which the capture's kernel is taken as" : "6.13 on, as the capture's \(kernel.release ?? "") is"
        if kernel.onFree {
            text += ": every policy runs on it, the baseline included: each freed block is cleared (`free_pages_prepare`), so `__GFP_ZERO` "
            text += "allocations need no clear"
            text += !kernel.onAlloc || !skips
                ? (kernel.onAlloc ? ", nor does the allocator clear again (`post_alloc_hook`)" : "")
                    + ", while THP and mTHP faults clear their folio again (`folio_zero_user`\(skips ? "" : ": the capture's \(kernel.release ?? "") is before 6.13")), "
                    + "except under a policy keeping a zeroed pool, whose design skips it for a zeroed folio"
                : ", nor does the allocator clear again (`post_alloc_hook`), and THP and mTHP faults do not clear their folio (`user_alloc_needs_zeroing()`, \(since))"
        } else if kernel.onAlloc {
            text += ": every policy runs on it, the baseline included: each allocation, asked for zero or not, is cleared in the allocator "
            text += "unless it is served zeroed (`post_alloc_hook`), and THP and mTHP faults "
            text += skips ? "do not clear their folio again (`user_alloc_needs_zeroing()`, \(since))"
                : "clear their folio again after it (`folio_zero_user`: the capture's \(kernel.release ?? "") is before 6.13), twice in all"
        }
        return text + "."
    }

    /// Where the replays' idle time came from when the capture's sched_switch events did not give
    /// it (or gave it for some CPUs only): what a scrubber costs the program rests on it.
    func idleText(_ group: Group) -> String {
        let text = idleSourceText(group)
        guard let base = group.runs.first(where: { $0.policy == baseline }) ?? group.runs.first, let recorded = base.result.trace.recordedCPUs
        else { return text }
        let cpus = base.result.profile.cpus
        let fraction = SVGChart.trim((base.result.trace.idleFraction ?? 0) * 100)
        let varied = group.runs.contains { $0.result.verdict?.swings.contains { $0.input == "idle fraction" } == true }
        // Ids past the modelled machine's fold onto its CPUs as their events do (`unrecordedCPUs`).
        let folded = Set(recorded.map { $0 % max(cpus, 1) }).sorted()
        let foldedText = recorded.allSatisfy { $0 < cpus } ? "" : ", modelled as its CPUs \(folded.map(String.init).joined(separator: ","))"
        var subset = "Events of **CPUs \(recorded.map(String.init).joined(separator: ",")) only**\(foldedText) of the modelled machine's \(cpus) (`perf record -C`): "
        subset += "the others' page allocations, frees, faults and idle time are not in the capture, so the verdicts cover the recorded CPUs' "
        subset += "work, and the replays take each other CPU idle \(fraction) % of the time (`--idle-fraction`)"
        subset += varied ? "; the verdict ranges take 0 to 100 % (\"idle fraction\")." : "."
        return text.isEmpty ? subset : text + " " + subset
    }

    func idleSourceText(_ group: Group) -> String {
        guard let base = group.runs.first(where: { $0.policy == baseline }) ?? group.runs.first, let source = base.result.trace.idleSource
        else { return "" }
        let m = base.metrics
        let fraction = base.result.trace.idleFraction ?? 0
        let taken = "The replays take each CPU idle \(SVGChart.trim(fraction * 100)) % of the time (`--idle-fraction`), which a scrubber uses at "
            + "no cost to the program and beyond which it takes CPU from busy tasks"
        let varied = group.runs.contains { $0.result.verdict?.swings.contains { $0.input == "idle fraction" } == true }
        let range = varied ? "; the verdict ranges take 0 to 100 % (\"idle fraction\")." : "."
        switch source {
        case .schedSwitch:
            var text = ""
            if m.spanNs > 0 && m.idleUntracedNs > 0.01 * m.spanNs {
                text += "Idle time **from the capture's sched_switch events after its first \(Self.ms(m.idleUntracedNs)) ms** "
                text += "(\(SVGChart.trim(m.idleUntracedNs / m.spanNs * 100)) % of the span): before its first switch out of the idle task, "
                text += "which shows every task's switches are recorded, the replays take each CPU idle \(SVGChart.trim(fraction * 100)) % of "
                text += "the time (`--idle-fraction`)" + range + " "
            }
            // A pid filter passes as every task's but leaves gaps.
            if SwitchChains.missesSwitches(unchained: m.schedSwitchesUnchained, switches: m.schedSwitches) {
                text += "Idle time **an upper bound**: it comes from the capture's sched_switch events, but \(m.schedSwitchesUnchained) of "
                text += "\(m.schedSwitches) switch out a task other than the one their CPU's previous switch put on, so switches are missing, as "
                text += "under a tracefs pid filter (set_event_pid, trace-cmd -P), which records only switches into and out of its tasks: "
                text += "other tasks may have run in the gaps taken for idle. Capture every task (`tools/capture-ftrace.sh`, `perf record -a`)."
            }
            return text.trimmingCharacters(in: .whitespaces)
        case .noSchedSwitch:
            return "Idle time **not in the capture**: it has no sched_switch events (perf kmem record takes none). " + taken + range
        case .someTasks:
            var text = "Idle time **not in the capture**: it records some tasks' switches only (perf record without -a, a pid filter)"
            text += m.schedSwitchesUnchained == 0 ? ", or too few to tell. " : ". "
            text += "None of its \(m.schedSwitches) sched_switch events is a switch out of the idle task, which the tracepoint (fired in the task "
            text += "switched out) records only in a capture of every task, and \(m.schedSwitchesUnchained) switch out a task other than the one "
            text += "their CPU's previous switch put on: the switches out of untraced tasks are missing, and the idle times they suggest are not used. "
            text += "The other tasks' page allocations and frees are missing too: the zeroed pool's other takers, and frees of these tasks' pages "
            text += "by others (reclaim, RCU callbacks, a pipe's reader). "
            return text + taken + range
        case .neverIdle:
            var text = "Idle time **none**: the capture's \(m.schedSwitches) sched_switch events follow each other on every CPU (each switches out "
            text += "the task the one before put on; \(m.schedSwitchesUnchained) do not, for lost events), so they are every task's, and none goes "
            text += "into or out of the idle task: no CPU was idle. "
            return text + (fraction == 0 ? "The replays take every CPU busy." : taken + ", a what-if beside the capture's 0 %" + range)
        case .noIdleExits:
            var text = "Idle time **not in the capture**: its \(m.schedSwitches) sched_switch events follow each other on every CPU, so they are "
            text += "every task's, and some go into the idle task, but none comes out of it (this kernel records few such switches: "
            text += "docs/trace-input.md), so how long each CPU stayed idle is unknown. "
            return text + taken + range
        case .modelTime:
            return ""
        }
    }

    /// What the replay assumed of the program's own data in its L2, and what it cost.
    func workingSetText(_ group: Group) -> String {
        guard let base = group.runs.first(where: { $0.policy == baseline }) ?? group.runs.first,
            let reuse = base.result.trace.workingSetReuse, let source = base.result.trace.workingSetSource
        else { return "" }
        let m = base.metrics
        let kib = Int(m.workingSetBytes) / 1024
        let l2 = (base.result.profile.l2?.sizeBytes ?? 0) / 1024
        let price = base.result.profile.llcHitPriceNs
        /// Where the size the tasks take came from.
        func nominal(_ source: String?) -> String {
            switch source {
            case "option": "\(kib) KiB (`--working-set-kib`)"
            case "trace": "\(kib) KiB (the trace's metadata)"
            default: "\(kib) KiB (assumed: the median measured on other programs)"
            }
        }
        var text: String
        switch source {
        case "trace" where kib == 0:
            return "Working set **from the trace's metadata**: the program has no data besides the pages it faults, so no hot set is modelled."
        case "transferred":
            let sets = (base.result.trace.touchProfileHotSets ?? [:]).sorted { $0.key < $1.key }.map { "`\($0.key)` \($0.value / 1024) KiB" }.joined(separator: ", ")
            text = "Working set **transferred** from the touch profile `\(base.result.trace.touchProfile ?? "?")` (each command's hot set: the lines it "
            text += "touched again within \(TouchProfile.hotSetWindowAccesses) data accesses, median over windows: \(sets)): \(m.workingSetTasksMeasured) of "
            text += "\(m.workingSetTasks) tasks with a hot set are its commands'; the others take \(nominal(base.result.trace.workingSetNominalSource)). "
        case "option", "trace":
            text = "Working set **\(source == "option" ? "chosen" : "from the trace's metadata")**: each running task re-reads a hot set of \(nominal(source)) in its CPU's L2. "
        default:
            text = "Working set **assumed**, not measured: a kernel capture cannot see the program's own data, so each running task is taken "
            text += "to re-read a hot set of \(kib) KiB in its CPU's \(l2) KiB L2 (the median of the hot sets prezero measured on other programs' page-touch captures"
            text += group.runs.contains(where: { $0.result.verdict != nil }) ? "; the verdicts' ranges take none and the whole L2). " : "). "
        }
        text += "Cached clears and first touches on its CPU evict part of it (each fill a random way of its set), which it reads again from the LLC "
        text += reuse == .continuous ? "as fast as the L2 is re-read" : "once, when it leaves the CPU"
        text += ": in `\(base.policy)` \(m.workingSetRefetchLines) lines, \(Self.ms(m.workingSetRefetchNs)) ms"
        if source != "trace" {
            text += "; had the hot set been the whole L2, \(m.workingSetRefetchLinesAtL2Size) lines, \(Self.ms(Double(m.workingSetRefetchLinesAtL2Size) * price)) ms"
        }
        text += ". Each policy's re-reads are in its total CPU and in the who-pays chart's \"program's touches and re-reads\"."
        return text
    }

    static func warmupText(_ trace: RunResult.Trace) -> String {
        switch trace.warmup {
        // A policy that zeroes at free (init-on-free) starts with the pool zeroed when it was freed.
        case "none": "cold start: no idle time to zero in before the window (a pool zeroed at free starts zeroed)"
        case let text?: "\(text.replacingOccurrences(of: "idle:", with: "")) idle, the scrubber zeroing at its own cost"
        case nil: trace.warmupDescription
        }
    }

    /// "2.9x faster zero-fill faults; pays 1.2 s of idle CPU; +4% LLC misses".
    package func verdict(_ result: RunResult, _ baseResult: RunResult) -> String {
        let run = result.metrics
        let base = baseResult.metrics
        var parts: [String] = []
        if result.policy == "oracle" { parts.append("the bound, not a design") }
        let ratio = base.faultRate > 0 ? run.faultRate / base.faultRate : 1
        if ratio >= 1.1 {
            parts.append(String(format: "%.2gx faster zero-fill faults", ratio))
        } else if ratio > 1.005 {
            parts.append(String(format: "%.1f%% faster zero-fill faults", (ratio - 1) * 100))
        } else if ratio < 0.995 {
            parts.append(String(format: "%.1f%% slower zero-fill faults", (1 - ratio) * 100))
        } else if abs(ratio - 1) < 0.0005 {
            parts.append("no change in fault rate")
        } else {
            // The table shows the change to a tenth: say it, and that it is under half a percent.
            parts.append(String(format: "fault rate within 0.5%% (%+.1f%%)", (ratio - 1) * 100))
        }
        // The fault rate moves with the same inputs as total CPU: its range, where one was computed.
        if let d = result.verdict?.faultRateDelta, d.high - d.low > 1e-9, let last = parts.indices.last {
            parts[last] += Self.spanText(d)
            if !d.signStable { parts[last] += ": **fault rate not stable**" }
        }
        // Under a cold start nothing was zeroed before the window and each scrubber wakes by its
        // own rule at the window's frees: an assumption about the start state, not a property
        // of the workload.
        let cold = result.trace.warmup == "none"
            ? " (cold start: nothing zeroed before the window, and it wakes by its own rule at the window's frees; --warmup idle:S starts it warm)" : ""
        if run.scrubberCPUFromTasksNs > 0 {
            // A normal-priority scrubber (kscrubd) delays the node's tasks by what it takes from them.
            parts.append("pays \(Self.duration(run.scrubberCPUNs)) of CPU in its scrubber, \(Self.duration(run.scrubberCPUFromTasksNs)) of it taken from busy tasks" + cold)
        } else if run.scrubberCPUNs > 0 {
            parts.append("pays \(Self.duration(run.scrubberCPUNs)) of idle CPU" + cold)
        }
        if run.pagesZeroedScrubber > 0 {
            // What the zeroing ahead served: a scrubber woken by the command's last frees (its
            // exit) pays in the window for pages no request of the window takes. Every page a
            // hit can come from counts (the zeroing law, `check()`).
            let zeroed = run.pagesZeroedScrubber &+ run.pagesZeroedBeforeWindow &+ run.pagesZeroedFreePath
            var served = "\(run.zeroHitPages) of the \(zeroed) pages zeroed ahead"
            if run.pagesZeroedBeforeWindow > 0 { served += " (\(run.pagesZeroedBeforeWindow) before the window)" }
            served += " served a zero request in the window"
            if 2 * run.zeroHitPages < zeroed {
                served += ": the rest served none in it, their zeroing paid all the same (left zeroed at its end, or given to requests that did not need it)"
            }
            parts.append(served)
        }
        if run.pagesZeroedBeforeWindow > 0 {
            parts.append("started with \(run.pagesZeroedBeforeWindow) pages zeroed before the window (\(Self.duration(run.warmupCPUNs)) of CPU, not in total CPU)")
        }
        if run.engineBusyNs > 0 {
            let hypothetical = result.profile.engines.contains { $0.hypothetical == true }
            parts.append("keeps the \(hypothetical ? "hypothetical " : "")zeroing engine busy \(Self.duration(run.engineBusyNs))")
        }
        let freeExtra = run.freePathNs - base.freePathNs
        if freeExtra > 0.01 * max(base.totalCPUNs, 1) {
            parts.append("adds \(Self.duration(freeExtra)) to the free path")
        }
        if run.wastedZeroingPages > base.wastedZeroingPages {
            parts.append("\(run.wastedZeroingPages) zeroed pages handed to requests that did not need them or cleared again")
        }
        // The tasks' hot sets: what the clears on their CPUs make them read again.
        let rereadExtra = run.workingSetRefetchNs - base.workingSetRefetchNs
        if abs(rereadExtra) > 0.01 * max(base.totalCPUNs, 1) {
            // The hot sets' size is the report's assumption unless a profile measured them: say which.
            let origin = ["option": "chosen", "trace": "from the trace's metadata"][result.trace.workingSetSource ?? ""] ?? "assumed"
            let sets = result.trace.workingSetSource == "transferred" ? "hot sets measured by the touch profile"
                : "hot sets of \(Int(run.workingSetBytes) / 1024) KiB, \(origin)"
            parts.append("its tasks re-read \(Self.duration(run.workingSetRefetchNs)) of hot data that clears and first touches on their CPUs evicted (the baseline \(Self.duration(base.workingSetRefetchNs)); \(sets))")
        }
        parts.append(Self.demandMisses(run.llcDemandMisses, base: base.llcDemandMisses))
        // Its percent is of the policy-dependent costs alone (a few ms of a long run can read
        // +6939 %): the change in time, and its share of the CPU time the window had.
        var total = "total CPU \(Self.delta(run.totalCPUNs, base.totalCPUNs))"
        let change = run.totalCPUNs - base.totalCPUNs
        let windowCPU = run.spanNs * Double(max(result.profile.cpus, 1))
        if abs(change) >= 1e3 && windowCPU > 0 {
            total += " (\(change >= 0 ? "+" : "-")\(Self.duration(abs(change))), \(Self.share(abs(change) / windowCPU)) of the window's "
            total += "\(Self.duration(windowCPU)) of CPU time)"
        }
        parts.append(total)
        return parts.joined(separator: "; ")
    }

    /// "+4% LLC demand misses"; against a baseline with none (an inline clear leaves the touched
    /// line hot), the count itself.
    static func demandMisses(_ count: UInt64, base: UInt64) -> String {
        switch (count, base) {
        case (0, 0): "no LLC demand misses (nor in the baseline)"
        case (_, 0): "\(count) LLC demand misses where the baseline has none"
        default: "\(delta(Double(count), Double(base))) LLC demand misses"
        }
    }

    /// A share in percent, to two significant digits down to 0.01 %: "0.80%", "12%", "<0.01%".
    static func share(_ fraction: Double) -> String {
        let percent = fraction * 100
        if percent < 0.01 { return "<0.01%" }
        return percent >= 10 ? String(format: "%.0f%%", percent) : percent >= 1 ? String(format: "%.1f%%", percent) : String(format: "%.2f%%", percent)
    }

    static func duration(_ ns: Double) -> String {
        if ns >= 1e9 { return String(format: "%.2f s", ns / 1e9) }
        if ns >= 1e6 { return String(format: "%.1f ms", ns / 1e6) }
        return String(format: "%.0f µs", ns / 1e3)
    }

    func sweeps(_ group: Group, base: Run?) -> String {
        var byPolicy: [String: [Run]] = [:]
        for run in group.runs { byPolicy[run.policy, default: []].append(run) }
        var md = ""
        for (policy, runs) in byPolicy.sorted(by: { $0.key < $1.key }) where runs.count > 1 {
            let keys = Set(runs.flatMap(\.parameters.keys)).sorted().filter { key in Set(runs.map { $0.parameters[key] ?? "" }).count > 1 }
            guard !keys.isEmpty else { continue }
            md += "Sweep of `\(policy)`:\n\n| " + keys.joined(separator: " | ") + " | faults/s | Δ | zero hits | total CPU ms | Δ |\n"
            md += "|" + String(repeating: "---|", count: keys.count) + "---:|---:|---:|---:|---:|\n"
            for run in runs {
                let b = (base ?? run).metrics
                let m = run.metrics
                md += "| " + keys.map { run.parameters[$0] ?? "" }.joined(separator: " | ")
                md += " | \(SVGChart.short(m.faultRate)) | \(Self.delta(m.faultRate, b.faultRate)) | \(Self.hitRate(m)) "
                md += "| \(Self.ms(m.totalCPUNs)) | \(Self.delta(m.totalCPUNs, b.totalCPUNs)) |\n"
            }
            md += "\n"
        }
        return md
    }
}

/// Results as files: JSON with sorted keys and CSV, one row per run.
package enum ResultFiles {
    struct ResultSet: Codable {
        var toolVersion: String?
        var runs: [RunResult]
        enum CodingKeys: String, CodingKey {
            case toolVersion = "tool_version"
            case runs
        }
    }

    package static func json(runs: [RunResult], toolVersion: String) throws -> String {
        try RunResult.encodeJSON(ResultSet(toolVersion: toolVersion, runs: runs))
    }

    /// Scalar metrics, one column each in name order, after the run's identity.
    package static func csv(runs: [RunResult]) -> String {
        let columns = Metric.all.filter(\.isScalar).sorted { $0.name < $1.name }
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        // A verdict's range after the metrics (empty where none was computed: a batch, the baseline).
        let verdictColumns = ["no_verdict", "verdict_total_cpu_delta", "verdict_low", "verdict_high", "verdict_sign_stable", "verdict_driver"]
        var out = (["trace", "profile", "policy", "parameters", "touch", "timebase", "kernel_init"] + columns.map(\.name) + verdictColumns).joined(separator: ",") + "\n"
        for run in runs {
            let parameters = run.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            var row = [
                run.trace.path, run.profileLabel, run.policy, parameters, run.trace.touch.description, run.trace.timebase.rawValue,
                run.trace.kernelInit?.settings ?? "",
            ].map(field)
            for metric in columns {
                let v = metric.scalar(run.metrics) ?? 0
                row.append(v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v))
            }
            let d = run.verdict?.totalCPUDelta
            row += [run.noVerdict ?? "", d.map { String($0.value) } ?? "", d.map { String($0.low) } ?? "", d.map { String($0.high) } ?? "",
                    d.map { String($0.signStable) } ?? "", d?.driver ?? ""].map(field)
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    package struct LoadError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads every run from result files: a `replay --json` object, a `{"runs": [...]}` file, or a
    /// directory of either (recursively).
    package static func load(_ paths: [String]) throws -> [RunResult] {
        var runs: [RunResult] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw LoadError(description: "\(path): no such file or directory")
            }
            guard isDirectory.boolValue else {
                runs += try loadFile(path)
                continue
            }
            var files: [String] = []
            let enumerator = FileManager.default.enumerator(atPath: path)
            while let item = enumerator?.nextObject() as? String {
                if item.hasSuffix(".json") { files.append((path as NSString).appendingPathComponent(item)) }
            }
            // A batch names its files by run id, a hash: its policies come in the registry's
            // order (unknown names after, by name), not in an order that moves with the ids.
            var directoryRuns: [RunResult] = []
            for file in files.sorted() { directoryRuns += try loadFile(file) }
            let rank = { (name: String) in Policies.names.firstIndex(of: name) ?? Policies.names.count }
            runs += directoryRuns.enumerated().sorted { a, b in
                (rank(a.element.policy), a.element.policy, a.offset) < (rank(b.element.policy), b.element.policy, b.offset)
            }.map(\.element)
        }
        return runs
    }

    /// A result file: one run (`replay --json`, a batch result) or `{"runs": [...]}`, in one parse.
    struct AnyResultFile: Decodable {
        var runs: [RunResult]
        init(from decoder: Decoder) throws {
            let set = try decoder.container(keyedBy: ResultSet.CodingKeys.self)
            runs = set.contains(.runs) ? try set.decode([RunResult].self, forKey: .runs) : [try RunResult(from: decoder)]
        }
    }

    static func loadFile(_ file: String) throws -> [RunResult] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw LoadError(description: "\(file): cannot read (\(FileCheck.reason(error)))")
        }
        do {
            return try JSONDecoder().decode(AnyResultFile.self, from: data).runs
        } catch let error as DecodingError {
            // Only on failure: look at the file's shape again to say what it is.
            guard let shape = try? JSONDecoder().decode([String: ConfigValue].self, from: data) else {
                throw LoadError(description: "\(file): not a JSON object (expected a result of `prezero replay --json`, `compare --json` or `batch`)")
            }
            let format = (shape["format"] ?? shape["runs"]?.array?.first?.table?["format"])?.number.map { Int($0) } ?? 1
            throw LoadError(description: "\(file): not a prezero result of format \(format) (this prezero reads formats 1 to \(RunResult.currentFormat)): " + describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
