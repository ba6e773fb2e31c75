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
