import Testing

@testable import PrezeroModel

/// The hot-set model against hand-computed LRU cases on a 16-set, 4-way L2.
@Suite("Working sets in the L2")
struct WorkingSetsTests {
    let geometry = CacheGeometry(sizeBytes: 4_096, ways: 4, lineBytes: 64)  // 16 sets

    /// Fills `lines` into the cache, each a miss.
    func fill(_ cache: inout CacheModel, _ lines: [UInt64]) {
        for line in lines {
            var evicted: UInt64?
            _ = cache.access(line: line, evicted: &evicted)
        }
    }

    func run(_ sets: inout WorkingSets, _ pid: Int32, _ cache: CacheModel, at now: Double) {
        sets.running(pid, cpu: 0, now: now, fills: cache.fillsPerSet!, total: cache.misses)
    }

    /// A 2 KiB hot set is 2 lines in each of the 16 sets, leaving 2 cold ways: 3 fills into set 0
    /// evict 3 - 2 = 1 hot line; 2 fills into set 1 evict none.
    @Test func fillsBeyondTheColdWaysEvictHotLines() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = WorkingSets(settings: [.init(bytes: 2_048, reuse: .none)], l2: geometry, cpus: 1, pageBytes: 4_096)
        sets.faulted(5, pages: 1)
        run(&sets, 5, cache, at: 0)
        fill(&cache, [0, 16, 32, 1, 17])
        run(&sets, 5, cache, at: 1e9)  // reuse none: nothing until it leaves
        #expect(sets.refetchedLines == [0])
        run(&sets, 6, cache, at: 2e9)  // another task takes the CPU: pid 5 reads back what it lost
        #expect(sets.refetchedLines == [1])
        // pid 6 never faulted: no hot set, nothing to read back however much is filled.
        fill(&cache, Array(0..<64).map { 1_000 + UInt64($0) })
        run(&sets, 5, cache, at: 3e9)
        #expect(sets.refetchedLines == [1])
    }

    /// Continuous reuse re-reads every 32 lines x 6.8 ns = 217.6 ns of running; a re-read resets
    /// the count, so fills split across two windows evict less than the same fills in one.
    @Test func continuousReuseRereadsEachInterval() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = WorkingSets(settings: [.init(bytes: 2_048, reuse: .continuous), .init(bytes: 2_048, reuse: .none)], l2: geometry, cpus: 1, pageBytes: 4_096)
        sets.faulted(5, pages: 1)
        run(&sets, 5, cache, at: 0)
        fill(&cache, [0, 16, 32])  // set 0: k = 3
        run(&sets, 5, cache, at: 100)  // 100 ns < 217.6 ns: no re-read yet
        #expect(sets.refetchedLines == [0, 0])
        run(&sets, 5, cache, at: 300)  // re-read: 1 evicted
        #expect(sets.refetchedLines == [1, 0])
        fill(&cache, [48, 64, 80])  // set 0 again: k = 3 in the new window
        run(&sets, 5, cache, at: 600)
        #expect(sets.refetchedLines == [2, 0])
        // Leaving at 600 + 108.8 ns: half an interval of running, half of what it lost.
        fill(&cache, [96, 112, 128, 144])  // set 0: k = 4 evicts both hot lines
        run(&sets, 9, cache, at: 600 + 108.8)
        // none: one window of 10 fills into set 0 evicts both hot lines of it.
        #expect(sets.refetchedLines == [3, 2])
    }

    /// A task whose fork or exec is in the trace has no more hot data than it faulted; the hot
    /// set is at most the L2.
    @Test func hotSetBounds() {
        var sets = WorkingSets(settings: [.init(bytes: 1 << 20, reuse: .none)], l2: geometry, cpus: 1, pageBytes: 1_024)
        sets.born(7)
        #expect(sets.hotLines(7, sets.settings[0]) == 0)
        sets.faulted(7, pages: 1)
        #expect(sets.hotLines(7, sets.settings[0]) == 16)
        sets.faulted(8, pages: 1)  // began before the trace: the setting, capped at the L2's 64 lines
        #expect(sets.hotLines(8, sets.settings[0]) == 64)
    }
}
