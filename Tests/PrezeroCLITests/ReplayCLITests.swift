import Foundation
import PrezeroTestSupport
import Testing

@Suite("prezero replay and synth (CLI)")
struct ReplayCLITests {
    @Test func replayJSONSaysExactlyWhatProducedIt() throws {
        let dir = Scratch.directory + "prezero-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let trace = dir + "/pft.perf.txt.zst"
        let synth = try runPrezero([
            "synth", "pft", "--memory", "8MiB", "--reps", "2", "--lines", "2", "--page-size", "4KiB", "--cpus", "2", "-o", trace,
        ])
        #expect(synth.status == 0, "\(synth.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/pft.meta.json"))
        let result = try runPrezero([
            "replay", trace, "--policy", "kscrubd-v4", "--profile", "piii-450", "--set", "scrub_start=4", "--json", "--check",
        ])
        #expect(result.status == 0, "\(result.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(json["policy"] as? String == "kscrubd-v4")
        let parameters = try #require(json["parameters"] as? [String: Any])
        #expect(parameters["scrub_start"] as? String == "4")
        let profile = try #require(json["profile"] as? [String: Any])
        let llc = try #require(profile["llc"] as? [String: Any])
        #expect((llc["size_bytes"] as? NSNumber)?.intValue == 512 << 10)
        #expect((llc["ways"] as? NSNumber)?.intValue == 4)
        #expect((llc["line_bytes"] as? NSNumber)?.intValue == 32)
        let traceInfo = try #require(json["trace"] as? [String: Any])
        #expect(traceInfo["touch"] as? String == "lines:2")  // from the synthetic trace's sidecar
        #expect(traceInfo["timebase"] as? String == "model")
        let metrics = try #require(json["metrics"] as? [String: Any])
        for name in [
            "faults", "fault_path_ns", "fault_rate", "fault_latency_p50_ns", "fault_latency_p99_ns", "fault_latency_p999_ns",
            "fault_latency_max_ns", "zero_requests", "zero_hits", "pages_zeroed_fault_path", "pages_zeroed_scrubber",
            "pages_zeroed_free_path", "pages_zeroed_by_driver", "wasted_zeroing_pages", "scrubber_cpu_ns", "idle_ns",
            "pool_samples", "pool_empty_events", "llc_accesses", "llc_misses", "llc_misses_touch", "llc_misses_pollution",
            "bytes_zeroed", "total_cpu_ns",
        ] {
            #expect(metrics[name] != nil, "metrics.\(name)")
        }
        #expect((metrics["faults"] as? NSNumber)?.intValue == 4096)
    }

    @Test func unknownPolicyAndParameterListTheValidOnes() throws {
        let trace = repository.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let policy = try runPrezero(["replay", trace, "--policy", "kscrubd-v9"])
        #expect(policy.status != 0)
        #expect(policy.err.contains("kscrubd-v4") && policy.err.contains("idle-zero"))
        let parameter = try runPrezero(["replay", trace, "--policy", "idle-zero", "--set", "stop=0.5"])
        #expect(parameter.status != 0)
        #expect(parameter.err.contains("stop_fraction"))
        let profile = try runPrezero(["replay", trace, "--profile", "cray-1"])
        #expect(profile.status != 0)
        #expect(profile.err.contains("altix-sn2"))
    }
}

/// `compare --touch-range`: every policy at each density from one decode, and the report's range
/// section (issue 12, item 3). Oracle: the same figures as two compares at `--touch first-line`
/// and `--touch full`.
@Suite("prezero compare --touch-range (CLI)")
struct TouchRangeCLITests {
    @Test func everyPolicyAtEachDensityFromOneDecode() throws {
        let trace = repository.appendingPathComponent("traces/zstd-15.perf.txt.zst").path
        let dir = Scratch.directory + "touch-range-\(UUID().uuidString)"
        let ranged = try runPrezero(["compare", trace, "--policies", "oracle", "--touch-range", "first-line,full", "-o", dir + "/range.md", "--json", dir + "/range.json"])
        #expect(ranged.status == 0, "\(ranged.err)")
        let report = try String(contentsOfFile: dir + "/range.md", encoding: .utf8)
        #expect(report.contains("## Touch density as a range"))
        #expect(report.contains("## zstd-15.perf.txt.zst on epyc-zen5-vm, touch first-line"))
        #expect(report.contains("## zstd-15.perf.txt.zst on epyc-zen5-vm, touch full"))
        // Each density's run equals a compare at that density alone.
        func totals(_ path: String) throws -> [String: Double] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            var byKey: [String: Double] = [:]
            for run in root?["runs"] as? [[String: Any]] ?? [] {
                let trace = run["trace"] as? [String: Any]
                let metrics = run["metrics"] as? [String: Any]
                byKey["\(run["policy"] ?? "")@\(trace?["touch"] ?? "")"] = metrics?["total_cpu_ns"] as? Double
            }
            return byKey
        }
        let range = try totals(dir + "/range.json")
        for touch in ["first-line", "full"] {
            let single = try runPrezero(["compare", trace, "--policies", "oracle", "--touch", touch, "--sensitivity", "off", "-o", dir + "/\(touch).md", "--json", dir + "/\(touch).json"])
            #expect(single.status == 0, "\(single.err)")
            for (key, value) in try totals(dir + "/\(touch).json") { #expect(range[key] == value, "\(key)") }
        }
        #expect(range.count == 4)  // zero-on-fault and oracle at two densities
        let both = try runPrezero(["compare", trace, "--touch", "full", "--touch-range", "first-line,full", "-o", dir + "/x.md"])
        #expect(both.status == 64)
        #expect(both.err.contains("give it or --touch, not both"))
    }
}

/// Verdict ranges and touch profiles from the command line (issue 12, items 2 and 3).
@Suite("prezero compare ranges and touch profiles (CLI)")
struct RangesAndTouchProfileCLITests {
    /// python-bytearray with the oracle: each verdict gets a range in the JSON and the report;
    /// `--sensitivity off` drops them and the nominal figures stay the same.
    @Test func compareGivesEachVerdictARangeUnlessOff() throws {
        let trace = repository.appendingPathComponent("traces/python-bytearray.ftrace.txt.zst").path
        let dir = Scratch.directory + "ranges-\(UUID().uuidString)"
        let on = try runPrezero(["compare", trace, "--policies", "oracle", "-o", dir + "/on.md", "--json", dir + "/on.json"])
        #expect(on.status == 0, "\(on.err)")
        let report = try String(contentsOfFile: dir + "/on.md", encoding: .utf8)
        #expect(report.contains("Verdict ranges") && report.contains("over the inputs' ranges"))
        #expect(FileManager.default.fileExists(atPath: dir + "/on-1-python-bytearray-ftrace-txt-zst-epyc-zen5-vm-tornado.svg"))
        #expect(FileManager.default.fileExists(atPath: dir + "/on-1-python-bytearray-ftrace-txt-zst-epyc-zen5-vm-break-even.svg"))
        func runs(_ path: String) throws -> [[String: Any]] {
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            return root?["runs"] as? [[String: Any]] ?? []
        }
        let oracle = try #require(try runs(dir + "/on.json").first { $0["policy"] as? String == "oracle" })
        let verdict = try #require(oracle["verdict"] as? [String: Any])
        let delta = try #require(verdict["total_cpu_delta"] as? [String: Any])
        let (value, low, high) = (delta["value"] as? Double ?? .nan, delta["low"] as? Double ?? .nan, delta["high"] as? Double ?? .nan)
        #expect(low <= value && value <= high && low < high)
        #expect(delta["sign_stable"] is Bool && delta.keys.contains("driver") && verdict.keys.contains("break_even_lines"))
        let off = try runPrezero(["compare", trace, "--policies", "oracle", "--sensitivity", "off", "-o", dir + "/off.md", "--json", dir + "/off.json"])
        #expect(off.status == 0, "\(off.err)")
        let offRuns = try runs(dir + "/off.json")
        #expect(offRuns.allSatisfy { $0["verdict"] == nil })
        let total = { (r: [String: Any]) in (r["metrics"] as? [String: Any])?["total_cpu_ns"] as? Double }
        #expect(total(oracle) == offRuns.first { $0["policy"] as? String == "oracle" }.flatMap(total))
    }

    /// A capture of one task (`perf record -e ... -- python3`): the report says its idle time is
    /// not in it, and kscrubd-v4's verdict range takes every CPU busy to every CPU idle; the
    /// busy machine's `perf record -a` has no idle time, and says so, with nothing to vary.
    @Test func aCaptureOfOneTaskHasNoIdleTime() throws {
        let fixtures = repository.appendingPathComponent("Tests/PrezeroTraceTests/Fixtures")
        let dir = Scratch.directory + "idle-\(UUID().uuidString)"
        func compare(_ name: String) throws -> (String, [String: Any]) {
            let run = try runPrezero([
                "compare", fixtures.appendingPathComponent(name).path, "--policies", "kscrubd-v4", "-o", dir + "/\(name).md", "--json", dir + "/\(name).json",
            ])
            #expect(run.status == 0, "\(run.err)")
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).json"))) as? [String: Any]
            let v4 = try #require((root?["runs"] as? [[String: Any]])?.first { $0["policy"] as? String == "kscrubd-v4" })
            return (try String(contentsOfFile: dir + "/\(name).md", encoding: .utf8), v4)
        }
        let (perTask, perTaskRun) = try compare("perf-per-task.perf.data.zst")
        #expect(perTask.contains("Idle time **not in the capture**: it records some tasks' switches only"))
        #expect(perTask.contains("the verdict ranges take 0 to 100 % (\"idle fraction\")"))
        let swings = (perTaskRun["verdict"] as? [String: Any])?["swings"] as? [[String: Any]] ?? []
        #expect(swings.contains { $0["input"] as? String == "idle fraction" })
        #expect((perTaskRun["trace"] as? [String: Any])?["idle_source"] as? String == "some_tasks")
        let (busy, busyRun) = try compare("perf-record.perf.data.zst")
        #expect(busy.contains("Idle time **none**: the capture's 424 sched_switch events follow each other on every CPU"))
        let notVaried = (busyRun["verdict"] as? [String: Any])?["not_varied"] as? [String] ?? []
        #expect(notVaried.contains("idle fraction: the capture's sched_switch events show no CPU idle, as --idle-fraction 0 takes"))
    }

    /// xz-6 with its own touch profile: every zero-fill fault is covered, and the regime comes
    /// from the profile's pages (xz 4,262 at 9.1 lines, its shell 91 at 24.7: 9.4 of 64, sparse),
    /// not from an unweighted mean of its two commands (16.9: partial).
    @Test func aTransferredProfileSetsTheRegimeByItsPages() throws {
        let trace = repository.appendingPathComponent("traces/xz-6.perf.txt.zst").path
        let profile = repository.appendingPathComponent("traces/xz-6.touch.json").path
        let dir = Scratch.directory + "transferred-\(UUID().uuidString)"
        let run = try runPrezero(["compare", trace, "--policies", "oracle", "--sensitivity", "off", "--touch", "profile:" + profile, "-o", dir + "/r.md"])
        #expect(run.status == 0, "\(run.err)")
        let report = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
        #expect(report.contains("Workload regime: **sparse touch**, touch density **transferred**"))
        #expect(report.contains("4204 of 4204 zero-fill faults (100.0 %) are its commands'"))
    }

    @Test func touchProfileFromALackeyTraceAndItsErrors() throws {
        let dir = Scratch.directory + "touch-profile-\(UUID().uuidString)"
        let lackey = repository.appendingPathComponent("traces/gzip-lackey.lackey.zst").path
        let made = try runPrezero(["touch-profile", lackey, "-o", dir + "/gzip.touch.json"])
        #expect(made.status == 0, "\(made.err)")
        #expect(made.err.contains("gzip:") && made.err.contains("lines touched a page on average"))
        let profile = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/gzip.touch.json"))) as? [String: Any]
        #expect((profile?["commands"] as? [String: Any])?["gzip"] != nil)
        // A kernel capture measures no touches: a clear error, no file.
        let kernel = repository.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let refused = try runPrezero(["touch-profile", kernel, "-o", dir + "/no.json"])
        #expect(refused.status == 2 && refused.err.contains("no page-touch records"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/no.json"))
        // A missing or broken profile names the file.
        let missing = try runPrezero(["replay", kernel, "--touch", "profile:" + dir + "/absent.json"])
        #expect(missing.status == 64 && missing.err.contains("absent.json"))
        try "{}".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        let broken = try runPrezero(["replay", kernel, "--touch", "profile:" + dir + "/broken.json"])
        #expect(broken.status == 64 && broken.err.contains("broken.json") && broken.err.contains("not a touch profile"))
    }

    /// touch-profile says what stat says of lines it could not read (valgrind's own decoding
    /// failure, a program's stderr in the log), and --strict refuses them; stat --page-size cuts a
    /// lackey trace's pages at that size (8 KiB: the two 4 KiB pages touched are one).
    @Test func touchProfileWarnsOfMalformedLinesAndStatTakesThePageSize() throws {
        let dir = Scratch.directory + "touch-warn-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let log = dir + "/p.lackey"
        try "==3== Command: ./p\n S 7ff000000,8\n S 7ff001000,8\nvex amd64->IR: unhandled instruction bytes: 0x62\n".write(toFile: log, atomically: true, encoding: .utf8)
        let made = try runPrezero(["touch-profile", log, "-o", dir + "/p.json"])
        #expect(made.status == 0, "\(made.err)")
        #expect(made.err.contains("1 malformed lines (first: line 4"), "\(made.err)")
        let strict = try runPrezero(["touch-profile", "--strict", log, "-o", dir + "/q.json"])
        #expect(strict.status != 0 && strict.err.contains("line 4"), "\(strict.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/q.json"))
        let stat = try runPrezero(["stat", "--json", "--page-size", "8192", log])
        #expect(stat.status == 0, "\(stat.err)")
        #expect(stat.out.contains("\"alloc_freed_requests\" : 1,"), "\(stat.out)")
    }
}
