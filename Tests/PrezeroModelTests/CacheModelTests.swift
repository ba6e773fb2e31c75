import CSetScan
import Testing

@testable import PrezeroModel

/// An obviously correct LRU cache: per set, an array in recency order. The oracle for the
/// fast model (and for Dinero-style replays of a dumped stream).
struct ReferenceLRU {
    var sets: [[UInt64]]
    let ways: Int
    var misses = 0
    /// The line the last access evicted, nil if none.
    var lastEvicted: UInt64?

    init(sets: Int, ways: Int) {
        self.sets = Array(repeating: [], count: sets)
        self.ways = ways
    }

    mutating func access(_ line: UInt64) -> Bool {
        let s = Int(line % UInt64(sets.count))
        lastEvicted = nil
        if let i = sets[s].firstIndex(of: line) {
            sets[s].remove(at: i)
            sets[s].insert(line, at: 0)
            return true
        }
        misses += 1
        sets[s].insert(line, at: 0)
        if sets[s].count > ways { lastEvicted = sets[s].removeLast() }
        return false
    }

    mutating func invalidate(_ line: UInt64) {
        let s = Int(line % UInt64(sets.count))
        sets[s].removeAll { $0 == line }
    }
}

/// A linear congruential generator (Knuth's MMIX constants): the tests' streams, the same on
/// every run.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}

@Suite("LRU cache model")
struct CacheModelTests {
    /// The baseline loops (SSE2) and, where the CPU has it, the AVX-512 ones give the reference's
    /// hits on page fills and touches of a 16-way cache. One test runs both, in turn: the level is
    /// process-wide (replays in other tests give the same answers at either level).
    /// Both set layouts: 32-bit tags, and 16-bit ones (`compact`: the lines fit).
    @Test func everySIMDLevelMatchesReference() {
        defer { pz_set_simd_level(-1) }
        // 104 sets: not a power of two, as an Intel LLC's slices make them (13 x 16,384 here).
        // 20, 12, 32 and 40 ways: the AVX-512 loops move a set's order of up to 32 ways in one
        // register and search its tags in two masked compares; 40 takes the scalar way.
        let shapes: [(Int32, Bool, Int, Int)] = [
            (0, false, 128, 16), (1, false, 128, 16), (0, true, 128, 16), (1, true, 128, 16), (0, false, 104, 16), (1, true, 104, 16),
            (0, false, 104, 20), (1, false, 104, 20), (1, false, 64, 12), (1, false, 32, 32), (1, false, 16, 40), (1, false, 128, 1),
            (0, true, 104, 20), (1, true, 104, 20), (1, true, 64, 13),
        ]
        for (level, compact, sets, ways) in shapes {
            pz_set_simd_level(level)
            if level == 1 && pz_simd_level() != 1 { continue }  // no AVX-512 here
            var cache = CacheModel(
                geometry: CacheGeometry(sizeBytes: ways * sets * 64, ways: ways, lineBytes: 64), pages: 256, lines: compact ? 256 * 64 : nil)
            #expect(cache.compact == compact)
            var reference = ReferenceLRU(sets: sets, ways: ways)
            var state: UInt64 = 7
            for step in 0..<30_000 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let page = (state >> 33) % 256
                if (state >> 20) % 3 == 0 {
                    _ = cache.fill(firstLine: page * 64, count: 64)
                    for l in 0..<UInt64(64) { _ = reference.access(page * 64 + l) }
                } else {
                    let first = page * 64 + (state >> 40) % 64
                    let count = Int(min(64 - first % 64, 1 + (state >> 50) % 8))
                    let hits = cache.access(firstLine: first, count: count)
                    for k in 0..<count {
                        #expect((hits >> UInt64(k)) & 1 == (reference.access(first + UInt64(k)) ? 1 : 0), "level \(level) sets \(sets) ways \(ways) step \(step)")
                    }
                }
            }
            #expect(cache.misses == UInt64(reference.misses), "level \(level)")
        }
    }

    /// Compact exactly when the largest tag, (lines - 1) / sets + 1, fits 16 bits: 65,535 tags
    /// of a set's lines, not one more; and for 13 to 20 ways, whose sets it makes smaller and
    /// fits in 64 bytes (an Intel L3's 20 ways included).
    @Test func compactWhenEveryTagFits() {
        let geometry = CacheGeometry(sizeBytes: 16 * 64 * 64, ways: 16, lineBytes: 64)
        #expect(CacheModel(geometry: geometry, lines: 65_535 * 64).compact)
        #expect(!CacheModel(geometry: geometry, lines: 65_535 * 64 + 1).compact)
        #expect(!CacheModel(geometry: CacheGeometry(sizeBytes: 8 * 64 * 64, ways: 8, lineBytes: 64), lines: 64).compact)
        #expect(!CacheModel(geometry: geometry).compact)
        for ways in [12, 13, 20, 21] {
            #expect(CacheModel(geometry: CacheGeometry(sizeBytes: ways * 64 * 64, ways: ways, lineBytes: 64), lines: 64 * 64).compact == (13...20).contains(ways))
        }
    }

    /// The compact layout gives the 32-bit one's answers on a replay's mix (cached clears with a
    /// victim table, touches, non-temporal clears, with fill counts), at both SIMD levels: every
    /// hit, eviction and victim, and the fill counts and log. A 16-way cache of 64 sets over
    /// 65,535 x 64 lines, the most the compact sets hold: pages near the top (tags 65,000 and up)
    /// and across the range, so every bit of the 16-bit tags is used.
    /// One test for both levels, in turn: the level is process-wide.
    /// Also a 20-way cache (an Intel L3's ways) of 64 sets.
    @Test func compactSetsGiveTheSameAnswers() {
        defer { pz_set_simd_level(-1) }
        for level: Int32 in [0, 1] {
            pz_set_simd_level(level)
            if level == 1 && pz_simd_level() != 1 { continue }  // no AVX-512 here
            for ways in [16, 20] { compactSetsGiveTheSameAnswers(atLevel: level, ways: ways) }
        }
    }

    func compactSetsGiveTheSameAnswers(atLevel level: Int32, ways: Int) {
        let geometry = CacheGeometry(sizeBytes: ways * 64 * 64, ways: ways, lineBytes: 64)
        let pages = 65_535
        var wide = CacheModel(geometry: geometry, pages: pages, countsFills: true)
        var compact = CacheModel(geometry: geometry, pages: pages, countsFills: true, lines: pages * 64)
        #expect(!wide.compact && compact.compact)
        var wideVictims = VictimTable(slotsLog2: 12), compactVictims = VictimTable(slotsLog2: 12)
        var random = TestRandom(seed: 11)
        func next() -> UInt64 { random.next() }
        for step in 0..<40_000 {
            // Pages near each other often (hits), near the top, and anywhere sometimes.
            let page = next() % 8 == 0 ? next() % UInt64(pages - 4) : next() % 2 == 0 ? 4096 + next() % 512 : UInt64(pages - 516) + next() % 512
            switch next() % 4 {
            case 0:
                let count = Int(1 + next() % 4) * 64  // pages - 4 at most: within the lines
                #expect(wide.fill(firstLine: page * 64, count: count, victims: &wideVictims)
                    == compact.fill(firstLine: page * 64, count: count, victims: &compactVictims), "step \(step)")
            case 1:
                let first = page * 64 + next() % 64
                let count = Int(min(64 - first % 64, 1 + next() % 8))
                #expect(wide.access(firstLine: first, count: count) == compact.access(firstLine: first, count: count), "step \(step)")
            case 2:
                var a: UInt64?, b: UInt64?
                let line = page * 64 + next() % 64
                #expect(wide.access(line: line, evicted: &a) == compact.access(line: line, evicted: &b) && a == b, "step \(step)")
            default:
                wide.invalidate(firstLine: page * 64, count: 64)
                compact.invalidate(firstLine: page * 64, count: 64)
            }
        }
        #expect(wide.misses == compact.misses && wide.invalidationsOfPresentLines == compact.invalidationsOfPresentLines)
        for line in Array(UInt64(4096 * 64)..<UInt64(4608 * 64)) + Array(UInt64((pages - 516) * 64)..<UInt64(pages * 64)) {
            #expect(wide.contains(line: line) == compact.contains(line: line))
            #expect(wideVictims.remove(line) == compactVictims.remove(line))
        }
        let (a, b) = (wide.fillCounters!, compact.fillCounters!)
        #expect(a.total.pointee == b.total.pointee)
        #expect((0..<64).allSatisfy { a.perSet[$0] == b.perSet[$0] })
        #expect((0..<a.logCount).allSatisfy { a.log[$0] == b.log[$0] })
    }

    /// Hand-computed: 2 sets x 2 ways. Lines 0, 2, 4 share set 0.
    @Test func handComputedSequence() {
        var cache = CacheModel(geometry: CacheGeometry(sizeBytes: 4 * 64, ways: 2, lineBytes: 64))
        var evicted: UInt64?
        // 0 miss, 2 miss, 0 hit, 4 miss (evicts 2, the LRU), 2 miss (evicts 0), 4 hit, 1 miss (set 1).
        let expected: [(UInt64, Bool, UInt64?)] = [
            (0, false, nil), (2, false, nil), (0, true, nil), (4, false, 2), (2, false, 0), (4, true, nil), (1, false, nil),
        ]
        for (line, hit, victim) in expected {
            #expect(cache.access(line: line, evicted: &evicted) == hit, "line \(line)")
            #expect(evicted == victim, "victim after line \(line)")
        }
        #expect(cache.accesses == 7)
        #expect(cache.misses == 5)
    }

    @Test func invalidateRemovesALine() {
        var cache = CacheModel(geometry: CacheGeometry(sizeBytes: 4 * 64, ways: 2, lineBytes: 64))
        var evicted: UInt64?
        _ = cache.access(line: 6, evicted: &evicted)
        #expect(cache.contains(line: 6))
        cache.invalidate(line: 6)
        #expect(!cache.contains(line: 6))
        #expect(cache.access(line: 6, evicted: &evicted) == false)
        #expect(cache.invalidationsOfPresentLines == 1)
    }

    /// Page clears (fills), touches and non-temporal clears of whole and partial pages, with the
    /// per-page residency filter on: the same hits and the same contents as the reference,
    /// whichever eighth of a page its resident lines sit in.
    @Test(arguments: [(16, 64, 64, false), (16, 64, 64, true), (4, 32, 128, false), (2, 8, 4, false), (20, 13, 64, false), (16, 12, 64, true)])
    func invalidationWithResidencyTrackingMatchesReference(_ ways: Int, _ sets: Int, _ linesPerPage: Int, _ compact: Bool) {
        let pages = 64
        var cache = CacheModel(
            geometry: CacheGeometry(sizeBytes: ways * sets * 64, ways: ways, lineBytes: 64), pages: pages, linesPerPage: linesPerPage,
            lines: compact ? (pages + 4) * linesPerPage : nil)
        #expect(cache.compact == compact)
        var reference = ReferenceLRU(sets: sets, ways: ways)
        var victims = VictimTable(slotsLog2: 4)
        // The table's slots as the fills should leave them: each eviction, in order, in its slot.
        var referenceVictims: [UInt64: UInt64] = [:]
        var random = TestRandom(seed: 99)
        func next() -> UInt64 { random.next() }
        let lpp = UInt64(linesPerPage)
        for step in 0..<20_000 {
            let page = next() % UInt64(pages + 4)  // a few pages beyond the tracked ones
            switch next() % 4 {
            case 0:  // a cached clear of the page
                _ = cache.fill(firstLine: page * lpp, count: linesPerPage, victims: &victims)
                for l in 0..<lpp {
                    _ = reference.access(page * lpp + l)
                    if let gone = reference.lastEvicted { referenceVictims[pz_victim_slot(gone, 15)] = gone }
                }
            case 1, 2:  // a touch of one random line
                let line = page * lpp + next() % lpp
                var evicted: UInt64?
                #expect(cache.access(line: line, evicted: &evicted) == reference.access(line), "step \(step)")
                #expect(evicted == reference.lastEvicted, "step \(step)")
            default:  // a non-temporal clear: the whole page, or a part of it
                let first = next() % 2 == 0 ? 0 : next() % lpp
                let count = Int(lpp - first)
                cache.invalidate(firstLine: page * lpp + first, count: count)
                for l in first..<lpp { reference.invalidate(page * lpp + l) }
            }
        }
        for line in 0..<(UInt64(pages + 4) * lpp) {
            let s = Int(line % UInt64(sets))
            #expect(cache.contains(line: line) == reference.sets[s].contains(line), "line \(line)")
            #expect(victims.remove(line) == (referenceVictims[pz_victim_slot(line, 15)] == line), "victim \(line)")
        }
        #expect(cache.misses == UInt64(reference.misses))
    }

    /// The victim table's 4-byte entries tell apart lines that share a slot: lines 2^(24 + log2
    /// slots) apart share the slot and the product's low 24 bits, and differ only in the bits
    /// kept above them, up to the limit a profile is checked against.
    @Test func victimTagsTellApartLinesThatShareASlot() {
        for slotsLog2 in [4, VictimTable.slotsLog2] {
            let mask = UInt64((1 << slotsLog2) - 1)
            let step = UInt64(1) << (24 + slotsLog2)
            let limit = VictimTable.linesLimit(slotsLog2: slotsLog2)
            #expect(limit == 255 * step)
            for base in [UInt64(0), 1, 12_345, step - 1] {
                var tags = Set<UInt32>()
                var line = base
                while line < limit {
                    #expect(pz_victim_slot(line, mask) == pz_victim_slot(base, mask))
                    #expect(pz_victim_tag(line, mask) != 0)
                    tags.insert(pz_victim_tag(line, mask))
                    line += step
                }
                #expect(tags.count == 255, "base \(base), \(slotsLog2) slot bits")
            }
            var table = VictimTable(slotsLog2: slotsLog2)
            var cache = CacheModel(geometry: CacheGeometry(sizeBytes: 64 * 64, ways: 1, lineBytes: 64))
            // A direct-mapped cache of 64 sets: line 64 evicts line 0, a victim; line 0 + step
            // shares its slot but was never evicted.
            _ = cache.fill(firstLine: 0, count: 1, victims: &table)
            _ = cache.fill(firstLine: 64, count: 1, victims: &table)
            let sharer = table.remove(step), victim = table.remove(0), again = table.remove(0)
            #expect(!sharer)
            #expect(victim)
            #expect(!again)
        }
        var profile = BuiltinProfiles.epycZen5VM
        profile.pageBytes = 1 << 30
        profile.lineBytes = 8
        profile.llc = CacheGeometry(sizeBytes: 1 << 30, ways: 16, lineBytes: 8)
        profile.l2 = nil
        let tooLarge = "memory too large for the cache model's victim table (4-byte entries)"
        profile.memoryBytes = UInt64(1) << 60
        #expect(profile.validationErrors().contains(tooLarge))
        // At the limit's lines, and a page below it.
        profile.pageBytes = 1 << 22
        profile.memoryBytes = VictimTable.linesLimit() * 8
        #expect(profile.validationErrors().contains(tooLarge))
        profile.memoryBytes -= 1 << 22
        #expect(!profile.validationErrors().contains(tooLarge))
    }

    /// A run of at least ways x sets lines overwrites every set: taken whole (without visiting
    /// each line) when none of its lines is cached, it must leave what the same lines written one
    /// at a time leave: contents, misses, evictions, fill counts and log, residency.
    /// Also without fill counts (the LLC of a verdict's extra replays, which has no victim table).
    @Test(arguments: [
        (4, 8, true, false), (16, 16, true, false), (16, 16, true, true), (3, 4, true, false), (16, 16, false, false), (16, 16, false, true),
        (4, 8, false, false), (20, 13, true, false), (16, 12, true, true), (4, 13, false, false),
    ])
    func longRunsMatchLineByLineFills(_ ways: Int, _ sets: Int, _ countsFills: Bool, _ compact: Bool) {
        let geometry = CacheGeometry(sizeBytes: ways * sets * 64, ways: ways, lineBytes: 64)
        let pages = 64
        let lineCount = compact ? pages * 64 : nil
        var whole = CacheModel(geometry: geometry, pages: pages, countsFills: countsFills, lines: lineCount)
        var single = CacheModel(geometry: geometry, pages: pages, countsFills: countsFills, lines: lineCount)
        #expect(whole.compact == compact)
        var reference = ReferenceLRU(sets: sets, ways: ways)
        var random = TestRandom(seed: 3)
        func next() -> UInt64 { random.next() }
        let lines = UInt64(pages * 64)
        for step in 0..<3_000 {
            let first = next() % lines
            if next() % 3 == 0 {
                // A long run: sometimes over lines just cached (a hit: the line-by-line path).
                let count = Int(min(lines - first, UInt64(ways * sets) + next() % UInt64(3 * ways * sets)))
                var evictedOneByOne = 0
                for k in 0..<count { evictedOneByOne += single.fill(firstLine: first + UInt64(k), count: 1) }
                #expect(whole.fill(firstLine: first, count: count) == evictedOneByOne, "evictions, step \(step)")
                for k in 0..<UInt64(count) { _ = reference.access(first + k) }
            } else {
                var evicted: UInt64?
                let hit = reference.access(first)
                #expect(whole.access(line: first, evicted: &evicted) == hit, "step \(step)")
                #expect(single.access(line: first, evicted: &evicted) == hit, "step \(step)")
            }
            if next() % 50 == 0 {  // a non-temporal clear of a page: reads the residency filter
                let page = next() % UInt64(pages)
                whole.invalidate(firstLine: page * 64, count: 64)
                single.invalidate(firstLine: page * 64, count: 64)
                for l in 0..<UInt64(64) { reference.invalidate(page * 64 + l) }
            }
        }
        #expect(whole.misses == single.misses && whole.misses == UInt64(reference.misses))
        #expect(whole.invalidationsOfPresentLines == single.invalidationsOfPresentLines)
        for line in 0..<lines { #expect(whole.contains(line: line) == reference.sets[Int(line % UInt64(sets))].contains(line)) }
        guard countsFills else { return }
        let (a, b) = (whole.fillCounters!, single.fillCounters!)
        #expect(a.total.pointee == b.total.pointee)
        #expect((0..<sets).allSatisfy { a.perSet[$0] == b.perSet[$0] })
        #expect((0..<a.logCount).allSatisfy { a.log[$0] == b.log[$0] })
    }

    /// A page's sets kept as one while only whole pages reach them (`pz_cache_state.split`) give
    /// the answers of the same cache without groups, which the tests above hold to the reference:
    /// a random mix of whole pages (most: a group splits, and agrees again after `ways` of them),
    /// parts of pages, single lines, runs of touches, long runs and invalidations; every hit, miss
    /// and eviction, the victim table, fill counts and log, and what the cache holds at the end.
    /// 16 ways in 64-byte sets (`compact`) or not, 20 ways over 13 x 64 sets, 8- and 4-line pages.
    @Test(arguments: [
        (16, 256, 64, false, false), (16, 256, 64, true, false), (16, 256, 64, false, true), (20, 832, 64, false, true),
        (4, 32, 8, false, false), (4, 32, 8, true, false), (2, 16, 4, false, false),
    ])
    func pageGroupsGiveTheLineByLineAnswers(_ ways: Int, _ sets: Int, _ linesPerPage: Int, _ countsFills: Bool, _ compact: Bool) {
        let geometry = CacheGeometry(sizeBytes: ways * sets * 64, ways: ways, lineBytes: 64)
        let groups = sets / linesPerPage
        let pages = groups * (ways + 6)  // some pages return to a group before ways others: hits
        let lines = UInt64(pages * linesPerPage)
        func cache(_ pageGroups: Bool) -> CacheModel {
            CacheModel(
                geometry: geometry, pages: pages, linesPerPage: linesPerPage, countsFills: countsFills,
                lines: compact ? Int(lines) : nil, pageGroups: pageGroups)
        }
        var grouped = cache(true), lineByLine = cache(false)
        #expect(grouped.compact == compact)
        // A small table: victims share slots, so their order shows.
        var groupedVictims = VictimTable(slotsLog2: 7), lineByLineVictims = VictimTable(slotsLog2: 7)
        var random = TestRandom(seed: 11)
        func next() -> UInt64 { random.next() }
        let pageLines = UInt64(linesPerPage)
        for step in 0..<6_000 {
            let page = next() % UInt64(pages)
            let roll = next() % 100
            switch roll {
            case 0..<60:  // whole pages, one or a few in a row (the L2 counts fills, the LLC keeps victims)
                let count = Int(min(UInt64(pages) - page, 1 + next() % 3)) * linesPerPage
                let missesBefore = (grouped.misses, lineByLine.misses)
                if countsFills {
                    #expect(grouped.fill(firstLine: page * pageLines, count: count) == lineByLine.fill(firstLine: page * pageLines, count: count), "step \(step)")
                } else {
                    let a = grouped.fill(firstLine: page * pageLines, count: count, victims: &groupedVictims)
                    #expect(a == lineByLine.fill(firstLine: page * pageLines, count: count, victims: &lineByLineVictims), "step \(step)")
                }
                #expect(grouped.misses - missesBefore.0 == lineByLine.misses - missesBefore.1, "step \(step)")
            case 60..<68:  // part of a page, or across pages
                let first = page * pageLines + next() % pageLines
                let count = Int(min(lines - first, 1 + next() % (2 * pageLines)))
                #expect(grouped.fill(firstLine: first, count: count) == lineByLine.fill(firstLine: first, count: count), "step \(step)")
            case 68..<80:  // a touch run: a whole page or part of one
                let whole = next() % 2 == 0
                let first = page * pageLines + (whole ? 0 : next() % pageLines)
                let count = whole ? linesPerPage : Int(1 + next() % (pageLines - first % pageLines))
                #expect(grouped.access(firstLine: first, count: count) == lineByLine.access(firstLine: first, count: count), "step \(step)")
            case 80..<90:  // one line
                let line = page * pageLines + next() % pageLines
                var a: UInt64?, b: UInt64?
                #expect(grouped.access(line: line, evicted: &a) == lineByLine.access(line: line, evicted: &b), "step \(step)")
                #expect(a == b, "step \(step)")
            case 90..<97:  // a non-temporal clear: a whole page, or one line
                let count = next() % 2 == 0 ? linesPerPage : 1
                let first = page * pageLines + (count == 1 ? next() % pageLines : 0)
                grouped.invalidate(firstLine: first, count: count)
                lineByLine.invalidate(firstLine: first, count: count)
                #expect(grouped.invalidationsOfPresentLines == lineByLine.invalidationsOfPresentLines, "step \(step)")
            default:  // a run over every set (taken whole when none of its lines is cached, without victims)
                let count = Int(min(lines - page * pageLines, UInt64(ways * sets) + next() % UInt64(sets)))
                #expect(grouped.fill(firstLine: page * pageLines, count: count) == lineByLine.fill(firstLine: page * pageLines, count: count), "step \(step)")
            }
            let probe = next() % lines
            #expect(grouped.contains(line: probe) == lineByLine.contains(line: probe), "step \(step)")
        }
        #expect(grouped.misses == lineByLine.misses && grouped.accesses == lineByLine.accesses)
        for line in 0..<lines {
            #expect(grouped.contains(line: line) == lineByLine.contains(line: line), "line \(line)")
            #expect(groupedVictims.remove(line) == lineByLineVictims.remove(line), "victim \(line)")
        }
        guard countsFills else { return }
        let (a, b) = (grouped.fillCounters!, lineByLine.fillCounters!)
        #expect(a.total.pointee == b.total.pointee)
        #expect((0..<sets).allSatisfy { a.perSet[$0] == b.perSet[$0] })
        #expect((0..<a.logCount).allSatisfy { a.log[$0] == b.log[$0] })
    }

    @Test(arguments: [(1, 64), (3, 8), (4, 16), (16, 8), (24, 4), (256, 2), (20, 13), (16, 12), (1, 7)])
    func matchesReferenceLRUOnRandomStreams(_ ways: Int, _ sets: Int) {
        var cache = CacheModel(geometry: CacheGeometry(sizeBytes: ways * sets * 64, ways: ways, lineBytes: 64))
        var reference = ReferenceLRU(sets: sets, ways: ways)
        var state: UInt64 = 12345
        for _ in 0..<50_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // A skewed stream: mostly a small working set, sometimes far lines.
            let line = (state >> 33) % 8 == 0 ? (state >> 20) % 100_000 : (state >> 40) % UInt64(ways * sets * 2)
            var evicted: UInt64?
            #expect(cache.access(line: line, evicted: &evicted) == reference.access(line))
            #expect(evicted == reference.lastEvicted)
        }
        #expect(cache.misses == UInt64(reference.misses))
    }
}

@Suite("Zero drivers")
struct DriverTests {
    let altix = BuiltinProfiles.altixSN2

    @Test func bteThresholds() throws {
        let bte = try #require(ZeroDrivers.registry["bte"]?(altix))
        #expect(!bte.accepts(bytes: 59_999))
        #expect(bte.accepts(bytes: 60_000))
        #expect(bte.accepts(bytes: 8 << 20))
        #expect(!bte.accepts(bytes: (8 << 20) + 1))
        #expect(bte.isEngine)
        // 8 MiB at 500 MB/s = 16.8 ms of engine time; the CPU pays only setup and completion.
        let cost = bte.cost(bytes: 8 << 20)
        #expect(abs(cost.engineNs - Double(8 << 20) / 0.5) < 1)
        #expect(cost.cpuNs == 1_500)
        #expect(!cost.fillsCache && cost.bypassesCache)
    }

    @Test func chainEndsWithTheCPUAndRejectsUnknownNames() throws {
        let chain = try ZeroDrivers.chain(["engines"], profile: altix)
        #expect(chain.map(\.name) == ["bte", "cpu"])
        #expect(throws: ProfileError.self) { try ZeroDrivers.chain(["warp-drive"], profile: altix) }
        #expect(throws: ProfileError.self) { try ZeroDrivers.chain(["bte"], profile: BuiltinProfiles.pentium3x450) }
    }

    @Test func cpuClearCostByExtent() {
        let epyc = BuiltinProfiles.epycZen5VM
        let cpu = CPUCachedDriver(profile: epyc)
        // 4 KiB at 91 B/ns ~ 45 ns; 2 MiB at 25 B/ns ~ 84 us (notes §4).
        #expect(abs(cpu.cost(bytes: 4096).cpuNs - 45.0) < 0.1)
        #expect(abs(cpu.cost(bytes: 2 << 20).cpuNs - 83_886) < 1)
        let nt = CPUNonTemporalDriver(profile: epyc)
        #expect(abs(nt.cost(bytes: 4096).cpuNs - 150.0) < 0.1)
        #expect(nt.cost(bytes: 4096).bypassesCache)
    }

    @Test func builtinProfilesAreValidAndSourced() {
        for profile in BuiltinProfiles.all {
            #expect(profile.validationErrors().isEmpty, "\(profile.name)")
            var keys = [
                "page_bytes", "line_bytes", "memory_bytes", "nodes", "cpus", "max_order", "pcp_batch", "pcp_high",
                "initially_free_fraction", "fault_base_ns", "fault_per_extra_page_ns", "line_hit_ns", "line_miss_ns",
                "line_miss_stream_ns", "free_path_ns", "clear_cached", "clear_non_temporal", "llc",
            ]
            keys += profile.engines.map { "engines.\($0.kind)" }
            if profile.l2 != nil { keys.append("l2") }
            for key in keys {
                #expect(profile.sources[key] != nil, "\(profile.name): \(key) has no source")
            }
        }
    }
}
