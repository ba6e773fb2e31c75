#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSetScan

/// A physically indexed, set-associative cache with true LRU replacement, write-allocate.
///
/// Lines are identified by physical line number (address / line size); set = line % sets.
/// Each way carries the tick of its last use; a miss fills the empty way or evicts the least
/// recently used one — the LRU policy Dinero IV simulates, so a `din` dump of the accesses
/// replays to the same misses.
package struct CacheModel: @unchecked Sendable {
    package let geometry: CacheGeometry
    package let sets: Int
    package let ways: Int
    private let setMask: UInt64
    private let setBits: UInt64
    private let storage: Storage

    package private(set) var accesses: UInt64 = 0
    package private(set) var misses: UInt64 = 0
    package private(set) var invalidationsOfPresentLines: UInt64 = 0
    private var tick: UInt32 = 0

    /// Per way a 32-bit tag (line / sets + 1; 0 = empty) and a 32-bit last-use tick, a set's
    /// tags then its ticks side by side (a 16-way set is two adjacent host cache lines, fetched
    /// together), in one flat buffer. The hot loop of the model, kept free of array bounds and
    /// uniqueness checks.
    final class Storage {
        let words: UnsafeMutablePointer<UInt32>
        let count: Int
        /// Per page of `linesPerPage` lines: a mask of the eighths of the page that may hold a
        /// resident line (set on fill, cleared only when the page is invalidated), so
        /// invalidating a page probes only where its lines can be: one load for a page never
        /// filled (the common case for a scrubbed page), a few probes for a page with its one
        /// touched line. An eviction leaves it alone: a count kept there cost a random host
        /// cache miss on every evicted line. One byte a page; pages of more than 255 lines are
        /// not tracked.
        let residency: UnsafeMutablePointer<UInt8>?
        let residentCount: Int
        /// Per set, lines filled into it so far (wrapping), and their total, for `WorkingSets`;
        /// nil unless asked for.
        let fills: UnsafeMutablePointer<UInt32>?
        let fillTotal: UnsafeMutablePointer<UInt64>?
        /// The sets of the last `fillLogCount` fills, fill n at n & (count - 1): what a short
        /// window changed, without a scan of every set.
        let fillLog: UnsafeMutablePointer<UInt32>?
        static let fillLogCount = 1 << 10
        let sets: Int
        init(count: Int, pages: Int, sets: Int, countsFills: Bool) {
            self.count = count
            self.sets = sets
            // Zero-filled on first touch: a large LLC's sets cost memory once they are used.
            words = zeroFilledMemory(UInt32.self, count: 2 * count)
            residentCount = pages
            residency = pages > 0 ? zeroFilledMemory(UInt8.self, count: pages) : nil
            fills = countsFills ? zeroFilledMemory(UInt32.self, count: sets) : nil
            fillTotal = countsFills ? zeroFilledMemory(UInt64.self, count: 1) : nil
            fillLog = countsFills ? zeroFilledMemory(UInt32.self, count: Self.fillLogCount) : nil
        }
        deinit {
            releaseZeroFilledMemory(words, count: 2 * count)
            releaseZeroFilledMemory(residency, count: residentCount)
            releaseZeroFilledMemory(fills, count: sets)
            releaseZeroFilledMemory(fillTotal, count: 1)
            releaseZeroFilledMemory(fillLog, count: Self.fillLogCount)
        }
    }

    private let pageShift: UInt64
    /// Line-in-page >> eighthShift = which eighth of the page.
    private let eighthShift: UInt64

    /// - Parameters:
    ///   - pages: physical pages to track residency for (0: no tracking);
    ///   - linesPerPage: a power of two;
    ///   - countsFills: keep each set's count of lines filled (`fillsPerSet`).
    /// - Precondition: physical line numbers stay below 2^32 x sets (checked by the profile).
    package init(geometry: CacheGeometry, pages: Int = 0, linesPerPage: Int = 64, countsFills: Bool = false) {
        self.geometry = geometry
        ways = max(1, geometry.ways)
        sets = max(1, geometry.sizeBytes / (ways * max(geometry.lineBytes, 1)))
        setMask = UInt64(sets - 1)
        setBits = UInt64(sets.trailingZeroBitCount)
        pageShift = UInt64(max(0, linesPerPage.trailingZeroBitCount))
        eighthShift = pageShift >= 3 ? pageShift - 3 : 0
        storage = Storage(count: sets * ways, pages: linesPerPage <= 255 ? pages : 0, sets: sets, countsFills: countsFills)
    }

    /// Lines filled into each set so far, wrapping, and their total (`countsFills`), else nil.
    /// Read in place; valid while the cache lives.
    package var fillCounters: WorkingSets.FillCounters? {
        guard let fills = storage.fills, let total = storage.fillTotal, let log = storage.fillLog else { return nil }
        return WorkingSets.FillCounters(perSet: UnsafePointer(fills), total: UnsafePointer(total), log: UnsafePointer(log), logCount: Storage.fillLogCount)
    }

    /// Marks the eighth of `line`'s page as possibly holding a resident line.
    @inline(__always) private func track(_ line: UInt64) {
        guard let residency = storage.residency else { return }
        let page = Int(line &>> pageShift)
        guard page < storage.residentCount else { return }
        residency[page] |= 1 &<< UInt8(truncatingIfNeeded: (line & ((1 &<< pageShift) &- 1)) &>> eighthShift)
    }

    @inline(__always) private func tags(ofSet set: Int) -> UnsafeMutablePointer<UInt32> { storage.words + set * 2 * ways }
    @inline(__always) private func stamps(ofSet set: Int) -> UnsafeMutablePointer<UInt32> { tags(ofSet: set) + ways }

    @inline(__always) private func key(_ line: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: line &>> setBits) &+ 1 }

    /// Renumbers every set's ticks 1...ways in recency order when the 32-bit tick wraps.
    private mutating func renumber() {
        for set in 0..<sets {
            let stamps = stamps(ofSet: set)
            let order = (0..<ways).sorted { stamps[$0] < stamps[$1] }
            for (rank, way) in order.enumerated() { stamps[way] = UInt32(rank + 1) }
        }
        tick = UInt32(ways + 1)
    }

    /// Accesses `line` (read or write); returns true on a hit. A miss fills the line,
    /// evicting the set's least recently used line, returned in `evicted` (nil if none).
    @inline(__always)
    package mutating func access(line: UInt64, evicted: inout UInt64?) -> Bool {
        accesses += 1
        if tick == UInt32.max { renumber() }
        tick += 1
        let (hit, victim) = lookup(line: line, tick: tick)
        if hit { evicted = nil; return true }
        misses += 1
        evicted = victim
        return false
    }

    /// Accesses (writes) the lines `[firstLine, firstLine + count)` in order, as a cached clear
    /// does; the lines the fills evict go into `victims`. Returns how many were evicted. One
    /// call per page instead of per line, with the counters kept in registers.
    package mutating func fill(firstLine: UInt64, count: Int, victims: inout VictimTable) -> Int {
        withUnsafeMutablePointer(to: &victims) { fillLines(firstLine, count, victims: $0) }
    }

    /// The same, counting the evictions without remembering them.
    package mutating func fill(firstLine: UInt64, count: Int) -> Int {
        fillLines(firstLine, count, victims: nil)
    }

    private mutating func fillLines(_ firstLine: UInt64, _ count: Int, victims: UnsafeMutablePointer<VictimTable>?) -> Int {
        var evictions = 0
        var missCount: UInt64 = 0
        var line = firstLine
        var remaining = count
        victims?.pointee.ownSlots()
        while remaining > 0 {
            if tick == UInt32.max { renumber() }
            // As many accesses as the 32-bit tick has left before it wraps.
            let run = min(remaining, Int(UInt32.max - tick))
            var now = tick
            for _ in 0..<run {
                now &+= 1
                let (hit, victim) = lookup(line: line, tick: now)
                if !hit {
                    missCount &+= 1
                    if let victim {
                        victims?.pointee.insertOwned(victim)
                        evictions += 1
                    }
                }
                line &+= 1
            }
            tick = now
            remaining -= run
        }
        accesses &+= UInt64(count)
        misses &+= missCount
        return evictions
    }

    /// The LRU lookup of one access at `now`: a hit refreshes the way; a miss fills the
    /// empty or least recently used way and returns the line it evicted.
    @inline(__always)
    private func lookup(line: UInt64, tick now: UInt32) -> (hit: Bool, evicted: UInt64?) {
        let k = key(line)
        let set = line & setMask
        let tags = tags(ofSet: Int(set))
        let stamps = tags + ways
        let hit = pz_find_way(tags, Int32(truncatingIfNeeded: ways), k)
        if hit >= 0 {
            stamps[Int(hit)] = now
            return (true, nil)
        }
        let victim = Int(pz_lru_way(tags, stamps, Int32(truncatingIfNeeded: ways)))
        let old = tags[victim]
        var evicted: UInt64?
        if old != 0 {
            evicted = UInt64(old &- 1) &<< setBits | set
        }
        track(line)
        if let fills = storage.fills, let total = storage.fillTotal, let log = storage.fillLog {
            fills[Int(set)] &+= 1
            log[Int(truncatingIfNeeded: total.pointee) & (Storage.fillLogCount - 1)] = UInt32(truncatingIfNeeded: set)
            total.pointee &+= 1
        }
        tags[victim] = k
        stamps[victim] = now
        return (false, evicted)
    }

    /// Removes every line of `[firstLine, firstLine + count)` from the cache, probing only the
    /// eighths of each whole page that may hold a resident line.
    package mutating func invalidate(firstLine: UInt64, count: Int) {
        guard let residency = storage.residency else {
            for k in 0..<UInt64(count) { invalidate(line: firstLine + k) }
            return
        }
        var line = firstLine
        let end = firstLine + UInt64(count)
        let pageLines = UInt64(1) << pageShift
        let eighthLines = UInt64(1) << eighthShift
        while line < end {
            let page = Int(line >> pageShift)
            let pageStart = line & ~(pageLines - 1)
            let pageEnd = min(end, pageStart + pageLines)
            if page >= storage.residentCount || line != pageStart || pageEnd != pageStart + pageLines {
                // Outside the tracked pages, or part of a page: every line.
                while line < pageEnd {
                    invalidate(line: line)
                    line += 1
                }
                continue
            }
            var mask = residency[page]
            while mask != 0 {
                let eighth = UInt64(mask.trailingZeroBitCount)
                mask &= mask &- 1
                var l = pageStart + eighth * eighthLines
                let stop = min(l + eighthLines, pageEnd)
                while l < stop {
                    invalidate(line: l)
                    l += 1
                }
            }
            residency[page] = 0
            line = pageEnd
        }
    }

    /// Removes `line` if present (a non-temporal or DMA write to it).
    @inline(__always)
    package mutating func invalidate(line: UInt64) {
        let k = key(line)
        let tags = tags(ofSet: Int(line & setMask))
        for i in 0..<ways where tags[i] == k {
            tags[i] = 0
            invalidationsOfPresentLines += 1
            return
        }
    }

    package func contains(line: UInt64) -> Bool {
        let k = key(line)
        let tags = tags(ofSet: Int(line & setMask))
        for i in 0..<ways where tags[i] == k { return true }
        return false
    }
}

/// Lines recently evicted by zeroing, to tell pollution misses from others. Direct-mapped and
/// bounded (a victim is forgotten when another maps to its slot), so memory stays fixed.
package struct VictimTable: @unchecked Sendable {
    /// Zero-filled on first touch, like the cache's sets.
    private final class Slots {
        let words: UnsafeMutablePointer<UInt64>
        let count: Int
        init(count: Int) {
            self.count = count
            words = zeroFilledMemory(UInt64.self, count: count)
        }
        func copy() -> Slots {
            let other = Slots(count: count)
            other.words.update(from: words, count: count)
            return other
        }
        deinit { releaseZeroFilledMemory(words, count: count) }
    }

    private var slots: Slots
    private let mask: Int

    package init(slotsLog2: Int = 18) {
        slots = Slots(count: 1 << slotsLog2)
        mask = (1 << slotsLog2) - 1
    }

    @inline(__always) private func slot(_ line: UInt64) -> Int {
        Int(truncatingIfNeeded: (line &* 0x9E37_79B9_7F4A_7C15) >> 24) & mask
    }

    @inline(__always) mutating func ownSlots() {
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
    }

    @inline(__always)
    package mutating func insert(_ line: UInt64) {
        ownSlots()
        insertOwned(line)
    }

    /// `insert` after `ownSlots()` (a page's fills check once, not per line).
    @inline(__always) mutating func insertOwned(_ line: UInt64) {
        slots.words[slot(line)] = line &+ 1
    }

    /// True (and forgets it) when `line` was a remembered victim.
    package mutating func remove(_ line: UInt64) -> Bool {
        let s = slot(line)
        guard slots.words[s] == line &+ 1 else { return false }
        ownSlots()
        slots.words[s] = 0
        return true
    }
}
