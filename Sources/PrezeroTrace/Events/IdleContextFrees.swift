/// Frees a perf capture lost in a CPU's idle context, recognised when their page is allocated again.
///
/// Linux frees page tables after an RCU grace period (`tlb_remove_table` -> `call_rcu(...,
/// tlb_remove_table_rcu)` -> `__tlb_remove_table_free`, mm/mmu_gather.c; x86 since 6.14): each
/// table through `pagetable_free` -> `__free_pages`, then the batch page itself (allocated with
/// `GFP_NOWAIT`) with `free_page`. The callback runs in softirq, often on an interrupt's exit
/// while the CPU idles, so `current` is the idle task. `free_pages_prepare` emits
/// `mm_page_free` there as everywhere, but perf captures on this project's machine record no
/// event at all in some CPUs' idle context (0 events with pid 0 on CPU 1 in every bundled perf
/// capture, with no LOST record; ftrace captures of the same kernel do record them). The pages
/// go back to that CPU's per-CPU list, and the next allocation there takes them again while
/// the trace still calls them live: 40 in git-clone, 52 in gcc-lz4.
///
/// An allocation of a live pfn is such a lost free when all of these hold, and only then:
/// - the live allocation was an order-0 kernel page (a page table or a batch page: not a user page);
/// - the new allocation's CPU has never shown an event in its idle context (pid 0) in the
///   capture, so its idle-context events are not recorded;
/// - that CPU went idle (`sched_switch` to pid 0) after the live allocation.
/// Any other allocation of a live pfn stays an anomaly (`--strict` rejects it).
public struct IdleContextFrees: Sendable {
    /// Order-0 kernel pages still live, with their allocation's timestamp.
    private var kernelPages = PFNMap()
    /// Per CPU: whether any event ran in the idle task's context, and when it last went idle.
    private var idleContextSeen: [Bool] = []
    private var lastIdleEntry: [UInt64] = []

    public init() {}

    /// Feeds one event (any kind), after `explainsReallocation` for an allocation.
    public mutating func observe(_ event: TraceEvent) {
        let cpu = Int(event.cpu)
        if cpu < 1 << 16 && cpu >= idleContextSeen.count {
            idleContextSeen.append(contentsOf: repeatElement(false, count: cpu + 1 - idleContextSeen.count))
            lastIdleEntry.append(contentsOf: repeatElement(0, count: cpu + 1 - lastIdleEntry.count))
        }
        if cpu < idleContextSeen.count {
            if event.pid == 0 && event.kind != .lost { idleContextSeen[cpu] = true }
            if event.kind == .schedSwitch && event.nextPid == 0 { lastIdleEntry[cpu] = event.timestampNs }
        }
        switch event.kind {
        case .pageAlloc where !event.failed:
            if event.order == 0 && !event.flags.contains(.gfpUser) {
                kernelPages.set(event.pfn, event.timestampNs)
            } else if !kernelPages.isEmpty {
                kernelPages.remove(event.pfn)
            }
        case .pageFree:
            if !kernelPages.isEmpty { kernelPages.remove(event.pfn) }
        default: break
        }
    }

    /// True when `allocation`, of a pfn the trace still calls live, follows a free lost in the
    /// allocating CPU's idle context (see the type's rules).
    public func explainsReallocation(of allocation: TraceEvent) -> Bool {
        let cpu = Int(allocation.cpu)
        guard let allocatedAt = kernelPages.value(for: allocation.pfn), cpu < idleContextSeen.count else { return false }
        return !idleContextSeen[cpu] && lastIdleEntry[cpu] > allocatedAt
    }
}
