import Foundation
import PrezeroTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("prezero batch and report (CLI)")
struct BatchCLITests {
    func makePlan(_ dir: String, traces: [String], policies: String) throws -> String {
        let plan = dir + "/plan.toml"
        try """
            traces = [\(traces.map { "\"\($0)\"" }.joined(separator: ", "))]
            [[policy]]
            name = "zero-on-fault"
            [[policy]]
            name = "kscrubd-v4"
            \(policies)
            """.write(toFile: plan, atomically: true, encoding: .utf8)
        return plan
    }

    @Test func rerunDoesNoWorkAndReportMergesShards() throws {
        let dir = Scratch.directory + "prezero-batch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let trace = repository.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let plan = try makePlan(dir, traces: [trace], policies: "scrub_start = [4, 5, 6]")
        // Two shards, then the whole plan again: nothing left to do.
        let first = try runPrezero(["batch", plan, "-o", dir + "/results", "--shard", "1/2"])
        #expect(first.status == 0, "\(first.err)")
        let second = try runPrezero(["batch", plan, "-o", dir + "/results", "--shard", "2/2"])
        #expect(second.status == 0, "\(second.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/results").filter { $0.hasSuffix(".json") }
        #expect(files.count == 4)
        let again = try runPrezero(["batch", plan, "-o", dir + "/results"])
        #expect(again.err.contains("already done: 4; to run: 0"))
        let report = try runPrezero(["report", dir + "/results", "-o", dir + "/report.md", "--csv", dir + "/results.csv"])
        #expect(report.status == 0, "\(report.err)")
        let markdown = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(markdown.contains("Sweep of `kscrubd-v4`"))
        let csv = try String(contentsOfFile: dir + "/results.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5)
    }

    /// Killing a batch mid-run leaves only complete result files; a rerun finishes the plan.
    @Test func interruptedBatchResumes() throws {
        let dir = Scratch.directory + "prezero-batch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let trace = dir + "/pft.perf.txt.zst"
        let synth = try runPrezero([
            "synth", "pft", "--memory", "128MiB", "--reps", "2", "--page-size", "4KiB", "--cpus", "2", "-o", trace,
        ])
        #expect(synth.status == 0)
        let plan = try makePlan(dir, traces: [trace], policies: "scrub_start = [3, 4, 5, 6, 7]")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prezeroBinary)
        process.arguments = ["batch", plan, "-o", dir + "/results", "--jobs", "1"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for the first result, then kill the batch in the middle of the next.
        let deadline = Date().addingTimeInterval(120)
        func results() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/results")) ?? []).filter { $0.hasSuffix(".json") }
        }
        while results().isEmpty && Date() < deadline && process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        // SIGKILL: the harshest interruption (and SIGTERM may be ignored under a test runner).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = results()
        #expect(partial.count < 6)
        for name in partial {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/results/" + name))
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is not complete JSON")
        }
        let rerun = try runPrezero(["batch", plan, "-o", dir + "/results"])
        #expect(rerun.status == 0)
        #expect(rerun.err.contains("already done: \(partial.count)"))
        #expect(results().count == 6)
    }

    @Test func badPlanRunsNothing() throws {
        let dir = Scratch.directory + "prezero-batch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let plan = try makePlan(dir, traces: ["/no/such.zst"], policies: "scrub_begin = 4")
        let result = try runPrezero(["batch", plan, "-o", dir + "/results"])
        #expect(result.status == 2)
        #expect(result.err.contains("2 problem(s)"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/results"))
    }
}
