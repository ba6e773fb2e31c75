import PrezeroModel
import PrezeroTrace

/// Another touch density replayed inside a replay (`ReplayOptions.touchShadows`: the verdict
/// range's touch-density ends). With the trace's time nothing the model decides depends on what
/// the program's touches cost or leave in the caches, so such a replay allocates, clears and
/// frees exactly as the nominal one does: only its caches (the LLC, each CPU's L2 and the hot
/// sets in them) and what its touches cost differ. Those are kept here, fed the same clears,
/// bypasses and scheduling, and the same touches at its own density; one decode and one
/// allocator serve both. Its result is the nominal run's with its own touch and re-read costs
/// (`Replay.result`); like a run read for its total only, it keeps no victim table.
struct TouchShadow {
    let touch: TouchModel
    var cache: CacheModel
    var l2: [CacheModel]
    var workingSets: WorkingSets?
    var touchNs: Double = 0
    var laterTouchNs: Double = 0
    var folioTouchNs: Double = 0
    var workingSetRefetchLines: UInt64 = 0
    var workingSetRefetchNs: Double = 0

    /// A cached clear's lines, as `ReplayEngine.fillLines` writes them.
    mutating func fill(_ first: UInt64, count: Int, cpu: Int) {
        _ = cache.fill(firstLine: first, count: count)
        if !l2.isEmpty { _ = l2[cpu].fill(firstLine: first, count: count) }
    }

    /// A non-temporal or DMA clear, as `ReplayEngine.cacheBypass`.
    mutating func bypass(_ first: UInt64, count: Int) {
        cache.invalidate(firstLine: first, count: count)
        for cpu in l2.indices { l2[cpu].invalidate(firstLine: first, count: count) }
    }

    /// A fault's first touches, as `ReplayEngine.touch`: `count` lines of the page whose first
    /// line is `base`, from `firstLine` on, wrapping in the page.
    mutating func touch(base: UInt64, firstLine: Int, lines count: Int, cpu: Int, profile: MachineProfile) -> Double {
        let linesPerPage = profile.linesPerPage
        var ns: Double = 0
        var visit = TouchAnswer.Visit(llcHitsStream: true)
        for (start, run) in FirstTouchRuns(from: firstLine, lines: count, linesPerPage: linesPerPage) {
            let first = base + UInt64(start)
            let inL2 = l2.isEmpty ? 0 : l2[cpu].access(firstLine: first, count: run)
            let inLLC = cache.access(firstLine: first, count: run)
            for k in 0..<run {
                ns += TouchAnswer(inL2: inL2 >> k & 1 == 1, inLLC: inLLC >> k & 1 == 1, hasL2: !l2.isEmpty, visit: &visit).ns(profile)
            }
        }
        return ns
    }

    /// A page-touch record's lines, as `ReplayEngine.laterTouch` touches them.
    mutating func laterTouch(_ event: TraceEvent, base: UInt64, cpu: Int, profile: MachineProfile) {
        var visit = TouchAnswer.Visit(llcHitsStream: false)
        var ns: Double = 0
        for line in RecordedTouches(event, base: base, linesPerPage: profile.linesPerPage) {
            var evicted: UInt64?
            let inL2 = l2.isEmpty ? false : l2[cpu].access(line: line, evicted: &evicted)
            let inLLC = cache.access(line: line, evicted: &evicted)
            ns += TouchAnswer(inL2: inL2, inLLC: inLLC, hasL2: !l2.isEmpty, visit: &visit).ns(profile)
        }
        laterTouchNs += ns
    }

    /// The end of the trace: the hot sets' last re-reads, priced as `chargeWorkingSets` does.
    mutating func finish(now: Double, profile: MachineProfile) {
        guard workingSets != nil else { return }
        workingSets?.finish(now: now)
        workingSetRefetchLines = workingSets?.refetchedLines.first ?? 0
        workingSetRefetchNs = Double(workingSetRefetchLines) * (profile.llcHitPriceNs)
    }
}

/// Where a touched line was found, once the caches have answered.
enum TouchAnswer: Equatable {
    /// In the CPU's L2, or in the LLC when no L2 is simulated: `line_hit_ns`.
    case l2Hit
    /// In the LLC but not the CPU's L2, the page's first in this visit: `llc_hit_ns`; a later one
    /// streams (`MachineProfile.llcHitStreamPriceNs`).
    case llcHit
    case llcHitStream
    /// A miss, the page's first: `line_miss_ns`; a later one streams: `line_miss_stream_ns`.
    case miss
    case missStream

    /// How many lines of the page this visit found in the LLC and missed so far; whether its LLC
    /// hits stream: a fault's first touches run through the page in order (the L2's prefetcher
    /// follows), a page-touch record's lines are an interval's accesses in no known order (a
    /// random chain's too), so only the first do.
    struct Visit {
        var llcHitsStream: Bool
        var llcHits = 0
        var misses = 0
        init(llcHitsStream: Bool) { self.llcHitsStream = llcHitsStream }
    }

    init(inL2: Bool, inLLC: Bool, hasL2: Bool, visit: inout Visit) {
        if inLLC {
            if inL2 || !hasL2 {
                self = .l2Hit
            } else {
                self = visit.llcHits == 0 || !visit.llcHitsStream ? .llcHit : .llcHitStream
                visit.llcHits += 1
            }
            return
        }
        self = visit.misses == 0 ? .miss : .missStream
        visit.misses += 1
    }

    func ns(_ profile: MachineProfile) -> Double {
        switch self {
        case .l2Hit: profile.lineHitNs
        case .llcHit: profile.llcHitPriceNs
        case .llcHitStream: profile.llcHitStreamPriceNs
        case .miss: profile.lineMissNs
        case .missStream: profile.lineMissStreamNs
        }
    }
}
