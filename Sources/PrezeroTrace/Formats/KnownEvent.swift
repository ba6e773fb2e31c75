/// Every tracepoint name prezero understands, across kernel versions, and the event kind each
/// becomes. Names are matched without their `system:` prefix (ftrace prints none).
public enum KnownEvent: Int, CaseIterable, Sendable {
    case mmPageAlloc, mmPageFree, mmPageFreeBatched, mmPageFreeDirect, mmPagevecFree
    case mmPageAllocZoneLocked, mmPagePcpuDrain
    case pageFaultUser, pageFaultKernel
    case schedSwitch, schedProcessExec, schedProcessFork, schedProcessExit

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
        }
    }

    /// Looks up the event named by `line[start..<end]` (no system prefix).
    @inlinable static func lookup(_ line: ByteLine, _ start: Int, _ end: Int) -> KnownEvent? {
        let n = end - start
        guard n >= 12 else { return nil }
        // Dispatch on length first: one or two comparisons per line.
        switch n {
        case 13:
            if line.equals("mm_page_alloc", start: start, end: end) { return .mmPageAlloc }
        case 12:
            if line.equals("mm_page_free", start: start, end: end) { return .mmPageFree }
            if line.equals("sched_switch", start: start, end: end) { return .schedSwitch }
        case 20:
            if line.equals("mm_page_free_batched", start: start, end: end) { return .mmPageFreeBatched }
        case 19:
            if line.equals("mm_page_free_direct", start: start, end: end) { return .mmPageFreeDirect }
        case 15:
            if line.equals("mm_pagevec_free", start: start, end: end) { return .mmPagevecFree }
            if line.equals("page_fault_user", start: start, end: end) { return .pageFaultUser }
        case 25:
            if line.equals("mm_page_alloc_zone_locked", start: start, end: end) { return .mmPageAllocZoneLocked }
        case 17:
            if line.equals("page_fault_kernel", start: start, end: end) { return .pageFaultKernel }
        case 18:
            if line.equals("sched_process_exec", start: start, end: end) { return .schedProcessExec }
            if line.equals("sched_process_fork", start: start, end: end) { return .schedProcessFork }
            if line.equals("sched_process_exit", start: start, end: end) { return .schedProcessExit }
            if line.equals("mm_page_pcpu_drain", start: start, end: end) { return .mmPagePcpuDrain }
        default:
            break
        }
        return nil
    }
}
