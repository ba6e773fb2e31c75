/// THP and mTHP folios by order that were not anonymous zero-fill faults
/// (`ZeroFillFaultMatcher`): anonymous ones allocated with no fault of their task waiting, those
/// their memory cgroup refused, and shmem's (`HugeFolioMarks`), a fault's or not.
public struct HugeFolioOutcomes: Sendable, Equatable {
    /// Orders counted: every order an `mm_page_alloc` event can carry.
    public static let orders = 64
    public private(set) var withoutFault = [UInt64](repeating: 0, count: orders)
    public private(set) var chargeRefused = [UInt64](repeating: 0, count: orders)
    /// Of `chargeRefused`, shmem's: the fault fell back to an order-0 page without `__GFP_ZERO`
    /// (`HugeFolioMarks`), where an anonymous fault's is zeroed; so does shmem after -ENOSPC, and
    /// before 6.7 after a lost race, which the kernel does not count (the check's row has no lower bound).
    public private(set) var chargeRefusedShmem = [UInt64](repeating: 0, count: orders)
    /// shmem's folios a fault took, and those none did (populated, `MADV_POPULATE_WRITE`).
    public private(set) var shmem = [UInt64](repeating: 0, count: orders)
    public private(set) var shmemWithoutFault = [UInt64](repeating: 0, count: orders)
    /// THPs a first write's fault freed unmapped, before their clear (`EventFlags.freedUnmapped`):
    /// shmem's lost to another's folio in the page cache (a refused one freed that soon too).
    public private(set) var freedUnmapped = [UInt64](repeating: 0, count: orders)

    public init() {}

    mutating func countWithoutFault(order: UInt8) { if Int(order) < Self.orders { withoutFault[Int(order)] &+= 1 } }
    mutating func countChargeRefused(order: UInt8, shmem: Bool) {
        guard Int(order) < Self.orders else { return }
        chargeRefused[Int(order)] &+= 1
        if shmem { chargeRefusedShmem[Int(order)] &+= 1 }
    }
    mutating func countFreedUnmapped(order: UInt8) { if Int(order) < Self.orders { freedUnmapped[Int(order)] &+= 1 } }
    mutating func countShmem(order: UInt8, fault: Bool) {
        guard Int(order) < Self.orders else { return }
        if fault { shmem[Int(order)] &+= 1 } else { shmemWithoutFault[Int(order)] &+= 1 }
    }

    /// Base pages of the folios counted in `folios`.
    static func pages(_ folios: [UInt64]) -> UInt64 {
        folios.indices.reduce(0) { $0 &+ (folios[$1] &<< UInt64($1)) }
    }

    /// The folios counted since `earlier`.
    func minus(_ earlier: HugeFolioOutcomes) -> HugeFolioOutcomes {
        var d = self
        for o in 0..<Self.orders {
            d.withoutFault[o] = withoutFault[o] &- earlier.withoutFault[o]
            d.chargeRefused[o] = chargeRefused[o] &- earlier.chargeRefused[o]
            d.chargeRefusedShmem[o] = chargeRefusedShmem[o] &- earlier.chargeRefusedShmem[o]
            d.shmem[o] = shmem[o] &- earlier.shmem[o]
            d.shmemWithoutFault[o] = shmemWithoutFault[o] &- earlier.shmemWithoutFault[o]
            d.freedUnmapped[o] = freedUnmapped[o] &- earlier.freedUnmapped[o]
        }
        return d
    }
}

/// What a trace gives for each kernel counter a capture records (`TraceMetadata.KernelCounters`),
/// counted as `stat` and the replay read the events: fault exceptions, pages allocated and
/// freed, zero-fill faults and failed THP/mTHP allocations by order. Over two spans that bracket
/// the counters' readings (tools/lib/counted.sh reads them just before it forks the command and
/// just after the command exits): the inner one from that fork to that exit, inside the
/// readings; the outer one from the trace's start to the exit of the process that read them,
/// around the readings. Whatever the kernel counted between the readings, the trace has at least
/// the inner span's and at most the outer span's. Counts nothing without counters to check.
public struct KernelCounterTally: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var faultExceptions: UInt64 = 0
        /// Base pages of successful `mm_page_alloc` events, and of `mm_page_free` events.
        public var allocatedPages: UInt64 = 0
        public var freedPages: UInt64 = 0
        public var zeroFillFaults = [UInt64](repeating: 0, count: HugeFolioOutcomes.orders)
        /// Failed user allocations of a THP gfp mask (`GFP_TRANSHUGE*`): a fault falls back (the
        /// kernel's `thp_fault_fallback`), or khugepaged's collapse fails.
        public var failedHugeAllocations = [UInt64](repeating: 0, count: HugeFolioOutcomes.orders)
        /// Huge folios that were not zero-fill faults (`ZeroFillFaultMatcher.hugeFolios`).
        public var hugeFolios = HugeFolioOutcomes()
        /// Of `zeroFillFaults`, the folios of faults that lost a race for their range to another
        /// thread: the kernel cleared them, found the range mapped (`__do_huge_pmd_anonymous_page`:
        /// `!pmd_none`; `do_anonymous_page`: `!pte_range_none`) and freed them, and never counted
        /// them. Seen as a free of the folio by its own task within `lostRaceNs` of its fault,
        /// before that task's next fault, memory-counter event of its own memory, exec or exit (a
        /// mapped folio raises its task's `MM_ANONPAGES` first, and on 6.18 an exec's or exit's
        /// frees come after those events). Without `kmem:rss_stat` in the capture a folio its task
        /// unmaps before its next fault counts too: the lower bound is looser.
        public var lostRaces = [UInt64](repeating: 0, count: HugeFolioOutcomes.orders)
        /// Of `lostRaces`, those with no page-table page of their task between the folio and its
        /// free: an anonymous THP's lost race allocates one (`__do_huge_pmd_anonymous_page`), a
        /// refused folio whose fallback found the range mapped by another task does not (the
        /// kernel counts it in `thp_fault_fallback_charge`), nor does `do_huge_zero_wp_pmd` or an
        /// mTHP's race.
        public var lostRacesWithoutPageTable = [UInt64](repeating: 0, count: HugeFolioOutcomes.orders)
        /// `kmem:rss_stat` events, and those of a swap-entry counter (`MM_SWAPENTS`, which a
        /// swap-in lowers): none of the latter among the former, no swap-in.
        public var memoryCounterEvents: UInt64 = 0
        public var swapCounterEvents: UInt64 = 0
    }

    /// How soon after its fault a lost race frees its folio: right after the clear, which took
    /// 0.06 to 29 ms here (two threads racing for 2 MiB ranges on this project's 2-vCPU VM, 136
    /// lost races; a helper agent's capture, 2026-12-07).
    public static let lostRaceNs: UInt64 = 100_000_000

    /// Where the inner span stands.
    public enum Span: String, Sendable, Equatable, Codable {
        /// No pid: no inner span, the readings bracket the whole recording.
        case wholeRecording = "whole_recording"
        /// The pid's fork has not come yet.
        case beforeFork = "before_fork"
        case open
        /// The pid exited.
        case closed
    }

    /// Whether there are counters to check: without, `observe` returns at once.
    public let enabled: Bool
    /// The command's process, and the process that read the counters.
    public let pid: Int64?
    public let readerPid: Int64?
    public private(set) var span: Span
    /// The whole trace, the inner span, and the whole trace up to the reader's exit.
    private var whole = Counts()
    private var inner = Counts()
    private var atReaderExit: Counts?
    /// Pages the command freed after its exit event, until the reader is switched in again (then
    /// added to the inner span); nil before its exit and after.
    private var exitFrees: UInt64?
    private var foliosAtFork = HugeFolioOutcomes()
    /// Each task's last huge zero-fill folio, while it may yet be freed as a lost race.
    private var raceCandidates: [Int32: RaceCandidate] = [:]
    private struct RaceCandidate: Sendable, Equatable {
        var pfn: UInt64
        var timestampNs: UInt64
        var order: Int
        var inInner: Bool
        var pageTable = false
    }

    public init(counters: TraceMetadata.KernelCounters?) {
        enabled = counters != nil
        pid = counters?.pid
        readerPid = counters?.readerPid
        span = pid == nil ? .wholeRecording : .beforeFork
    }

    /// The inner span's counts (nil without a pid; empty when its fork never came) and the outer
    /// span's (the whole trace when the reader's exit never came). `folios`: the matcher's, at the end.
    public func spans(folios: HugeFolioOutcomes) -> (inner: Counts?, outer: Counts) {
        var outer = atReaderExit ?? whole
        if atReaderExit == nil { outer.hugeFolios = folios }
        switch span {
        case .wholeRecording: return (nil, outer)
        case .beforeFork: return (Counts(), outer)
        case .open:
            var c = inner
            c.hugeFolios = folios.minus(foliosAtFork)
            return (c, outer)
        case .closed: return (inner, outer)
        }
    }

    /// Whether `observe` reads the zero-fill matcher's huge folios for `event`: at a fork or an exit.
    public static func readsHugeFolios(_ event: TraceEvent) -> Bool { event.kind == .processFork || event.kind == .processExit }

    /// Counts `event` after the zero-fill matcher has seen it, given what it reads of the matcher:
    /// the fault an allocation completed (`lastAllocationFault`), and its huge folios where
    /// `readsHugeFolios` (nil elsewhere). Fields, not the matcher: a matcher passed whole was
    /// copied for every event (259 bytes, and where inlined its arrays retained and released).
    public mutating func observe(_ event: TraceEvent, lastAllocationFault: ZeroFillFault?, hugeFolios: HugeFolioOutcomes?) {
        guard enabled else { return }
        switch event.kind {
        case .processFork:
            if span == .beforeFork && event.otherPid == pid {
                span = .open
                foliosAtFork = hugeFolios ?? HugeFolioOutcomes()
            }
        case .processExit:
            raceCandidates[event.pid] = nil
            if span == .open && event.subjectPid == pid {
                span = .closed
                inner.hugeFolios = (hugeFolios ?? HugeFolioOutcomes()).minus(foliosAtFork)
                exitFrees = 0
            }
            if atReaderExit == nil, let reader = readerPid, event.subjectPid == reader {
                atReaderExit = whole
                atReaderExit?.hugeFolios = hugeFolios ?? HugeFolioOutcomes()
                exitFrees = nil  // never confirmed: not counted
            }
        case .schedSwitch:
            // The reader runs again only once the command's exit woke it (exit_notify, after
            // exit_mm), and reads the counters after: the frees before are inside the readings.
            if let frees = exitFrees, let reader = readerPid, event.nextPid == reader {
                inner.freedPages &+= frees
                exitFrees = nil
            }
        case .processExec:
            raceCandidates[event.pid] = nil
        case .rssStat:
            // The task's own memory only: a reclaim in a charge moves other processes' counters.
            if event.counterOfCurrentMM { raceCandidates[event.pid] = nil }
            let swap: UInt64 = event.counterMember == .swapEntries ? 1 : 0
            whole.memoryCounterEvents &+= 1
            whole.swapCounterEvents &+= swap
            if span == .open {
                inner.memoryCounterEvents &+= 1
                inner.swapCounterEvents &+= swap
            }
        case .pageFault, .pageFree, .pageAlloc:
            let fault = event.kind == .pageAlloc ? lastAllocationFault : nil
            Self.count(event, zeroFill: fault, into: &whole)
            if span == .open {
                Self.count(event, zeroFill: fault, into: &inner)
            } else if event.kind == .pageFree, exitFrees != nil, let pid, Int64(event.pid) == pid {
                // The command's exit frees its memory after its exit event (exit_mm after
                // trace_sched_process_exit, as on 6.18), in its own task.
                exitFrees? &+= Self.pages(event)
            }
            noteRace(event, zeroFill: fault)
        default:
            break
        }
    }

    /// Keeps each task's last huge zero-fill folio, and counts it as a lost race when the task
    /// frees it before doing anything else.
    private mutating func noteRace(_ event: TraceEvent, zeroFill: ZeroFillFault?) {
        switch event.kind {
        case .pageFault:
            raceCandidates[event.pid] = nil
        case .pageAlloc:
            if let fault = zeroFill, fault.order > 0, fault.order < HugeFolioOutcomes.orders {
                raceCandidates[event.pid] = RaceCandidate(pfn: event.pfn, timestampNs: event.timestampNs, order: fault.order, inInner: span == .open)
            } else if !raceCandidates.isEmpty, event.isPageTableAllocation, !event.failed {
                raceCandidates[event.pid]?.pageTable = true  // its page table (pte_alloc_one)
            }
        default:
            guard !raceCandidates.isEmpty, let folio = raceCandidates[event.pid], folio.pfn == event.pfn else { return }
            raceCandidates[event.pid] = nil
            guard event.timestampNs &- folio.timestampNs <= Self.lostRaceNs else { return }
            whole.lostRaces[folio.order] &+= 1
            if folio.inInner { inner.lostRaces[folio.order] &+= 1 }
            if !folio.pageTable {
                whole.lostRacesWithoutPageTable[folio.order] &+= 1
                if folio.inInner { inner.lostRacesWithoutPageTable[folio.order] &+= 1 }
            }
        }
    }

    /// The base pages of `event`'s block.
    private static func pages(_ event: TraceEvent) -> UInt64 { event.order < 64 ? 1 << UInt64(event.order) : 0 }

    private static func count(_ event: TraceEvent, zeroFill: ZeroFillFault?, into c: inout Counts) {
        let pages = Self.pages(event)
        switch event.kind {
        case .pageFault:
            c.faultExceptions &+= 1
        case .pageFree:
            c.freedPages &+= pages
        default:
            let order = Int(event.order)
            if event.failed {
                if order > 0, order < HugeFolioOutcomes.orders, event.flags.contains(.gfpUser), event.flags.contains(.gfpTransHuge) {
                    c.failedHugeAllocations[order] &+= 1
                }
                return
            }
            c.allocatedPages &+= pages
            if let fault = zeroFill, fault.order < HugeFolioOutcomes.orders { c.zeroFillFaults[fault.order] &+= 1 }
        }
    }
}

/// The capture's kernel counters (`TraceMetadata.KernelCounters`: each counter's rise over the
/// recording, system-wide) beside what the trace gives for each: the kernel's own count of what
/// prezero infers from the events. A counter outside the range the trace allows is a
/// disagreement `stat` and the report name.
public struct KernelCounterCheck: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        /// The kernel counter, as `/proc/vmstat` or the mTHP stats name it (`pgalloc_*`: their sum).
        public var counter: String
        public var kernel: UInt64
        /// What the trace gives for it, and how much.
        public var traceFigure: String
        public var trace: UInt64
        /// The range the kernel's count must fall in for the two to agree (nil high: no upper
        /// bound; nil low too: shown, not checked).
        public var expectedLow: UInt64?
        public var expectedHigh: UInt64?
        /// Why the two can differ, and by how much.
        public var note: String

        /// A range that can fail: a lower bound above 0, or an upper bound.
        public var checked: Bool {
            guard let low = expectedLow else { return false }
            return low > 0 || expectedHigh != nil
        }
        public var agrees: Bool {
            guard checked, let low = expectedLow else { return true }
            return kernel >= low && expectedHigh.map { kernel <= $0 } ?? true
        }
        enum CodingKeys: String, CodingKey {
            case counter, kernel, trace, note
            case traceFigure = "trace_figure"
            case expectedLow = "expected_low"
            case expectedHigh = "expected_high"
        }

        /// The range as text: "16", "30 to 32", "8762 or more".
        public var expectedText: String {
            guard let low = expectedLow else { return "not checked" }
            guard let high = expectedHigh else { return "\(low) or more" }
            return low == high ? "\(low)" : "\(low) to \(high)"
        }
    }

    public var scope: String?
    /// Seconds between the capture tool's two readings of the counters.
    public var windowSeconds: Double?
    /// The trace's events the rows count: "from the fork of pid N to its exit", or the whole trace.
    public var traceSpan: String
    /// Why the lower bounds are 0 (the trace has no fork of the pid), and why there are no upper
    /// bounds (lost events, some CPUs recorded, readings around the whole recording); nil: there are.
    public var lowerBoundsDropped: String?
    public var upperBoundsDropped: String?
    public var rows: [Row]

    public var disagreements: [Row] { rows.filter { !$0.agrees } }

    enum CodingKeys: String, CodingKey {
        case scope, rows
        case windowSeconds = "window_seconds"
        case traceSpan = "trace_span"
        case lowerBoundsDropped = "lower_bounds_dropped"
        case upperBoundsDropped = "upper_bounds_dropped"
    }

    /// The check of `read`'s sidecar counters against `tally` and `matcher` (`stat`'s or a
    /// replay's, at the trace's end); nil when the sidecar has none.
    public init?(read: TraceReadSummary, tally: KernelCounterTally, matcher: ZeroFillFaultMatcher, pageBytes: UInt64) {
        self.init(
            counters: read.metadata?.kernelCounters, tally: tally, folios: matcher.hugeFolios, pmdOrder: matcher.pmdOrder,
            pageBytes: pageBytes, lostEvents: read.diagnostics.lostEvents, someCPUs: read.metadata?.recordedCPUs != nil)
    }

    /// - Parameters:
    ///   - lostEvents: events the capture lost; with any, the kernel may count more than the trace.
    ///   - someCPUs: the capture recorded some CPUs only (`perf record -C`): the same.
    public init?(
        counters: TraceMetadata.KernelCounters?, tally: KernelCounterTally, folios: HugeFolioOutcomes,
        pmdOrder: Int, pageBytes: UInt64, lostEvents: UInt64, someCPUs: Bool
    ) {
        guard let counters else { return nil }
        scope = counters.scope
        windowSeconds = counters.windowSeconds.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e9 ? $0 : nil }
        let (innerSpan, outer) = tally.spans(folios: folios)
        // Without an inner span the readings bracket the whole recording: the whole trace is the
        // lower bound, and there is no upper one (`upperBoundsDropped`).
        let inner = innerSpan ?? outer
        switch (tally.span, tally.pid) {
        case (.closed, let pid?): traceSpan = "from the fork of pid \(pid) to its exit"
        case (.open, let pid?): traceSpan = "from the fork of pid \(pid) to the trace's end (its exit is not in the trace)"
        case (.beforeFork, _): traceSpan = "none"
        default: traceSpan = "the whole trace"
        }
        lowerBoundsDropped = tally.span == .beforeFork
            ? "the trace has no fork of pid \(tally.pid.map(String.init) ?? "?"), the process the readings bracket" : nil
        let rise = counters.rise
        // Readings around the whole recording (no pid) hold the trace and more: no upper bound.
        upperBoundsDropped = lostEvents > 0
            ? "the capture lost \(lostEvents) events, so the kernel may count more"
            : someCPUs ? "the capture recorded some CPUs only, so the kernel may count more"
            : tally.span == .wholeRecording ? "the readings bracket the whole recording, so the kernel may count more" : nil
        let partial = upperBoundsDropped != nil
        let partialNote = upperBoundsDropped.map { " No upper bound: \($0)." } ?? ""
        // A row with no upper bound of its own (pgalloc_*, pgfree) needs no note of a dropped one.
        var rows: [Row] = []
        func row(_ counter: String, _ kernel: UInt64, _ figure: String, _ trace: UInt64, _ low: UInt64?, _ high: UInt64?, _ note: String) {
            rows.append(Row(
                counter: counter, kernel: kernel, traceFigure: figure, trace: trace, expectedLow: low,
                expectedHigh: partial ? nil : high, note: note + (low == nil || high == nil ? "" : partialNote)))
        }

        // Huge folios, order by order: the PMD order under its vmstat names, the others under
        // their mTHP size's.
        for order in 1..<HugeFolioOutcomes.orders {
            let (bytes, over) = pageBytes.multipliedReportingOverflow(by: 1 << UInt64(order))
            guard !over else { break }
            let kib = bytes / 1024
            let size = "hugepages-\(kib)kB"
            let pmd = order == pmdOrder && rise["thp_fault_alloc"] != nil
            let allocName = pmd ? "thp_fault_alloc" : "\(size)/anon_fault_alloc"
            guard let alloc = rise[allocName] else { continue }
            let shmemName = pmd ? "thp_file_alloc" : "\(size)/shmem_alloc"
            let shmem = rise[shmemName] ?? 0
            // shmem's huge folios refused by their memcg: those that fell back to an order-0 page
            // without __GFP_ZERO are told apart; those that fell back to a smaller folio look
            // like anonymous ones in the trace.
            let shmemChargeName = pmd ? "thp_file_fallback_charge" : "\(size)/shmem_fallback_charge"
            // A sidecar without that counter (read before counted.sh read it) cannot say how many
            // of the refusals were shmem's once shmem allocated huge folios: no lower bound then.
            let shmemCharge = rise[shmemChargeName] ?? (shmem > 0 ? .max : 0)
            let faults = inner.zeroFillFaults[order], refusedShmem = inner.hugeFolios.chargeRefusedShmem[order]
            let refused = inner.hugeFolios.chargeRefused[order] &- refusedShmem
            let lostRaces = inner.lostRaces[order]
            // shmem's refusals told apart bound nothing from below: a folio shmem frees for a lack of
            // space (-ENOSPC on a size-limited tmpfs, a quota) falls back to order 0 the same way,
            // as did, before 6.7, one that lost its race (shmem_getpage_gfp's alloc_nohuge), and the
            // kernel counts neither. So every shmem refusal may hide among the anonymous-looking ones.
            let refusedAnon = refused > shmemCharge ? refused - shmemCharge : 0
            let faultsAround = outer.zeroFillFaults[order], withoutAround = outer.hugeFolios.withoutFault[order]
            let refusedAllAround = outer.hugeFolios.chargeRefused[order]
            let refusedAround = refusedAllAround &- outer.hugeFolios.chargeRefusedShmem[order], failedAround = outer.failedHugeAllocations[order]
            let fallbackName = pmd ? "thp_fault_fallback" : "\(size)/anon_fault_fallback"
            let chargeName = pmd ? "thp_fault_fallback_charge" : "\(size)/anon_fault_fallback_charge"
            let fallback = rise[fallbackName] ?? 0, charge = rise[chargeName] ?? 0
            let shmemAround = outer.hugeFolios.shmem[order] &+ outer.hugeFolios.shmemWithoutFault[order]
            let shmemPopulatedAround = outer.hugeFolios.shmemWithoutFault[order]
            // A refusal whose fallback found the range mapped by another task frees its folio with
            // no fallback page and no page table: freed unmapped if its charge failed at once, a
            // lost race here if later. A refusal with no write fault waiting (a read fault's shmem
            // folio, write(), a populate) is a folio with no fault. Up to that many more refusals.
            let freedUnmappedAround = outer.hugeFolios.freedUnmapped[order]
            let refusedUnseen = freedUnmappedAround &+ outer.lostRacesWithoutPageTable[order] &+ withoutAround
            guard alloc != 0 || fallback != 0 || charge != 0 || shmem != 0 || faultsAround != 0 || withoutAround != 0 || refusedAllAround != 0
                || shmemAround != 0 || freedUnmappedAround != 0
            else { continue }
            let what = order == pmdOrder ? "THP" : "\(kib) KiB mTHP"
            // Large swap-ins (6.14 on for shmem, `shmem_swap_alloc_folio`; anon mTHPs too) take a
            // THP-mask folio on a fault, and the kernel counts them in swpin, not in *_alloc.
            let swapInName = "\(size)/swpin"
            let swapIns = rise[swapInName] ?? 0
            // A sidecar of a kernel with mTHP stats but without swpin (read before the capture tools
            // read it) cannot say how many; the trace can where it has memory counters: a swap-in
            // lowers MM_SWAPENTS. Kernels without mTHP stats swap in no large folio.
            let swapInsUnknown = rise[swapInName] == nil && rise["\(size)/anon_fault_alloc"] != nil
                && (outer.memoryCounterEvents == 0 || outer.swapCounterEvents > 0)
            let swapNote = swapInsUnknown
                ? " No lower bound: the sidecar has no \(swapInName), and the trace \(outer.memoryCounterEvents == 0 ? "has no kmem:rss_stat to show there was no swap-in" : "shows swap (MM_SWAPENTS moved)"): large swap-ins take a THP-mask folio on a fault, which the kernel counts in swpin."
                : ""
            // shmem's folios its faults took, as the trace told them apart (`HugeFolioMarks`), are
            // no anonymous faults; those the kernel allocated beyond them may be among the faults.
            let shmemMarked = inner.hugeFolios.shmem[order]
            let shmemMarkedAllocated = shmemMarked > swapIns ? shmemMarked - swapIns : 0
            let shmemUnmarked = shmem > shmemMarkedAllocated ? shmem - shmemMarkedAllocated : 0
            let uncounted = lostRaces &+ shmemUnmarked &+ swapIns
            row(
                allocName, alloc, "\(what) zero-fill faults", faults,
                swapInsUnknown ? 0 : faults > uncounted ? faults - uncounted : 0, faultsAround &+ withoutAround,
                "Between the readings the kernel counted at least the trace's faults inside them, less those that lost a race to another thread (\(lostRaces): their folio was cleared (a shmem fault's mTHP, not: another's folio was in the page cache; its THP is freed unmapped instead), then freed by its task before its next fault or counter event, and not counted; without kmem:rss_stat in the capture a folio its task unmapped that soon counts here too), shmem's huge folios the trace did not tell apart (\(shmemName): \(shmem), \(shmemMarked) of them told apart by their task's MM_SHMEMPAGES rise) and large swap-ins (\(swapInName): \(swapIns)); at most the faults around them (\(faultsAround)) and the \(withoutAround) \(what) folios allocated with no fault (populated without an exception, or collapses and migrations)." + swapNote)
            if rise[shmemName] != nil {
                let populated = inner.hugeFolios.shmemWithoutFault[order]
                row(shmemName, shmem, "\(what) folios shmem's faults took", shmemMarked, swapInsUnknown ? 0 : shmemMarkedAllocated,
                    faultsAround &+ withoutAround &+ refusedAllAround &+ shmemAround,
                    "HugeFolioMarks: a huge folio whose task's MM_SHMEMPAGES counter (kmem:rss_stat) rose next, with no fall before. The kernel counted at least those a fault took inside the readings, less large swap-ins (\(swapInName): \(swapIns)), and more: \(populated) populated with no fault, and those shmem allocated with no counter moving (write(), fallocate) or where the capture has no kmem:rss_stat; at most every \(what) user folio around them." + swapNote)
            }
            let shmemNote = rise[shmemChargeName] == nil && shmem > 0
                ? " No lower bound: shmem allocated huge folios (\(shmemName): \(shmem)), whose refusals may look the same in the trace, and the sidecar has no \(shmemChargeName)."
                : shmemCharge > 0 ? " Less shmem's refused folios (\(shmemChargeName): \(shmemCharge)), which may look the same: one whose fallback was a smaller folio." : ""
            if rise[chargeName] != nil {
                row(chargeName, charge, "\(what) folios refused by their memory cgroup", refused, refusedAnon, refusedAround &+ refusedUnseen,
                    "HugeFolioMarks: a huge folio freed by its task before its clear, then the fault's fallback page; at most \(refusedUnseen) more: folios their task freed with no fallback page or page table (a refusal whose fallback found the range mapped by another task looks like a lost race, or like shmem's folio lost to another's in the page cache), and folios allocated with no write fault waiting (a populate's refusal)." + shmemNote)
            }
            if let shmemRefusals = rise[shmemChargeName] {
                row(shmemChargeName, shmemRefusals, "\(what) folios shmem's memory cgroup refused", refusedShmem, 0, refusedAllAround &+ refusedUnseen,
                    "HugeFolioMarks: a huge folio freed by its task before its clear, then the fault's fallback, an order-0 page without __GFP_ZERO (shmem's; an anonymous fault's is zeroed). No lower bound: shmem falls back so too when it frees a huge folio for a lack of space (-ENOSPC on a size-limited tmpfs, a quota) and, before Linux 6.7, when another thread's folio was in the page cache first, and the kernel counts neither. At most every refusal around the readings (one whose fallback was a smaller folio looks anonymous), and the folios freed with no fallback page or with no write fault waiting.")
            }
            if rise[fallbackName] != nil {
                row(fallbackName, fallback, "\(what) folios refused, and failed \(what) allocations", refused &+ inner.failedHugeAllocations[order],
                    refusedAnon, refusedAround &+ failedAround &+ refusedUnseen,
                    "A fault falls back when its folio cannot be had or charged; a failed allocation may be khugepaged's instead." + shmemNote)
            }
            if pmd, let collapses = rise["thp_collapse_alloc"] {
                row("thp_collapse_alloc", collapses, "THP folios allocated with no fault", withoutAround, 0, withoutAround &+ shmemPopulatedAround,
                    "khugepaged and MADV_COLLAPSE allocate a THP with no fault waiting: at most the trace's THP folios allocated so, shmem's among them (\(shmemPopulatedAround), should one be a collapse).")
            }
        }

        let pgalloc = rise.filter { $0.key.hasPrefix("pgalloc_") }
        if !pgalloc.isEmpty {
            let kernel = pgalloc.keys.sorted().reduce(UInt64(0)) { sum, key in
                let (total, over) = sum.addingReportingOverflow(pgalloc[key] ?? 0)
                return over ? .max : total
            }
            row("pgalloc_*", kernel, "pages the trace allocated", inner.allocatedPages, inner.allocatedPages, nil,
                "Between the readings the kernel counted at least the pages allocated in the command's span, and more: bulk allocations (alloc_pages_bulk) have no mm_page_alloc event, and other tasks allocate around the span.")
        }
        if let pgfree = rise["pgfree"] {
            // No upper bound: on 6.18 here the kernel counted up to 1,652 pages more than every
            // mm_page_free of the whole trace (5 of 17 captures, none with a lost event).
            row("pgfree", pgfree, "pages the trace freed", inner.freedPages, inner.freedPages, nil,
                "Between the readings the kernel counted at least the pages freed in the command's span, its exit's included (exit_mm frees them after trace_sched_process_exit on 6.18, in the command's own task: counted until the reader, which the exit wakes, is switched in; none without sched_switch), and more: other tasks free around the span, and some frees have no mm_page_free event (on 6.18 up to 1,652 pages more than the whole trace's, in captures that lost none).")
        }
        if let pgfault = rise["pgfault"] {
            row("pgfault", pgfault, "page-fault exceptions traced", inner.faultExceptions, nil, nil,
                "Not checked: the kernel counts each handle_mm_fault call (faults without an exception, get_user_pages and a fault's retry among them); the trace, exceptions (those on kernel addresses or ending in SIGSEGV too).")
        }
        self.rows = rows
    }
}

extension KernelCounterCheck {
    /// Why no row has a range that can fail.
    public var uncheckedReason: String {
        [lowerBoundsDropped, upperBoundsDropped].compactMap { $0 }.joined(separator: "; ")
    }

    /// The report's sentence: that the checked counters agree, or, in bold, where they do not.
    public var sentence: String {
        let checked = rows.filter(\.checked)
        guard !checked.isEmpty else { return rows.isEmpty ? "" : "The capture's kernel counters could not be checked against the trace (\(uncheckedReason))." }
        let over = "\(scope ?? "scope not recorded"); the trace's figures \(traceSpan)" + (lowerBoundsDropped.map { "; no lower bound: \($0)" } ?? "")
        let differ = disagreements
        if differ.isEmpty {
            return "The capture's kernel counters (\(over)) agree with the trace on all \(checked.count) checked: "
                + checked.map { "\($0.counter) \($0.kernel) (\($0.traceFigure): \($0.trace))" }.joined(separator: ", ")
                + ". `prezero stat` shows the range the trace allows for each."
        }
        return "**The capture's kernel counters disagree with the trace** (\(over)): "
            + differ.map { "\($0.counter) counted \($0.kernel) where the trace allows \($0.expectedText) (\($0.traceFigure): \($0.trace))" }
                .joined(separator: "; ")
            + ". The verdicts rest on the trace's events: what the kernel counted beyond them is in no verdict, and what it did not count may not have happened as the trace is read."
    }
}
