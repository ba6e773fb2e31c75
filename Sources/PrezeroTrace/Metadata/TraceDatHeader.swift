import Foundation

/// The machine facts a trace.dat file carries, as metadata for a capture that has no sidecar:
/// the traced machine's page size (in its first bytes), CPU count and `uname` (sysname, nodename,
/// release, machine: trace-cmd's UNAME option), as trace-cmd writes them
/// (Documentation/trace-cmd/trace-cmd.dat.v6.5.txt and .v7.5.txt; `trace-cmd dump --options`
/// prints them). Version 6 keeps them after its format sections, before the data; version 7 in
/// its options sections, the first one's offset given after the compression header (written
/// after the data). Little-endian files only; a compressed options section is not read.
enum TraceDatHeader {
    static let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)
    /// trace-cmd's option ids (trace-cmd-private.h `TRACECMD_OPTION_*`).
    static let optionDone: UInt16 = 0, optionUname: UInt16 = 5, optionCPUCount: UInt16 = 8
    /// A version 6 file's headers (formats, kallsyms, printk) before its options: kept up to this
    /// many bytes of a compressed file.
    static let maxLeadingBytes = 64 << 20
    static let maxOptionBytes = 1 << 20

    /// What to keep of a compressed trace.dat: version 6 keeps its facts before the data,
    /// version 7 in an options section after it.
    static func plan(_ head: [UInt8]) -> HeaderBytes.Plan? {
        guard let layout = Layout(head) else { return nil }
        return layout.version == 7
            ? HeaderBytes.Plan(keep: head.count, windowAt: layout.optionsOffset, windowBytes: maxOptionBytes)
            : HeaderBytes.Plan(keep: maxLeadingBytes, windowAt: nil, windowBytes: 0)
    }

    /// The metadata of a trace.dat whose first bytes are `head`, nil for another file.
    static func metadata(head: [UInt8], bytes: HeaderBytes) -> TraceMetadata? {
        guard let layout = Layout(head) else { return nil }
        var metadata = TraceMetadata()
        metadata.tool = "trace-cmd (its trace.dat header)"
        metadata.traceFormat = "trace.dat"
        if layout.pageSize > 0 && layout.pageSize <= 1 << 24 { metadata.pageSize = Int(layout.pageSize) }
        let cpusAt = layout.version == 6 ? v6CPUCountOffset(layout, bytes) : nil
        let options = layout.version == 7 ? v7Options(layout, bytes) : cpusAt.flatMap { v6Options(at: $0, bytes) }
        for (id, data) in options ?? [] {
            if id == optionUname {
                // "sysname nodename release machine"
                let words = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
                if words.count >= 3 { metadata.kernelRelease = String(words[2]) }
                if words.count >= 4 { metadata.machine = String(words[3]) }
            } else if id == optionCPUCount, layout.version == 7, data.count >= 4 {  // version 6's is a buffer's
                metadata.cpus = cpus(data.little(UInt32.self, at: 0))
            }
        }
        if metadata.cpus == nil, let at = cpusAt, let raw = bytes.read(at, 4) { metadata.cpus = cpus(raw.little(UInt32.self, at: 0)) }
        return metadata
    }

    static func cpus(_ count: UInt32) -> Int? { count > 0 && count <= TraceMetadata.kernelCPULimit ? Int(count) : nil }

    /// The first bytes: magic, the version string, endianness, long size, page size, and (version 7)
    /// the compression header and the first options section's offset.
    struct Layout {
        var version: Int
        var pageSize: UInt32
        /// Where the version 6 sections begin, or version 7's first options section.
        var sectionsAt: UInt64
        var optionsOffset: UInt64

        /// The bytes it needs at most.
        static let headBytes = 64

        init?(_ head: [UInt8]) {
            guard head.count >= Self.headBytes, Array(head.prefix(10)) == TraceDatHeader.magic else { return nil }
            var at = 10
            guard let end = head[at...].firstIndex(of: 0) else { return nil }
            guard let version = Int(String(decoding: head[at..<end], as: UTF8.self)), version == 6 || version == 7 else { return nil }
            at = end + 1
            guard at + 6 <= head.count, head[at] == 0 else { return nil }  // little endian only
            at += 2
            self.version = version
            pageSize = head.little(UInt32.self, at: at)
            at += 4
            optionsOffset = 0
            if version == 7 {
                for _ in 0..<2 {  // compression name and version
                    guard let end = head[at...].firstIndex(of: 0) else { return nil }
                    at = end + 1
                }
                guard at + 8 <= head.count else { return nil }
                optionsOffset = head.little(UInt64.self, at: at)
                at += 8
            }
            sectionsAt = UInt64(at)
        }
    }

    /// Version 7: the options of each options section, following the DONE options' next offsets.
    static func v7Options(_ layout: Layout, _ bytes: HeaderBytes) -> [(UInt16, [UInt8])]? {
        var options: [(UInt16, [UInt8])] = []
        var section = layout.optionsOffset
        var visited = Set<UInt64>()
        while section != 0, visited.insert(section).inserted, visited.count <= 64 {
            // id 0 (options), flags (1: compressed), the description's string id, the size.
            guard let header = bytes.read(section, 16), header.little(UInt16.self, at: 0) == 0, header.little(UInt16.self, at: 2) & 1 == 0 else { return options }
            let size = header.little(UInt64.self, at: 8)
            guard size <= UInt64(maxOptionBytes), section <= UInt64.max - 16, let body = bytes.read(section + 16, Int(size)) else { return options }
            var at = 0
            var next: UInt64 = 0
            while at + 6 <= body.count {
                let id = body.little(UInt16.self, at: at), length = Int(body.little(UInt32.self, at: at + 2))
                at += 6
                guard length <= body.count - at else { break }
                let data = Array(body[at..<(at + length)])
                at += length
                if id == optionDone {
                    if data.count >= 8 { next = data.little(UInt64.self, at: 0) }
                    break
                }
                options.append((id, data))
            }
            section = next
        }
        return options
    }

    /// Version 6: the sections before the options (trace-cmd.dat.v6.5): "header_page\0" and
    /// "header_event\0" each with an 8-byte size; the ftrace formats (a count, each an 8-byte
    /// size); the event formats (a count of systems, each a name, a count and sized formats);
    /// kallsyms and printk (4-byte sizes); the saved cmdlines (8-byte size); the CPU count; then
    /// "options  \0" and its options.
    /// Returns the offset of the CPU count.
    static func v6CPUCountOffset(_ layout: Layout, _ bytes: HeaderBytes) -> UInt64? {
        var at = layout.sectionsAt
        // The headers sit in the file's first bytes; a walk past them, or through more formats
        // than any kernel has, is a damaged or hostile file (each step is a read).
        let limit = UInt64(maxLeadingBytes)
        var steps = 0
        func skip(_ n: UInt64) -> Bool {
            let (sum, over) = at.addingReportingOverflow(n)
            at = sum
            return !over && sum <= limit
        }
        func string() -> String? {
            var text: [UInt8] = []
            while at <= limit, text.count <= 256, let byte = bytes.read(at, 1)?.first {
                at += 1
                if byte == 0 { return String(decoding: text, as: UTF8.self) }
                text.append(byte)
            }
            return nil
        }
        func number(_ size: Int) -> UInt64? {
            steps += 1
            guard at <= limit, steps <= 1 << 16, let raw = bytes.read(at, size) else { return nil }
            at += UInt64(size)
            return size == 8 ? raw.little(UInt64.self, at: 0) : UInt64(raw.little(UInt32.self, at: 0))
        }
        for name in ["header_page", "header_event"] {
            guard string() == name, let size = number(8), skip(size) else { return nil }
        }
        guard let formats = number(4), formats < 1 << 20 else { return nil }
        for _ in 0..<formats {
            guard let size = number(8), skip(size) else { return nil }
        }
        guard let systems = number(4), systems < 1 << 12 else { return nil }
        for _ in 0..<systems {
            guard string() != nil, let events = number(4), events < 1 << 20 else { return nil }
            for _ in 0..<events {
                guard let size = number(8), skip(size) else { return nil }
            }
        }
        for _ in 0..<2 {  // kallsyms, printk
            guard let size = number(4), skip(size) else { return nil }
        }
        guard let cmdlines = number(8), skip(cmdlines) else { return nil }  // saved_cmdlines
        return at
    }

    static func v6Options(at cpusAt: UInt64, _ bytes: HeaderBytes) -> [(UInt16, [UInt8])]? {
        // cpusAt is within the first 64 MiB (`v6CPUCountOffset`): these sums cannot overflow.
        guard let tag = bytes.read(cpusAt + 4, 10),
            tag == Array("options  \0".utf8)
        else { return nil }
        var options: [(UInt16, [UInt8])] = []
        var at = cpusAt + 14
        while options.count < 4096, let header = bytes.read(at, 2) {
            let id = header.little(UInt16.self, at: 0)
            guard id != optionDone, let size = bytes.read(at + 2, 4).map({ $0.little(UInt32.self, at: 0) }), size <= UInt32(maxOptionBytes),
                let data = bytes.read(at + 6, Int(size))
            else { break }
            options.append((id, data))
            at += 6 + UInt64(size)
        }
        return options
    }
}
