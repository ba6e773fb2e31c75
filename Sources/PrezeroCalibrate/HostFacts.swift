import Foundation

/// What this machine says about itself (sysfs, /proc, uname): the sizes a profile needs and
/// the facts a measurement's source names.
package struct HostFacts: Sendable {
    package var hostname = ""
    package var kernelRelease = ""
    package var cpuModel = ""
    package var cpus = 1
    package var nodes = 1
    package var memoryBytes: UInt64 = 0
    package var pageBytes = 4096
    package var lineBytes = 64
    package var l2Bytes = 1 << 20
    package var l2Ways = 16
    package var llcBytes = 32 << 20
    package var llcWays = 16
    /// Which of the cache fields came from sysfs (the rest are the defaults above).
    package var cacheFromSysfs = false
    package var date = ""

    package static func current() -> HostFacts {
        var facts = HostFacts()
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        facts.hostname = field(name.nodename)
        facts.kernelRelease = field(name.release)
        facts.cpuModel = (read("/proc/cpuinfo")?.split(separator: "\n").first { $0.hasPrefix("model name") })
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        facts.cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        facts.pageBytes = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/devices/system/node"))?
            .filter { $0.hasPrefix("node") && Int($0.dropFirst(4)) != nil }.count ?? 0
        facts.nodes = max(1, min(nodes, facts.cpus))
        if let kb = read("/proc/meminfo")?.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") })?
            .split(separator: " ").dropFirst().first.flatMap({ UInt64($0) }) {
            facts.memoryBytes = kb * 1024
        }
        // Caches of cpu0: the largest unified level is the LLC, level 2 the private L2.
        var levels: [(level: Int, bytes: Int, ways: Int, line: Int)] = []
        for index in 0..<8 {
            let dir = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let type = read(dir + "type"), type != "Instruction",
                let level = read(dir + "level").flatMap({ Int($0) }),
                let size = read(dir + "size").flatMap(parseSize),
                let ways = read(dir + "ways_of_associativity").flatMap({ Int($0) }),
                let line = read(dir + "coherency_line_size").flatMap({ Int($0) })
            else { continue }
            levels.append((level, size, ways, line))
        }
        if let llc = levels.max(by: { $0.level < $1.level }), let l2 = levels.first(where: { $0.level == 2 }), llc.level > 2 {
            facts.llcBytes = llc.bytes
            facts.llcWays = max(1, llc.ways)
            facts.l2Bytes = l2.bytes
            facts.l2Ways = max(1, l2.ways)
            facts.lineBytes = llc.line
            facts.cacheFromSysfs = true
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        facts.date = formatter.string(from: Date())
        return facts
    }

    /// "4096K" -> 4 MiB.
    static func parseSize(_ text: String) -> Int? {
        let digits = text.prefix { $0.isNumber }
        guard let n = Int(digits) else { return nil }
        switch text.dropFirst(digits.count).uppercased() {
        case "K": return n << 10
        case "M": return n << 20
        case "": return n
        default: return nil
        }
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Why a THP cannot be had by `MADV_HUGEPAGE`, or nil.
    static func thpUnavailable() -> String? {
        guard let enabled = read("/sys/kernel/mm/transparent_hugepage/enabled") else { return "no /sys/kernel/mm/transparent_hugepage (a kernel without THP)" }
        return enabled.contains("[never]") ? "transparent_hugepage/enabled is never" : nil
    }

    static func vmstat(_ key: String) -> Int? {
        read("/proc/vmstat")?.split(separator: "\n").first { $0.hasPrefix(key + " ") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
    }

    /// The kmem and exceptions tracepoints enabled in tracefs, or nil.
    static func tracepointsEnabled() -> String? {
        let on = ["kmem", "exceptions", "sched"].filter { system in
            ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].contains { root in
                guard let state = read("\(root)/events/\(system)/enable") else { return false }
                return state == "1" || state == "X"
            }
        }
        return on.isEmpty ? nil : on.joined(separator: ", ")
    }

    /// "prezero calibrate VERSION on HOST (kernel K, CPU C), DATE, N reps".
    package func source(tool: String, reps: Int) -> String {
        "\(tool) on \(hostname) (kernel \(kernelRelease), \(cpuModel)), \(date), \(reps) reps after a warm-up"
    }
}
