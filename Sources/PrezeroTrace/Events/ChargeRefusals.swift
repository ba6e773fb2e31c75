/// Marks the THP and mTHP folios a memory cgroup refused to charge (`EventFlags.chargeRefused`),
/// so that no reader takes one for its fault's zero-fill. `vma_alloc_anon_folio_pmd`
/// (mm/huge_memory.c) and `alloc_anon_folio` (mm/memory.c) allocate the folio, then charge it;
/// when `mem_cgroup_charge` fails (`thp_fault_fallback_charge`, `anon_fault_fallback_charge`)
/// they `folio_put` it before `folio_zero_user` and the fault falls back to a smaller folio or to
/// order 0. The trace shows the allocation and, from the same task, the free of the same pfn,
/// perhaps after the frees of a reclaim the charge ran, before anything else the fault does.
///
/// A candidate (a user allocation with a THP mask above order 0) holds back the events after it
/// until its task shows which it was, by what the fault does next:
/// - charged and cleared: the task's next page-table page, fault or anon-counter rise comes
///   first (a THP's `pte_alloc_one`, the next fault, the mapped folio's count);
/// - refused: the free of its pfn comes first, and then the fault's fallback, a smaller user
///   allocation, before any fault or counter rise of the task (a page table may come between).
///   A free followed by a fault instead is a folio the program unmapped after using it.
/// Other events of the task (a reclaim's frees and allocations, zsmalloc's movable pages among
/// them, a counter's fall) decide nothing. One left undecided `windowNs` after it, or past `heldLimit` events, is taken as
/// charged.
public struct ChargeRefusals<Base: TraceEventSink>: TraceEventSink {
    public var base: Base
    /// The decisions, in a type of their own: nothing in it depends on `Base`, so none of its
    /// calls looks generic metadata up at run time (a nested type did, on every event).
    private var state = ChargeRefusalState()
    /// Allocations marked refused.
    public var refused: UInt64 { state.refused }

    public init(base: Base) { self.base = base }

    @inline(__always)
    public mutating func consume(_ event: TraceEvent) {
        if !state.holding && !ChargeRefusalState.isCandidate(event) {
            if event.kind == .rssStat { state.noteCounter(event) }
            base.consume(event)
            return
        }
        state.hold(event)
        passReady()
    }

    public mutating func endOfChunk(symbols: SymbolTable) {
        base.endOfChunk(symbols: symbols)
    }

    /// Hands on every held event (the end of the trace: undecided candidates taken as charged).
    public mutating func finish() {
        state.decideAll()
        passReady()
    }

    private mutating func passReady() {
        let ready = state.readyCount
        guard ready > 0 else { return }
        for i in 0..<ready { base.consume(state.held[i]) }
        state.drop(ready)
    }
}

/// `ChargeRefusals`' held events and undecided candidates.
struct ChargeRefusalState {
    private(set) var refused: UInt64 = 0
    /// Events after the oldest undecided candidate, in trace order, the candidates among them.
    private(set) var held: [TraceEvent] = []
    private var undecided: [Candidate] = []
    /// Whether events are held (a candidate is undecided).
    private(set) var holding = false
    /// Anon counters' last values by mm, direct-mapped (a store per counter event, no hashing
    /// table): a rise after the allocation is the fault's own; a slot another mm took reads as
    /// a counter not seen before.
    private var anonMM = [UInt64](repeating: 0, count: 256)
    private var anonBytes = [Int64](repeating: .max, count: 256)

    /// As long as a memory cgroup's reclaim may keep the charge, as the zero-fill counter window.
    static var windowNs: UInt64 { ZeroFillFaultMatcher.zeroFillCounterWindowNs }
    static var heldLimit: Int { 1 << 16 }

    struct Candidate {
        var offset: Int
        var pid: Int32
        var pfn: UInt64
        var order: UInt8
        var timestampNs: UInt64
        /// Its pfn was freed: waiting for the fallback.
        var freed = false
    }

    /// Whether `event` may be a folio whose charge is still to come.
    @inline(__always)
    static func isCandidate(_ event: TraceEvent) -> Bool {
        event.kind == .pageAlloc && event.order > 0 && !event.failed && event.flags.contains(.gfpUser) && event.flags.contains(.gfpTransHuge)
    }

    /// The events before the oldest undecided candidate: ready to pass on.
    var readyCount: Int { undecided.first?.offset ?? held.count }

    mutating func noteCounter(_ counter: TraceEvent) { _ = anonRise(counter) }

    mutating func hold(_ event: TraceEvent) {
        decide(with: event)
        if Self.isCandidate(event) {
            undecided.append(Candidate(offset: held.count, pid: event.pid, pfn: event.pfn, order: event.order, timestampNs: event.timestampNs))
        }
        held.append(event)
        if held.count > Self.heldLimit, !undecided.isEmpty { undecided.removeFirst() }
        holding = !undecided.isEmpty
    }

    mutating func decideAll() {
        undecided.removeAll()
        holding = false
    }

    /// Forgets the first `count` held events (passed on).
    mutating func drop(_ count: Int) {
        held.removeFirst(count)
        for i in undecided.indices { undecided[i].offset -= count }
    }

    /// Whether a counter event is a rise of its mm's anon counter (and notes its value); a
    /// counter not seen before rises, as `ZeroFillFaultMatcher` takes it.
    private mutating func anonRise(_ counter: TraceEvent) -> Bool {
        guard counter.counterMember == .anonPages else { return false }
        let slot = Int(truncatingIfNeeded: (counter.counterMM &* 0x9E37_79B9_7F4A_7C15) >> 56)
        let previous = anonMM[slot] == counter.counterMM ? anonBytes[slot] : .min
        anonMM[slot] = counter.counterMM
        anonBytes[slot] = counter.counterBytes
        return counter.counterOfCurrentMM && counter.counterBytes > previous
    }

    private mutating func decide(with event: TraceEvent) {
        let rise = event.kind == .rssStat && anonRise(event)
        let userPage = event.kind == .pageAlloc && event.flags.contains(.gfpUser)
        let pageTable = event.kind == .pageAlloc && event.order == 0 && event.wantsZero && !event.flags.contains(.gfpUser)
        var kept = 0
        for i in undecided.indices {
            var candidate = undecided[i]
            var decided = event.timestampNs > candidate.timestampNs &+ Self.windowNs
            if !decided && event.pid == candidate.pid {
                if candidate.freed {
                    // The fallback's user page confirms; a page table may come before it.
                    if userPage {
                        held[candidate.offset].flags.insert(.chargeRefused)
                        refused += 1
                    }
                    decided = userPage || event.kind == .pageFault || rise
                } else if event.kind == .pageFree && event.pfn == candidate.pfn && event.order == candidate.order {
                    candidate.freed = true
                } else {
                    // Not a user page: a reclaim in the charge may allocate some (zsmalloc's are movable).
                    decided = pageTable || event.kind == .pageFault || rise
                }
            }
            if !decided {
                undecided[kept] = candidate
                kept += 1
            }
        }
        undecided.removeLast(undecided.count - kept)
    }
}
