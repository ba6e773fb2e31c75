import Foundation
import Testing

@testable import PrezeroReport

private let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// Three fixed runs, written by hand: a baseline, a scrubber that halves fault time at the cost of
/// idle CPU and cold lines, and a two-point sweep.
func fixedRuns() throws -> [RunRecord] {
    func run(_ policy: String, _ parameters: [String: String], _ metrics: [String: Any]) throws -> RunRecord {
        var all: [String: Any] = [
            "faults": 1000, "fault_path_ns": 1_300_000.0, "touch_ns": 3_000.0, "touch_miss_ns": 0.0, "fault_rate": 767_000.0,
            "fault_latency_p50_ns": 1300, "fault_latency_p99_ns": 1400, "zero_requests": 1100, "zero_hits": 0,
            "alloc_path_zeroing_ns": 4_500.0, "scrubber_cpu_ns": 0.0, "free_path_ns": 120_000.0, "wasted_zeroing_pages": 0,
            "llc_misses": 64_000, "total_cpu_ns": 1_424_500.0, "bytes_zeroed": 4_505_600, "engine_busy_ns": 0.0,
            "fault_latency_cdf": [[1300.0, 0.5], [1400.0, 1.0]], "pool_samples": [] as [Any],
        ]
        for (k, v) in metrics { all[k] = v }
        let object: [String: Any] = [
            "trace": ["path": "traces/demo.perf.txt.zst", "lines": 5000, "touch": "first-line", "timebase": "trace"],
            "profile": [
                "name": "demo", "page_bytes": 4096, "line_bytes": 64, "memory_bytes": 1 << 30, "cpus": 2, "nodes": 1,
                "fault_base_ns": 1255.0, "line_hit_ns": 3.0, "line_miss_ns": 100.0,
                "llc": ["size_bytes": 32 << 20, "ways": 16, "line_bytes": 64], "engines": [] as [Any],
            ],
            "policy": policy, "parameters": parameters, "metrics": all,
        ]
        return try RunRecord(json: object)
    }
    return [
        try run("zero-on-fault", [:], [:]),
        try run("kscrubd-v4", ["scrub_start": "4"], [
            "fault_rate": 1_534_000.0, "fault_path_ns": 1_255_000.0, "touch_miss_ns": 100_000.0, "zero_hits": 1100,
            "scrubber_cpu_ns": 2_000_000_000.0, "llc_misses": 1_000, "total_cpu_ns": 3_475_000_000.0, "wasted_zeroing_pages": 7,
            "pool_samples": [[0.0, 100.0], [1e9, 50.0]],
        ]),
        try run("kscrubd-v4", ["scrub_start": "6"], [
            "fault_rate": 700_000.0, "fault_path_ns": 1_400_000.0, "zero_hits": 550, "scrubber_cpu_ns": 1_000_000.0,
            "llc_misses": 66_000, "total_cpu_ns": 1_700_000.0,
        ]),
    ]
}

@Suite("Comparison report")
struct ComparisonReportTests {
    func check(_ text: String, against name: String) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["PREZERO_UPDATE_GOLDEN"] != nil {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file")
    }

    @Test func goldenMarkdownJSONAndCSV() throws {
        let runs = try fixedRuns()
        let output = ComparisonReport(runs: runs, baseline: "zero-on-fault", toolVersion: "test", chartPrefix: "report").render()
        try check(output.markdown, against: "compare.md")
        try check(try ResultFiles.json(runs: runs, toolVersion: "test"), against: "compare.json")
        try check(ResultFiles.csv(runs: runs), against: "compare.csv")
        #expect(output.charts.map(\.name) == [
            "report-1-demo-perf-txt-zst-demo-fault-rate.svg", "report-1-demo-perf-txt-zst-demo-latency-cdf.svg",
            "report-1-demo-perf-txt-zst-demo-zeroed-pool.svg", "report-1-demo-perf-txt-zst-demo-cpu-cost.svg",
        ])
        for chart in output.charts {
            #expect(chart.svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(chart.svg.hasSuffix("</svg>\n"))
        }
    }

    /// Hand-checked: 1,534,000 / 767,000 = 2x; 2,000,000,000 ns of scrubber = 2.00 s;
    /// 1,000 / 64,000 LLC misses = -98%.
    @Test func verdictSaysWhoPays() throws {
        let runs = try fixedRuns()
        let report = ComparisonReport(runs: runs, baseline: "zero-on-fault", toolVersion: "test", chartPrefix: "r")
        let verdict = report.verdict(runs[1], runs[0])
        #expect(verdict.hasPrefix("2x faster zero-fill faults; pays 2.00 s of idle CPU"))
        #expect(verdict.contains("-98% LLC misses"))
        let slower = report.verdict(runs[2], runs[0])
        #expect(slower.hasPrefix("8.7% slower zero-fill faults"))
    }

    @Test func resultsRoundTripThroughJSON() throws {
        let runs = try fixedRuns()
        let path = NSTemporaryDirectory() + "prezero-results-\(UUID().uuidString).json"
        try ResultFiles.json(runs: runs, toolVersion: "test").write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try ResultFiles.load([path])
        #expect(loaded.count == 3)
        #expect(loaded.map(\.policy) == runs.map(\.policy))
        #expect(loaded.map { $0["fault_rate"] } == runs.map { $0["fault_rate"] })
        #expect(loaded[1].series["pool_samples"]?.count == 2)
    }
}

@Suite("Report regime")
struct RegimeTests {
    /// A page-touch trace's measured lines per page decide the regime (48 of 64 lines: full touch).
    @Test func measuredTouchDecidesTheRegime() throws {
        var runs = try fixedRuns()
        for i in runs.indices { runs[i].metrics["touched_lines_per_page_mean"] = 48 }
        let markdown = ComparisonReport(runs: runs, baseline: "zero-on-fault", toolVersion: "t", chartPrefix: "r").render().markdown
        #expect(markdown.contains("Workload regime: **full touch**: the trace's touch records show 48 of 64 lines"))
        let sparse = ComparisonReport(runs: try fixedRuns(), baseline: "zero-on-fault", toolVersion: "t", chartPrefix: "r").render().markdown
        #expect(sparse.contains("Workload regime: **sparse touch**: each zero-fill fault touches 1 of 64 lines"))
    }
}
