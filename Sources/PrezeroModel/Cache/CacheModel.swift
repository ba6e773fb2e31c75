#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSetScan

/// A physically indexed, set-associative cache with true LRU replacement, write-allocate.
///
/// Lines are identified by physical line number (address / line size); set = line % sets.
/// A miss fills an empty way or evicts the least recently used line: the LRU policy Dinero IV
/// simulates, so a `din` dump of the accesses replays to the same misses. The sets live in C
/// (`cache_fill.h`): a cached clear of a page is one call for its 64 lines.
package struct CacheModel: @unchecked Sendable {
    package let geometry: CacheGeometry
    package let sets: Int
    package let ways: Int
    /// 16-bit tags in 64-byte sets (`pz_cache_state.compact`): same answers, less host memory traffic.
    package let compact: Bool
    /// Line numbers stay below it (`init`'s `lines`): a larger one's tag would not fit the compact
    /// sets. Checked in debug builds.
    private let lineLimit: UInt64
    private let storage: Storage

    package private(set) var accesses: UInt64 = 0
    package private(set) var misses: UInt64 = 0
    package private(set) var invalidationsOfPresentLines: UInt64 = 0

    /// The sets (`pz_set_stride(ways, compact)` words each: tags, recency order, valid count) in
    /// one flat buffer, and the state the C side reads.
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
        /// Per group of a page's sets (`pz_cache_state.split`): whether it split, and its whole
        /// pages since; nil when a page's lines do not divide the sets (or exceed 64).
        let split: UnsafeMutablePointer<UInt8>?
        let since: UnsafeMutablePointer<UInt16>?
        let groups: Int
        let sets: Int
        /// What the C side reads, at a stable address.
        let state: UnsafeMutablePointer<pz_cache_state>

        init(sets: Int, ways: Int, compact: Bool, pages: Int, pageShift: UInt64, eighthShift: UInt64, countsFills: Bool, pageGroups: Bool) {
            let stride = Int(pz_set_stride(Int32(ways), compact ? 1 : 0))
            self.count = sets * stride
            self.sets = sets
            // Zero-filled on first touch: a large LLC's sets cost memory once they are used.
            // All zeros is an empty set.
            words = zeroFilledMemory(UInt32.self, count: count)
            residentCount = pages
            residency = pages > 0 ? zeroFilledMemory(UInt8.self, count: pages) : nil
            fills = countsFills ? zeroFilledMemory(UInt32.self, count: sets) : nil
            fillTotal = countsFills ? zeroFilledMemory(UInt64.self, count: 1) : nil
            fillLog = countsFills ? zeroFilledMemory(UInt32.self, count: Self.fillLogCount) : nil
            // All zeros: every group uniform, as its empty sets are.
            let groupLines = 1 << pageShift
            groups = pageGroups && (2...64).contains(groupLines) && sets % groupLines == 0 ? sets / groupLines : 0
            split = groups > 0 ? zeroFilledMemory(UInt8.self, count: groups) : nil
            since = groups > 0 ? zeroFilledMemory(UInt16.self, count: groups) : nil
            state = .allocate(capacity: 1)
            state.initialize(to: pz_cache_state(
                words: words, ways: Int32(ways), stride: Int32(stride), compact: compact ? 1 : 0, sets: UInt64(sets), sets_pow2: sets & (sets - 1) == 0 ? 1 : 0,
                set_bits: UInt32(sets.trailingZeroBitCount), set_mask: UInt64(sets - 1),
                residency: residency, resident_pages: Int64(pages), page_shift: UInt32(pageShift), eighth_shift: UInt32(eighthShift),
                fills: fills, fill_total: fillTotal, fill_log: fillLog, fill_log_mask: UInt64(Self.fillLogCount - 1),
                victims: nil, victim_mask: 0, split: split, since: since))
        }
        deinit {
            releaseZeroFilledMemory(words, count: count)
            releaseZeroFilledMemory(residency, count: residentCount)
            releaseZeroFilledMemory(fills, count: sets)
            releaseZeroFilledMemory(fillTotal, count: 1)
            releaseZeroFilledMemory(fillLog, count: Self.fillLogCount)
            releaseZeroFilledMemory(split, count: groups)
            releaseZeroFilledMemory(since, count: groups)
            state.deallocate()
        }
    }

    private let pageShift: UInt64
    /// Line-in-page >> eighthShift = which eighth of the page.
    private let eighthShift: UInt64

    /// - Parameters:
    ///   - pages: physical pages to track residency for (0: no tracking);
    ///   - linesPerPage: a power of two;
    ///   - countsFills: keep each set's count of lines filled (`fillCounters`);
    ///   - lines: physical lines the cache will see (line numbers below it), when known: a
    ///     13- to 20-way cache whose tags then all fit 16 bits keeps a set in 64 bytes (`compact`);
    ///   - pageGroups: a page's sets kept as one while only whole pages reach them
    ///     (`pz_cache_state.split`); false only to check them against the sets without.
    /// - Precondition: 1...256 ways (the profile's range); physical line numbers stay below
    ///   2^32 x sets (checked by the profile) and below `lines`.
    package init(geometry: CacheGeometry, pages: Int = 0, linesPerPage: Int = 64, countsFills: Bool = false, lines: Int? = nil, pageGroups: Bool = true) {
        self.geometry = geometry
        precondition(geometry.ways <= 256, "the profile's check keeps a cache at 256 ways or fewer")
        ways = max(1, geometry.ways)
        sets = max(1, geometry.sizeBytes / (ways * max(geometry.lineBytes, 1)))
        pageShift = UInt64(max(0, linesPerPage.trailingZeroBitCount))
        eighthShift = pageShift >= 3 ? pageShift - 3 : 0
        // The largest tag is (lines - 1) / sets + 1; 0 marks an empty way.
        let setCount = sets
        let fits = lines.map { $0 > 0 && ($0 - 1) / setCount + 1 <= Int(UInt16.max) } ?? false
        // 13 to 20 ways: 2 x ways bytes of tags, ways of order and 2 of count fit 64; fewer are
        // smaller without it.
        compact = (13...20).contains(ways) && fits
        lineLimit = lines.map { UInt64(max($0, 0)) } ?? .max
        storage = Storage(
            sets: sets, ways: ways, compact: compact, pages: linesPerPage <= 255 ? pages : 0, pageShift: pageShift,
            eighthShift: eighthShift, countsFills: countsFills, pageGroups: pageGroups)
    }

    /// Lines filled into each set so far, wrapping, and their total (`countsFills`), else nil.
    /// Read in place; valid while the cache lives.
    package var fillCounters: WorkingSets.FillCounters? {
        guard let fills = storage.fills, let total = storage.fillTotal, let log = storage.fillLog else { return nil }
        return WorkingSets.FillCounters(perSet: UnsafePointer(fills), total: UnsafePointer(total), log: UnsafePointer(log), logCount: Storage.fillLogCount)
    }

    /// Accesses `line` (read or write); returns true on a hit. A miss fills the line,
    /// evicting the set's least recently used line, returned in `evicted` (nil if none).
    @inline(__always)
    package mutating func access(line: UInt64, evicted: inout UInt64?) -> Bool {
        assert(line < lineLimit, "line \(line) beyond the cache's \(lineLimit)")
        accesses &+= 1
        var gone: UInt64 = 0
        if pz_access(storage.state, line, &gone) != 0 { evicted = nil; return true }
        misses &+= 1
        evicted = gone == 0 ? nil : gone &- 1
        return false
    }

    /// Accesses the lines `[firstLine, firstLine + count)` in order (count <= 64), as `access`
    /// each: bit n of the result is set if line n hit.
    package mutating func access(firstLine: UInt64, count: Int) -> UInt64 {
        assert(firstLine &+ UInt64(max(min(count, 64), 0)) <= lineLimit, "lines beyond the cache's \(lineLimit)")
        let n = min(max(count, 0), 64)
        let hits = pz_access_run(storage.state, firstLine, Int32(n))
        accesses &+= UInt64(n)
        misses &+= UInt64(n - hits.nonzeroBitCount)
        return hits
    }

    /// Accesses (writes) the lines `[firstLine, firstLine + count)` in order, as a cached clear
    /// does; the lines the fills evict go into `victims`. Returns how many were evicted. One
    /// call per run of lines, not per line.
    package mutating func fill(firstLine: UInt64, count: Int, victims: inout VictimTable) -> Int {
        victims.ownSlots()
        (storage.state.pointee.victims, storage.state.pointee.victim_mask) = victims.slotWords
        defer { storage.state.pointee.victims = nil }
        return fillLines(firstLine, count)
    }

    /// The same, counting the evictions without remembering them.
    package mutating func fill(firstLine: UInt64, count: Int) -> Int {
        fillLines(firstLine, count)
    }

    private mutating func fillLines(_ firstLine: UInt64, _ count: Int) -> Int {
        guard count > 0 else { return 0 }
        assert(firstLine &+ UInt64(count) <= lineLimit, "lines beyond the cache's \(lineLimit)")
        var evictions: UInt64 = 0
        misses &+= pz_fill_lines(storage.state, firstLine, Int64(count), &evictions)
        accesses &+= UInt64(count)
        return Int(evictions)
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
        assert(line < lineLimit, "line \(line) beyond the cache's \(lineLimit)")
        if pz_invalidate(storage.state, line) != 0 { invalidationsOfPresentLines &+= 1 }
    }

    package func contains(line: UInt64) -> Bool {
        pz_contains(storage.state, line) != 0
    }
}

/// Lines recently evicted by zeroing, to tell pollution misses from others. Direct-mapped and
/// bounded (a victim is forgotten when another maps to its slot), so memory stays fixed.
package struct VictimTable: @unchecked Sendable {
    /// Zero-filled on first touch, like the cache's sets.
    private final class Slots {
        let words: UnsafeMutablePointer<UInt32>
        let count: Int
        init(count: Int) {
            self.count = count
            words = zeroFilledMemory(UInt32.self, count: count)
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

    /// The engine's table: 2^18 slots, 1 MiB.
    package static let slotsLog2 = 18

    package init(slotsLog2: Int = VictimTable.slotsLog2) {
        precondition((0...32).contains(slotsLog2), "pz_victim_tag keeps 24 + log2 slots bits of a line below 2^64")
        slots = Slots(count: 1 << slotsLog2)
        mask = (1 << slotsLog2) - 1
    }

    /// The lines a table of 2^`slotsLog2` slots tells apart (its 4-byte entries, `pz_victim_tag`):
    /// 255 x 2^42 for the engine's, more than a profile's 2^31 pages of 64 lines.
    package static func linesLimit(slotsLog2: Int = VictimTable.slotsLog2) -> UInt64 {
        pz_victim_lines_limit(UInt64((1 << slotsLog2) - 1))
    }

    /// The same hash as `pz_fill_lines`'s.
    @inline(__always) private func slot(_ line: UInt64) -> Int {
        Int(truncatingIfNeeded: pz_victim_slot(line, UInt64(mask)))
    }

    @inline(__always) mutating func ownSlots() {
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
    }

    /// The slots and the index mask, after `ownSlots()`, for the C fill loop, which records the
    /// victims (same hash as `slot`).
    var slotWords: (UnsafeMutablePointer<UInt32>, UInt64) { (slots.words, UInt64(mask)) }

    /// Starts loading the slots of lines `[firstLine, firstLine + count)`, before a run of
    /// `remove`s among them.
    package func prefetch(firstLine: UInt64, count: Int) {
        pz_prefetch_victim_slots(slots.words, UInt64(mask), firstLine, Int64(count))
    }

    /// Forgets the remembered victims among lines `firstLine + n` for each bit n of `lines`;
    /// returns how many there were (as `remove` on each, in order).
    package mutating func remove(firstLine: UInt64, lines: UInt64) -> Int {
        guard lines != 0 else { return 0 }
        ownSlots()
        return Int(pz_remove_victims(slots.words, UInt64(mask), firstLine, lines))
    }

    /// True (and forgets it) when `line` was a remembered victim.
    package mutating func remove(_ line: UInt64) -> Bool {
        let s = slot(line)
        guard slots.words[s] == pz_victim_tag(line, UInt64(mask)) else { return false }
        ownSlots()
        slots.words[s] = 0
        return true
    }
}
