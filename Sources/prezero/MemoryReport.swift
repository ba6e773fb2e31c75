import Foundation

/// `PREZERO_MEMORY_REPORT=1`: at exit, the process's peak RSS and what its RSS is made of
/// (/proc/self/status), on standard error: how much is memory prezero allocated (anon) and how
/// much the kernel mapped of the binary and libraries (file). A benchmark's peak RSS alone
/// (tools/bench-policies.sh) does not tell them apart.
enum MemoryReport {
    static func installIfAsked() {
        guard ProcessInfo.processInfo.environment["PREZERO_MEMORY_REPORT"] == "1" else { return }
        atexit { MemoryReport.write() }
    }

    static func write() {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return }
        var kb: [String: String] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            kb[String(parts[0])] = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
        }
        func field(_ name: String) -> String { kb[name] ?? "?" }
        let line = "prezero memory: peak RSS \(field("VmHWM")) kB; at exit RSS \(field("VmRSS")) kB: anon \(field("RssAnon")) kB, "
            + "file \(field("RssFile")) kB (the binary and libraries as the kernel mapped them), shmem \(field("RssShmem")) kB\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
