/// Whole-trace statistics: the page-allocator summary of `perf kmem --page stat`, computed the
/// same way, and what perf kmem does not show (faults by class, `__GFP_ZERO` by order, idle time).
///
/// The summary mirrors `tools/perf/builtin-kmem.c`: a live set keyed by pfn alone; every
/// `mm_page_alloc` counts as a request (failed ones too, perf adds them before checking the
/// pfn); a free matches when its pfn is live, and removes it; free bytes use the free's order.
/// `mm_page_free_batched` repeats a free `mm_page_free` already reported and is not counted.
public struct TraceStatistics: TraceEventSink {
    public let pageSize: UInt64
    public static let maxOrder = 64
    public static let migratetypeSlots = 8  // 0...6 and "other"

    // perf kmem --page stat.
    public private(set) var allocRequests: UInt64 = 0
    public private(set) var allocBytes: UInt64 = 0
    public private(set) var freeRequests: UInt64 = 0
    public private(set) var freeBytes: UInt64 = 0
    public private(set) var freeOnlyRequests: UInt64 = 0
    public private(set) var freeOnlyBytes: UInt64 = 0
    public private(set) var allocFailures: UInt64 = 0
    public private(set) var allocFailureBytes: UInt64 = 0
    /// Successful allocations by order and raw migratetype number.
    public private(set) var orderMigratetype = [UInt64](repeating: 0, count: maxOrder * migratetypeSlots)
    private var live = PFNSet(capacity: 1 << 12)

    // Beyond perf kmem.
    public private(set) var eventsByKind = [UInt64](repeating: 0, count: EventKind.allCases.count)
    public private(set) var firstTimestampNs: UInt64 = .max
    public private(set) var lastTimestampNs: UInt64 = 0
    public private(set) var timestampRegressions: UInt64 = 0
    /// sched_switch records whose task (the line's pid column) is not their prev_pid: the
    /// switch runs in the task leaving the CPU, so its thread id is prev_pid. A process id in
    /// that column (`perf script -F comm,pid,...` without tid) makes these for every thread
    /// but a process's first, and the replay's tasks would be processes.
    public private(set) var switchesNotByTheirPrevTask: UInt64 = 0
    private var lastSeenTimestampNs: UInt64 = 0
    public private(set) var cpusSeen: Set<UInt32> = []
    private var cpuSeenFast = [Bool](repeating: false, count: 1024)
    public private(set) var faultsByClass = [UInt64](repeating: 0, count: FaultClass.allCases.count)
    public private(set) var zeroRequestsByOrder = [UInt64](repeating: 0, count: maxOrder)
    /// Zero-fill faults by `ZeroFillFault.Access` (index of `allCases`) and folio order.
    public private(set) var zeroFillFaultsByAccessOrder = [[UInt64]](
        repeating: [UInt64](repeating: 0, count: maxOrder), count: ZeroFillFault.Access.allCases.count)
    private var zeroFill: ZeroFillFaultMatcher
    public var zeroFillMatcher: ZeroFillFaultMatcher { zeroFill }
    public var pmdOrder: Int { zeroFill.pmdOrder }
    /// The capture's own order-0 zero-fill faults, timed by their memory counters.
    public private(set) var capturedFaultTime = CapturedFaultTime()
    /// User pages and first writes that were not zero-fill faults (`ZeroFillFaultMatcher.Tally`).
    public var tally: ZeroFillFaultMatcher.Tally { zeroFill.tally }
    /// What the trace gives for the kernel's own counters (`KernelCounterCheck`).
    public private(set) var kernelCounts: KernelCounterTally
    public private(set) var allocationsByComm: [UInt64] = []
    public private(set) var allocatedPagesByComm: [UInt64] = []
    public private(set) var batchedFrees: UInt64 = 0
    public private(set) var lostEvents: UInt64 = 0
    public private(set) var secondAllocationsOfLivePfn: UInt64 = 0
    /// Allocations of a live pfn explained by a free lost in the CPU's idle context (`IdleContextFrees`).
    public private(set) var freesLostInIdleContext: UInt64 = 0
    /// Page-table pages allocated inside zero-fill faults (`ZeroFillFaultMatcher.isPageTableOfPendingFault`).
    public private(set) var faultPageTables: UInt64 = 0
    private var idleContextFrees = IdleContextFrees()
    /// Idle time per CPU from sched_switch: switch-to-pid-0 starts an interval, switch-from-0 ends it.
    public private(set) var idle = IdleAccounting()
    /// Lines touched per page (page-touch traces).
    public private(set) var touches = TouchStatistics()

    /// - Parameters:
    ///   - hugePageBytes: the capture's THP size (`hpage_pmd_size`); nil: 2 MiB.
    ///   - kernel: the capture's kernel, when known (`ZeroFillFaultMatcher`).
    ///   - counters: the sidecar's kernel counters, whose processes set the spans `kernelCounts` counts.
    public init(pageSize: UInt64 = 4096, hugePageBytes: Int? = nil, kernel: KernelVersion? = nil, counters: TraceMetadata.KernelCounters? = nil) {
        self.pageSize = pageSize
        kernelCounts = KernelCounterTally(counters: counters)
        zeroFill = ZeroFillFaultMatcher(
            pmdOrder: ZeroFillFaultMatcher.pmdOrder(pageBytes: Int(clamping: pageSize), hugePageBytes: hugePageBytes ?? 2 << 20), kernel: kernel)
    }

    /// Zero-fill faults of every order and access.
    public var zeroFillFaults: UInt64 { zeroFillFaultsByAccessOrder.joined().reduce(0, &+) }

    public var allocFreedRequests: UInt64 { freeRequests &- freeOnlyRequests }
    public var allocFreedBytes: UInt64 { freeBytes &- freeOnlyBytes }
    public var allocOnlyRequests: UInt64 { allocRequests &- allocFreedRequests }
    public var allocOnlyBytes: UInt64 { allocBytes &- allocFreedBytes }
    public var livePages: Int { live.count }

    public var spanNs: UInt64 { firstTimestampNs == .max ? 0 : lastTimestampNs &- firstTimestampNs }

    public func orderCount(order: Int, migratetype: Int) -> UInt64 {
        orderMigratetype[order * TraceStatistics.migratetypeSlots + migratetype]
    }

    @inline(__always)
    private func bytes(order: UInt8) -> UInt64 { pageSize << UInt64(order) }

    public mutating func consume(_ event: TraceEvent) {
        defer {
            idleContextFrees.observe(event)
            kernelCounts.observe(
                event, lastAllocationFault: zeroFill.lastAllocationFault,
                hugeFolios: KernelCounterTally.readsHugeFolios(event) ? zeroFill.hugeFolios : nil)
        }
        if event.isReaderAnnotation {
            touches.record(event)
            return
        }
        eventsByKind[Int(event.kind.rawValue)] += 1
        let t = event.timestampNs
        if event.kind != .lost || t != 0 {
            if t < firstTimestampNs { firstTimestampNs = t }
            if t > lastTimestampNs { lastTimestampNs = t }
            if t < lastSeenTimestampNs { timestampRegressions += 1 }
            lastSeenTimestampNs = t
        }
        if event.cpu < 1024 {
            if !cpuSeenFast[Int(event.cpu)] {
                cpuSeenFast[Int(event.cpu)] = true
                cpusSeen.insert(event.cpu)
            }
        } else {
            cpusSeen.insert(event.cpu)
        }

        if event.kind != .schedSwitch { idle.activity(cpu: event.cpu, pid: event.pid, at: t) }

        switch event.kind {
        case .pageAlloc:
            if zeroFill.isPageTableOfPendingFault(event) { faultPageTables += 1 }
            if let fault = zeroFill.observe(event) {
                let access = ZeroFillFault.Access.allCases.firstIndex(of: fault.access) ?? 0
                zeroFillFaultsByAccessOrder[access][fault.order] += 1
            }
            allocRequests += 1
            let size = bytes(order: event.order)
            allocBytes &+= size
            if event.failed {
                allocFailures += 1
                allocFailureBytes &+= size
                return
            }
            if !live.insert(event.pfn) {
                if idleContextFrees.explainsReallocation(of: event) {
                    freesLostInIdleContext += 1
                } else {
                    secondAllocationsOfLivePfn += 1
                }
            }
            let migratetype = event.migratetype >= 0 && Int(event.migratetype) < TraceStatistics.migratetypeSlots - 1
                ? Int(event.migratetype) : TraceStatistics.migratetypeSlots - 1
            orderMigratetype[Int(event.order) * TraceStatistics.migratetypeSlots + migratetype] += 1
            if event.wantsZero { zeroRequestsByOrder[Int(event.order)] += 1 }
            let comm = Int(event.comm)
            if comm >= allocationsByComm.count {
                allocationsByComm.append(contentsOf: repeatElement(0, count: comm + 1 - allocationsByComm.count))
                allocatedPagesByComm.append(contentsOf: repeatElement(0, count: comm + 1 - allocatedPagesByComm.count))
            }
            allocationsByComm[comm] += 1
            allocatedPagesByComm[comm] &+= 1 << UInt64(event.order)
        case .pageFree:
            if zeroFill.awaitsRefusedFolioFrees { _ = zeroFill.observe(event) }  // a refused folio's free
            touches.freed(event.pfn)
            freeRequests += 1
            let size = bytes(order: event.order)
            freeBytes &+= size
            if !live.remove(event.pfn) {
                freeOnlyRequests += 1
                freeOnlyBytes &+= size
            }
        case .pageFreeBatched:
            batchedFrees += 1
        case .pageFault:
            _ = zeroFill.observe(event)
            let faultClass = FaultClass(errorCode: event.errorCode, kernelEvent: event.flags.contains(.kernelFault), address: event.address)
            faultsByClass[FaultClass.allCases.firstIndex(of: faultClass) ?? 0] += 1
        case .schedSwitch:
            if Int64(event.pid) != event.prevPid { switchesNotByTheirPrevTask += 1 }
            idle.setTraceStart(firstTimestampNs)
            idle.record(cpu: event.cpu, at: t, prevPid: event.prevPid, nextPid: event.nextPid)
        case .lost:
            lostEvents &+= event.lostCount
        case .touch:
            touches.record(event)
        case .rssStat:
            _ = zeroFill.observe(event)
            if let ns = zeroFill.capturedFaultNs { capturedFaultTime.record(ns) }
        case .pageAllocZoneLocked, .pagePcpuDrain, .processExec, .processFork, .processExit:
            break
        }
    }

    public func faults(_ faultClass: FaultClass) -> UInt64 {
        faultsByClass[FaultClass.allCases.firstIndex(of: faultClass) ?? 0]
    }
}

/// Idle intervals per CPU from `sched_switch`.
///
/// A switch to pid 0 starts an interval on that CPU. It ends at the switch out of pid 0 or, when
/// that switch is missing, at the next event on the CPU from a task other than pid 0: kernel 6.18
/// on this project's VM records the switch into idle but mostly not the switch out of it (seen in
/// both perf and ftrace captures), so this may overstate idle time by the delay until the woken
/// task's first traced event. A CPU whose first switch is *from* pid 0 is credited from the trace
/// start; one still idle at the end is idle until the last event of the trace.
public struct IdleAccounting: Sendable {
    private var idleSince: [UInt64] = []  // .max = not idle
    private var known: [Bool] = []
    public private(set) var idleNs: [UInt64] = []
    public private(set) var intervals: [UInt64] = []
    /// Intervals ended by another task's event because the switch out of idle was not traced.
    public private(set) var closedWithoutSwitch: UInt64 = 0
    /// What the switches say of the capture's scope (`SwitchChains`).
    public private(set) var chains = SwitchChains()
    private var traceStartNs: UInt64 = .max
    /// True when some CPU may be idle: lets `activity` return at once in the common case.
    private var anyIdle = false

    public init() {}

    private mutating func ensure(_ i: Int) {
        if i >= idleSince.count {
            let extra = i + 1 - idleSince.count
            idleSince.append(contentsOf: repeatElement(.max, count: extra))
            known.append(contentsOf: repeatElement(false, count: extra))
            idleNs.append(contentsOf: repeatElement(0, count: extra))
            intervals.append(contentsOf: repeatElement(0, count: extra))
        }
    }

    private mutating func close(_ i: Int, at t: UInt64) {
        let start = idleSince[i]
        if start != .max, t >= start {
            idleNs[i] &+= t - start
            intervals[i] += 1
        }
        idleSince[i] = .max
    }

    /// Any event on `cpu` from a task other than the idle task ends an open idle interval.
    @inline(__always)
    mutating func activity(cpu: UInt32, pid: Int32, at t: UInt64) {
        guard anyIdle, pid != 0, Int(cpu) < idleSince.count, idleSince[Int(cpu)] != .max else { return }
        close(Int(cpu), at: t)
        closedWithoutSwitch += 1
    }

    mutating func record(cpu: UInt32, at t: UInt64, prevPid: Int64, nextPid: Int64) {
        chains.record(cpu: cpu, prevPid: prevPid, nextPid: nextPid)
        guard cpu < 65_536 else { return }
        let i = Int(cpu)
        ensure(i)
        if prevPid == 0 && idleSince[i] == .max && !known[i] && traceStartNs != .max {
            idleSince[i] = traceStartNs  // idle since before the trace began
        }
        if idleSince[i] != .max {
            if prevPid != 0 { closedWithoutSwitch += 1 }
            close(i, at: t)
        }
        if nextPid == 0 {
            idleSince[i] = t
            anyIdle = true
        }
        known[i] = true
    }

    public mutating func setTraceStart(_ t: UInt64) { traceStartNs = t }

    /// Idle ns per CPU, closing intervals still open at `endNs`.
    public func idleNs(closingAt endNs: UInt64) -> [UInt64] {
        var result = idleNs
        for i in 0..<idleSince.count where idleSince[i] != .max && endNs >= idleSince[i] {
            result[i] &+= endNs - idleSince[i]
        }
        return result
    }
}

/// Which lines of each page were touched over its life (page-touch traces): a page's lines until
/// it is freed (its process ended or exec'd: a later page at the same address is another).
public struct TouchStatistics: Sendable {
    private var masks: [UInt64: LineMask] = [:]
    /// Pages freed, by their count of lines touched (index 0 unused).
    private var freedByLines = [Int](repeating: 0, count: LackeyDecoder.maxLinesPerPage + 1)
    public private(set) var touchRecords: UInt64 = 0

    public init() {}

    /// A touch record's lines; the faulting line's record (`touchAtFault`) counts among its page's
    /// lines, not as a record.
    mutating func record(_ event: TraceEvent) {
        if !event.isReaderAnnotation { touchRecords += 1 }
        masks[event.touchPage] = (masks[event.touchPage] ?? LineMask()).union(LineMask(touch: event))
    }

    /// A free ends a touched page's life.
    mutating func freed(_ pfn: UInt64) {
        guard !masks.isEmpty, let mask = masks.removeValue(forKey: pfn) else { return }
        freedByLines[min(mask.count, LackeyDecoder.maxLinesPerPage)] += 1
    }

    /// Pages (lifetimes) by their count of lines touched.
    var pagesByLines: [Int] {
        var counts = freedByLines
        for mask in masks.values { counts[min(mask.count, LackeyDecoder.maxLinesPerPage)] += 1 }
        return counts
    }

    /// Pages (lifetimes) with a line touched.
    public var pages: Int { pagesByLines.dropFirst().reduce(0, +) }

    /// Pages by lines touched, in buckets 1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65-128.
    public var histogram: [(label: String, pages: Int)] {
        let bounds = [(1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 32), (33, 64), (65, 128)]
        let byLines = pagesByLines
        return bounds.map { bound in
            (bound.0 == bound.1 ? "\(bound.0)" : "\(bound.0)-\(bound.1)", byLines[bound.0...bound.1].reduce(0, +))
        }
    }

    /// Mean lines touched per touched page.
    public var meanLines: Double {
        let byLines = pagesByLines
        let pages = byLines.dropFirst().reduce(0, +)
        guard pages > 0 else { return 0 }
        return Double(byLines.indices.reduce(0) { $0 + $1 * byLines[$1] }) / Double(pages)
    }
}
