/// Marks the THP and mTHP folios that are not their fault's anonymous zero-fill, so that no
/// reader takes one for it:
/// - refused by its memory cgroup (`EventFlags.chargeRefused`): `vma_alloc_anon_folio_pmd`
///   (mm/huge_memory.c), `alloc_anon_folio` (mm/memory.c) and `shmem_alloc_and_add_folio`
///   (mm/shmem.c) allocate the folio, then charge it; when `mem_cgroup_charge` fails
///   (`thp_fault_fallback_charge`, `anon_fault_fallback_charge`, `thp_file_fallback_charge`)
///   they `folio_put` it before its clear and the fault falls back to a smaller folio or to
///   order 0. The trace shows the allocation and, from the same task, the free of the same pfn,
///   perhaps after the frees of a reclaim the charge ran, before anything else the fault does;
/// - shmem's (`EventFlags.shmemFolio`): a fault on a shmem or tmpfs mapping (`MAP_SHARED`
///   anonymous memory, memfd, /dev/shm) allocates its huge folio with the same THP mask
///   (`vma_thp_gfp_mask`); `shmem_get_folio_gfp` clears it, and `do_set_pmd` or `set_pte_range`
///   raises the task's `MM_SHMEMPAGES` (`mm_counter_file`), where an anonymous folio raises
///   `MM_ANONPAGES`. The kernel counts it in `thp_file_alloc` or the size's `shmem_alloc`, not
///   in `thp_fault_alloc` or `anon_fault_alloc`. Without `kmem:rss_stat` in the capture none is
///   marked;
/// - freed unmapped (`EventFlags.freedUnmapped`), a THP (the PMD order) its task freed with no
///   fallback, sooner than it could have been cleared (`unclearedFreeNs`): when two tasks fault
///   on one shmem range, the loser's `shmem_alloc_and_add_folio`
///   finds the winner's folio in the page cache (`shmem_add_to_page_cache` -EEXIST) and frees its
///   own a few us after allocating it, before any clear; its fault maps the winner's (or finds it
///   mapped) and raises no counter of its own. An anonymous THP fault allocates its page table
///   (`pte_alloc_one`) after the folio and before it can lose its race, so its folio is decided
///   first; a write to the huge zero page (`do_huge_zero_wp_pmd`) needs none, but clears its
///   folio before it can lose. A refused folio whose fallback finds the range mapped by another
///   task meanwhile frees with no fallback page too: freed unmapped when its charge failed at
///   once (a THP mask that may not block), a lost race here when its reclaim took longer than a
///   clear. Needs no `kmem:rss_stat`.
///
/// A candidate (a user allocation with a THP mask above order 0) holds back the events after it
/// until its task shows which it was, by what the fault does next:
/// - anonymous, charged and cleared: the task's next page-table page, fault or anon-counter
///   rise comes first (a THP's `pte_alloc_one`, the next fault, the mapped folio's count);
/// - shmem's: a rise of the task's shmem counter comes first (shmem's page table, if any, came
///   before the folio: `__do_fault` preallocates it), with no fall of it before: a collapse
///   (`MADV_COLLAPSE`'s `collapse_file`) unmaps the small pages it replaces, one fall each, and
///   then maps its THP with the same rise; the kernel counts it in `thp_collapse_alloc`. A
///   counter not seen before (in the trace, or in its slot) rises only to the folio's size: the
///   first shmem memory of a task that started in the trace;
/// - refused: the free of its pfn comes first, and then, within `fallbackWindowNs`, the fault's
///   fallback, a smaller user allocation, before any fault or counter rise of the task (a page
///   table may come between). An order-0 fallback without `__GFP_ZERO` is shmem's, and marks the
///   folio `shmemFolio` too (the kernel's `thp_file_fallback_charge`).
///   A free followed by a fault instead is a folio the program unmapped after using it, or a THP
///   freed unmapped when its free came too soon for a clear.
/// Other events of the task (a reclaim's frees and allocations, zsmalloc's movable pages among
/// them, a counter's fall) decide nothing; its exit or exec decides it charged. One left
/// undecided `windowNs` after it, past `heldLimit` events or behind `undecidedLimit` newer ones,
/// is taken as anonymous and charged, or, a THP its task freed, as freed unmapped.
public struct HugeFolioMarks<Base: TraceEventSink>: TraceEventSink {
    public var base: Base
    /// The decisions, in a type of their own: nothing in it depends on `Base`, so none of its
    /// calls looks generic metadata up at run time (a nested type did, on every event).
    private var state = HugeFolioMarkState()

    /// - Parameters:
    ///   - pageBytes: the capture's page size, if known (a shmem counter not seen before rises only
    ///     to a folio's size in it; unknown: any power-of-two page size of 4 KiB or more);
    ///   - pmdOrder: the THP's order (`ZeroFillFaultMatcher.pmdOrder`), whose folios freed with no
    ///     fallback are marked `freedUnmapped`.
    public init(base: Base, pageBytes: Int? = nil, pmdOrder: Int = 9) {
        self.base = base
        state.pageBytes = pageBytes.flatMap { $0 >= 4096 && $0 & ($0 - 1) == 0 ? Int64($0) : nil }
        state.pmdOrder = pmdOrder
    }

    @inline(__always)
    public mutating func consume(_ event: TraceEvent) {
        if !state.holding && !HugeFolioMarkState.isCandidate(event) {
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
        let ready = state.readyRange
        guard !ready.isEmpty else { return }
        for i in ready { base.consume(state.held[i]) }
        state.drop(through: ready.upperBound)
    }
}

/// `HugeFolioMarks`' held events and undecided candidates.
struct HugeFolioMarkState {
    /// The capture's page size, when known (`isFirstShmemFolio`).
    var pageBytes: Int64?
    /// The THP's order: a folio of it freed with no fallback is marked `freedUnmapped`.
    var pmdOrder = 9
    /// Events after the oldest undecided candidate, in trace order, the candidates among them,
    /// from `head` on (those before it are passed on; the array is compacted now and then, so
    /// passing events on costs no shift of the rest).
    private(set) var held: [TraceEvent] = []
    private var head = 0
    private var undecided: [Candidate] = []
    /// Whether events are held (a candidate is undecided).
    private(set) var holding = false
    /// Anon and shmem counters' last values by mm, direct-mapped (a store per counter event, no
    /// hashing table): a rise after the allocation is the fault's own; a slot another counter
    /// took reads as a counter not seen before.
    private static let counterSlots = 1024
    private var counterKey = [UInt64](repeating: .max, count: counterSlots)
    private var counterBytes = [Int64](repeating: .max, count: counterSlots)

    /// As long as a memory cgroup's reclaim may keep the charge, as the zero-fill counter window.
    static var windowNs: UInt64 { ZeroFillFaultMatcher.zeroFillCounterWindowNs }
    /// How soon the fallback follows the refused folio's free: 4.1 and 8.6 us at most in this
    /// project's captures (a THP's, an mTHP's), the fault's allocation window of 50 us.
    static var fallbackWindowNs: UInt64 { ZeroFillFaultMatcher.faultAllocationWindowNs }
    static var heldLimit: Int { 1 << 16 }
    /// Candidates undecided at once (each event is checked against each): past it the oldest
    /// is taken as charged, so a trace of nothing but undecided folios stays linear.
    static var undecidedLimit: Int { 64 }

    struct Candidate {
        var offset: Int
        var pid: Int32
        var pfn: UInt64
        var order: UInt8
        var timestampNs: UInt64
        /// When its pfn was freed: waiting for the fallback.
        var freedAt: UInt64?
        /// The task's shmem counter fell after the folio: a collapse's unmapping, or a reclaim's;
        /// a rise after it marks nothing.
        var shmemFell = false
    }

    /// Whether `event` may be a folio whose charge is still to come.
    @inline(__always)
    static func isCandidate(_ event: TraceEvent) -> Bool {
        event.kind == .pageAlloc && event.order > 0 && !event.failed && event.flags.contains(.gfpUser) && event.flags.contains(.gfpTransHuge)
    }

    /// The held events before the oldest undecided candidate: ready to pass on.
    var readyRange: Range<Int> { head..<(undecided.first?.offset ?? held.count) }

    mutating func noteCounter(_ counter: TraceEvent) { _ = counterMove(counter) }

    mutating func hold(_ event: TraceEvent) {
        decide(with: event)
        if Self.isCandidate(event) {
            undecided.append(Candidate(offset: held.count, pid: event.pid, pfn: event.pfn, order: event.order, timestampNs: event.timestampNs))
        }
        held.append(event)
        if (held.count - head > Self.heldLimit || undecided.count > Self.undecidedLimit), !undecided.isEmpty {
            settle(undecided.removeFirst())
        }
        holding = !undecided.isEmpty
    }

    mutating func decideAll() {
        for candidate in undecided { settle(candidate) }
        undecided.removeAll()
        holding = false
    }

    /// A decided candidate: a THP its task freed with no fallback (not refused), sooner than it
    /// could have been cleared, is marked freed unmapped.
    private mutating func settle(_ candidate: Candidate) {
        guard let freedAt = candidate.freedAt, Int(candidate.order) == pmdOrder, !held[candidate.offset].flags.contains(.chargeRefused),
            freedAt &- candidate.timestampNs <= Self.unclearedFreeNs(order: candidate.order, pageBytes: pageBytes)
        else { return }
        held[candidate.offset].flags.insert(.freedUnmapped)
    }

    /// A folio freed this soon after its allocation was not cleared: its bytes at 200 B/ns, twice
    /// the fastest clear measured on this project's machines (91 B/ns cached, notes §4), so 10.5 us
    /// for a 2 MiB THP (4 KiB pages where the page size is unknown). shmem's lost races free theirs
    /// 1.7-4.8 us after allocating it on this project's captures; a THP cleared and then freed
    /// with no page table between (`do_huge_zero_wp_pmd`, reached by a first write that found
    /// the huge zero page mapped meanwhile; a won one unmapped on a capture without
    /// kmem:rss_stat), 90 us and more; a memory cgroup's refusal after its reclaim, 206 us and
    /// more on `fault-paths anon-race` in a 48 MiB cgroup (one that may not block fails at once).
    static func unclearedFreeNs(order: UInt8, pageBytes: Int64?) -> UInt64 {
        let bytes = UInt64(pageBytes ?? 4096) << UInt64(min(order, 40))
        return bytes / 200
    }

    /// Forgets the held events before `end` (passed on), compacting once most are.
    mutating func drop(through end: Int) {
        head = end
        guard head == held.count || (head >= 4096 && head * 2 >= held.count) else { return }
        held.removeFirst(head)
        for i in undecided.indices { undecided[i].offset -= head }
        head = 0
    }

    /// An anon or shmem counter's move: its member and value before (nil: not seen before),
    /// noting its value; nil for other members.
    private mutating func counterMove(_ counter: TraceEvent) -> (member: TraceEvent.CounterMember, previous: Int64?)? {
        guard let member = counter.counterMember, member == .anonPages || member == .shmemPages else { return nil }
        let key = counter.counterMM &<< 1 | (member == .shmemPages ? 1 : 0)
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 54) & (Self.counterSlots - 1)
        let previous = counterKey[slot] == key ? counterBytes[slot] : nil
        counterKey[slot] = key
        counterBytes[slot] = counter.counterBytes
        return (member, previous)
    }

    /// Whether a shmem counter not seen before, at `bytes`, is a rise to a folio of `order`: the
    /// folio's base pages, of `pageBytes` or, unknown, one power-of-two page size of 4 KiB or more.
    static func isFirstShmemFolio(bytes: Int64, order: UInt8, pageBytes: Int64?) -> Bool {
        guard order < 48, bytes > 0 else { return false }
        let pages = Int64(1) << Int64(order)
        let page = bytes / pages
        guard bytes % pages == 0 else { return false }
        if let pageBytes { return page == pageBytes }
        return page >= 4096 && page & (page - 1) == 0
    }

    private mutating func decide(with event: TraceEvent) {
        let move = event.kind == .rssStat ? counterMove(event) : nil
        let own = event.kind == .rssStat && event.counterOfCurrentMM
        // The task's anon counter rose (one not seen before counts): its fault mapped the folio.
        let rise = own && move?.member == .anonPages && event.counterBytes > (move?.previous ?? .min)
        let shmemMove = own && move?.member == .shmemPages ? move : nil
        // A rise is one fault's: it marks the task's newest undecided folio, and decides its older ones unmarked.
        let newestOfTask = shmemMove == nil ? nil : undecided.lastIndex { $0.pid == event.pid && $0.freedAt == nil }
        let userPage = event.kind == .pageAlloc && event.flags.contains(.gfpUser)
        let pageTable = event.isPageTableAllocation
        var kept = 0
        for i in undecided.indices {
            var candidate = undecided[i]
            var decided = event.timestampNs > candidate.timestampNs &+ Self.windowNs
            if let freedAt = candidate.freedAt, !decided, event.timestampNs > freedAt &+ Self.fallbackWindowNs {
                decided = true  // no fallback came: a folio unmapped after use
            }
            if !decided && event.pid == candidate.pid {
                if candidate.freedAt != nil {
                    // The fallback's user page confirms; a page table may come before it.
                    if userPage {
                        // An order-0 fallback without __GFP_ZERO is shmem's (`shmem_alloc_and_add_folio`
                        // at order 0); an anonymous fault's is zeroed (`vma_alloc_zeroed_movable_folio`).
                        let shmemFallback = event.order == 0 && !event.wantsZero
                        held[candidate.offset].flags.insert(shmemFallback ? [.chargeRefused, .shmemFolio] : .chargeRefused)
                    }
                    decided = userPage || event.kind == .pageFault || rise
                } else if event.kind == .pageFree && event.pfn == candidate.pfn && event.order == candidate.order {
                    candidate.freedAt = event.timestampNs
                } else if let shmemMove {
                    let rose = shmemMove.previous.map { event.counterBytes > $0 }
                        ?? Self.isFirstShmemFolio(bytes: event.counterBytes, order: candidate.order, pageBytes: pageBytes)
                    if rose && !candidate.shmemFell && i == newestOfTask {
                        // Its fault mapped it as shmem's.
                        held[candidate.offset].flags.insert(.shmemFolio)
                        decided = true
                    } else if rose {
                        decided = true  // a collapse's THP, mapped after its small pages' unmapping, or an older folio
                    } else {
                        // A fall (a collapse's unmapping, a reclaim's), or a counter not seen before
                        // at no folio's size: no mark after it; a refusal may still follow.
                        candidate.shmemFell = true
                    }
                } else {
                    // Not a user page: a reclaim in the charge may allocate some (zsmalloc's are movable).
                    // The task's exit or exec first: its folio was mapped (a shmem one, without
                    // kmem:rss_stat), and the exit frees it.
                    decided = pageTable || event.kind == .pageFault || rise || event.kind == .processExit || event.kind == .processExec
                }
            }
            if decided {
                settle(candidate)
            } else {
                undecided[kept] = candidate
                kept += 1
            }
        }
        undecided.removeLast(undecided.count - kept)
    }
}
