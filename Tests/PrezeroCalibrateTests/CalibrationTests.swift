import Foundation
import PrezeroModel
import PrezeroTestSupport
import Testing

@testable import PrezeroCalibrate

@Suite("Calibration")
struct CalibrationTests {
    @Test func medianMinMax() {
        let odd = Measured([5, 1, 3, 2, 4], unit: "ns")
        #expect(odd.median == 3 && odd.min == 1 && odd.max == 5 && odd.reps == 5)
        #expect(Measured([4, 1, 3, 2], unit: "ns").median == 2.5)
        #expect(abs(odd.spread - 4.0 / 3.0) < 1e-12)
    }

    @Test func sysfsSizes() {
        #expect(HostFacts.parseSize("48K") == 48 << 10)
        #expect(HostFacts.parseSize("32768K") == 32 << 20)
        #expect(HostFacts.parseSize("2M") == 2 << 20)
        #expect(HostFacts.parseSize("x") == nil)
    }

    /// Hand-computed: fault_base_ns = 1,300 - the 4 KiB clear (4096 B at 4096/30 B/ns = 30 ns) -
    /// the template's fault_batches mean (3,300/31 + 50/64 + 2,950/512 = 112.99 ns) = 1,157.0;
    /// fault_per_extra_page_ns = (89,000 - 80,000 - 1,157.0) / 511 = 15.35; line_miss_stream_ns =
    /// (145 - 11) / 63 = 2.127.
    @Test func profileFromMeasurements() throws {
        var host = HostFacts()
        host.hostname = "testhost"
        host.kernelRelease = "6.18.0"
        host.cpuModel = "Test CPU"
        host.cpus = 4
        host.nodes = 1
        host.memoryBytes = 8 << 30
        host.cacheFromSysfs = true
        host.date = "2026-12-05"
        var result = Calibration.Result(host: host)
        func add(_ key: String, _ values: [Double]) { result.values.append((key, key, Measured(values, unit: "ns"))) }
        add("write_fault_ns", [1290, 1300, 1310, 1300, 1320])
        add("clear_4k_hot_ns", [30, 30, 30, 30, 30])
        add("clear_2m_chunked_ns", [80_000, 80_000, 80_000, 80_000, 80_000])
        add("thp_fault_ns", [89_000, 89_000, 89_000, 89_000, 89_000])
        add("load_memory_ns", [160, 165, 170, 150, 162])
        add("load_l2_ns", [3.4, 3.4, 3.4, 3.4, 3.4])
        add("load_llc_ns", [13, 13, 13, 13, 13])
        add("touch_one_store_ns", [11, 11, 11, 11, 11])
        add("touch_every_line_ns", [145, 145, 145, 145, 145])
        // Without a cold fault the warm fault's spread is no range of its warmth: not varied; nor
        // with a "cold" fault no slower than the warm one's median (1,300 ns).
        #expect(result.profile(template: BuiltinProfiles.epycZen5VM, tool: "t").range(of: "fault_base_ns") == nil)
        var noSlower = result
        noSlower.values.append(("write_fault_cold_ns", "", Measured([1_295, 1_295, 1_295, 1_295, 1_295], unit: "ns")))
        #expect(noSlower.profile(template: BuiltinProfiles.epycZen5VM, tool: "t").range(of: "fault_base_ns") == nil)
        add("write_fault_cold_ns", [4_000, 4_100, 4_200, 4_100, 4_300])
        let p = result.profile(template: BuiltinProfiles.epycZen5VM, tool: "prezero calibrate test")
        #expect(abs(p.faultBaseNs - 1157.01) < 0.1, "\(p.faultBaseNs)")
        // The fault path's warmth: from the nominal (the warm faults' median) to the cold faults'
        // median, each less the same clear and periodic work (1,300 - 1,157.01 = 142.99 ns), not
        // the template's range (the EPYC's gcc figure).
        let warmth = try #require(p.range(of: "fault_base_ns"))
        #expect(abs(warmth.low - p.faultBaseNs) < 1e-9 && abs(warmth.high - (4_100 - 142.99)) < 0.01, "\(warmth)")
        #expect(warmth.source.hasPrefix("measured: from back-to-back 4 KiB write faults (1300 ns, the nominal)"), "\(warmth.source)")
        #expect(abs(p.faultPerExtraPageNs - 15.348) < 0.01, "\(p.faultPerExtraPageNs)")
        #expect(abs(p.lineMissStreamNs - 134.0 / 63) < 1e-9)
        #expect(p.lineMissNs == 162 && p.lineHitNs == 3.4 && p.llcHitNs == 13)
        #expect(p.cpus == 4 && p.name == "host")
        #expect(p.validationErrors().isEmpty, "\(p.validationErrors())")
        // The spread goes with the value; each measured source names how, where and when.
        #expect(p.measuredRanges?["line_miss_ns"] == [150, 170])
        // A verdict's range of a measured price is the measured one, not the template's declared
        // range (the EPYC's 13.3-160 ns for line_miss_ns); one calibrate does not measure keeps it.
        #expect(p.range(of: "line_miss_ns") == ParameterRange(low: 150, high: 170, source: "measured min-max over calibrate's repetitions"))
        #expect(p.range(of: "llc_hit_ns")?.low == 13 && p.range(of: "llc_hit_ns")?.high == 13)
        #expect(BuiltinProfiles.epycZen5VM.range(of: "line_miss_ns")?.low == 13.3)
        // A THP fault measured below its clear and base fault (this Xeon VM: 276 us against a
        // 311 us chunked clear) leaves fault_per_extra_page_ns at 0, and its source says by how
        // much the model's THP fault is dearer: 70,000 - 80,000 - 1,157.0 = -11,157 ns.
        var slower = result
        slower.values.removeAll { $0.0 == "thp_fault_ns" }
        slower.values.append(("thp_fault_ns", "thp_fault_ns", Measured([70_000, 70_000, 70_000, 70_000, 70_000], unit: "ns")))
        let dear = slower.profile(template: BuiltinProfiles.epycZen5VM, tool: "prezero calibrate test")
        #expect(dear.faultPerExtraPageNs == 0)
        #expect(dear.sources["fault_per_extra_page_ns"]?.contains("exceed the measured fault by 11157 ns") == true, "\(dear.sources["fault_per_extra_page_ns"] ?? "")")
        // A range that leaves out the profile's own value (a profile calibrated before measured
        // ranges replaced the template's: the EPYC's 7-13 ns beside a measured 139 ns) is not
        // used as is: the measured one holds the value, else the declared one is widened to it.
        var old = p
        old.llcHitNs = 139
        old.uncertainty = ["llc_hit_ns": ParameterRange(low: 7, high: 13, source: "notes §4")]
        old.measuredRanges?["llc_hit_ns"] = [133, 143]
        #expect(old.range(of: "llc_hit_ns") == ParameterRange(low: 133, high: 143, source: "measured min-max over calibrate's repetitions"))
        old.measuredRanges?["llc_hit_ns"] = nil
        let widened = try #require(old.range(of: "llc_hit_ns"))
        #expect(widened.low == 7 && widened.high == 139 && widened.source.hasPrefix("notes §4; widened to this profile's llc_hit_ns of 139 ns"))
        let source = try #require(p.sources["fault_base_ns"])
        #expect(source.contains("prezero calibrate test on testhost (kernel 6.18.0, Test CPU), 2026-12-05, 5 reps"))
        #expect(source.contains("1300 [1290-1320] ns"))
        #expect(p.sources["free_path_ns"]?.hasPrefix("not measured by calibrate: from the built-in epyc-zen5-vm") == true)
        // Through a TOML file and back.
        let path = Scratch.directory + "calibrated-\(UUID().uuidString).toml"
        try p.tomlText().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try MachineProfile.load(path: path) == p)
    }
}
