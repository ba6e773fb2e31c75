/// A zero-fill fault: a write fault on a user page, by the program or by the kernel writing to
/// it, that the kernel served with a newly allocated, cleared anonymous folio.
public struct ZeroFillFault: Sendable, Equatable {
    /// How the write reached the fault path.
    public enum Access: String, Sendable, CaseIterable, Codable {
        /// Write to a not-present page (error code 0x6): `do_anonymous_page` or
        /// `do_huge_pmd_anonymous_page`.
        case firstWrite = "first_write"
        /// Write to a page a read fault mapped to the shared zero page (0x7): `wp_page_copy`
        /// allocates with `vma_alloc_zeroed_movable_folio` since `is_zero_pfn()` holds.
        case writeAfterZeroPageRead = "write_after_zero_page_read"
        /// A kernel write to a not-present user page (0x2 in kernel mode): `copy_to_user` and
        /// the like into memory the program has not touched (a `read()` into a fresh buffer).
        case kernelFirstWrite = "kernel_first_write"
        /// A kernel write to a user page a read mapped to the zero page (0x3 in kernel mode).
        case kernelWriteAfterZeroPageRead = "kernel_write_after_zero_page_read"

        /// The first write to a not-present page, from user or kernel mode.
        public var isFirstWrite: Bool { self == .firstWrite || self == .kernelFirstWrite }
        /// A write to the zero page, from user or kernel mode.
        public var isAfterZeroPageRead: Bool { self == .writeAfterZeroPageRead || self == .kernelWriteAfterZeroPageRead }
        /// Taken in kernel mode: the kernel, not the program, wrote the page first.
        public var inKernelMode: Bool { self == .kernelFirstWrite || self == .kernelWriteAfterZeroPageRead }
    }

    /// The folio the fault allocated.
    public enum Folio: String, Sendable, CaseIterable, Codable {
        /// Order 0, allocated with `__GFP_ZERO` (`vma_alloc_zeroed_movable_folio`).
        case base = "base_page"
        /// An mTHP order between 1 and the PMD order (`alloc_anon_folio` -> `folio_zero_user`).
        case mthp = "mthp"
        /// The PMD order (`vma_alloc_anon_folio_pmd` -> `folio_zero_user`).
        case thp = "thp"
    }

    public var access: Access
    public var folio: Folio
    public var order: Int
    /// The faulting address: `folio_zero_user` clears its subpage last.
    public var address: UInt64
    /// The faulting task's class in a touch profile (`TraceEvent.commClass`); 0 for none.
    public var commClass: UInt8 = 0
}

/// Pairs write faults on user pages with the allocation that serves them, per CPU, as the capture's
/// kernel does it (Linux 6.x `mm/memory.c`, `mm/huge_memory.c`):
///
/// - a user write fault (0x6, or 0x7 on the zero page) on a CPU waits for the next user-page
///   allocation by the same task on that CPU (page-table and other kernel allocations in the
///   fault are skipped: `GFPClass`); so does a kernel write to a user page (0x2, 0x3 in kernel
///   mode: `copy_to_user` into fresh memory), which `do_user_addr_fault` serves the same way. A
///   write fault that allocated nothing (a hugetlb page, a file page already cached, a reused
///   copy-on-write page) waits until the task's next fault or user-page allocation on that CPU,
///   and a first write among them is counted (`Tally.firstWritesWithoutAllocation`);
/// - an order-0 `__GFP_ZERO` user page allocated with no fault waiting was zeroed outside any
///   fault event (`Tally.zeroedUserPagesWithoutFault`: populate, mlock, `get_user_pages`);
/// - order 0 is a zero-fill fault when it carries `__GFP_ZERO`; a first write served by a user
///   page without it is counted apart (`Tally.firstWritesWithoutGFPZero`): a shmem or tmpfs page, which
///   `shmem_get_folio_gfp` clears with `clear_highpage` after allocating it, a copy-on-write copy
///   of a private file page (`do_cow_fault`) or a swap-in, which the tracepoints do not tell apart;
/// - above order 0, after a first write, a THP gfp mask (`GFP_TRANSHUGE*`, which never
///   carries `__GFP_ZERO`) makes it a THP (at `pmdOrder`) or mTHP zero-fill fault, since
///   `folio_zero_user` clears the folio; so does a PMD-order one after a write to the huge zero
///   page (0x7, or 0x3 from the kernel), which 6.13's `do_huge_zero_wp_pmd` serves with a THP;
/// - a failed allocation leaves the fault waiting: a THP that cannot be had falls back to an
///   order-0 allocation for the same fault (`thp_fault_fallback`); so does a folio its memory
///   cgroup refused to charge, freed before its clear (`EventFlags.chargeRefused`, set by
///   `HugeFolioMarks` as the trace is read).
///
/// Architectures with aliasing caches allocate order-0 pages without `__GFP_ZERO` since
/// Linux 6.13 and clear afterwards; their captures are not recognised (x86 and arm64 are).
public struct ZeroFillFaultMatcher: Sendable {
    public let pmdOrder: Int
    private var pending: [Pending?]
    /// How soon after its fault an allocation without `__GFP_ZERO` counts as the fault's: the
    /// allocation comes first in the fault (`do_cow_fault`'s `folio_prealloc`, shmem's
    /// `shmem_alloc_folio`), 1-2 us after the fault event in this project's captures; a fault
    /// that allocated nothing is not kept waiting for the task's next `read()`'s page-cache page.
    public static let faultAllocationWindowNs: UInt64 = 50_000
    /// How soon a counter must rise after a fault (or its page's allocation) to be that fault's:
    /// the move comes after mapping the page, a large page-cache folio too (57 us for 1 MiB in
    /// `fault-paths shared-file`); a later rise by the same task (`MAP_POPULATE`, `mlock`) is not
    /// kept as the fault's. Zero-fill faults and populated THPs wait longer:
    /// `zeroFillCounterWindowNs`.
    public static let faultCounterWindowNs: UInt64 = 1_000_000
    /// How late a zero-fill fault's (or a populated THP's) counter may rise after its page: the
    /// rise is its own (`do_anonymous_page` raises it right after the clear), but the clear of a
    /// THP whose memory the host reclaimed took 4.7 ms here (`fault-paths populate-thp`), and a
    /// memory cgroup charge in between can reclaim for longer; a task that moved CPU before its rise leaves its page
    /// waiting on the old CPU, and a rise there much later (a populate, an exit) is not its.
    public static let zeroFillCounterWindowNs: UInt64 = 100_000_000
    /// A folio was refused (`EventFlags.chargeRefused`): from then on the caller feeds frees too,
    /// so the matcher sees the refused folio's. Without one, frees cost it nothing.
    public private(set) var awaitsRefusedFolioFrees = false
    /// What the matcher saw of user pages and first writes that were not zero-fill faults, the
    /// memory counters' split applied only where they move at each fault (`Tally.resolved`).
    public var tally: Tally {
        var t = counted.resolved
        t.hugeUserPagesWithoutFault = HugeFolioOutcomes.pages(hugeFolios.withoutFault)
        t.hugePagesChargeRefused = HugeFolioOutcomes.pages(hugeFolios.chargeRefused)
        t.shmemHugePages = HugeFolioOutcomes.pages(hugeFolios.shmem) &+ HugeFolioOutcomes.pages(hugeFolios.shmemWithoutFault)
        t.hugeFoliosFreedUnmapped = hugeFolios.freedUnmapped.reduce(0, &+)
        return t
    }
    private var counted = Tally()
    /// Huge folios that were not zero-fill faults, by order (`Tally.hugeUserPagesWithoutFault`,
    /// `hugePagesChargeRefused` and `shmemHugePages` count their base pages).
    public private(set) var hugeFolios = HugeFolioOutcomes()
    /// The zero-fill fault the last allocation observed completed, if any.
    public private(set) var lastAllocationFault: ZeroFillFault?

    /// User pages and first writes the matcher could not pair into a zero-fill fault (each is
    /// reported, none is replayed as a fault), and what the memory counters said of them.
    public struct Tally: Sendable, Equatable {
        /// First writes to a not-present page (0x6, or 0x2 from the kernel) served by an order-0 user
        /// page allocated without `__GFP_ZERO` within `faultAllocationWindowNs` of the fault:
        /// shmem/tmpfs zero-fills, file copy-on-write copies, page-cache pages read in for a shared
        /// file mapping, swap-ins; not told apart, so not zero-fill faults here. At most that many: a
        /// fault that allocated nothing (its page was cached) can still pair with a later allocation
        /// inside the window.
        public var firstWritesWithoutGFPZero: UInt64 = 0
        /// First writes to a not-present page (0x6, or 0x2 from the kernel) that took no user page:
        /// the task's next fault on that CPU came first, or the only allocation came later than
        /// `faultAllocationWindowNs` without `__GFP_ZERO`. A hugetlb fault (its page comes from the
        /// hugetlb pool and `hugetlb_no_page` clears it with `folio_zero_user`), a write to a shared
        /// file or shmem page already in the page cache (`do_shared_fault`), or a fault that lost a race
        /// for its page; the tracepoints do not tell these apart. At most that many: a fault preempted
        /// before its allocation, whose CPU took another task's fault meanwhile, counts here too.
        public var firstWritesWithoutAllocation: UInt64 = 0
        /// Order-0 user pages allocated with `__GFP_ZERO` while no fault of their task waited on
        /// their CPU: `handle_mm_fault` called without an exception (`MAP_POPULATE`, `mlock`,
        /// `MADV_POPULATE_WRITE`, `get_user_pages` for O_DIRECT or a device), or a fault the capture
        /// lost. Zero requests like any other to a replay, but in no fault figure.
        public var zeroedUserPagesWithoutFault: UInt64 = 0
        /// Base pages of THP/mTHP folios (a `GFP_TRANSHUGE*` mask) allocated while no fault of their
        /// task waited on their CPU: a populated THP range, which `do_huge_pmd_anonymous_page`
        /// clears as a fault would, or a collapse (khugepaged, `MADV_COLLAPSE`) or migration, which
        /// copies into it; not told apart, so not zeroed by a replay.
        public var hugeUserPagesWithoutFault: UInt64 = 0
        /// Base pages of THP/mTHP folios allocated and freed at once, before their clear: their
        /// memory cgroup refused the charge (`HugeFolioMarks`), and the fault fell back to a
        /// smaller folio (the kernel's `thp_fault_fallback_charge`, `anon_fault_fallback_charge`).
        public var hugePagesChargeRefused: UInt64 = 0
        /// Base pages of THP/mTHP folios shmem allocated (`HugeFolioMarks`: their task's
        /// `MM_SHMEMPAGES` rose next), for a fault on a shmem or tmpfs mapping or without one:
        /// shmem's zero-fills (`shmem_get_folio_gfp` clears them; the kernel's `thp_file_alloc`,
        /// `shmem_alloc`), which no verdict includes, as shmem's order-0 pages. A fault they
        /// served counts in `firstWritesWithoutGFPZero`. 0 without `kmem:rss_stat`: such folios
        /// are then THP zero-fill faults.
        public var shmemHugePages: UInt64 = 0
        /// `kmem:rss_stat` events in the capture: without them the two counts below stay 0 and
        /// say nothing.
        public var memoryCounterEvents: UInt64 = 0
        /// Of `firstWritesWithoutGFPZero`, those whose page the fault mapped as shmem (the task's
        /// `MM_SHMEMPAGES` counter rose next): shmem or tmpfs pages `shmem_get_folio_gfp` cleared
        /// with `clear_highpage`, zero-fills no verdict includes (shmem's huge folios, which
        /// `HugeFolioMarks` tells apart, count even where the counters do not tell each fault).
        /// The rest raised `MM_ANONPAGES`
        /// (private file copies, swap-ins) or `MM_FILEPAGES` (a shared file's page read in).
        public var shmemZeroFills: UInt64 = 0
        /// Of `firstWritesWithoutAllocation`, those that mapped a page already in memory: a file
        /// or shmem page in the page cache (`do_shared_fault`) or a swap-cache page (the task's
        /// file, shmem or anon counter rose within `faultCounterWindowNs`). The rest raised
        /// none: hugetlb faults (hugetlb pages are not in the rss counters), faults that lost a
        /// race, or faults preempted before their allocation.
        public var firstWritesToCachedPages: UInt64 = 0
        /// Of `firstWritesWithoutAllocation`, the faults that freed a THP of their own unmapped,
        /// before its clear (`EventFlags.freedUnmapped`): shmem's folio lost to another task's
        /// already in the page cache, or one its memory cgroup refused at once whose fallback found
        /// the range mapped; the fault took that task's folio.
        public var hugeFoliosFreedUnmapped: UInt64 = 0
        /// Of `hugeUserPagesWithoutFault`, the base pages of THPs whose task's anon counter rose by
        /// the folio's size next: a populated range, which `do_huge_pmd_anonymous_page` cleared,
        /// zero-fills no verdict includes. A collapse or migration copies and raises none.
        public var populatedHugePages: UInt64 = 0
        /// Zero-fill faults paired, and those whose task's counter rose next: a kernel that counts
        /// per fault (Linux 6.2 on: `add_mm_counter` on a percpu_counter) raises one for nearly
        /// every fault; before 6.2 (`SPLIT_RSS_COUNTING`) a task's own faults were counted in the
        /// task and traced only at `sync_mm_rss`, so the counters say nothing of each fault.
        public var zeroFillFaults: UInt64 = 0
        public var zeroFillFaultsWithCounter: UInt64 = 0
        /// Late pages (first writes' allocations without `__GFP_ZERO` after the window) whose
        /// counter rose next, and the shmem ones among them: the fault's page after all, moved
        /// by `resolved` where the counters are trusted.
        var latePagesWithCounter: UInt64 = 0
        var latePagesShmem: UInt64 = 0
        /// First writes shmem's huge folios served (`HugeFolioMarks` told them by their counter):
        /// shmem zero-fills whether or not the counters tell each fault.
        var shmemHugeFaults: UInt64 = 0

        /// The counters are known to move at each fault in this capture: 90 % of its zero-fill
        /// faults raised theirs. Only then do `shmemZeroFills` and `firstWritesToCachedPages`
        /// mean anything.
        public var countersTellEachFault: Bool {
            memoryCounterEvents > 0 && zeroFillFaults > 0 && Double(zeroFillFaultsWithCounter) >= 0.9 * Double(zeroFillFaults)
        }

        /// The counts to report: with trusted counters, late pages the counters claimed for their
        /// fault move from `firstWritesWithoutAllocation` to `firstWritesWithoutGFPZero`; without,
        /// the counters' split is 0.
        var resolved: Tally {
            var r = self
            if countersTellEachFault {
                let late = min(latePagesWithCounter, r.firstWritesWithoutAllocation)
                r.firstWritesWithoutAllocation -= late
                r.firstWritesWithoutGFPZero &+= late
                r.shmemZeroFills &+= latePagesShmem
            } else {
                r.shmemZeroFills = 0
                r.firstWritesToCachedPages = 0
                r.populatedHugePages = 0
            }
            r.shmemZeroFills &+= shmemHugeFaults
            r.latePagesWithCounter = 0
            r.latePagesShmem = 0
            r.shmemHugeFaults = 0
            return r
        }

        public init(
            firstWritesWithoutGFPZero: UInt64 = 0, firstWritesWithoutAllocation: UInt64 = 0, zeroedUserPagesWithoutFault: UInt64 = 0,
            hugeUserPagesWithoutFault: UInt64 = 0, memoryCounterEvents: UInt64 = 0, shmemZeroFills: UInt64 = 0,
            firstWritesToCachedPages: UInt64 = 0, zeroFillFaults: UInt64 = 0, zeroFillFaultsWithCounter: UInt64 = 0,
            populatedHugePages: UInt64 = 0, hugePagesChargeRefused: UInt64 = 0, shmemHugePages: UInt64 = 0,
            hugeFoliosFreedUnmapped: UInt64 = 0
        ) {
            self.firstWritesWithoutGFPZero = firstWritesWithoutGFPZero
            self.firstWritesWithoutAllocation = firstWritesWithoutAllocation
            self.zeroedUserPagesWithoutFault = zeroedUserPagesWithoutFault
            self.hugeUserPagesWithoutFault = hugeUserPagesWithoutFault
            self.memoryCounterEvents = memoryCounterEvents
            self.shmemZeroFills = shmemZeroFills
            self.firstWritesToCachedPages = firstWritesToCachedPages
            self.zeroFillFaults = zeroFillFaults
            self.zeroFillFaultsWithCounter = zeroFillFaultsWithCounter
            self.populatedHugePages = populatedHugePages
            self.hugePagesChargeRefused = hugePagesChargeRefused
            self.shmemHugePages = shmemHugePages
            self.hugeFoliosFreedUnmapped = hugeFoliosFreedUnmapped
        }
    }

    /// Per CPU: the task whose write fault just took its page, until its memory counter says
    /// what the page was.
    private var served: [Served?]
    /// Each counter's last value by mm and member: only a rise is a fault's page.
    private var counterBytes: [UInt64: Int64] = [:]

    /// Set by a counter event that ends an order-0 zero-fill fault: the capture's own time from
    /// the fault event to its page's counter rise (`do_anonymous_page` raises it after the clear
    /// and charge, before mapping the page), in ns, tracepoints' cost included. Read it right
    /// after feeding a counter event.
    public private(set) var capturedFaultNs: UInt64?

    struct Served: Sendable {
        var pid: Int32
        var timestampNs: UInt64
        /// The fault's own event, and its page's order (a zero-fill fault's).
        var faultTimestampNs: UInt64 = 0
        var order: UInt8 = 0
        /// A zero-fill fault's page (`__GFP_ZERO` or a THP), not one without `__GFP_ZERO`.
        var zeroed: Bool
        /// Taken later than `faultAllocationWindowNs` after the fault, so counted as a first
        /// write without allocation unless its counter shows it was the fault's page.
        var late = false
        /// A THP's base pages, allocated with no fault waiting: populated if the counter rises by
        /// its size.
        var hugePages: UInt64 = 0
    }

    struct Pending: Sendable {
        var pid: Int32
        var timestampNs: UInt64
        var address: UInt64
        var access: ZeroFillFault.Access
        var commClass: UInt8
        /// The task's counter rose while the fault waited with no allocation: it mapped a page
        /// already in memory.
        var mappedPage = false
        /// A folio of the fault's was refused by its memory cgroup (its pfn, until its free): a
        /// page the charge's reclaim allocates before that free (zsmalloc's) is not the fault's.
        var refusedFolio: UInt64?
    }

    /// - Parameter pmdOrder: order of a PMD-mapped THP (9 with 4 KiB pages and 2 MiB PMDs).
    /// Whether a PMD-order THP allocated for a write to a present page is a huge zero page's
    /// zero-fill: from 5.8 ("thp: change CoW semantics for anon-THP") a copy-on-write of a THP
    /// splits it, so only the huge zero page's write takes one (6.13 on); before, a THP's
    /// copy-on-write allocated one too, and the trace cannot tell them apart.
    public let hugeZeroPageWritesTakeTHP: Bool
    /// Whether a memory counter's rise is the fault's own: from 6.2 (`add_mm_counter` on a
    /// percpu_counter) a fault raises its counter as it maps its page, so a rise while a write
    /// fault waits means it mapped a page already in memory, and no later allocation is its; before,
    /// `sync_mm_rss` in `handle_mm_fault` could raise it before the fault's own allocation.
    public let countersRiseAtTheirFault: Bool

    /// - Parameter kernel: the capture's kernel, when known (before 5.8: see `hugeZeroPageWritesTakeTHP`;
    ///   before 6.2: `countersRiseAtTheirFault`).
    public init(pmdOrder: Int = 9, cpus: Int = 1, kernel: KernelVersion? = nil) {
        self.pmdOrder = pmdOrder
        hugeZeroPageWritesTakeTHP = kernel.map { $0 >= KernelVersion(major: 5, minor: 8) } ?? true
        countersRiseAtTheirFault = kernel.map { $0 >= KernelVersion(major: 6, minor: 2) } ?? false
        pending = Array(repeating: nil, count: max(1, cpus))
        served = Array(repeating: nil, count: max(1, cpus))
    }

    /// The PMD order for a page size and THP size (`hpage_pmd_size`), else 9.
    public static func pmdOrder(pageBytes: Int?, hugePageBytes: Int?) -> Int {
        guard let page = pageBytes, let huge = hugePageBytes, page > 0, huge > page, huge % page == 0 else { return 9 }
        let ratio = huge / page
        guard ratio & (ratio - 1) == 0 else { return 9 }
        return ratio.trailingZeroBitCount
    }

    /// Feeds one event; returns the zero-fill fault an allocation completes.
    @inline(__always)
    public mutating func observe(_ event: TraceEvent) -> ZeroFillFault? {
        switch event.kind {
        case .pageFault: note(event); return nil
        case .pageAlloc:
            lastAllocationFault = match(event)
            return lastAllocationFault
        case .rssStat: noteCounter(event); return nil
        case .pageFree:
            // A refused folio's free: the fallback comes next, and it may be a page without
            // __GFP_ZERO (a shmem THP's).
            let slot = Int(event.cpu)
            if slot < pending.count, let refused = pending[slot]?.refusedFolio, refused == event.pfn, pending[slot]?.pid == event.pid {
                pending[slot]?.refusedFolio = nil
            }
            return nil
        default: return nil
        }
    }

    /// True while `pid`'s write fault on `cpu` waits for its page: an allocation now is
    /// part of that fault (a page-table page, a failed THP's fallback).
    public func hasPendingFault(cpu: UInt32, pid: Int32) -> Bool {
        let index = Int(cpu)
        guard index < pending.count, let fault = pending[index] else { return false }
        return fault.pid == pid
    }

    /// True when `alloc` (before `observe`) is the page-table page of a waiting fault: a zeroed
    /// kernel order-0 page (`GFP_PGTABLE_USER`) by the faulting task on its CPU
    /// (`__pte_alloc` -> `pte_alloc_one`, one per 512 PTEs).
    public func isPageTableOfPendingFault(_ alloc: TraceEvent) -> Bool {
        alloc.isPageTableAllocation && !alloc.failed && hasPendingFault(cpu: alloc.cpu, pid: alloc.pid)
    }

    private mutating func note(_ fault: TraceEvent) {
        let slot = self.slot(fault.cpu)
        let access: ZeroFillFault.Access
        switch FaultClass(errorCode: fault.errorCode, kernelEvent: fault.flags.contains(.kernelFault), address: fault.address) {
        case .zeroFillCandidate: access = .firstWrite
        case .copyOnWrite: access = .writeAfterZeroPageRead
        case .kernelWriteNotPresent: access = .kernelFirstWrite
        case .kernelWriteProtection: access = .kernelWriteAfterZeroPageRead
        case .kernel: return  // a kernel read (copy_from_user) inside a user fault does not end it
        default:
            served[slot] = nil
            endUnserved(slot)
            return
        }
        served[slot] = nil
        endUnserved(slot)
        pending[slot] = Pending(pid: fault.pid, timestampNs: fault.timestampNs, address: fault.address, access: access, commClass: fault.commClass)
    }

    /// A fault raises its task's counter for the kind of page it maps (`do_anonymous_page`,
    /// `set_pte_range` -> `add_mm_counter`, `mm_counter_file`), a few us later: the first rise
    /// after a first write says what the fault mapped, and that a late allocation was the fault's
    /// own. A fall (unmap, reclaim) says nothing of a fault.
    private mutating func noteCounter(_ counter: TraceEvent) {
        counted.memoryCounterEvents += 1
        capturedFaultNs = nil
        let key = counter.counterMM << 8 | UInt64(counter.counterMemberNumber)
        let previous = counterBytes.updateValue(counter.counterBytes, forKey: key)
        // A counter not seen before: a process started in the capture, whose first move is a rise.
        guard counter.counterOfCurrentMM, let member = counter.counterMember, member != .swapEntries,
            counter.counterBytes > (previous ?? .min)
        else { return }
        let slot = self.slot(counter.cpu)
        if let page = served[slot], page.pid == counter.pid {
            served[slot] = nil
            if page.hugePages > 0 {
                // Populated: the anon counter rises by the folio's base pages of one page size.
                guard member == .anonPages, let previous, counter.timestampNs >= page.timestampNs,
                    counter.timestampNs - page.timestampNs <= Self.zeroFillCounterWindowNs
                else { return }
                let (rise, over) = counter.counterBytes.subtractingReportingOverflow(previous)
                let pages = Int64(truncatingIfNeeded: page.hugePages)
                guard !over, pages > 0, rise % pages == 0 else { return }
                let pageBytes = rise / pages
                if pageBytes >= 4096 && pageBytes & (pageBytes - 1) == 0 { counted.populatedHugePages &+= page.hugePages }
                return
            }
            if page.zeroed {
                // The fault's own rise comes right after its clear (and its memcg charge, which may
                // reclaim): the first after its page within 100 ms.
                guard counter.timestampNs >= page.timestampNs, counter.timestampNs - page.timestampNs <= Self.zeroFillCounterWindowNs,
                    page.timestampNs >= page.faultTimestampNs
                else { return }
                counted.zeroFillFaultsWithCounter += 1
                if page.order == 0 { capturedFaultNs = counter.timestampNs - page.faultTimestampNs }
                return
            }
            guard counter.timestampNs &- page.timestampNs <= Self.faultCounterWindowNs else { return }
            if page.late {
                counted.latePagesWithCounter += 1
                if member == .shmemPages { counted.latePagesShmem += 1 }
            } else if member == .shmemPages {
                counted.shmemZeroFills += 1
            }
        } else if let fault = pending[slot], fault.pid == counter.pid, fault.access.isFirstWrite,
            counter.timestampNs &- fault.timestampNs <= Self.faultCounterWindowNs
        {
            pending[slot]?.mappedPage = true
        }
    }

    /// Ends the fault waiting on `slot` before any user page came for it.
    private mutating func endUnserved(_ slot: Int) {
        if let fault = pending[slot], fault.access.isFirstWrite {
            counted.firstWritesWithoutAllocation += 1
            if fault.mappedPage { counted.firstWritesToCachedPages += 1 }
        }
        pending[slot] = nil
    }

    private mutating func match(_ alloc: TraceEvent) -> ZeroFillFault? {
        let slot = self.slot(alloc.cpu)
        guard alloc.flags.contains(.gfpUser), !alloc.failed else { return nil }
        let shmemFolio = alloc.flags.contains(.shmemFolio)
        guard let fault = pending[slot], fault.pid == alloc.pid else {
            if shmemFolio && !alloc.flags.contains(.chargeRefused) {
                hugeFolios.countShmem(order: alloc.order, fault: false)  // populated
            } else if alloc.order == 0 && alloc.wantsZero {
                counted.zeroedUserPagesWithoutFault += 1
            } else if alloc.order > 0 && alloc.flags.contains(.gfpTransHuge) && alloc.order < 64 {
                hugeFolios.countWithoutFault(order: alloc.order)
                served[slot] = Served(pid: alloc.pid, timestampNs: alloc.timestampNs, zeroed: false, hugePages: 1 << UInt64(alloc.order))
            }
            return nil
        }
        // Freed before its clear (`HugeFolioMarks`). With no fault waiting, a collapse that
        // failed: counted as any THP without a fault, above.
        if alloc.flags.contains(.chargeRefused) {
            // The fault waits on for its fallback.
            hugeFolios.countChargeRefused(order: alloc.order, shmem: shmemFolio)
            pending[slot]?.refusedFolio = alloc.pfn
            awaitsRefusedFolioFrees = true
            return nil
        }
        if alloc.flags.contains(.freedUnmapped) && fault.access.isFirstWrite {
            // shmem's folio lost to another's in the page cache: the fault took the other task's
            // folio, and allocates nothing more (the marker saw the free). A write to the huge zero
            // page is not a first write (0x7): its folio, cleared, below.
            hugeFolios.countFreedUnmapped(order: alloc.order)
            endUnserved(slot)
            return nil
        }
        if shmemFolio {
            // shmem's huge folio (`HugeFolioMarks`): shmem's zero-fill, as its order-0 pages are.
            // It comes after its fault's page table, 9 us to 72 us after the fault event in this
            // project's captures (its clear, and the MM_SHMEMPAGES rise the marker saw, may come
            // milliseconds later); after a fault that mapped a cached page, or a millisecond on,
            // it is the task's next need (a populate), as a late page without __GFP_ZERO is.
            if fault.mappedPage || alloc.timestampNs &- fault.timestampNs > Self.faultCounterWindowNs {
                endUnserved(slot)
                hugeFolios.countShmem(order: alloc.order, fault: false)
                return nil
            }
            pending[slot] = nil
            hugeFolios.countShmem(order: alloc.order, fault: fault.access.isFirstWrite)
            if fault.access.isFirstWrite {
                counted.firstWritesWithoutGFPZero += 1
                counted.shmemHugeFaults += 1
            }
            return nil
        }
        let order = Int(alloc.order)
        let largeFolio = order > 0 && (alloc.flags.contains(.gfpTransHuge) || alloc.wantsZero)
        // A first write; or, at the PMD order, a write to the huge zero page: since 6.13
        // do_huge_zero_wp_pmd allocates a THP for it (vma_alloc_anon_folio_pmd, cleared by
        // folio_zero_user); before, it split the PMD and an order-0 __GFP_ZERO page served it.
        let hugeZeroPageWrite = hugeZeroPageWritesTakeTHP && order == pmdOrder && alloc.flags.contains(.gfpTransHuge)
            && fault.access.isAfterZeroPageRead
        let zeroFill = (order == 0 && alloc.wantsZero) || (largeFolio && (fault.access.isFirstWrite || hugeZeroPageWrite))
        if fault.refusedFolio != nil && !zeroFill { return nil }
        if fault.mappedPage && (!zeroFill || countersRiseAtTheirFault) {
            // The fault mapped a page already in memory; this one is the task's next need (a
            // read()'s page-cache page, a write()'s THP). Before 6.2 a zero-fill allocation still
            // pairs: the rise before it may be no fault's own (handle_mm_fault syncing the counters).
            endUnserved(slot)
            return match(alloc)
        }
        pending[slot] = nil
        let folio: ZeroFillFault.Folio
        if order == 0 && alloc.wantsZero {
            folio = .base
        } else if zeroFill {
            folio = order == pmdOrder ? .thp : .mthp
        } else {
            // Any order: a shared file's fault reads in a large page-cache folio (readahead).
            if fault.access.isFirstWrite {
                if alloc.timestampNs &- fault.timestampNs <= Self.faultAllocationWindowNs {
                    counted.firstWritesWithoutGFPZero += 1
                    served[slot] = Served(pid: fault.pid, timestampNs: alloc.timestampNs, zeroed: false)
                } else {
                    counted.firstWritesWithoutAllocation += 1
                    served[slot] = Served(pid: fault.pid, timestampNs: alloc.timestampNs, zeroed: false, late: true)
                }
            }
            return nil
        }
        counted.zeroFillFaults += 1
        served[slot] = Served(
            pid: fault.pid, timestampNs: alloc.timestampNs, faultTimestampNs: fault.timestampNs, order: alloc.order, zeroed: true)
        return ZeroFillFault(access: fault.access, folio: folio, order: order, address: fault.address, commClass: fault.commClass)
    }

    @inline(__always)
    private mutating func slot(_ cpu: UInt32) -> Int {
        let index = Int(cpu)
        if index >= pending.count {
            guard index < 1 << 16 else { return Int(cpu % UInt32(pending.count)) }
            pending.append(contentsOf: repeatElement(nil, count: index + 1 - pending.count))
            served.append(contentsOf: repeatElement(nil, count: index + 1 - served.count))
        }
        return index
    }
}
