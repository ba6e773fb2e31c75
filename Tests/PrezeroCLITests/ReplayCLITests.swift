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
            let single = try runPrezero(["compare", trace, "--policies", "oracle", "--touch", touch, "-o", dir + "/\(touch).md", "--json", dir + "/\(touch).json"])
            #expect(single.status == 0, "\(single.err)")
            for (key, value) in try totals(dir + "/\(touch).json") { #expect(range[key] == value, "\(key)") }
        }
        #expect(range.count == 4)  // zero-on-fault and oracle at two densities
        let both = try runPrezero(["compare", trace, "--touch", "full", "--touch-range", "first-line,full", "-o", dir + "/x.md"])
        #expect(both.status == 64)
        #expect(both.err.contains("give it or --touch, not both"))
    }
}
