/// Every tracepoint name prezero understands, across kernel versions, and the event kind each
/// becomes. Names are matched without their `system:` prefix (ftrace prints none).
public enum KnownEvent: Int, CaseIterable, Sendable {
    case mmPageAlloc, mmPageFree, mmPageFreeBatched, mmPageFreeDirect, mmPagevecFree
    case mmPageAllocZoneLocked, mmPagePcpuDrain
    case pageFaultUser, pageFaultKernel
    case schedSwitch, schedProcessExec, schedProcessFork, schedProcessExit
    case rssStat

    /// `system:event`, the way perf names it.
    public var canonicalName: String {
        switch self {
        case .mmPageAlloc: "kmem:mm_page_alloc"
        case .mmPageFree: "kmem:mm_page_free"
        case .mmPageFreeBatched: "kmem:mm_page_free_batched"
        case .mmPageFreeDirect: "kmem:mm_page_free_direct"
        case .mmPagevecFree: "kmem:mm_pagevec_free"
        case .mmPageAllocZoneLocked: "kmem:mm_page_alloc_zone_locked"
        case .mmPagePcpuDrain: "kmem:mm_page_pcpu_drain"
        case .pageFaultUser: "exceptions:page_fault_user"
        case .pageFaultKernel: "exceptions:page_fault_kernel"
        case .schedSwitch: "sched:sched_switch"
        case .schedProcessExec: "sched:sched_process_exec"
        case .schedProcessFork: "sched:sched_process_fork"
        case .schedProcessExit: "sched:sched_process_exit"
        case .rssStat: "kmem:rss_stat"
        }
    }

    public var kind: EventKind {
        switch self {
        case .mmPageAlloc: .pageAlloc
        // Before 3.3 the free events were mm_page_free_direct and mm_pagevec_free; they were
        // renamed to mm_page_free and mm_page_free_batched, with the same double reporting.
        case .mmPageFree, .mmPageFreeDirect: .pageFree
        case .mmPageFreeBatched, .mmPagevecFree: .pageFreeBatched
        case .mmPageAllocZoneLocked: .pageAllocZoneLocked
        case .mmPagePcpuDrain: .pagePcpuDrain
        case .pageFaultUser, .pageFaultKernel: .pageFault
        case .schedSwitch: .schedSwitch
        case .schedProcessExec: .processExec
        case .schedProcessFork: .processFork
        case .schedProcessExit: .processExit
        case .rssStat: .rssStat
        }
    }

    /// Every event's name without its system, as the parser looks it up (most frequent first).
    static let names: [(String, KnownEvent)] = [
        ("mm_page_alloc", .mmPageAlloc), ("mm_page_free", .mmPageFree), ("mm_page_free_batched", .mmPageFreeBatched),
        ("page_fault_user", .pageFaultUser), ("sched_switch", .schedSwitch), ("page_fault_kernel", .pageFaultKernel),
        ("mm_page_alloc_zone_locked", .mmPageAllocZoneLocked), ("mm_page_pcpu_drain", .mmPagePcpuDrain),
        ("sched_process_exec", .schedProcessExec), ("sched_process_fork", .schedProcessFork),
        ("sched_process_exit", .schedProcessExit), ("mm_page_free_direct", .mmPageFreeDirect),
        ("mm_pagevec_free", .mmPagevecFree), ("rss_stat", .rssStat),
    ]

    /// Every name with its packed form, built once.
    static let packedNames: [(PackedName, KnownEvent)] = names.map { (PackedName($0.0), $0.1) }
}

/// Event-name lookup with the table held by the parser (no global access per line).
@usableFromInline
struct KnownEventTable: Sendable {
    let entries = KnownEvent.packedNames

    /// The event named by `line[start..<end]` (no system prefix), or nil.
    @inline(__always)
    func lookup(_ line: ByteLine, _ start: Int, _ end: Int) -> KnownEvent? {
        for (name, event) in entries where name.matches(line, start, end) { return event }
        return nil
    }
}
