import Foundation

/// The machine facts a perf.data file's header carries, as metadata for a capture that has no
/// sidecar: `perf record` writes them as header features (tools/perf/util/header.c
/// `write_osrelease`, `write_arch`, `write_nrcpus`, `write_cpudesc`, `write_total_mem`,
/// `write_cmdline`; `perf report --header-only` prints them). The feature sections follow the
/// data section (tools/perf/Documentation/perf.data-file-format.txt), so a compressed file is
/// read to its end; a pipe-mode stream (`perf record -o -`) has none.
enum PerfDataHeader {
    /// Header feature bits (`HEADER_OSRELEASE` ...).
    enum Feature: Int {
        case osRelease = 4, arch = 6, nrCPUs = 7, cpuDesc = 8, totalMem = 10, cmdline = 11
    }
    static let headerBytes = 104
    /// More than any feature section prezero reads takes; a larger one is not read.
    static let maxSectionBytes: UInt64 = 1 << 20
    /// Of the bytes after the data section, at most this many are kept from a compressed file.
    static let maxFeatureBytes = 64 << 20

    /// What to keep of a compressed perf.data: a file's features follow its data; a pipe-mode
    /// file (`perf record -o - > FILE`) carries them as HEADER_FEATURE records near its start.
    static func plan(_ head: [UInt8]) -> HeaderBytes.Plan? {
        if isPipeHeader(head) { return HeaderBytes.Plan(keep: maxPipeScanBytes, windowAt: nil, windowBytes: 0) }
        guard isFileHeader(head), let at = featureTableOffset(head) else { return nil }
        return HeaderBytes.Plan(keep: headerBytes, windowAt: at, windowBytes: maxFeatureBytes)
    }

    /// The metadata of a perf.data whose first bytes are `head`, nil for another file.
    static func metadata(head: [UInt8], bytes: HeaderBytes) -> TraceMetadata? {
        if isPipeHeader(head) { return metadata(sections: pipeFeatures(bytes)) }
        guard isFileHeader(head) else { return nil }
        return metadata(header: head, read: bytes.read)
    }

    /// A pipe-mode stream: the magic and a 16-byte header, records from there.
    static func isPipeHeader(_ header: [UInt8]) -> Bool {
        header.count >= 16 && Array(header.prefix(8)) == Array("PERFILE2".utf8) && header.little(UInt64.self, at: 8) == 16
    }

    /// How far into a pipe-mode stream its feature records are looked for: perf writes them
    /// before its samples (`perf_event__synthesize_features`, at the start of the recording).
    static let maxPipeScanBytes = 16 << 20

    /// A pipe-mode stream's HEADER_FEATURE records (type 80: the header, the feature id, then the
    /// section's bytes), up to its first sample; a tracing-data record's data follows it.
    static func pipeFeatures(_ bytes: HeaderBytes) -> [Int: [UInt8]] {
        var features: [Int: [UInt8]] = [:]
        var at: UInt64 = 16
        while at < UInt64(maxPipeScanBytes), let header = bytes.read(at, 8) {
            let type = header.little(UInt32.self, at: 0), size = UInt64(header.little(UInt16.self, at: 6))
            guard size >= 8, type != 9 else { break }  // PERF_RECORD_SAMPLE: the features are before it
            var span = size
            if type == 80, size >= 16, let record = bytes.read(at, Int(size)), let feature = Feature(rawValue: Int(record.little(UInt64.self, at: 8))) {
                features[feature.rawValue] = Array(record[16...])
            } else if type == 66, size >= 12, let data = bytes.read(at + 8, 4) {
                span += UInt64(data.little(UInt32.self, at: 0))  // HEADER_TRACING_DATA: its data after the record
            }
            at += span
        }
        return features
    }

    /// A file-mode header (a pipe-mode stream's is 16 bytes, with no features), this machine's
    /// byte order.
    /// A record that did not end (killed, still running) has a data size of 0 and no features:
    /// not read, as the helper refuses it.
    static func isFileHeader(_ header: [UInt8]) -> Bool {
        header.count >= headerBytes && Array(header.prefix(8)) == Array("PERFILE2".utf8) && header.little(UInt64.self, at: 8) == UInt64(headerBytes)
            && header.little(UInt64.self, at: 48) > 0
    }

    /// Where the feature sections' table starts: after the data section.
    static func featureTableOffset(_ header: [UInt8]) -> UInt64? {
        guard header.count >= headerBytes else { return nil }
        // magic, size, attr_size, then the attrs, data and event_types sections (offset, size).
        let (end, overflow) = header.little(UInt64.self, at: 40).addingReportingOverflow(header.little(UInt64.self, at: 48))
        return overflow ? nil : end
    }

    /// Reads the features prezero uses through `read(offset, count)` (nil: not there).
    static func metadata(header: [UInt8], read: (UInt64, Int) -> [UInt8]?) -> TraceMetadata? {
        guard let tableAt = featureTableOffset(header) else { return nil }
        // The feature bitmap: 256 bits from byte 72; one section (offset, size) per set bit, in order.
        var sections: [Int: (UInt64, UInt64)] = [:]
        var index = 0
        var wanted: [Int: Int] = [:]
        for bit in 1..<256 where header[72 + bit / 8] >> (bit % 8) & 1 == 1 {
            if Feature(rawValue: bit) != nil { wanted[bit] = index }
            index += 1
        }
        guard !wanted.isEmpty, let table = read(tableAt, index * 16), table.count == index * 16 else { return nil }
        for (bit, slot) in wanted { sections[bit] = (table.little(UInt64.self, at: slot * 16), table.little(UInt64.self, at: slot * 16 + 8)) }
        var bytes: [Int: [UInt8]] = [:]
        for (bit, (offset, size)) in sections where size > 0 && size <= maxSectionBytes {
            if let data = read(offset, Int(size)), data.count == Int(size) { bytes[bit] = data }
        }
        return metadata(sections: bytes)
    }

    /// The metadata the features' bytes give (by feature bit), nil when they say nothing prezero
    /// uses.
    static func metadata(sections: [Int: [UInt8]]) -> TraceMetadata? {
        func section(_ feature: Feature) -> [UInt8]? { sections[feature.rawValue] }
        var metadata = TraceMetadata()
        metadata.tool = "perf record (its perf.data header)"
        metadata.traceFormat = "perf.data"
        metadata.kernelRelease = section(.osRelease).flatMap { strings($0, count: 1)?.first }
        metadata.machine = section(.arch).flatMap { strings($0, count: 1)?.first }
        metadata.cpuModel = section(.cpuDesc).flatMap { strings($0, count: 1)?.first }
        if let cpus = section(.nrCPUs), cpus.count >= 8 {
            // nr_cpus_avail (the highest present CPU id + 1), then nr_cpus_online: the ids events
            // carry stay below the first even when a CPU was offline.
            let count = Int(max(cpus.little(UInt32.self, at: 0), cpus.little(UInt32.self, at: 4)))
            if count > 0 && count <= TraceMetadata.kernelCPULimit { metadata.cpus = count }
        }
        if let memory = section(.totalMem), memory.count >= 8 {
            let kb = memory.little(UInt64.self, at: 0)
            if kb > 0 && kb <= UInt64(Int32.max) * 1024 { metadata.memTotalKB = Int(kb) }
        }
        if let cmdline = section(.cmdline), cmdline.count >= 4 {
            metadata.command = strings(cmdline, from: 4, count: Int(min(cmdline.little(UInt32.self, at: 0), 4096)))
            metadata.recordedCPUs = metadata.command.flatMap(recordedCPUs)
        }
        guard metadata.kernelRelease != nil || metadata.cpus != nil || metadata.memTotalKB != nil else { return nil }
        return metadata
    }

    /// The CPUs of `perf record -C LIST` (`--cpu LIST`, `-CLIST`, `--cpu=LIST`; LIST as `0,2-3`);
    /// nil without one, or with one prezero cannot read. perf's options end at `--` or at the
    /// first word that is neither an option nor an option's value (the workload: `stress --cpu 8`
    /// is not a CPU list), so the scan skips the values of the options that take one.
    static func recordedCPUs(_ command: [String]) -> [Int]? {
        guard let record = command.firstIndex(of: "record") else { return nil }
        var list: String?
        var k = record + 1
        while k < command.count {
            let word = command[k]
            guard word.hasPrefix("-"), word != "--", word != "-" else { break }
            if word == "-C" || word == "--cpu" {
                guard k + 1 < command.count else { break }
                list = command[k + 1]
                k += 2
                continue
            }
            if word.hasPrefix("--cpu=") {
                list = String(word.dropFirst(6))
            } else if word.hasPrefix("-C") {
                list = String(word.dropFirst(2))
            } else if optionsWithValues.contains(word) {
                k += 1  // its value
            }
            k += 1
        }
        guard let list else { return nil }
        var cpus = Set<Int>()
        let parts = list.split(separator: ",")
        guard !parts.isEmpty, parts.count <= TraceMetadata.kernelCPULimit else { return nil }
        for part in parts {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard ends.count <= 2, let low = ends.first ?? nil, let high = ends.count == 2 ? ends[1] : low,
                low >= 0, high >= low, high < TraceMetadata.kernelCPULimit
            else { return nil }
            cpus.formUnion(low...high)
        }
        return cpus.sorted()
    }


    /// `perf record`'s options that take their value as the next word (tools/perf/builtin-record.c
    /// `__record_options`: OPT_STRING, OPT_CALLBACK, OPT_UINTEGER and the like without an
    /// optional argument).
    static let optionsWithValues: Set<String> = [
        "-e", "--event", "--filter", "-p", "--pid", "-t", "--tid", "-r", "--realtime", "-c", "--count", "-o", "--output",
        "-F", "--freq", "-m", "--mmap-pages", "--call-graph", "-G", "--cgroup", "-D", "--delay", "-u", "--uid",
        "-j", "--branch-filter", "-k", "--clockid", "--proc-map-timeout", "--vmlinux", "--switch-output-event",
        "--switch-max-files", "--synth", "--max-size", "--num-thread-synthesize", "--affinity", "--mmap-flush",
        "--setup-filter", "--control", "--pfm-events",
    ]

    /// `count` perf header strings from `start`: a u32 length (padded), then the NUL-padded text.
    static func strings(_ bytes: [UInt8], from start: Int = 0, count: Int) -> [String]? {
        var at = start
        var result: [String] = []
        for _ in 0..<count {
            guard at + 4 <= bytes.count else { return nil }
            let length = Int(bytes.little(UInt32.self, at: at))
            at += 4
            guard length <= bytes.count - at else { return nil }
            let text = bytes[at..<(at + length)].prefix { $0 != 0 }
            result.append(String(decoding: text, as: UTF8.self))
            at += length
        }
        return result
    }
}
