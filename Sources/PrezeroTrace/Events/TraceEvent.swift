/// What happened. One case per tracepoint family prezero understands.
public enum EventKind: UInt8, Sendable, CaseIterable, Codable {
    /// `kmem:mm_page_alloc`: `pfn`, `order`, `migratetype`, gfp flags. Failed when `pfn == 0`.
    case pageAlloc
    /// `kmem:mm_page_free` (and pre-3.3 `mm_page_free_direct`): `pfn`, `order`.
    case pageFree
    /// `kmem:mm_page_free_batched` (pre-3.3 `mm_pagevec_free`): repeats a free that
    /// `pageFree` already reported; never count it as a second free.
    case pageFreeBatched
    /// `kmem:mm_page_alloc_zone_locked`: a block taken from the buddy lists under the zone lock.
    case pageAllocZoneLocked
    /// `kmem:mm_page_pcpu_drain`: a page returned from a per-CPU list to the buddy lists.
    case pagePcpuDrain
    /// `exceptions:page_fault_user` / `page_fault_kernel`: `address`, `ip`, `errorCode`.
    case pageFault
    /// `sched:sched_switch`: `prevPid` -> `nextPid` on `cpu`.
    case schedSwitch
    /// `sched:sched_process_exec`: `pid` ran `filename` (interned in `symbol`).
    case processExec
    /// `sched:sched_process_fork`: `parentPid` forked `childPid` (child comm in `symbol`).
    case processFork
    /// `sched:sched_process_exit`: `pid` exited.
    case processExit
    /// The capture lost `lostCount` events here (perf LOST record, ftrace `[LOST n EVENTS]`).
    case lost
    /// Page-touch detail (valgrind lackey): the lines of virtual page `touchPage` touched during
    /// one interval, as a mask (`touchMaskLow` lines 0-63, `touchMaskHigh` lines 64-127).
    case touch
    /// `kmem:rss_stat`: one of a process's memory counters (`mm_counter`) changed to
    /// `counterBytes`: `counterMember` (file, anon, swap entries, shmem) of mm `counterMM`, the
    /// running task's own when `counterOfCurrentMM`. A fault that maps a page moves one.
    case rssStat

    /// The canonical `system:event` name, as perf prints it.
    public var canonicalName: String {
        switch self {
        case .pageAlloc: "kmem:mm_page_alloc"
        case .pageFree: "kmem:mm_page_free"
        case .pageFreeBatched: "kmem:mm_page_free_batched"
        case .pageAllocZoneLocked: "kmem:mm_page_alloc_zone_locked"
        case .pagePcpuDrain: "kmem:mm_page_pcpu_drain"
        case .pageFault: "exceptions:page_fault"
        case .schedSwitch: "sched:sched_switch"
        case .processExec: "sched:sched_process_exec"
        case .processFork: "sched:sched_process_fork"
        case .processExit: "sched:sched_process_exit"
        case .lost: "LOST"
        case .touch: "lackey:touch"
        case .rssStat: "kmem:rss_stat"
        }
    }
}

/// Bits of `TraceEvent.flags`.
public struct EventFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Allocation asked for `__GFP_ZERO`.
    public static let gfpZero = EventFlags(rawValue: 1 << 0)
    /// Allocation failed (the tracepoint printed pfn 0).
    public static let allocFailed = EventFlags(rawValue: 1 << 1)
    /// `gfp` holds the raw flag bits (the trace printed them in hex), not an interned name.
    public static let gfpIsRaw = EventFlags(rawValue: 1 << 2)
    /// Fault came from `page_fault_kernel`.
    public static let kernelFault = EventFlags(rawValue: 1 << 3)
    /// Fault `ip` was printed as a symbol, so `ip` is 0.
    public static let symbolicIP = EventFlags(rawValue: 1 << 4)
    /// `sched_switch` `prev_state` was R (the previous task was preempted, still runnable).
    public static let prevRunnable = EventFlags(rawValue: 1 << 5)
    /// A THP/mTHP allocation its memory cgroup refused to charge: freed at once, the fault falling
    /// back to a smaller folio (`HugeFolioMarks`). Allocation events only (the bit is
    /// `prevRunnable`'s, which sched_switch events alone carry).
    public static let chargeRefused = EventFlags(rawValue: 1 << 5)
    /// A THP/mTHP folio shmem allocated for a fault on a shmem or tmpfs mapping (its task's
    /// `MM_SHMEMPAGES` rose next, `HugeFolioMarks`): shmem's zero-fill, not an anonymous one.
    /// With `chargeRefused`: shmem's folio its memory cgroup refused (an order-0 fallback without
    /// `__GFP_ZERO`).
    /// Allocation events only (the bit is `kernelFault`'s, which fault events alone carry).
    public static let shmemFolio = EventFlags(rawValue: 1 << 3)
    /// A THP (PMD-order) folio its task freed before any page-table page, fallback, fault or
    /// counter rise of its own, sooner than a clear of it takes (`HugeFolioMarks`): on a first
    /// write, shmem's folio that lost to another's already in the page cache
    /// (`shmem_add_to_page_cache` -EEXIST), or a folio its memory cgroup refused at once whose
    /// fallback found the range mapped, never cleared (an anonymous fault allocates its page table
    /// between its folio and its race; `do_huge_zero_wp_pmd` clears before it can lose).
    /// Allocation events only (the bit is `symbolicIP`'s, which fault events alone carry).
    public static let freedUnmapped = EventFlags(rawValue: 1 << 4)
    /// Allocation of a user page (`GFP_HIGHUSER*`, `__GFP_HIGHMEM` or `__GFP_MOVABLE`): what a
    /// fault maps into the process, not a page table or kernel memory (`GFPClass`).
    public static let gfpUser = EventFlags(rawValue: 1 << 6)
    /// Allocation with a THP gfp mask (`GFP_TRANSHUGE*`): a THP or mTHP folio (`GFPClass`).
    public static let gfpTransHuge = EventFlags(rawValue: 1 << 7)
    /// A `touch` record of the faulting line alone, which the fault itself touched (page-touch
    /// traces): counted among the lines its page touched, not touched again. Touch records only
    /// (the bit is `gfpZero`'s, which they never carry).
    public static let touchAtFault = EventFlags(rawValue: 1 << 0)
    /// The bits `GFPClass` derives from the gfp flags.
    public static let gfpClass: EventFlags = [.gfpZero, .gfpUser, .gfpTransHuge]
}

/// Identifier of an interned byte string (comm, filename, gfp flag text) in a `SymbolTable`.
public typealias SymbolID = UInt32

/// One trace record: a small trivial value, so a stream of them never allocates per event.
///
/// Fields `a`, `b`, `c` hold kind-specific values; use the named accessors.
/// A test pins `MemoryLayout<TraceEvent>.stride` at 48 bytes.
public struct TraceEvent: Sendable, Equatable {
    public var kind: EventKind
    public var order: UInt8
    /// Raw migratetype number as printed (meaning depends on kernel version); -1 when absent.
    public var migratetype: Int8
    public var flags: EventFlags
    public var cpu: UInt32
    public var pid: Int32
    public var comm: SymbolID
    public var timestampNs: UInt64
    public var a: UInt64
    public var b: UInt64
    public var c: UInt64

    public init(
        kind: EventKind, cpu: UInt32 = 0, pid: Int32 = 0, comm: SymbolID = 0, timestampNs: UInt64 = 0,
        order: UInt8 = 0, migratetype: Int8 = -1, flags: EventFlags = [], a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0
    ) {
        self.kind = kind
        self.order = order
        self.migratetype = migratetype
        self.flags = flags
        self.cpu = cpu
        self.pid = pid
        self.comm = comm
        self.timestampNs = timestampNs
        self.a = a
        self.b = b
        self.c = c
    }

    // Page events.
    public var pfn: UInt64 { get { a } set { a = newValue } }
    /// Raw gfp bits when `flags.contains(.gfpIsRaw)`, else 0.
    public var gfpRaw: UInt64 { get { b } set { b = newValue } }
    /// Interned gfp flag text when symbolic, else 0.
    public var gfpSymbol: SymbolID { get { SymbolID(truncatingIfNeeded: c) } set { c = UInt64(newValue) } }
    public var wantsZero: Bool { flags.contains(.gfpZero) }
    public var failed: Bool { flags.contains(.allocFailed) }
    /// An allocation shaped as a user page table (`GFP_PGTABLE_USER`: order 0, zeroed, not a user
    /// page): a fault's `pte_alloc_one`, which a THP fault makes after its folio.
    public var isPageTableAllocation: Bool { kind == .pageAlloc && order == 0 && wantsZero && !flags.contains(.gfpUser) }

    // Faults.
    public var address: UInt64 { get { a } set { a = newValue } }
    public var ip: UInt64 { get { b } set { b = newValue } }
    public var errorCode: UInt64 { get { c } set { c = newValue } }
    /// The faulting task's class in a touch profile (`CommTagger`: its command's index plus one),
    /// 0 for none; kept in `order`, which a fault does not use.
    public var commClass: UInt8 { get { order } set { order = newValue } }

    // Scheduler and process events.
    public var prevPid: Int64 { get { Int64(bitPattern: a) } set { a = UInt64(bitPattern: newValue) } }
    /// The pid of an event no task names: a page freed by a task that had died (perf's tid -1).
    public static let noTask: Int32 = -1

    public var nextPid: Int64 { get { Int64(bitPattern: b) } set { b = UInt64(bitPattern: newValue) } }
    /// exec: the pid; exit: the pid; fork: the parent pid.
    public var subjectPid: Int64 { get { Int64(bitPattern: a) } set { a = UInt64(bitPattern: newValue) } }
    /// fork: the child pid; exec: the old pid.
    public var otherPid: Int64 { get { Int64(bitPattern: b) } set { b = UInt64(bitPattern: newValue) } }
    /// exec: interned filename; fork: interned child comm.
    public var symbol: SymbolID { get { SymbolID(truncatingIfNeeded: c) } set { c = UInt64(newValue) } }

    // Lost records.
    public var lostCount: UInt64 { get { a } set { a = newValue } }

    // Memory counters (rss_stat).
    /// The kernel's `mm_counter` a counter event moved (`include/linux/mm_types_task.h`).
    public enum CounterMember: UInt8, Sendable {
        case filePages = 0, anonPages = 1, swapEntries = 2, shmemPages = 3
    }
    public var counterMM: UInt64 { get { a } set { a = newValue } }
    /// The counter's new value in bytes.
    public var counterBytes: Int64 { get { Int64(bitPattern: b) } set { b = UInt64(bitPattern: newValue) } }
    /// The member's number as recorded; `CounterMember` for the ones this kernel names.
    public var counterMemberNumber: UInt8 { get { UInt8(truncatingIfNeeded: c) } set { c = (c & ~0xFF) | UInt64(newValue) } }
    public var counterMember: CounterMember? { CounterMember(rawValue: counterMemberNumber) }
    /// The counter is the running task's own mm's (`curr=1`), as in a fault.
    public var counterOfCurrentMM: Bool { get { c & 0x100 != 0 } set { c = newValue ? c | 0x100 : c & ~0x100 } }

    // Touch records.
    public var touchPage: UInt64 { get { a } set { a = newValue } }
    /// A record the reader adds beside the trace's events (a fault's line, `touchAtFault`): not
    /// counted among them (event counts, a .pzt's trailer).
    @inlinable public var isReaderAnnotation: Bool { kind == .touch && flags.contains(.touchAtFault) }

    /// The record of a page-touch fault's line (`touchAtFault`): line `line` of page `page`.
    public static func faultLine(page: UInt64, line: Int, cpu: UInt32 = 0, pid: Int32, comm: SymbolID, timestampNs: UInt64) -> TraceEvent {
        var mask = LineMask()
        mask.insert(line: line)
        return TraceEvent(kind: .touch, cpu: cpu, pid: pid, comm: comm, timestampNs: timestampNs, flags: .touchAtFault, a: page, b: mask.low, c: mask.high)
    }
    public var touchMaskLow: UInt64 { get { b } set { b = newValue } }
    public var touchMaskHigh: UInt64 { get { c } set { c = newValue } }
    public var touchedLines: Int { touchMaskLow.nonzeroBitCount + touchMaskHigh.nonzeroBitCount }
}

/// Page-fault error-code classes (x86 `arch/x86/include/asm/trap_pf.h`).
public enum FaultClass: String, Sendable, CaseIterable, Codable {
    /// User write to a not-present page (`0x6`): the anonymous first touch that allocates a
    /// zero-filled page, the fault a prezeroing policy can serve.
    case zeroFillCandidate = "user_write_not_present"
    /// User read of a not-present page (`0x4`): maps the shared zero page on anonymous memory.
    case userRead = "user_read_not_present"
    /// User write to a present page (`0x7`): copy-on-write or a permission upgrade.
    case copyOnWrite = "user_write_protection"
    /// User instruction fetch (`0x14`, `0x15`).
    case userInstructionFetch = "user_instruction_fetch"
    /// Other user faults (protection reads, reserved bits, protection keys).
    case userOther = "user_other"
    /// A kernel write to a not-present user page (`0x2` in kernel mode): `copy_to_user`,
    /// `clear_user` or `put_user` into memory the program has not touched, a `read()` into a
    /// fresh buffer for one. `do_user_addr_fault` serves it as a user 0x6: on anonymous memory
    /// `do_anonymous_page` allocates a zeroed page.
    case kernelWriteNotPresent = "kernel_write_not_present"
    /// A kernel write to a present user page (`0x3` in kernel mode): copy-on-write, from the
    /// zero page too (`wp_page_copy`).
    case kernelWriteProtection = "kernel_write_protection"
    /// Other faults taken in kernel mode (`page_fault_kernel`, or the USER bit clear): reads of
    /// user pages (`copy_from_user`) and faults on kernel addresses.
    case kernel = "kernel"

    /// - Parameter address: the faulting address; a kernel fault at a lower-half (user)
    ///   address is classed by its access, one at a kernel address is `.kernel`.
    public init(errorCode: UInt64, kernelEvent: Bool, address: UInt64) {
        let present = errorCode & 0x1 != 0
        let write = errorCode & 0x2 != 0
        let user = errorCode & 0x4 != 0
        let reserved = errorCode & 0x8 != 0
        let fetch = errorCode & 0x10 != 0
        let protectionKey = errorCode & 0x20 != 0
        if kernelEvent || !user {
            // x86-64 user space is the lower half of the address space (47 or 56 bits).
            let userAddress = address >> 63 == 0
            switch (userAddress && !fetch && !reserved && !protectionKey && write, present) {
            case (true, false): self = .kernelWriteNotPresent
            case (true, true): self = .kernelWriteProtection
            default: self = .kernel
            }
            return
        }
        if fetch { self = .userInstructionFetch; return }
        if reserved || protectionKey { self = .userOther; return }
        switch (present, write) {
        case (false, true): self = .zeroFillCandidate
        case (false, false): self = .userRead
        case (true, true): self = .copyOnWrite
        case (true, false): self = .userOther
        }
    }
}
