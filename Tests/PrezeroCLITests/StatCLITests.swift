import Foundation
import PrezeroTestSupport
import Testing

/// The `prezero` binary built beside this test bundle.
let prezeroBinary: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    for _ in 0..<4 {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("prezero").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "prezero"
}()

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func runPrezero(
    _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], in directory: String? = nil
) throws -> (status: Int32, out: String, err: String) {
    Scratch.isolate()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: prezeroBinary)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

func temporaryFile(_ data: Data, suffix: String) throws -> String {
    let path = Scratch.directory + "prezero-cli-\(UUID().uuidString)\(suffix)"
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("prezero stat (CLI)")
struct StatCLITests {
    let trace = repository.appendingPathComponent("traces/git-clone.perf.txt.zst").path

    @Test func jsonHasTheDocumentedKeys() throws {
        let result = try runPrezero(["stat", trace, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        for key in [
            "alloc_requests", "alloc_kb", "free_requests", "free_kb", "alloc_freed_requests", "alloc_freed_kb",
            "alloc_only_requests", "alloc_only_kb", "free_only_requests", "free_only_kb", "alloc_failures",
        ] {
            #expect(summary[key] is NSNumber, "summary.\(key)")
        }
        let events = try #require(json["events"] as? [String: Any])
        #expect((events["kmem:mm_page_alloc"] as? NSNumber)?.intValue == (summary["alloc_requests"] as? NSNumber)?.intValue)
    }

    /// PREZERO_MEMORY_REPORT=1 splits the process's RSS as /proc/self/status does: anon, file and
    /// shmem add up to the RSS (the kernel's own sum), and the peak is at least the RSS at exit.
    @Test func memoryReportSplitsTheRSS() throws {
        let result = try runPrezero(["stat", trace], environment: ["PREZERO_MEMORY_REPORT": "1"])
        #expect(result.status == 0, "\(result.err)")
        let line = try #require(result.err.split(separator: "\n").first { $0.hasPrefix("prezero memory: ") })
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        try #require(numbers.count == 5, "\(line)")
        let (peak, rss, anon, file, shmem) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
        #expect(anon + file + shmem == rss && peak >= rss && anon > 0 && file > 0, "\(line)")
        #expect(try !runPrezero(["stat", trace]).err.contains("prezero memory:"))
    }

    /// A shmem fault that lost its THP to another thread's in the page cache (real lines of
    /// `fault-paths shmem-race`, the loser's alone): `stat` counts it among the first writes that
    /// took no page, in the column of the lines around it, and says what it was.
    @Test func aFreedUnmappedTHPIsShownAmongTheWritesThatTookNoPage() throws {
        let lines = """
                fault-paths 10969/10969 [001]   932.045399322:     exceptions:page_fault_user: address=0x7f811dc00000 ip=0x557023397c05 error_code=0x6
                fault-paths 10969/10969 [001]   932.045403222:             kmem:mm_page_alloc: page=0x120449 pfn=0x120449 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                fault-paths 10969/10969 [001]   932.045413368:             kmem:mm_page_alloc: page=0x138800 pfn=0x138800 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
                fault-paths 10969/10969 [001]   932.045418172:              kmem:mm_page_free: page=0x138800 pfn=0x138800 order=9
                fault-paths 10969/10969 [001]   932.051065875:              kmem:mm_page_free: page=0x120449 pfn=0x120449 order=0
                fault-paths 10969/10969 [001]   932.051089611:     exceptions:page_fault_user: address=0x7f811de00000 ip=0x557023397c05 error_code=0x6

            """
        let path = try temporaryFile(Data(lines.utf8), suffix: ".perf.txt")
        let result = try runPrezero(["stat", path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("first writes that took no page (not counted)               1\n  of them freeing their THP unmapped                       1\n"), "\(result.out)")
        #expect(result.out.contains("1 of them freed a THP of their own before its clear"))
        #expect(!result.out.contains("order 9  thp"), "no THP zero-fill fault")
    }

    @Test func textStartsWithPerfKmemSummaryBlock() throws {
        let result = try runPrezero(["stat", trace])
        #expect(result.status == 0)
        #expect(result.out.hasPrefix("\nSUMMARY (page allocator)\n========================\nTotal allocation requests     : "))
        // Labels follow the capture's kernel (6.x): migratetype 1 is Movable, not perf's "Reclaimable".
        #expect(result.out.contains("Order     Unmovable       Movable   Reclaimable    HighAtomic"))
    }

    /// Before 4.4 the labels are perf kmem's, word for word (perf 6.1's header on a real capture:
    /// `Order     Unmovable   Reclaimable       Movable      Reserved  CMA/Isolated`).
    @Test func kernelVersionSelectsOldLabels() throws {
        let result = try runPrezero(["stat", trace, "--kernel-version", "4.3"])
        #expect(result.out.contains("Order     Unmovable   Reclaimable       Movable      Reserved  CMA/Isolated\n"))
    }

    @Test func readsStandardInput() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: trace))
        let fromFile = try runPrezero(["stat", trace, "--json", "--page-size", "4096"])
        let fromStdin = try runPrezero(["stat", "-", "--json", "--page-size", "4096"], stdin: data)
        #expect(fromStdin.status == 0, "\(fromStdin.err)")
        let a = try JSONSerialization.jsonObject(with: Data(fromFile.out.utf8)) as? [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(fromStdin.out.utf8)) as? [String: Any]
        #expect(NSDictionary(dictionary: a?["summary"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: b?["summary"] as? [String: Any] ?? [:]))
    }

    @Test func truncatedZstdExitsNonZeroWithTheOffset() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: trace))
        let path = try temporaryFile(data.prefix(data.count / 2), suffix: ".perf.txt.zst")
        let result = try runPrezero(["stat", path])
        #expect(result.status == 2)
        #expect(result.err.contains(path))
        #expect(result.err.contains("byte offset \(data.count / 2)"))
        #expect(result.err.contains("truncated"))
    }

    @Test func binaryGarbageExitsNonZeroWithALine() throws {
        var bytes = [UInt8](repeating: 0, count: 100_000)
        var state: UInt64 = 42
        for i in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let path = try temporaryFile(Data(bytes), suffix: ".bin")
        let result = try runPrezero(["stat", path])
        #expect(result.status != 0)
        #expect(result.err.contains(path))
        #expect(result.err.contains(":1") || result.err.contains("offset"))
    }

    @Test func strictMakesMalformedLinesFatal() throws {
        let text = """
                     a  1 [000]     1.000001:         kmem:mm_page_free: page=0x100 pfn=0x100 order=2
                     a  1 [000]     1.000002:         kmem:mm_page_free: page=0x100 pfn=0x100 order=banana

            """
        let path = try temporaryFile(Data(text.utf8), suffix: ".txt")
        let lenient = try runPrezero(["stat", path, "--json"])
        #expect(lenient.status == 0)
        #expect(lenient.out.contains("\"malformed_lines\" : 1"))
        let strict = try runPrezero(["stat", path, "--strict"])
        #expect(strict.status == 2)
        #expect(strict.err.contains("\(path):2"))
    }

    @Test func badFlagsListValidChoices() throws {
        let result = try runPrezero(["stat", trace, "--kernel-version", "banana"])
        #expect(result.status != 0)
        #expect(result.err.contains("--kernel-version"))
    }
}

/// A real capture with the kernel's own counters in its sidecar: tools/capture-perf.sh on this
/// project's Xeon VM (6.18, 2026-12-07), mTHP 16 and 64 KiB `always`, THP `never`, of a program
/// writing one byte a page over 64 MiB of anonymous memory in a 96 MiB memory cgroup first
/// filled with page cache (`cat` of a 256 MiB file), so that the cgroup refuses some folios.
@Suite("The kernel's counters beside a capture (CLI)")
struct KernelCountersCLITests {
    static let trace = repository.appendingPathComponent("Tests/PrezeroTraceTests/Fixtures/perf-mthp-memcg.perf.data.zst").path

    struct Row: Decodable, Equatable {
        var counter: String
        var kernel: UInt64
        var trace: UInt64
        var expected_low: UInt64?
        var expected_high: UInt64?
    }
    struct Check: Decodable, Equatable {
        var trace_span: String
        var rows: [Row]
    }

    func rows(_ arguments: [String], at path: [String]) throws -> Check {
        let run = try runPrezero(arguments)
        #expect(run.status == 0, "\(run.err)")
        var object: Any = try JSONSerialization.jsonObject(with: Data(run.out.utf8))
        for key in path { object = try #require((object as? [String: Any])?[key], "no \(key)") }
        return try JSONDecoder().decode(Check.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// The kernel's counts (the oracle: anon_fault_alloc 199 and 978, their charge fallbacks 53
    /// and 58, in the sidecar) fall in the ranges the trace allows, and stat and the replay read the same.
    @Test func theKernelsCountsFallInTheTracesRanges() throws {
        let stat = try rows(["stat", Self.trace, "--json"], at: ["kernel_counters"])
        #expect(stat.trace_span == "from the fork of pid 4717 to its exit")
        func row(_ name: String) -> Row? { stat.rows.first { $0.counter == name } }
        // The bounds: the trace's faults from the fork to the exit, and up to the reader's exit.
        for (name, kernel, trace, low, high) in [
            ("hugepages-16kB/anon_fault_alloc", 199, 198, 198, 216), ("hugepages-64kB/anon_fault_alloc", 978, 978, 978, 983),
            ("hugepages-16kB/anon_fault_fallback_charge", 53, 53, 53, 53), ("hugepages-64kB/anon_fault_fallback_charge", 58, 58, 58, 58),
        ] as [(String, UInt64, UInt64, UInt64, UInt64)] {
            let r = try #require(row(name))
            #expect(r.kernel == kernel && r.trace == trace, "\(name)")
            #expect(r.expected_low == low && r.expected_high == high, "\(name): \(r)")
        }
        let replay = try rows(["replay", Self.trace, "--json"], at: ["trace", "kernel_counters"])
        #expect(replay == stat)
        let text = try runPrezero(["stat", Self.trace]).out
        #expect(text.contains("Every checked counter agrees with the trace."))
    }

    /// Free page reporting from the sidecar to `stat` and the report: the capture's own sidecar
    /// did not record it; with the keys tools/lib/metadata.sh writes, both name the device and
    /// the block size.
    @Test func freePageReportingFromTheSidecar() throws {
        #expect(try runPrezero(["stat", Self.trace]).out.contains("free page reporting: not recorded\n"))
        let directory = Scratch.directory + "prezero-reporting-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let trace = directory + "c.perf.data.zst"
        try FileManager.default.copyItem(atPath: Self.trace, toPath: trace)
        let sidecar = try String(contentsOfFile: Self.trace.replacingOccurrences(of: ".perf.data.zst", with: ".meta.json"), encoding: .utf8)
        #expect(!sidecar.contains("free_page_reporting"))
        try sidecar.replacingOccurrences(of: "{\n", with: "{\n  \"free_page_reporting\": \"virtio_balloon\",\n  \"free_page_reporting_order\": 9,\n", options: .anchored)
            .write(toFile: directory + "c.meta.json", atomically: true, encoding: .utf8)
        let stat = try runPrezero(["stat", trace])
        #expect(stat.out.contains("free page reporting: virtio_balloon, free blocks of order 9 (2048 KiB) and up go back to the VM host"), "\(stat.err)")
        let report = directory + "r.md"
        let compare = try runPrezero(["compare", trace, "--policies", "zero-on-fault,kscrubd-v4", "--sensitivity", "off", "-o", report])
        #expect(compare.status == 0, "\(compare.err)")
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("**The capture's machine gave free memory back to its VM host** (free page reporting, `virtio_balloon`"))
    }

    /// tools/lib/metadata.sh reads free page reporting from virtio_balloon's feature bit 5 (the
    /// sixth character of its features file), else from page_reporting_order once a device set
    /// it (hv_balloon's, or one it does not name), on a made-up sysfs.
    @Test func theCaptureToolsSeeFreePageReporting() throws {
        /// A made-up sysfs: a virtio_balloon whose feature bit 5 is `bit5` (none without), the
        /// module's order (-1 until a device registers), and a bound hv_balloon driver or not.
        func fields(bit5: Character?, order: String = "9", hyperV: Bool = false) throws -> String {
            let root = Scratch.directory + "sysfs-\(UUID().uuidString)"
            if let bit5 {
                let device = root + "/bus/virtio/drivers/virtio_balloon/virtio0"
                try FileManager.default.createDirectory(atPath: device, withIntermediateDirectories: true)
                try ("01100" + String(bit5) + "0100000000000000000000000000001\n").write(toFile: device + "/features", atomically: true, encoding: .utf8)
            }
            if hyperV { try FileManager.default.createDirectory(atPath: root + "/bus/vmbus/drivers/hv_balloon", withIntermediateDirectories: true) }
            try FileManager.default.createDirectory(atPath: root + "/module/page_reporting/parameters", withIntermediateDirectories: true)
            try (order + "\n").write(toFile: root + "/module/page_reporting/parameters/page_reporting_order", atomically: true, encoding: .utf8)
            return try commandOutput(
                "/bin/bash", ["-c", ". \"$0\"; json_free_page_reporting", repository.appendingPathComponent("tools/lib/metadata.sh").path],
                environment: ["SYSFS_ROOT": root, "PATH": "/usr/bin:/bin"])
        }
        func expected(_ device: String, _ order: String, parameter: String) -> String {
            "  \"free_page_reporting\": \"\(device)\",\n  \"free_page_reporting_order\": \(order),\n"
                + "  \"free_page_reporting_parameters\": {\"page_reporting_order\": \"\(parameter)\"},\n"
        }
        #expect(try fields(bit5: "1") == expected("virtio_balloon", "9", parameter: "9"))
        #expect(try fields(bit5: "0", order: "-1") == expected("none", "null", parameter: "-1"))
        #expect(try fields(bit5: nil, order: "-1") == expected("none", "null", parameter: "-1"))
        #expect(try fields(bit5: nil, order: "9", hyperV: true) == expected("hv_balloon", "9", parameter: "9"))
        #expect(try fields(bit5: nil, order: "9") == expected("unknown", "9", parameter: "9"))
    }

    /// The same capture with the sidecar's 64 KiB count raised by 10: stat and the report name
    /// the disagreement.
    @Test func aCountOutsideTheRangeIsADisagreement() throws {
        let directory = Scratch.directory + "prezero-counters-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let trace = directory + "c.perf.data.zst"
        try FileManager.default.copyItem(atPath: Self.trace, toPath: trace)
        let sidecar = Self.trace.replacingOccurrences(of: ".perf.data.zst", with: ".meta.json")
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        #expect(text.contains("\"hugepages-64kB/anon_fault_alloc\": 978"))
        try text.replacingOccurrences(of: "\"hugepages-64kB/anon_fault_alloc\": 978", with: "\"hugepages-64kB/anon_fault_alloc\": 988")
            .write(toFile: directory + "c.meta.json", atomically: true, encoding: .utf8)
        let stat = try runPrezero(["stat", trace]).out
        #expect(stat.contains("hugepages-64kB/anon_fault_alloc: the kernel counted 988 where the trace allows 978 to 983."))
        let report = directory + "r.md"
        let compare = try runPrezero(["compare", trace, "--policies", "zero-on-fault,kscrubd-v4", "--sensitivity", "off", "-o", report])
        #expect(compare.status == 0, "\(compare.err)")
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("**The capture's kernel counters disagree with the trace**"))
    }
}
