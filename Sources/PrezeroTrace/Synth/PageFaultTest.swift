import Foundation

/// A synthetic trace of Lameter's page-fault test (pft): each thread maps its share of the
/// memory as anonymous pages and writes `lines` cache lines of every page; repetitions run back
/// to back with the memory freed (munmap) between them; CPUs without a thread are idle. A fault
/// whose address opens a new page-table page's span (`page_bytes / 8` PTEs) allocates that page
/// first (`__pte_alloc` -> `pte_alloc_one`: `GFP_KERNEL_ACCOUNT|__GFP_ZERO`), and a PMD-mapped
/// block deposits one after its folio, as the kernel does; munmap frees them (`free_pgtables`).
///
/// Written as `perf script` text (what the capture tools produce), so every reader handles it,
/// with a sidecar saying its timestamps are nominal (`timebase: model`) and what a fault touches.
public struct PageFaultTest: Sendable {
    public var memoryBytes: UInt64
    public var reps: Int
    public var threads: Int
    public var lines: Int
    public var pageBytes: Int
    public var cpus: Int
    public var order: Int

    public init(memoryBytes: UInt64, reps: Int, threads: Int, lines: Int, pageBytes: Int, cpus: Int, order: Int) {
        self.memoryBytes = memoryBytes
        self.reps = reps
        self.threads = threads
        self.lines = lines
        self.pageBytes = pageBytes
        self.cpus = cpus
        self.order = order
    }

    public var blockBytes: UInt64 { UInt64(pageBytes) << UInt64(order) }
    public var blocksPerThread: Int { Int(memoryBytes / blockBytes) / max(threads, 1) }
    /// Bytes of address space one page-table page maps: `page_bytes / 8` entries of a page.
    public var pageTableSpan: UInt64 { UInt64(pageBytes / 8) * UInt64(pageBytes) }
    /// Page-table pages one thread's mapping needs per repetition (a PMD-mapped block deposits one).
    public var pageTablesPerThread: Int {
        blockBytes >= pageTableSpan ? blocksPerThread
            : Int((UInt64(blocksPerThread) * blockBytes + pageTableSpan - 1) / pageTableSpan)
    }

    public func validationErrors() -> [String] {
        var errors: [String] = []
        if threads < 1 || threads > cpus { errors.append("--threads must be 1...\(cpus) (--cpus)") }
        if reps < 1 { errors.append("--reps must be >= 1") }
        if pageBytes < 512 || pageBytes & (pageBytes - 1) != 0 { errors.append("--page-size must be a power of two >= 512") }
        if lines < 1 { errors.append("--lines must be >= 1") }
        if order < 0 || order > 20 { errors.append("--order must be 0...20") }
        if blocksPerThread < 1 { errors.append("--memory is smaller than one block per thread") }
        return errors
    }

    /// Writes the trace; returns the number of lines. `progress` gets lines written and the total.
    public func write(to writer: TraceFileWriter, progress: ((UInt64, UInt64?) -> Void)? = nil) throws -> Int {
        let totalLines = UInt64(cpus + reps * (blocksPerThread * 3 + pageTablesPerThread * 2) * threads)
        var lineCount = 0
        var t: UInt64 = 1_000  // ns, nominal: 1 µs per event
        func stamp() -> String {
            let s = t / 1_000_000_000
            let ns = t % 1_000_000_000
            let frac = String(ns)
            t += 1_000
            return "\(s)." + String(repeating: "0", count: 9 - frac.count) + frac
        }
        func head(_ comm: String, _ pid: Int, _ cpu: Int) -> String {
            let c = String(cpu)
            let pidText = "\(pid)/\(pid)"
            return String(repeating: " ", count: max(0, 16 - comm.count)) + comm + " "
                + String(repeating: " ", count: max(0, 11 - pidText.count)) + pidText + " ["
                + String(repeating: "0", count: max(0, 3 - c.count)) + c + "] "
        }
        // Idle CPUs switch to the idle task at the start; thread CPUs run their thread.
        for cpu in 0..<cpus {
            let thread = cpu < threads
            let line = head(thread ? "swapper" : "init", thread ? 0 : 1, cpu) + stamp()
                + ": sched:sched_switch: prev_comm=\(thread ? "swapper/\(cpu)" : "init") prev_pid=\(thread ? 0 : 1) prev_prio=120 prev_state=\(thread ? "R" : "S") ==> next_comm=\(thread ? "pft" : "swapper/\(cpu)") next_pid=\(thread ? 1000 + cpu : 0) next_prio=120\n"
            try writer.write(line)
            lineCount += 1
        }
        let blocks = blocksPerThread
        let pfnStride = UInt64(1) << UInt64(order)
        var tables: [[UInt64]] = Array(repeating: [], count: threads)
        var nextTablePfn: UInt64 = 0x1_0000
        let pmdOrder = (pageBytes / 8).trailingZeroBitCount
        func pageTable(_ h: String, _ thread: Int) throws {
            let table = nextTablePfn
            nextTablePfn += 1
            tables[thread].append(table)
            try writer.write(
                h + stamp() + ": kmem:mm_page_alloc: page=0x" + String(table, radix: 16) + " pfn=0x" + String(table, radix: 16)
                    + " order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO\n")
            lineCount += 1
        }
        for rep in 0..<reps {
            // pfns differ per rep: they are identities, not places.
            let repBase = UInt64(rep) * UInt64(blocks * threads) * pfnStride + 0x10_0000
            for i in 0..<blocks {
                for thread in 0..<threads {
                    let pid = 1000 + thread
                    let address = 0x7f00_0000_0000 + UInt64(thread) << 36 + UInt64(i) * blockBytes
                    let pfn = repBase + UInt64(i * threads + thread) * pfnStride
                    let h = head("pft", pid, thread)
                    try writer.write(
                        h + stamp() + ": exceptions:page_fault_user: address=0x" + String(address, radix: 16)
                            + " ip=0x401234 error_code=0x6\n")
                    // A PMD-mapped THP deposits a page table after its folio (`__do_huge_pmd_anonymous_page`);
                    // a smaller fault that opens a new span allocates its table first (`__pte_alloc`).
                    let huge = order >= pmdOrder
                    if !huge && (i == 0 || UInt64(i) * blockBytes % pageTableSpan < blockBytes) { try pageTable(h, thread) }
                    try writer.write(
                        h + stamp() + ": kmem:mm_page_alloc: page=0x" + String(pfn, radix: 16) + " pfn=0x" + String(pfn, radix: 16)
                            + " order=\(order) migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO\n")
                    if huge { try pageTable(h, thread) }
                    lineCount += 2
                }
                if i & 4095 == 0 { progress?(UInt64(lineCount), totalLines) }
            }
            progress?(UInt64(lineCount), totalLines)
            // munmap at the end of the repetition.
            for i in 0..<blocks {
                for thread in 0..<threads {
                    let pfn = repBase + UInt64(i * threads + thread) * pfnStride
                    try writer.write(
                        head("pft", 1000 + thread, thread) + stamp() + ": kmem:mm_page_free: page=0x" + String(pfn, radix: 16)
                            + " pfn=0x" + String(pfn, radix: 16) + " order=\(order)\n")
                    lineCount += 1
                }
            }
            for thread in 0..<threads {
                for table in tables[thread] {
                    try writer.write(
                        head("pft", 1000 + thread, thread) + stamp() + ": kmem:mm_page_free: page=0x" + String(table, radix: 16)
                            + " pfn=0x" + String(table, radix: 16) + " order=0\n")
                    lineCount += 1
                }
                tables[thread].removeAll()
            }
        }
        return lineCount
    }

    /// The sidecar: nominal timestamps, the touch model, no data besides the faulted pages (pft
    /// only writes them), the machine shape.
    public func metadataJSON(command: [String]) -> String {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return """
            {
              "format_version": 1,
              "tool": "prezero synth pft",
              "command": [\(command.map(quote).joined(separator: ", "))],
              "trace_format": "perf-script",
              "kernel_release": "synthetic",
              "page_size": \(pageBytes),
              "cpus": \(cpus),
              "timebase": "model",
              "touch": "lines:\(lines)",
              "working_set_bytes": 0
            }

            """
    }
}

