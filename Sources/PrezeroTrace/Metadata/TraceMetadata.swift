import Foundation

/// The machine snapshot a capture script writes beside a trace (`NAME.meta.json`).
///
/// Every field is optional: a trace without a sidecar, or from an older script, still reads.
public struct TraceMetadata: Codable, Sendable, Equatable {
    public var formatVersion: Int?
    public var tool: String?
    public var capturedAt: String?
    public var command: [String]?
    public var traceFormat: String?
    public var kernelRelease: String?
    public var machine: String?
    public var pageSize: Int?
    public var cpus: Int?
    public var cpuModel: String?
    public var memTotalKB: Int?
    /// `/proc/buddyinfo` and `/proc/zoneinfo` when the capture started.
    public var buddyinfo: String?
    public var zoneinfo: String?
    /// CPU caches of cpu0 from sysfs: level, type, size in bytes, line size, ways.
    public var caches: [Cache]?
    /// The `print fmt` of kmem:mm_page_alloc: its `__print_flags` table gives the `__GFP_ZERO` bit.
    public var mmPageAllocFormat: String?
    public var events: [String]?
    public var durationSeconds: Double?
    /// What `perf kmem --page stat` printed for the same perf.data at capture time (perf captures).
    public var perfKmemPageStat: String?
    /// What decides how the kernel zero-fills a fault (tools/lib/metadata.sh records them):
    /// `/sys/kernel/mm/transparent_hugepage/enabled` and `defrag` (the selected word), the THP
    /// size, each `hugepages-NkB/enabled` (mTHP), the kernel command line, and the boot log's
    /// `mem auto-init:` line with the `init_on_alloc` / `init_on_free` state it gives.
    public var thpEnabled: String?
    public var thpDefrag: String?
    public var hpagePmdSize: Int?
    public var mthpEnabled: [String: String]?
    public var kernelCmdline: String?
    public var memAutoInit: String?
    public var initOnAlloc: Bool?
    public var initOnFree: Bool?
    /// Where `initOnAlloc` and `initOnFree` came from when not from a `mem auto-init:` line:
    /// the kernel command line, or the defaults of the kernel's config.
    public var initSettingsFrom: String?
    /// The hugetlb pool when the capture ended, by size (`hugepages-2048kB`): `nr_hugepages`
    /// and `nr_overcommit_hugepages`. With both 0 for every size, at the start and the end, no
    /// fault was a hugetlb fault.
    public var hugetlbPages: [String: Int]?
    public var hugetlbOvercommitHugepages: [String: Int]?
    /// The pool's pages when the capture began (all sizes, overcommit included).
    public var hugetlbPoolPagesAtStart: Int?
    /// Pages the hugetlb pool could hand out, all sizes, the larger of its start and end; nil when
    /// the capture did not record it. Sums saturate: a sidecar's numbers are anyone's.
    public var hugetlbPoolPages: Int? {
        guard let pages = hugetlbPages else { return hugetlbPoolPagesAtStart.map { max(0, $0) } }
        func add(_ a: Int, _ b: Int) -> Int { let (sum, over) = a.addingReportingOverflow(max(0, b)); return over ? .max : sum }
        let end = (Array(pages.values) + Array((hugetlbOvercommitHugepages ?? [:]).values)).reduce(0, add)
        return max(end, max(0, hugetlbPoolPagesAtStart ?? 0))
    }
    /// Free page reporting (mm/page_reporting.c, tools/lib/metadata.sh): the VM balloon device
    /// that hands free blocks of `freePageReportingOrder` and up back to its host
    /// (`virtio_balloon`, `hv_balloon`, `unknown`), or `none`; nil when the capture did not look.
    public var freePageReporting: String?
    public var freePageReportingOrder: Int?
    /// Every file of `/sys/module/page_reporting/parameters` as text (a vendor's kernel adds its
    /// own, which may change when reporting happens).
    public var freePageReportingParameters: [String: String]?
    /// The 1-minute load average (`/proc/loadavg`) when the capture began.
    public var loadAverage: Double?
    /// The kernel's own event counters over the recording (`KernelCounterCheck` sets them beside
    /// the trace's figures).
    public var kernelCounters: KernelCounters?
    /// The CPUs the capture recorded when it did not record every CPU (`perf record -C LIST`,
    /// from a perf.data header's command line); nil: every CPU.
    public var recordedCPUs: [Int]?
    /// Synthetic traces: `model` (timestamps are nominal; replay advances time by modelled costs).
    public var timebase: String?
    /// Synthetic traces: what each fault touches (`first-line`, `lines:N`, `full`).
    public var touch: String?
    /// Synthetic traces: the data the program re-reads besides the pages it faults, bytes (0 for
    /// a fault benchmark).
    public var workingSetBytes: Int?

    /// Each counter's rise between the capture tool's readings just before and after the
    /// recording (tools/lib/metadata.sh `kernel_counters`): `/proc/vmstat` names (`pgfault`,
    /// `thp_fault_alloc`, ...) and the mTHP stats' (`hugepages-64kB/anon_fault_alloc`).
    public struct KernelCounters: Codable, Sendable, Equatable {
        /// `system-wide`: every process's and the kernel's, not the command's alone.
        public var scope: String?
        /// The process the readings bracket (tools/lib/counted.sh reads them just before its fork
        /// and after its exit): the trace's events from that fork to that exit are the same span.
        /// nil: the readings bracket the whole recording.
        public var pid: Int64?
        /// The process that read them: its exit follows the second reading.
        public var readerPid: Int64?
        public var windowSeconds: Double?
        /// Counters only rise: a negative value is not a reading's (the decoder says which field).
        public var rise: [String: UInt64]

        public init(
            scope: String? = "system-wide", pid: Int64? = nil, readerPid: Int64? = nil, windowSeconds: Double? = nil, rise: [String: UInt64]
        ) {
            self.scope = scope
            self.pid = pid
            self.readerPid = readerPid
            self.windowSeconds = windowSeconds
            self.rise = rise
        }

        enum CodingKeys: String, CodingKey {
            case scope, pid, rise
            case readerPid = "reader_pid"
            case windowSeconds = "window_seconds"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            scope = try c.decodeIfPresent(String.self, forKey: .scope)
            pid = try c.decodeIfPresent(Int64.self, forKey: .pid)
            readerPid = try c.decodeIfPresent(Int64.self, forKey: .readerPid)
            windowSeconds = try c.decodeIfPresent(Double.self, forKey: .windowSeconds)
            rise = try c.decode([String: Rise].self, forKey: .rise).mapValues(\.count)
        }

        /// One counter's rise, an error naming its field when it is not a whole number 0 or more
        /// (Foundation's own names no field for a negative `UInt64`).
        private struct Rise: Decodable {
            let count: UInt64
            init(from decoder: Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let count = try? value.decode(UInt64.self) {
                    self.count = count
                    return
                }
                throw DecodingError.typeMismatch(
                    UInt64.self, .init(codingPath: decoder.codingPath, debugDescription: "a counter's rise is a whole number, 0 or more"))
            }
        }
    }

    public struct Cache: Codable, Sendable, Equatable {
        public var level: Int?
        public var type: String?
        public var sizeBytes: Int?
        public var lineBytes: Int?
        public var ways: Int?
        public var sharedCPUs: String?

        enum CodingKeys: String, CodingKey {
            case level, type, ways
            case sizeBytes = "size_bytes"
            case lineBytes = "line_bytes"
            case sharedCPUs = "shared_cpus"
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case tool
        case capturedAt = "captured_at"
        case command
        case traceFormat = "trace_format"
        case kernelRelease = "kernel_release"
        case machine
        case pageSize = "page_size"
        case cpus
        case cpuModel = "cpu_model"
        case memTotalKB = "mem_total_kb"
        case buddyinfo, zoneinfo, caches
        case mmPageAllocFormat = "mm_page_alloc_format"
        case events
        case durationSeconds = "duration_seconds"
        case perfKmemPageStat = "perf_kmem_page_stat"
        case timebase, touch
        case workingSetBytes = "working_set_bytes"
        case thpEnabled = "thp_enabled"
        case thpDefrag = "thp_defrag"
        case hpagePmdSize = "hpage_pmd_size"
        case mthpEnabled = "mthp_enabled"
        case kernelCmdline = "kernel_cmdline"
        case memAutoInit = "mem_auto_init"
        case initOnAlloc = "init_on_alloc"
        case initOnFree = "init_on_free"
        case initSettingsFrom = "init_settings_from"
        case hugetlbPages = "hugetlb_hugepages"
        case hugetlbOvercommitHugepages = "hugetlb_overcommit_hugepages"
        case hugetlbPoolPagesAtStart = "hugetlb_pool_pages_at_start"
        case freePageReporting = "free_page_reporting"
        case freePageReportingOrder = "free_page_reporting_order"
        case freePageReportingParameters = "free_page_reporting_parameters"
        case loadAverage = "load_average"
        case kernelCounters = "kernel_counters"
        case recordedCPUs = "recorded_cpus"
    }

    public init() {}

    /// The most CPUs a Linux kernel is built for: CONFIG_NR_CPUS is at most 8,192 (x86_64
    /// `NR_CPUS_RANGE_END`, arch/x86/Kconfig); a CPU id at or past it is no machine's.
    public static let kernelCPULimit = 8192

    public var kernelVersion: KernelVersion? { kernelRelease.flatMap(KernelVersion.init) }

    /// The `__GFP_ZERO` mask from the captured `print fmt`, e.g. `((1UL))) << (8)` or `0x8000u`.
    public var gfpZeroMask: UInt64? {
        guard let format = mmPageAllocFormat, let name = format.range(of: "\"__GFP_ZERO\"") else { return nil }
        guard let open = format[..<name.lowerBound].lastIndex(of: "{") else { return nil }
        let entry = format[open..<name.lowerBound]
        if let shift = entry.range(of: "<< (", options: .backwards) {
            let digits = entry[shift.upperBound...].prefix(while: { $0.isNumber })
            if let bit = Int(digits), bit < 64 { return 1 << UInt64(bit) }
        }
        if let hex = entry.range(of: "0x") {
            let digits = entry[hex.upperBound...].prefix(while: { $0.isHexDigit })
            return UInt64(digits, radix: 16)
        }
        return nil
    }

    /// The sidecar path for a trace path: `NAME.perf.txt.zst` (or `NAME.perf.data`, `NAME.trace.dat.zst`) -> `NAME.meta.json`.
    public static func sidecarCandidates(for tracePath: String) -> [String] {
        guard tracePath != "-" else { return [] }
        var stem = tracePath
        var candidates: [String] = []
        for suffix in [".zst", ".data", ".dat", ".trace", ".txt", ".perf", ".ftrace", ".lackey", ".pzt"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
        }
        candidates.append(stem + ".meta.json")
        candidates.append(tracePath + ".meta.json")
        return candidates
    }

    /// Reads the sidecar beside `tracePath`, or the metadata inside a `.pzt` file; without
    /// either, what a perf.data or trace.dat file's own header says of the machine
    /// (`PerfDataHeader`, `TraceDatHeader`).
    public static func load(besideTrace tracePath: String) throws(TraceError) -> (TraceMetadata, String)? {
        if let embedded = embedded(in: tracePath) { return (embedded, tracePath + " (embedded)") }
        for candidate in sidecarCandidates(for: tracePath) where FileManager.default.fileExists(atPath: candidate) {
            return (try load(path: candidate), candidate)
        }
        return fromBinaryHeader(path: tracePath)
    }

    /// What a perf.data or trace.dat file's own header says of its machine, and where from: the
    /// file is read once (its first bytes say which it is), nil for any other.
    static func fromBinaryHeader(path: String) -> (TraceMetadata, String)? {
        let plan: ([UInt8]) -> HeaderBytes.Plan? = { PerfDataHeader.plan($0) ?? TraceDatHeader.plan($0) }
        guard let (head, bytes) = HeaderBytes.reading(path: path, head: PerfDataHeader.headerBytes, plan: plan) else { return nil }
        if let header = PerfDataHeader.metadata(head: head, bytes: bytes) { return (header, path + " (its perf.data header)") }
        if let header = TraceDatHeader.metadata(head: head, bytes: bytes) { return (header, path + " (its trace.dat header)") }
        return nil
    }

    /// The metadata a `.pzt` header carries (nil for other files).
    static func embedded(in path: String) -> TraceMetadata? {
        // The head first, of a regular file only (a pipe's bytes are the reader's).
        guard let fixed = TraceInput.head(ofRegularFile: path, count: PztFormat.headerFixedBytes),
            fixed.count == PztFormat.headerFixedBytes, Array(fixed.prefix(4)) == PztFormat.magic,
            let handle = FileHandle(forReadingAtPath: path)
        else { return nil }
        defer { try? handle.close() }
        handle.seek(toFileOffset: UInt64(PztFormat.headerFixedBytes))
        let length = Int(fixed[6]) | Int(fixed[7]) << 8 | Int(fixed[8]) << 16 | Int(fixed[9]) << 24
        guard length <= PztFormat.maxMetadataBytes else { return nil }
        let data = handle.readData(ofLength: length)
        return try? JSONDecoder().decode(TraceMetadata.self, from: data)
    }

    public static func load(path: String) throws(TraceError) -> TraceMetadata {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TraceError(.badMetadata, "cannot read metadata (\((error as NSError).localizedFailureReason ?? "unreadable"))", at: InputLocation(file: path))
        }
        do {
            return try JSONDecoder().decode(TraceMetadata.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw TraceError(.badMetadata, "not valid JSON: \(context.debugDescription)", at: InputLocation(file: path))
        } catch let DecodingError.typeMismatch(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TraceError(.badMetadata, "field '\(key)' has the wrong type: \(context.debugDescription)", at: InputLocation(file: path))
        } catch {
            throw TraceError(.badMetadata, "not a prezero metadata file: \(error)", at: InputLocation(file: path))
        }
    }
}
