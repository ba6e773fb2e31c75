import Foundation
import PrezeroTestSupport
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// Each failure a user hit, with the exit code and the words they should see.
@Suite("CLI failures (exit codes and messages)")
struct FailureCLITests {
    let trace = repository.appendingPathComponent("traces/git-clone.perf.txt.zst").path
    let traces = repository.appendingPathComponent("traces").path

    func scratch(_ name: String) throws -> String {
        let dir = Scratch.directory + "failure-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A directory given as a trace: a message, never a trap (was `Fatal error: 'try!'`, exit 132).
    /// An output in a one-character relative directory (`-o d/report.md`): Foundation's
    /// `deletingLastPathComponent` trapped on `d`, so the command died with SIGILL.
    @Test func aOneLetterOutputDirectoryIsCreated() throws {
        let work = Scratch.directory + "prezero-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let trace = repository.appendingPathComponent("traces/thp-touch.perf.txt.zst").path
        let result = try runPrezero(["compare", trace, "--policies", "oracle", "-o", "d/report.md"], in: work)
        #expect(result.status == 0, "\(result.err)")
        #expect(FileManager.default.fileExists(atPath: work + "/d/report.md"))
    }

    @Test(arguments: [["stat"], ["replay"], ["compare", "-o", "/dev/null/x.md"], ["convert", "-o", "/dev/null/x.pzt"]])
    func directoryAsTrace(_ command: [String]) throws {
        let result = try runPrezero([command[0], traces] + command.dropFirst())
        #expect(result.status == 64, "\(command[0]): \(result.status) \(result.err)")
        #expect(result.err.contains("\(traces): is a directory"), "\(result.err)")
        #expect(!result.err.contains("Fatal error"))
    }

    /// perf record --threads writes a perf.data as a directory (`data` with the header, `data.N`
    /// with each thread's records, as a capture on this project's VM did): said so, with how to
    /// merge it, not "give a trace file".
    @Test func aPerfDataDirectoryIsNamed() throws {
        let dir = Scratch.directory + "threads-\(UUID().uuidString).perf.data"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("PERFILE2".utf8 + [UInt8](repeating: 0, count: 96)).write(to: URL(fileURLWithPath: dir + "/data"))
        try Data([7, 0, 0, 0, 0, 0, 64, 0]).write(to: URL(fileURLWithPath: dir + "/data.0"))
        let result = try runPrezero(["stat", dir])
        #expect(result.status == 64, "\(result.status) \(result.err)")
        #expect(result.err.contains("is a perf.data directory (perf record --threads writes one)"), "\(result.err)")
        #expect(result.err.contains("perf inject -i \(dir) -o MERGED"), "\(result.err)")
    }

    /// More touched lines than a page has was taken as the whole page, while the run's header
    /// still said lines:100: refused, with the page's line count.
    @Test func moreTouchedLinesThanAPageHasAreRefused() throws {
        let result = try runPrezero(["replay", trace, "--profile", "epyc-zen5-vm", "--touch", "lines:100"])
        #expect(result.status == 2, "\(result.status) \(result.err)")
        #expect(result.err.contains("touch lines:100: a page of profile epyc-zen5-vm has 64 lines"), "\(result.err)")
        #expect(try runPrezero(["replay", trace, "--profile", "epyc-zen5-vm", "--touch", "lines:64"]).status == 0)
        // A compare's touch densities too (a review found --touch-range ran lines:100 as full).
        let dir = try scratch("touch-range")
        let range = try runPrezero([
            "compare", trace, "--profile", "epyc-zen5-vm", "--policies", "zero-on-fault", "--touch-range", "first-line,lines:100", "--sensitivity", "off",
            "-o", dir + "/r.md",
        ])
        #expect(range.status == 2 && range.err.contains("touch lines:100"), "\(range.status) \(range.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.md"))
    }

    /// An unwritable output is refused before any replay, in plain words (was NSCocoaErrorDomain
    /// after 10.8 s of replays). A read-only tmpfs (root) or a path under a file (anyone).
    @Test func unwritableOutputFailsBeforeWork() throws {
        let dir = try scratch("ro")
        let file = dir + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let underFile = try runPrezero(["compare", trace, "--policies", "oracle", "-o", file + "/report.md"])
        #expect(underFile.status == 64)
        #expect(underFile.err.contains("is a file, not a directory"), "\(underFile.err)")
        let readOnly = dir + "/ro"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        let mount = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly])
        guard mount == 0 else { return }  // not root: the first case stands
        defer { _ = try? runCommand("/bin/umount", [readOnly]) }
        let result = try runPrezero(["compare", trace, "--policies", "oracle", "-o", readOnly + "/report.md"])
        #expect(result.status == 64)
        #expect(result.err.contains("cannot write in \(readOnly) (Read-only file system)"), "\(result.err)")
        #expect(!result.err.contains("NSCocoaErrorDomain"))
    }

    /// `--json` into a directory that cannot be made: nothing is written, not even the report.
    @Test func outputsAreAllOrNothing() throws {
        let dir = try scratch("set")
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
        let result = try runPrezero(["compare", trace, "--policies", "oracle", "-o", dir + "/report.md", "--json", dir + "/file/results.json"])
        #expect(result.status == 64, "\(result.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["file"])
    }

    /// `-o` an existing directory: refused, and no stray charts in its parent.
    @Test func outputIsADirectory() throws {
        let dir = try scratch("outdir")
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let result = try runPrezero(["compare", trace, "--policies", "oracle", "-o", dir + "/out"])
        #expect(result.status == 64)
        #expect(result.err.contains("\(dir)/out: is a directory; give a file name"), "\(result.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out"])
    }

    /// `compare -` reads the trace from standard input.
    @Test func compareReadsStandardInput() throws {
        let dir = try scratch("stdin")
        let data = try Data(contentsOf: URL(fileURLWithPath: trace))
        let result = try runPrezero(["compare", "-", "--policies", "oracle", "-o", dir + "/report.md"], stdin: data)
        #expect(result.status == 0, "\(result.err)")
        let report = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(report.contains("| `<stdin>` |"))
        #expect(report.contains("| oracle |"))
    }

    /// Files that are not traces are named, with the command that converts them.
    @Test(arguments: [
        ([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0] as [UInt8], "gzip-compressed", "gzip -dc"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0, 0], "xz-compressed", "xz -dc"),
        (Array("BZh91AY&SY".utf8), "bzip2-compressed", "bzip2 -dc"),
        ([0x04, 0x22, 0x4D, 0x18, 0x64, 0x40, 0xA7], "lz4-compressed", "lz4 -dc"),
    ])
    func foreignFormatsAreNamed(_ bytes: [UInt8], _ name: String, _ advice: String) throws {
        let path = try temporaryFile(Data(bytes), suffix: ".bin")
        let result = try runPrezero(["stat", path])
        #expect(result.status == 2)
        #expect(result.err.contains("\(path): (byte offset 0): this is \(name), not a trace prezero reads"), "\(result.err)")
        #expect(result.err.contains(advice))
    }

    /// trace.dat is read (libtracecmd); one cut short is refused with where it ends.
    @Test func truncatedTraceDatIsRefused() throws {
        let path = try temporaryFile(Data([0x17, 0x08, 0x44] + Array("tracing6".utf8) + [0, 0, 0]), suffix: ".dat")
        let result = try runPrezero(["stat", path])
        #expect(result.status == 2)
        #expect(result.err.contains("\(path): (byte offset 14): libtracecmd cannot read this trace.dat (version 6, 14 bytes)"), "\(result.err)")
    }

    /// perf.data is read (prezero-perf-data); a damaged header is refused with its byte offset.
    @Test func damagedPerfDataIsRefused() throws {
        let path = try temporaryFile(Data(Array("PERFILE2".utf8) + [UInt8](repeating: 0, count: 100)), suffix: ".data")
        let result = try runPrezero(["stat", path])
        #expect(result.status == 2)
        #expect(result.err.contains("\(path): (byte offset 8): cannot read this perf.data (108 bytes): header size 0 (expected 104 or more)"), "\(result.err)")
    }

    /// Values outside a parameter's declared range are refused with the range.
    @Test func settingsAreRangeChecked() throws {
        let miss = try runPrezero(["replay", trace, "--set", "profile.line_miss_ns=-5"])
        #expect(miss.status == 64)
        #expect(miss.err.contains("profile.line_miss_ns=-5 is outside 0...1000000 (ns)"), "\(miss.err)")
        let stop = try runPrezero(["replay", trace, "--policy", "idle-zero", "--set", "stop_fraction=1.5"])
        #expect(stop.status == 64)
        #expect(stop.err.contains("stop_fraction=1.5 is outside 0...1 (fraction)"), "\(stop.err)")
        let none = try runPrezero(["replay", trace, "--set", "scrub_start=4"])
        #expect(none.err.contains("unknown parameter 'scrub_start': this policy has no parameters"), "\(none.err)")
        let compare = try runPrezero([
            "compare", trace, "--policies", "kscrubd-v4", "-o", try scratch("range") + "/x.md", "--set", "kscrubd-v4.scrub_start=99",
        ])
        #expect(compare.err.contains("scrub_start=99 is outside 0...15 (order)"), "\(compare.err)")
    }

    /// A sidecar that describes the captured machine wins over the profile's sizes; an explicit
    /// `--set profile.memory_bytes` is refused with the reason, and the override is said.
    @Test func capturedMachineIsSaidAndExplicitSizesRefused() throws {
        let refused = try runPrezero(["replay", trace, "--set", "profile.memory_bytes=2147483648"])
        #expect(refused.status == 2)
        #expect(refused.err.contains("--set profile.memory_bytes:") && refused.err.contains("--ignore-capture-machine"), "\(refused.err)")
        let honoured = try runPrezero(["replay", trace, "--set", "profile.memory_bytes=2147483648", "--ignore-capture-machine", "--json"])
        #expect(honoured.status == 0, "\(honoured.err)")
        #expect(honoured.out.contains("\"memory_bytes\" : 2147483648"))
        let said = try runPrezero(["replay", trace, "--profile", "altix-sn2"])
        #expect(said.out.contains("captured machine (from the trace: its metadata"), "\(said.out.prefix(400))")
    }

    /// An output in a directory that does not exist yet is written there (the checks call it
    /// creatable), by every command that writes a file (the README tour's `scratch/`).
    @Test func outputsCreateTheirDirectory() throws {
        let dir = try scratch("mkdir") + "/new/dir"
        let synth = try runPrezero(["synth", "pft", "--memory", "16MiB", "-o", dir + "/p.perf.txt.zst"])
        #expect(synth.status == 0, "\(synth.err)")
        let convert = try runPrezero(["convert", dir + "/p.perf.txt.zst", "-o", dir + "/more/p.pzt"])
        #expect(convert.status == 0, "\(convert.err)")
        let compare = try runPrezero(["compare", dir + "/more/p.pzt", "--policies", "oracle", "--sensitivity", "off", "-o", dir + "/report/r.md"])
        #expect(compare.status == 0, "\(compare.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/report/r.md"))
    }

    /// A capture without user page faults (as `perf kmem record` makes) supports no verdict:
    /// stat says so, replay and compare exit 4, the report says "No verdict" and gives none.
    @Test func noVerdictWithoutFaults() throws {
        let dir = try scratch("noverdict")
        let text = try decompressedText(trace)
        let kmemOnly = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("page_fault") }.joined(separator: "\n")
        let path = dir + "/kmem-only.perf.txt"
        try kmemOnly.write(toFile: path, atomically: true, encoding: .utf8)
        let stat = try runPrezero(["stat", path, "--json"])
        #expect(stat.status == 0)
        #expect(stat.out.contains("\"no_verdict\" : \"no verdict: the capture has no exceptions:page_fault_user events; capture with tools/capture-perf.sh"))
        let replay = try runPrezero(["replay", path, "--json"])
        #expect(replay.status == 4)
        #expect(replay.out.contains("\"no_verdict\" : \"no verdict: the capture has no exceptions:page_fault_user events"))
        #expect(replay.err.contains("\(path): no verdict: the capture has no exceptions:page_fault_user events"))
        let compare = try runPrezero(["compare", path, "--policies", "oracle", "--sensitivity", "off", "-o", dir + "/report.md"])
        #expect(compare.status == 4)
        let report = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(report.contains("**No verdict**: the capture has no exceptions:page_fault_user events"))
        #expect(!report.contains("Verdicts:") && !report.contains("Workload regime") && !report.contains("Touch density"))
        // One trace with faults in the same run: judged, exit 0.
        let mixed = try runPrezero(["compare", path, trace, "--policies", "oracle", "--sensitivity", "off", "-o", dir + "/mixed.md"])
        #expect(mixed.status == 0, "\(mixed.err)")
        let full = try runPrezero(["stat", trace, "--json"])
        #expect(!full.out.contains("no_verdict"))
    }

    @Test func versionFlag() throws {
        let short = try runPrezero(["-V"])
        #expect(short.status == 0)
        #expect(short.out.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
        #expect(try runPrezero(["--version"]).out == short.out)
    }

    /// `prezero report` reads result files written by prezero 0.1.0 (format 1).
    @Test func reportReadsTheVersionBefore() throws {
        let dir = try scratch("old")
        let result = try runPrezero([
            "report", fixtures + "/v0.1.0-batch-result.json", fixtures + "/v0.1.0-replay-kscrubd-v4.json", "-o", dir + "/report.md",
            "--json", dir + "/all.json",
        ])
        #expect(result.status == 0, "\(result.err)")
        let report = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(report.contains("## git-clone.perf.txt.zst on epyc-zen5-vm"))
        #expect(report.contains("## sort-lackey.lackey.zst on epyc-zen5-vm"))
        let rewritten = try String(contentsOfFile: dir + "/all.json", encoding: .utf8)
        #expect(rewritten.contains("\"format\" : 1"))
    }

    /// A result file missing a metric names it and the format, never a silent 0.
    @Test func missingMetricIsNamed() throws {
        var text = try String(contentsOfFile: fixtures + "/v0.1.0-batch-result.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"total_cpu_ns\"", with: "\"total_cpu_nz\"")
        let path = try temporaryFile(Data(text.utf8), suffix: ".json")
        let result = try runPrezero(["report", path, "-o", Scratch.directory + "never.md"])
        #expect(result.status == 2)
        #expect(result.err.contains("not a prezero result of format 1") && result.err.contains("metrics.total_cpu_ns is missing"), "\(result.err)")
    }

    /// docs/metrics.md is the metric table's output.
    @Test func metricsDocumentIsCurrent() throws {
        let result = try runPrezero(["metrics", "--markdown"])
        let file = try String(contentsOfFile: repository.appendingPathComponent("docs/metrics.md").path, encoding: .utf8)
        #expect(result.out == file, "docs/metrics.md is stale: run prezero metrics --markdown > docs/metrics.md")
    }
}

func runCommand(_ path: String, _ arguments: [String]) throws -> Int32 {
    Scratch.isolate()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// The text of a (zstd) trace, through `zstd -dc`.
func decompressedText(_ path: String) throws -> String { try commandOutput("/usr/bin/zstd", ["-dc", path]) }

/// What a command prints on its standard output; `environment`: its whole environment (nil: this one's).
func commandOutput(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
