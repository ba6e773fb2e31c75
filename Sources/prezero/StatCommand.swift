import ArgumentParser
import PrezeroReport
import PrezeroTrace

#if canImport(Glibc)
import Glibc
#endif

struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat",
        abstract: "Summarise a trace: what `perf kmem --page stat` prints, and more.",
        discussion: """
            INPUT is a perf.data, a trace-cmd trace.dat, a perf script or ftrace text trace, a \
            valgrind lackey log or a .pzt file, plain or zstd-compressed, or - for stdin. \
            A NAME.meta.json written by tools/capture-*.sh beside the trace supplies the kernel \
            version and page size.
            """
    )

    @Argument(help: "Trace file, or - for standard input.", completion: .file())
    var input: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Kernel version for migratetype labels, e.g. 4.3 or 6.18 (default: from the metadata, else 6.0).")
    var kernelVersion: String?

    @Option(help: "Page size in bytes (default: from the metadata, else 4096).")
    var pageSize: UInt64?

    @Option(help: "Metadata sidecar to use instead of the one beside the trace.", completion: .file(extensions: ["json"]))
    var metadata: String?

    @Flag(help: "Make trace anomalies fatal (malformed or mixed lines, timestamps going backwards, second allocations of a live pfn).")
    var strict = false

    @Flag(help: "Only decode and print the number of events (the reader's speed, for benchmarks).")
    var countOnly = false

    func validate() throws {
        if let kernelVersion, KernelVersion(kernelVersion) == nil {
            throw ValidationError("--kernel-version '\(kernelVersion)' is not a version like 4.3 or 6.18")
        }
        if let pageSize, pageSize < 512 || pageSize.nonzeroBitCount != 1 || pageSize > 1 << 30 {
            throw ValidationError("--page-size \(pageSize) must be a power of two between 512 and 1 GiB")
        }
    }

    func run() throws {
        try Paths.checkInput(input)
        if let metadata { try Paths.checkInput(metadata, what: "metadata") }
        try failingOnTraceError {
            try runChecked()
        }
    }

    private func runChecked() throws {
        let loaded: (TraceMetadata, String)?
        if let metadata {
            loaded = (try TraceMetadata.load(path: metadata), metadata)
        } else {
            loaded = try TraceMetadata.load(besideTrace: input)
        }
        let meta = loaded?.0

        let (page, pageSource): (UInt64, String) = {
            if let pageSize { return (pageSize, "--page-size") }
            if let size = meta?.pageSize, size > 0 { return (UInt64(size), "metadata") }
            return (4096, "default")
        }()
        let (kernel, kernelSource): (KernelVersion, String) = {
            if let text = kernelVersion, let v = KernelVersion(text) { return (v, "--kernel-version") }
            if let v = meta?.kernelVersion { return (v, "metadata") }
            return (KernelVersion(major: 6, minor: 0), "default (>= 4.4 numbering)")
        }()

        // The reader takes --page-size too: a lackey trace's pages are cut at it.
        var readMetadata = meta
        if let pageSize {
            readMetadata = readMetadata ?? TraceMetadata()
            readMetadata?.pageSize = Int(pageSize)
        }
        if countOnly {
            var counter = EventCounter()
            _ = try TraceReader.read(path: input, into: &counter, metadata: readMetadata, metadataPath: loaded?.1)
            print(counter.count)
            return
        }
        let knownKernel = kernelVersion.flatMap(KernelVersion.init) ?? meta?.kernelVersion
        var statistics = TraceStatistics(pageSize: page, hugePageBytes: meta?.hpagePmdSize, kernel: knownKernel, counters: meta?.kernelCounters)
        let progress = ProgressReporter(label: "reading \(input)")
        // Text: decoding on its own thread (and decompression on a third), so the statistics
        // overlap it (the bench text: 0.30 s against 0.36 s, medians of 21 runs taken in turn).
        // A plain binary file decodes in its helper process, so a thread here would be a third busy
        // one (the bench perf.data: 0.25 s with it, 0.22 s without).
        let read = try EventPipeline.read(
            path: input, into: &statistics, metadata: readMetadata, metadataPath: loaded?.1,
            progress: { progress.update(done: $0, total: $1) }, inlineWhenHelperDecodes: true)
        progress.finish()

        if strict {
            var more: [String] = []
            if statistics.timestampRegressions > 0 { more.append("\(statistics.timestampRegressions) timestamps going backwards") }
            if statistics.secondAllocationsOfLivePfn > 0 { more.append("\(statistics.secondAllocationsOfLivePfn) allocations of an already-live pfn") }
            if statistics.switchesNotByTheirPrevTask > 0 {
                more.append("\(statistics.switchesNotByTheirPrevTask) sched_switch records not by their prev_pid (a pid column that is not the thread id)")
            }
            if let error = read.diagnostics.strictError(file: read.input, more: more) { throw error }
        }

        let report = StatReport(
            statistics: statistics, read: read, migratetypeKernel: kernel, migratetypeKernelSource: kernelSource,
            pageSizeSource: pageSource, toolVersion: Prezero.version)
        print(json ? try report.json() : report.text(), terminator: "")
    }
}

/// Counts events and nothing else.
struct EventCounter: TraceEventSink {
    var count = 0
    mutating func consume(_ event: TraceEvent) { if !event.isReaderAnnotation { count += 1 } }
}
