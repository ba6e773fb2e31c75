import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroReport
import PrezeroTrace

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run a plan of replays (traces x profiles x policies x parameter sweeps); resumable and shardable.",
        discussion: """
            Each run writes one JSON result into DIR named by a hash of its inputs, through a temporary \
            file, so a rerun skips what is done and an interrupted batch resumes. --shard K/N runs the \
            K-th of N slices (tools/slurm-batch.sh). `prezero report DIR -o report.md` merges the results.
            """
    )

    @Argument(help: "The plan (TOML).", completion: .file(extensions: ["toml"])) var plan: String
    @Option(name: .shortAndLong, help: "Directory for result files.", completion: .directory) var output: String = "results"
    @Option(help: "Replays run at once (they share one decode of each trace).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Run only slice K of N (1-based), e.g. 3/8.") var shard: String?
    @Flag(help: "List the runs and exit.") var dryRun = false
    @Flag(help: "Make trace anomalies fatal (see 'prezero replay --help'); no result is written for such a trace.") var strict = false

    func run() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be >= 1") }
        var sliceK = 1
        var sliceN = 1
        if let shard {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
                throw ValidationError("--shard '\(shard)' must be K/N with 1 <= K <= N")
            }
            (sliceK, sliceN) = (parts[0], parts[1])
        }
        try Paths.checkInput(plan, what: "plan")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("-o \(output): is a file; give a directory for the result files")
        }
        try Paths.checkDirectory(output, for: output, option: "-o")
        let expanded: BatchPlan
        do { expanded = try BatchPlan.load(path: plan, toolVersion: Prezero.version) } catch let problems as BatchPlan.Problems {
            writeStandardError("prezero: the plan has \(problems.list.count) problem(s); nothing was run:\n" + problems.description + "\n")
            throw ExitCode(2)
        }
        let mine = expanded.shard(sliceK, of: sliceN)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let pending = mine.filter { !FileManager.default.fileExists(atPath: resultPath($0)) }
        writeStandardError("plan: \(expanded.runs.count) runs; shard \(sliceK)/\(sliceN): \(mine.count); already done: \(mine.count - pending.count); to run: \(pending.count)\n")
        if dryRun {
            for run in mine {
                print("\(run.id)  \(run.trace)  \(run.profileName)  \(run.touch ?? "-")  \(run.policy)  "
                    + run.settings.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
            }
            return
        }

        // Runs that share a trace, profile and touch model share one decode.
        var groups: [String: [BatchPlan.Run]] = [:]
        var order: [String] = []
        for run in pending {
            let key = run.trace + "\u{0}" + run.profileName + "\u{0}" + (run.touch ?? "")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(run)
        }
        let progress = BatchProgress(total: pending.count)
        try failingOnSetupProblems {
            try failingOnTraceError {
                for key in order {
                    guard let group = groups[key], let first = group.first else { continue }
                    let (options, metadata) = try first.setup.options(for: first.trace)
                    var start = 0
                    while start < group.count {
                        let chunk = Array(group[start..<min(start + jobs, group.count)])
                        let policies = try chunk.map { try Policies.make($0.policy, settings: $0.settings, profile: options.profile) }
                        let results = try Replay.runMany(
                            path: first.trace, policies: policies, options: Array(repeating: options, count: chunk.count),
                            metadata: metadata)
                        if strict, let error = results.first?.strictError() { throw error }
                        for (run, result) in zip(chunk, results) {
                            var named = result
                            named.runId = run.id
                            named.profileName = run.profileName
                            var outputs = OutputSet()
                            outputs.add(resultPath(run), try named.json())
                            do { try outputs.commit() } catch let error as OutputSet.OutputError {
                                writeStandardError("prezero: error: \(error)\n")
                                throw ExitCode(1)
                            }
                            progress.done(events: UInt64(result.trace.lines))
                        }
                        start += jobs
                    }
                }
            }
        }
        progress.finish()
        writeStandardError("done: \(pending.count) runs written to \(output)\n")
    }

    func resultPath(_ run: BatchPlan.Run) -> String { (output as NSString).appendingPathComponent(run.id + ".json") }
}

/// `runs done/total, events/s, time left` on stderr when it is a terminal.
final class BatchProgress {
    let total: Int
    var done = 0
    var events: UInt64 = 0
    let start = ProgressReporter.now()
    let enabled = isatty(2) != 0

    init(total: Int) { self.total = total }

    func done(events more: UInt64) {
        done += 1
        events += more
        guard enabled else { return }
        let elapsed = max(ProgressReporter.now() - start, 1e-6)
        let left = Double(total - done) * elapsed / Double(max(done, 1))
        writeStandardError("\rruns \(done)/\(total), \(Int(Double(events) / elapsed / 1e3)) k events/s, \(ProgressReporter.seconds(left)) left   ")
    }

    func finish() { if enabled && done > 0 { writeStandardError("\r\u{1B}[K") } }
}
