import Foundation
import PrezeroTrace

/// The result of `prezero stat`: one value rendered as text (perf kmem's layout first) or JSON.
package struct StatReport: Codable, Sendable {
    package struct Trace: Codable, Sendable {
        package var input: String
        package var format: String?
        package var compressed: Bool
        package var storedBytes: UInt64
        package var textBytes: UInt64
        package var lines: Int
        package var metadataFile: String?
        package var kernelRelease: String?
        /// Kernel version used to label migratetypes, and where it came from.
        package var migratetypeKernel: String
        package var migratetypeKernelSource: String
        package var pageSize: UInt64
        package var pageSizeSource: String
        /// The CPUs the capture recorded when not every one (`perf record -C`), of the machine's (`Cpus`: the JSON keys are `recorded_cpus`, `machine_cpus`).
        package var recordedCpus: [Int]?
        package var machineCpus: Int?
    }

    /// The `SUMMARY (page allocator)` block of `perf kmem --page stat`, field for field.
    package struct Summary: Codable, Sendable {
        package var allocRequests: UInt64
        package var allocKB: UInt64
        package var freeRequests: UInt64
        package var freeKB: UInt64
        package var allocFreedRequests: UInt64
        package var allocFreedKB: UInt64
        package var allocOnlyRequests: UInt64
        package var allocOnlyKB: UInt64
        package var freeOnlyRequests: UInt64
        package var freeOnlyKB: UInt64
        package var allocFailures: UInt64
        package var allocFailuresKB: UInt64
    }

    package struct OrderRow: Codable, Sendable {
        package var order: Int
        /// Successful allocations per raw migratetype number ("0"..."6", "other").
        package var byMigratetype: [String: UInt64]
    }

    /// Zero-fill faults of one folio order and access (`ZeroFillFaultMatcher`).
    package struct ZeroFillRow: Codable, Sendable, Equatable {
        package var order: Int
        package var folio: String
        package var access: String
        package var faults: UInt64
    }

    /// What decided how the capture's kernel zero-filled faults (from the sidecar; nil: unknown).
    package struct KernelSettings: Codable, Sendable {
        package var thpEnabled: String?
        package var thpDefrag: String?
        package var hpagePmdSize: Int?
        package var mthpEnabled: [String: String]?
        package var initOnAlloc: Bool?
        package var initOnFree: Bool?
        package var memAutoInit: String?
        /// Where the two came from without a boot log line (`TraceMetadata.initSettingsFrom`).
        package var initSettingsFrom: String?
        /// `TraceMetadata.hugetlbPoolPages`.
        package var hugetlbPoolPages: Int?
        /// `TraceMetadata.freePageReporting` and its order.
        package var freePageReporting: String?
        package var freePageReportingOrder: Int?
        package var freePageReportingParameters: [String: String]?
    }

    package struct TimeSpan: Codable, Sendable {
        package var firstNs: UInt64?
        package var lastNs: UInt64?
        package var spanNs: UInt64
        package var timestampRegressions: UInt64
    }

    package struct Command: Codable, Sendable {
        package var comm: String
        package var allocations: UInt64
        package var pages: UInt64
    }

    package struct CPUIdle: Codable, Sendable {
        package var cpu: UInt32
        package var idleNs: UInt64
        package var idleFraction: Double
        package var intervals: UInt64
    }

    package struct Anomalies: Codable, Sendable {
        package var malformedLines: Int
        package var malformedExamples: [String]
        package var mixedFormatLines: Int
        package var lostEvents: UInt64
        package var lostRecords: Int
        package var unterminatedLastLine: Bool
        /// Frees of pages allocated before the capture began (perf kmem's free-only).
        package var freesOfPagesAllocatedBeforeCapture: UInt64
        package var secondAllocationsOfLivePfn: UInt64
        /// Allocations of a live pfn whose free the capture lost in the CPU's idle context.
        package var freesLostInIdleContext: UInt64
        package var timestampRegressions: UInt64
        /// sched_switch records whose task is not their prev_pid (`TraceStatistics`).
        package var switchesNotByTheirPrevTask: UInt64
        package var unknownEventLines: Int
        package var total: Int
    }

    package var toolVersion: String
    package var trace: Trace
    package var summary: Summary
    package var orderMigratetype: [OrderRow]
    package var migratetypeLabels: [String: String]
    package var events: [String: Int]
    package var eventsByKind: [String: UInt64]
    package var batchedFreesNotCounted: UInt64
    package var time: TimeSpan
    package var cpus: [UInt32]
    package var faults: [String: UInt64]
    package var gfpZeroRequestsByOrder: [String: UInt64]
    package var zeroFillFaults: [ZeroFillRow]
    /// Page-table pages allocated inside those faults (`pte_alloc_one`).
    package var faultPageTables: UInt64
    /// First writes served by a user page without `__GFP_ZERO` (shmem/tmpfs, file copy-on-write,
    /// swap-in): not zero-fill faults here (`ZeroFillFaultMatcher.firstWritesWithoutGFPZero`).
    package var firstWritesWithoutGFPZero: UInt64
    /// First writes that took no user page (hugetlb, a cached shared page, a lost race):
    /// `ZeroFillFaultMatcher.Tally.firstWritesWithoutAllocation`.
    package var firstWritesWithoutAllocation: UInt64
    /// `kmem:rss_stat` events, and what they told of the two counts above
    /// (`ZeroFillFaultMatcher.Tally`).
    package var memoryCounterEvents: UInt64
    package var shmemZeroFills: UInt64
    package var firstWritesToCachedPages: UInt64
    /// Of `firstWritesWithoutAllocation`, faults whose own THP was freed unmapped: `Tally.hugeFoliosFreedUnmapped`.
    package var hugeFoliosFreedUnmapped: UInt64
    package var zeroFillFaultsWithCounter: UInt64
    package var populatedHugePages: UInt64
    /// The capture's own order-0 zero-fill faults timed by their counters (`CapturedFaultTime`).
    package var capturedFaultsTimed: UInt64
    package var capturedFaultP50Ns: UInt64
    package var capturedFaultP99Ns: UInt64
    /// 1000 when the capture timed to the microsecond (`CapturedFaultTime.resolutionNs`).
    package var capturedFaultResolutionNs: UInt64
    package var tally: ZeroFillFaultMatcher.Tally {
        ZeroFillFaultMatcher.Tally(
            firstWritesWithoutGFPZero: firstWritesWithoutGFPZero, firstWritesWithoutAllocation: firstWritesWithoutAllocation,
            zeroedUserPagesWithoutFault: zeroedUserPagesWithoutFault, hugeUserPagesWithoutFault: hugeUserPagesWithoutFault,
            memoryCounterEvents: memoryCounterEvents, shmemZeroFills: shmemZeroFills, firstWritesToCachedPages: firstWritesToCachedPages,
            zeroFillFaults: zeroFillFaults.reduce(0) { $0 &+ $1.faults }, zeroFillFaultsWithCounter: zeroFillFaultsWithCounter,
            populatedHugePages: populatedHugePages, hugePagesChargeRefused: hugePagesChargeRefused, shmemHugePages: shmemHugePages,
            hugeFoliosFreedUnmapped: hugeFoliosFreedUnmapped)
    }
    /// Order-0 user pages zeroed at allocation with no fault waiting (populate, mlock,
    /// `get_user_pages`): `ZeroFillFaultMatcher.zeroedUserPagesWithoutFault`.
    package var zeroedUserPagesWithoutFault: UInt64
    /// Base pages of THP folios allocated with no fault waiting: `ZeroFillFaultMatcher.hugeUserPagesWithoutFault`.
    package var hugeUserPagesWithoutFault: UInt64
    /// Base pages of THP folios whose memory cgroup refused the charge: `Tally.hugePagesChargeRefused`.
    package var hugePagesChargeRefused: UInt64
    /// Base pages of shmem's THP/mTHP folios: `Tally.shmemHugePages`.
    package var shmemHugePages: UInt64
    package var kernelSettings: KernelSettings
    /// The sidecar's kernel counters beside the trace's figures; nil when it recorded none.
    package var kernelCounters: KernelCounterCheck?
    package var topCommands: [Command]
    package var idle: [CPUIdle]
    /// Idle intervals ended by another task's event because the switch out of idle was not traced.
    package var idleIntervalsClosedWithoutSwitch: UInt64
    /// sched_switch events, those out of the idle task, and those that do not chain on their CPU
    /// (`SwitchChains`): the idle times are not measured where the capture is of some tasks only.
    package var schedSwitches: UInt64
    package var schedSwitchesOutOfIdle: UInt64
    package var schedSwitchesUnchained: UInt64
    package var schedSwitchScope: SwitchChains.Scope
    /// Page-touch traces: pages by lines touched over the whole trace.
    package var touch: Touch?
    package var notes: [String]
    /// Why this capture supports no verdict on prezeroing (nil: it does).
    package var noVerdict: String?

    package struct Touch: Codable, Sendable {
        package var pages: Int
        package var records: UInt64
        package var meanLinesPerPage: Double
        package var linesPerPage: [String: Int]
    }
    package var anomalies: Anomalies

    package init(
        statistics s: TraceStatistics, read: TraceReadSummary, migratetypeKernel: KernelVersion,
        migratetypeKernelSource: String, pageSizeSource: String, toolVersion: String, topCommandCount: Int = 10
    ) {
        self.toolVersion = toolVersion
        trace = Trace(
            input: read.input, format: read.formatName, compressed: read.compressed, storedBytes: read.storedBytes,
            textBytes: read.textBytes, lines: read.diagnostics.lines, metadataFile: read.metadataPath,
            kernelRelease: read.metadata?.kernelRelease, migratetypeKernel: migratetypeKernel.description,
            migratetypeKernelSource: migratetypeKernelSource, pageSize: s.pageSize, pageSizeSource: pageSizeSource,
            recordedCpus: read.metadata?.recordedCPUs, machineCpus: read.metadata?.cpus)
        summary = Summary(
            allocRequests: s.allocRequests, allocKB: s.allocBytes / 1024,
            freeRequests: s.freeRequests, freeKB: s.freeBytes / 1024,
            allocFreedRequests: s.allocFreedRequests, allocFreedKB: s.allocFreedBytes / 1024,
            allocOnlyRequests: s.allocOnlyRequests, allocOnlyKB: s.allocOnlyBytes / 1024,
            freeOnlyRequests: s.freeOnlyRequests, freeOnlyKB: s.freeOnlyBytes / 1024,
            allocFailures: s.allocFailures, allocFailuresKB: s.allocFailureBytes / 1024)

        var rows: [OrderRow] = []
        var highestOrder = 10
        for order in 0..<TraceStatistics.maxOrder {
            for m in 0..<TraceStatistics.migratetypeSlots where s.orderCount(order: order, migratetype: m) > 0 {
                highestOrder = max(highestOrder, order)
            }
        }
        for order in 0...highestOrder {
            var row: [String: UInt64] = [:]
            for m in 0..<TraceStatistics.migratetypeSlots {
                let count = s.orderCount(order: order, migratetype: m)
                if count > 0 { row[m == TraceStatistics.migratetypeSlots - 1 ? "other" : String(m)] = count }
            }
            rows.append(OrderRow(order: order, byMigratetype: row))
        }
        orderMigratetype = rows
        var labels: [String: String] = [:]
        for m in 0..<(TraceStatistics.migratetypeSlots - 1) {
            labels[String(m)] = Migratetype.label(m, kernel: migratetypeKernel)
        }
        migratetypeLabels = labels

        events = read.eventNameCounts
        var byKind: [String: UInt64] = [:]
        for kind in EventKind.allCases where s.eventsByKind[Int(kind.rawValue)] > 0 {
            byKind[kind.canonicalName] = s.eventsByKind[Int(kind.rawValue)]
        }
        eventsByKind = byKind
        batchedFreesNotCounted = s.batchedFrees
        time = TimeSpan(
            firstNs: s.firstTimestampNs == .max ? nil : s.firstTimestampNs,
            lastNs: s.firstTimestampNs == .max ? nil : s.lastTimestampNs,
            spanNs: s.spanNs, timestampRegressions: s.timestampRegressions)
        cpus = s.cpusSeen.sorted()
        var faults: [String: UInt64] = [:]
        for faultClass in FaultClass.allCases { faults[faultClass.rawValue] = s.faults(faultClass) }
        self.faults = faults
        var zero: [String: UInt64] = [:]
        for (order, count) in s.zeroRequestsByOrder.enumerated() where count > 0 { zero[String(order)] = count }
        gfpZeroRequestsByOrder = zero
        var zeroFill: [ZeroFillRow] = []
        for (a, access) in ZeroFillFault.Access.allCases.enumerated() {
            for (order, count) in s.zeroFillFaultsByAccessOrder[a].enumerated() where count > 0 {
                let folio: ZeroFillFault.Folio = order == 0 ? .base : order == s.pmdOrder ? .thp : .mthp
                zeroFill.append(ZeroFillRow(order: order, folio: folio.rawValue, access: access.rawValue, faults: count))
            }
        }
        zeroFillFaults = zeroFill.sorted { ($0.order, $0.access) < ($1.order, $1.access) }
        faultPageTables = s.faultPageTables
        firstWritesWithoutGFPZero = s.tally.firstWritesWithoutGFPZero
        firstWritesWithoutAllocation = s.tally.firstWritesWithoutAllocation
        memoryCounterEvents = s.tally.memoryCounterEvents
        shmemZeroFills = s.tally.shmemZeroFills
        firstWritesToCachedPages = s.tally.firstWritesToCachedPages
        hugeFoliosFreedUnmapped = s.tally.hugeFoliosFreedUnmapped
        zeroFillFaultsWithCounter = s.tally.zeroFillFaultsWithCounter
        populatedHugePages = s.tally.populatedHugePages
        // Only where the counters move at each fault do their rises end faults.
        let timed = s.tally.countersTellEachFault
        capturedFaultsTimed = timed ? s.capturedFaultTime.faults : 0
        capturedFaultP50Ns = timed ? s.capturedFaultTime.percentile(50) : 0
        capturedFaultP99Ns = timed ? s.capturedFaultTime.percentile(99) : 0
        capturedFaultResolutionNs = timed ? s.capturedFaultTime.resolutionNs : 0
        zeroedUserPagesWithoutFault = s.tally.zeroedUserPagesWithoutFault
        hugeUserPagesWithoutFault = s.tally.hugeUserPagesWithoutFault
        hugePagesChargeRefused = s.tally.hugePagesChargeRefused
        shmemHugePages = s.tally.shmemHugePages
        let m = read.metadata
        kernelSettings = KernelSettings(
            thpEnabled: m?.thpEnabled, thpDefrag: m?.thpDefrag, hpagePmdSize: m?.hpagePmdSize, mthpEnabled: m?.mthpEnabled,
            initOnAlloc: m?.initOnAlloc, initOnFree: m?.initOnFree, memAutoInit: m?.memAutoInit,
            initSettingsFrom: m?.initSettingsFrom, hugetlbPoolPages: m?.hugetlbPoolPages,
            freePageReporting: m?.freePageReporting, freePageReportingOrder: m?.freePageReportingOrder,
            freePageReportingParameters: m?.freePageReportingParameters)
        kernelCounters = KernelCounterCheck(read: read, tally: s.kernelCounts, matcher: s.zeroFillMatcher, pageBytes: s.pageSize)

        let ranked = s.allocationsByComm.indices
            .filter { s.allocationsByComm[$0] > 0 }
            .sorted { (s.allocationsByComm[$0], $1) > (s.allocationsByComm[$1], $0) }
            .prefix(topCommandCount)
        topCommands = ranked.map {
            Command(
                comm: read.symbols.name(SymbolID($0)), allocations: s.allocationsByComm[$0],
                pages: s.allocatedPagesByComm[$0])
        }

        let idleNs = s.idle.idleNs(closingAt: s.lastTimestampNs)
        let span = s.spanNs
        idle = idleNs.indices.map { cpu in
            CPUIdle(
                cpu: UInt32(cpu), idleNs: idleNs[cpu],
                idleFraction: span > 0 ? Double(idleNs[cpu]) / Double(span) : 0,
                intervals: s.idle.intervals[cpu])
        }

        idleIntervalsClosedWithoutSwitch = s.idle.closedWithoutSwitch
        schedSwitches = s.idle.chains.switches
        schedSwitchesOutOfIdle = s.idle.chains.outOfIdle
        schedSwitchesUnchained = s.idle.chains.unchained
        // The capture tools record every task's switches (perf record -a, tracefs).
        let everyTask = read.metadata?.events?.contains(EventKind.schedSwitch.canonicalName) == true
        let scope = s.idle.chains.scope
        if everyTask, scope == .someTasks || scope == .everyTaskNoIdleExits {
            schedSwitchScope = s.idle.chains.intoIdle == 0 ? .everyTaskNeverIdle : .everyTask  // as a replay takes them
        } else {
            schedSwitchScope = scope
        }
        notes = read.notes
        noVerdict = Evidence.missing(
            events: read.eventNameCounts, zeroFillFaults: s.zeroFillFaults, tally: s.tally, hugetlbPoolPages: read.metadata?.hugetlbPoolPages)
        if s.touches.pages > 0 {
            var histogram: [String: Int] = [:]
            for bucket in s.touches.histogram { histogram[bucket.label] = bucket.pages }
            touch = Touch(pages: s.touches.pages, records: s.touches.touchRecords, meanLinesPerPage: s.touches.meanLines, linesPerPage: histogram)
        }
        let d = read.diagnostics
        anomalies = Anomalies(
            malformedLines: d.malformedLines,
            malformedExamples: d.malformedExamples.map { "line \($0.line): \($0.reason): \($0.text)" },
            mixedFormatLines: d.mixedFormatLines, lostEvents: d.lostEvents, lostRecords: d.lostRecords,
            unterminatedLastLine: d.unterminatedLastLine, freesOfPagesAllocatedBeforeCapture: s.freeOnlyRequests,
            secondAllocationsOfLivePfn: s.secondAllocationsOfLivePfn, freesLostInIdleContext: s.freesLostInIdleContext,
            timestampRegressions: s.timestampRegressions, switchesNotByTheirPrevTask: s.switchesNotByTheirPrevTask,
            unknownEventLines: read.unknownEventLines, total: d.anomalyCount)
    }

    // MARK: Rendering

    /// Sorted-key, pretty-printed JSON with snake_case keys.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// The text report: perf kmem's summary block in its exact layout, then the rest.
    package func text() -> String {
        typealias F = TextFormatting
        var out = ""
        func summaryLine(_ label: String, _ count: UInt64, _ kb: UInt64) {
            out += F.left(label, 30) + ": " + F.right(String(count), 16) + "   [ " + F.right(String(kb), 16) + " KB ]\n"
        }
        out += "\nSUMMARY (page allocator)\n========================\n"
        summaryLine("Total allocation requests", summary.allocRequests, summary.allocKB)
        summaryLine("Total free requests", summary.freeRequests, summary.freeKB)
        out += "\n"
        summaryLine("Total alloc+freed requests", summary.allocFreedRequests, summary.allocFreedKB)
        summaryLine("Total alloc-only requests", summary.allocOnlyRequests, summary.allocOnlyKB)
        summaryLine("Total free-only requests", summary.freeOnlyRequests, summary.freeOnlyKB)
        out += "\n"
        summaryLine("Total allocation failures", summary.allocFailures, summary.allocFailuresKB)
        out += "\n"

        // Order x migratetype, labelled for the trace's kernel (perf kmem uses pre-4.4 labels).
        var columns = ["0", "1", "2", "3", "4"]
        for extra in ["5", "6", "other"] where orderMigratetype.contains(where: { $0.byMigratetype[extra] != nil }) {
            columns.append(extra)
        }
        out += F.right("Order", 5)
        for c in columns { out += "  " + F.right(migratetypeLabels[c] ?? "Other", 12) }
        out += "\n" + String(repeating: "-", count: 5)
        for _ in columns { out += "  " + String(repeating: "-", count: 12) }
        out += "\n"
        for row in orderMigratetype {
            out += F.right(String(row.order), 5)
            for c in columns { out += "  " + F.right(row.byMigratetype[c].map(String.init) ?? ".", 12) }
            out += "\n"
        }
        out += "(migratetype labels for kernel \(trace.migratetypeKernel), from \(trace.migratetypeKernelSource); "
        out += "perf kmem prints the pre-4.4 labels)\n"

        out += "\nTRACE\n=====\n"
        out += "input            : \(trace.input)\(trace.compressed ? " (zstd)" : "")\n"
        out += "format           : \(trace.format ?? "unknown")\n"
        out += "metadata         : \(trace.metadataFile ?? "none")\n"
        out += "page size        : \(trace.pageSize) B (\(trace.pageSizeSource))\n"
        out += "lines            : \(trace.lines)\n"
        out += "time span        : \(F.seconds(time.spanNs)) s\n"
        out += "CPUs seen        : \(cpus.count) (\(cpus.map(String.init).joined(separator: ",")))\n"
        if let recorded = trace.recordedCpus {
            let of = trace.machineCpus.map { " of the machine's \($0)" } ?? ""
            out += "CPUs recorded    : \(recorded.map(String.init).joined(separator: ","))\(of) (perf record -C: the others' events are not in the capture)\n"
        }

        out += "\nEVENTS\n======\n"
        for (name, count) in events.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            out += F.left(name, 34) + F.right(String(count), 12) + "\n"
        }
        if batchedFreesNotCounted > 0 {
            out += "(\(batchedFreesNotCounted) mm_page_free_batched records repeat frees already reported by mm_page_free: not counted)\n"
        }

        out += "\nPAGE FAULTS BY ERROR CODE\n=========================\n"
        let faultLabels: [(String, String)] = [
            ("user_write_not_present", "user write, not present (zero-fill candidates)"),
            ("user_read_not_present", "user read, not present (zero page)"),
            ("user_write_protection", "user write, present (copy-on-write)"),
            ("user_instruction_fetch", "user instruction fetch"),
            ("user_other", "user, other"),
            ("kernel_write_not_present", "kernel write to a user page, not present"),
            ("kernel_write_protection", "kernel write to a user page, present"),
            ("kernel", "kernel, other"),
        ]
        for (key, label) in faultLabels { out += F.left(label, 48) + F.right(String(faults[key] ?? 0), 12) + "\n" }

        out += "\n__GFP_ZERO REQUESTS BY ORDER\n============================\n"
        if gfpZeroRequestsByOrder.isEmpty { out += "(none)\n" }
        for (order, count) in gfpZeroRequestsByOrder.sorted(by: { Int($0.key) ?? 0 < Int($1.key) ?? 0 }) {
            out += "order " + F.left(order, 3) + F.right(String(count), 12) + "\n"
        }

        out += "\nZERO-FILL FAULTS BY ORDER AND KIND\n==================================\n"
        if zeroFillFaults.isEmpty { out += "(none: no write fault on a user page followed by its anonymous allocation)\n" }
        let accessLabels = [
            ZeroFillFault.Access.firstWrite.rawValue: "first write (0x6)",
            ZeroFillFault.Access.writeAfterZeroPageRead.rawValue: "write after zero-page read (0x7)",
            ZeroFillFault.Access.kernelFirstWrite.rawValue: "kernel first write (0x2)",
            ZeroFillFault.Access.kernelWriteAfterZeroPageRead.rawValue: "kernel write after zero-page read (0x3)",
        ]
        for row in zeroFillFaults {
            out += "order " + F.left(String(row.order), 3) + F.left(row.folio, 10) + F.left(accessLabels[row.access] ?? row.access, 34)
                + F.right(String(row.faults), 10) + "\n"
        }
        if !zeroFillFaults.isEmpty { out += "page-table pages allocated inside them            " + F.right(String(faultPageTables), 10) + "\n" }
        if capturedFaultsTimed > 0 && tally.countersTellEachFault {
            out += "order-0 fault time in the capture (kmem:rss_stat)  p50 \(capturedFaultP50Ns) ns, p99 \(capturedFaultP99Ns) ns, \(capturedFaultsTimed) faults"
            out += capturedFaultResolutionNs == 1000 ? " (timestamps to the µs: each time ±1 µs)\n" : "\n"
            out += "  from each fault event to its page's counter rise (set_pte_range), with the tracepoints inside the fault in it\n"
        }
        if firstWritesWithoutGFPZero > 0 {
            out += "first writes served without __GFP_ZERO (not counted) " + F.right(String(firstWritesWithoutGFPZero), 7) + "\n"
            if tally.countersTellEachFault || shmemZeroFills > 0 {
                out += "  of them shmem pages (kmem:rss_stat)             " + F.right(String(shmemZeroFills), 10) + "\n"
            }
            out += "  " + Evidence.withoutGFPZero(tally) + "\n"
        }
        if firstWritesWithoutAllocation > 0 {
            out += "first writes that took no page (not counted)      " + F.right(String(firstWritesWithoutAllocation), 10) + "\n"
            if tally.countersTellEachFault { out += "  of them mapping a cached page (kmem:rss_stat)   " + F.right(String(firstWritesToCachedPages), 10) + "\n" }
            if hugeFoliosFreedUnmapped > 0 { out += "  of them freeing their THP unmapped              " + F.right(String(hugeFoliosFreedUnmapped), 10) + "\n" }
            out += "  " + Evidence.withoutAllocation(tally, hugetlbPoolPages: kernelSettings.hugetlbPoolPages) + "\n"
        }
        if zeroedUserPagesWithoutFault > 0 {
            out += "user pages zeroed without a fault (not counted)   " + F.right(String(zeroedUserPagesWithoutFault), 10) + "\n"
            out += "  " + Evidence.zeroedWithoutFault(zeroedUserPagesWithoutFault) + "\n"
        }
        if hugeUserPagesWithoutFault > 0 {
            out += "THP pages allocated without a fault (not counted)  " + F.right(String(hugeUserPagesWithoutFault), 9) + "\n"
            if tally.countersTellEachFault { out += "  of them in populated THPs (kmem:rss_stat)       " + F.right(String(populatedHugePages), 10) + "\n" }
            out += "  " + Evidence.hugeWithoutFault(tally) + "\n"
        }
        if hugePagesChargeRefused > 0 {
            out += "THP pages refused by their memcg (not counted)    " + F.right(String(hugePagesChargeRefused), 10) + "\n"
            out += "  " + Evidence.chargeRefused(hugePagesChargeRefused) + "\n"
        }
        if shmemHugePages > 0 {
            out += "shmem THP/mTHP pages (not counted)                " + F.right(String(shmemHugePages), 10) + "\n"
            out += "  " + Evidence.shmemHuge(shmemHugePages) + "\n"
        }
        let k = kernelSettings
        func word(_ text: String?) -> String { text ?? "not recorded" }
        func state(_ on: Bool?) -> String { on.map { $0 ? "on" : "off" } ?? "not recorded" }
        out += "THP: enabled \(word(k.thpEnabled)), defrag \(word(k.thpDefrag)), size \(k.hpagePmdSize.map { "\($0 >> 10) KiB" } ?? "not recorded")"
        let mthp = (k.mthpEnabled ?? [:]).filter { $0.value != "never" && $0.key != "hugepages-\((k.hpagePmdSize ?? 0) >> 10)kB" }
        out += mthp.isEmpty ? "; mTHP: " + (k.mthpEnabled == nil ? "not recorded" : "none") + "\n"
            : "; mTHP: " + mthp.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        out += "init_on_alloc \(state(k.initOnAlloc)), init_on_free \(state(k.initOnFree))"
        out += k.memAutoInit.map { " (boot log: mem auto-init: \($0))" } ?? k.initSettingsFrom.map { " (\($0))" } ?? ""
        out += "; hugetlb pool " + (k.hugetlbPoolPages.map { "\($0) pages" } ?? "not recorded")
        out += "\n"
        out += "free page reporting: " + FreePageReporting.summary(
            device: k.freePageReporting, order: k.freePageReportingOrder, parameters: k.freePageReportingParameters, pageBytes: trace.pageSize) + "\n"
        if let kernelCounters {
            out += kernelCounters.text()
        } else {
            out += "kernel counters: not in the sidecar (tools/capture-perf.sh and capture-ftrace.sh read them; docs/trace-input.md)\n"
        }

        out += "\nTOP COMMANDS BY ALLOCATIONS\n===========================\n"
        for command in topCommands {
            out += F.left(command.comm, 20) + F.right(String(command.allocations), 12) + " requests " + F.right(String(command.pages), 12) + " pages\n"
        }

        out += "\nIDLE TIME PER CPU (sched_switch)\n================================\n"
        if idle.isEmpty { out += "(no sched_switch events)\n" }
        // Switches of some tasks only give no idle time: no figure is printed to be read as one.
        for cpu in idle where schedSwitchScope != .someTasks {
            out += "cpu " + F.left(String(cpu.cpu), 4) + F.right(F.seconds(cpu.idleNs), 10) + " s idle  "
                + F.right(F.fixed(cpu.idleFraction * 100, 1), 5) + "% of span  " + String(cpu.intervals) + " intervals\n"
        }

        if schedSwitchScope == .someTasks {
            out += "(not measured: the capture records some tasks' switches only (perf record without -a, a pid filter): none of its "
            out += "\(schedSwitches) sched_switch events is out of the idle task, and \(schedSwitchesUnchained) switch out a task other than "
            out += "the one their CPU's previous switch put on. A replay takes --idle-fraction of each CPU instead)\n"
        } else if schedSwitchScope == .everyTask && SwitchChains.missesSwitches(unchained: schedSwitchesUnchained, switches: schedSwitches) {
            out += "(upper bounds: \(schedSwitchesUnchained) of the \(schedSwitches) sched_switch events switch out a task other than the one "
            out += "their CPU's previous switch put on, as under a tracefs pid filter (set_event_pid, trace-cmd -P); other tasks may have run "
            out += "in the gaps taken for idle)\n"
        } else if schedSwitchScope == .everyTaskNeverIdle {
            out += "(no CPU idle: none of the \(schedSwitches) sched_switch events goes into or out of the idle task)\n"
        } else if schedSwitchScope == .everyTaskNoIdleExits {
            out += "(each interval ends at the CPU's next event from another task: the \(schedSwitches) sched_switch events follow each other "
            out += "on every CPU, but none comes out of the idle task. A replay takes --idle-fraction of each CPU instead)\n"
        } else if idleIntervalsClosedWithoutSwitch > 0 {
            out += "(\(idleIntervalsClosedWithoutSwitch) idle intervals had no traced switch out of idle; "
            out += "each ends at the CPU's next event from another task)\n"
        }

        if let touch {
            out += "\nLINES TOUCHED PER PAGE (whole trace)\n====================================\n"
            out += "\(touch.pages) pages, mean \(F.fixed(touch.meanLinesPerPage, 1)) lines, from \(touch.records) touch records\n"
            let order = ["1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65-128"]
            let most = max(touch.linesPerPage.values.max() ?? 1, 1)
            for label in order {
                let pages = touch.linesPerPage[label] ?? 0
                // 65-128 only where a page has more than 64 lines (pages larger than 4 KiB).
                if label == "65-128" && pages == 0 { continue }
                out += F.left(label + " lines", 14) + F.right(String(pages), 8) + "  " + String(repeating: "#", count: pages * 40 / most) + "\n"
            }
        }
        for note in notes { out += "\nnote: \(note)\n" }

        out += "\nANOMALIES\n=========\n"
        out += "malformed lines                      : \(anomalies.malformedLines)\n"
        for example in anomalies.malformedExamples { out += "  \(example)\n" }
        out += "lines in a second format            : \(anomalies.mixedFormatLines)\n"
        out += "events lost by the capture           : \(anomalies.lostEvents) (in \(anomalies.lostRecords) records)\n"
        out += "frees of pages allocated before start: \(anomalies.freesOfPagesAllocatedBeforeCapture)\n"
        out += "allocations of an already-live pfn   : \(anomalies.secondAllocationsOfLivePfn)\n"
        out += "frees lost in a CPU's idle context   : \(anomalies.freesLostInIdleContext) (seen as re-allocations of page-table and batch pages)\n"
        out += "timestamps going backwards           : \(anomalies.timestampRegressions)\n"
        if anomalies.switchesNotByTheirPrevTask > 0 {
            out += "switches not by their prev_pid       : \(anomalies.switchesNotByTheirPrevTask) (the pid column is not the thread id: "
                + "perf script -F pid without tid? print tid, or pid,tid)\n"
        }
        out += "unknown event lines (skipped)        : \(anomalies.unknownEventLines)\n"
        if anomalies.unterminatedLastLine { out += "last line had no newline (capture cut short?)\n" }
        if let noVerdict { out += "\nVERDICT\n=======\n\(noVerdict)\n" }
        return out
    }
}

extension KernelCounterCheck {
    /// `stat`'s section: each counter beside the trace's figure, then what a difference means.
    func text() -> String {
        typealias F = TextFormatting
        let window = windowSeconds.map { " over \(F.fixed($0, 3)) s" } ?? ""
        let title = "KERNEL COUNTERS (the capture's readings: their rise, \(scope ?? "scope not recorded")\(window))"
        var out = "\n" + title + "\n" + String(repeating: "=", count: title.count) + "\n"
        out += "(the trace's figures: \(traceSpan); "
            + (lowerBoundsDropped.map { "no lower bound: \($0)" } ?? "it allows at least those")
            + (upperBoundsDropped.map { "; no upper bound: \($0)" } ?? ", and at most the events up to the reader's exit") + ")\n"
        out += F.left("counter", 44) + F.right("kernel", 10) + F.right("trace", 10) + "  " + F.left("the trace allows", 18)
            + F.left("check", 9) + "the trace's figure\n"
        for row in rows {
            let check = !row.checked ? "shown" : row.agrees ? "agrees" : "DIFFERS"
            out += F.left(row.counter, 44) + F.right(String(row.kernel), 10) + F.right(String(row.trace), 10) + "  "
                + F.left(row.checked ? row.expectedText : "-", 18) + F.left(check, 9) + row.traceFigure + "\n"
        }
        for row in rows where !row.agrees {
            out += "  \(row.counter): the kernel counted \(row.kernel) where the trace allows \(row.expectedText). \(row.note)\n"
        }
        for row in rows where !row.checked { out += "  \(row.counter): \(row.note)\n" }
        if !rows.contains(where: \.checked) {
            out += "  No counter could be checked (\(uncheckedReason)).\n"
        } else if disagreements.isEmpty {
            out += "  Every checked counter agrees with the trace.\n"
        }
        return out
    }
}
