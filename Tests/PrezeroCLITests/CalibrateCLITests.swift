import Foundation
import PrezeroTestSupport
import Testing

/// `prezero calibrate` on this machine, and its profile used by default.
@Suite("prezero calibrate (CLI)")
struct CalibrateCLITests {
    /// A quick calibration writes a profile that loads, whose values are this machine's within
    /// broad physical bounds (a fault is µs, a memory load is tens to hundreds of ns, an L2 hit a
    /// few ns), and which replay then uses by default once it sits at the host profile's path.
    @Test func calibrateWritesTheDefaultProfile() throws {
        let config = Scratch.directory + "calibrate-\(UUID().uuidString)"
        let path = config + "/profiles/host.toml"
        let run = try runPrezero(["calibrate", "--quick", "--json"], environment: ["PREZERO_CONFIG_DIR": config])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("profile written to \(path)"))
        let values = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: [String: Any]] ?? [:]
        func median(_ key: String) -> Double { values[key]?["median"] as? Double ?? -1 }
        #expect(median("write_fault_ns") > 200 && median("write_fault_ns") < 100_000)
        #expect(median("load_memory_ns") > 20 && median("load_memory_ns") < 2_000)
        #expect(median("load_l2_ns") > 0.3 && median("load_l2_ns") < median("load_llc_ns"))
        // Not LLC < memory: the LLC is shared, and the tests running beside this one thrash it, so
        // its pointer chase can come out as slow as memory's (seen in CI: 202 against 187 ns).
        // The private L2 is not shared: it stays faster than memory. Measured alone, on an idle
        // machine: tools/calibrate-vs-notes.py.
        #expect(median("load_l2_ns") < median("load_memory_ns"))
        #expect(median("load_llc_ns") < 2_000)
        #expect((values["write_fault_ns"]?["reps"] as? Int) == 5)
        // A fault after an LLC's worth of the program's stores costs more than one back to back
        // (4-7x on this project's VMs), and the profile's range of fault_base_ns says so.
        #expect(median("write_fault_cold_ns") > median("write_fault_ns") && median("write_fault_cold_ns") < 1_000_000)

        let shown = try runPrezero(["profiles", "host", "--json"], environment: ["PREZERO_CONFIG_DIR": config])
        #expect(shown.status == 0)
        #expect(shown.out.contains("measured: 4 KiB write fault"))
        #expect(shown.out.contains("prezero calibrate"))
        #expect(shown.out.contains("faults each after the program stored to as much data as the LLC holds"))

        let trace = repository.appendingPathComponent("traces/thp-touch.perf.txt.zst").path
        let calibrated = try runPrezero(["replay", trace, "--policy", "zero-on-fault", "--json"], environment: ["PREZERO_CONFIG_DIR": config])
        #expect(calibrated.status == 0, "\(calibrated.err)")
        #expect(calibrated.out.contains("\"name\" : \"host\""))
        let builtin = try runPrezero(["replay", trace, "--policy", "zero-on-fault", "--json"])
        #expect(builtin.out.contains("\"name\" : \"epyc-zen5-vm\""))
        let report = try runPrezero(["compare", trace, "--policies", "oracle", "--sensitivity", "off", "-o", config + "/r/report.md"])
        #expect(report.status == 0)
        let markdown = try String(contentsOfFile: config + "/r/report.md", encoding: .utf8)
        #expect(markdown.contains("**Not this machine**: `epyc-zen5-vm` is a built-in profile"))
    }

    @Test func hostProfileMissingIsAClearError() throws {
        let config = Scratch.directory + "no-calibration-\(UUID().uuidString)"
        let trace = repository.appendingPathComponent("traces/thp-touch.perf.txt.zst").path
        let run = try runPrezero(["replay", trace, "--profile", "host"], environment: ["PREZERO_CONFIG_DIR": config])
        #expect(run.status != 0)
        #expect(run.err.contains("no calibrated profile of this machine at \(config)/profiles/host.toml: run prezero calibrate"))
    }
}
