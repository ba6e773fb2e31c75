import Foundation
import Testing

@testable import PrezeroModel

/// The hot-set model against hand-computed cases on a 16-set, 4-way L2 (a fill evicts a
/// random way).
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

    /// A model over `caches` (one a CPU), each counting its fills.
    func model(_ caches: [CacheModel], _ settings: [WorkingSets.Setting], pageBytes: Int = 4_096) -> WorkingSets {
        WorkingSets(settings: settings, l2: geometry, counters: caches.compactMap(\.fillCounters), pageBytes: pageBytes)
    }

    /// Expected hot lines lost, hand-computed: h (1 - (3/4)^k) a set of 4 ways after k fills.
    func lost(h: Double, k: Double) -> Double { h * (1 - pow(0.75, k)) }

    func expectRefetched(_ sets: WorkingSets, _ expected: [Double], _ comment: Comment? = nil) {
        #expect(zip(sets.refetched, expected).allSatisfy { abs($0 - $1) < 1e-9 } && sets.refetched.count == expected.count, "\(sets.refetched) != \(expected)")
    }

    /// The skip test's bounds decide as pow does: a grid of hot lines, fills a set and thresholds,
    /// with thresholds placed at the exact loss and just either side of it, on ways whose 1/A is
    /// exact (1, 4, 16) and not (3, 12, 20), at fills a set down to one fill in a 16 GiB L2.
    @Test func theLossBoundDecidesAsPowDoes() {
        let xs = [1.0 / Double(1 << 28), 1e-6, 1.0 / (1_024 * 16), 1.0 / 1_024, 0.01, 0.5, 0.999, 1, 1.001, 3, 40]
        for ways in [1, 3, 4, 12, 16, 20] {
            let sets = WorkingSets(
                settings: [.init(bytes: 2_048, reuse: .none)], l2: CacheGeometry(sizeBytes: 64 * 16 * ways, ways: ways, lineBytes: 64),
                counters: [], pageBytes: 4_096)
            var decided = 0
            for lines: Double in [1, 7, 512, 16_384, Double(1 << 28)] {
                for x in xs {
                    let loss = lines * (1 - pow(1 - 1 / Double(ways), x))
                    // 1e-3: reread's threshold at a share of 1.
                    for atLeast in [1e-3, loss, loss.nextUp, loss.nextDown, loss * 1.01, loss * 0.99] where atLeast > 0 {
                        #expect(sets.lossBoundIsBelow(lines: lines, perSet: x, atLeast) == (loss < atLeast), "ways \(ways) lines \(lines) x \(x) atLeast \(atLeast)")
                        decided += 1
                    }
                }
            }
            #expect(decided == 5 * xs.count * 6)
        }
    }

    /// A 2 KiB hot set is 2 lines in each of the 16 sets: 3 fills into set 0 and 2 into set 1
    /// evict 2 (1 - 0.75^3) + 2 (1 - 0.75^2) = 2.03 hot lines.
    @Test func fillsEvictHotLinesAtRandom() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cache], [.init(bytes: 2_048, reuse: .none)])
        sets.faulted(5, pages: 1)
        sets.running(5, cpu: 0, now: 0)
        fill(&cache, [0, 16, 32, 1, 17])
        sets.running(5, cpu: 0, now: 1e9)  // reuse none: nothing until it leaves
        expectRefetched(sets, [0])
        sets.running(6, cpu: 0, now: 2e9)  // another task takes the CPU: pid 5 reads back what it lost
        expectRefetched(sets, [lost(h: 2, k: 3) + lost(h: 2, k: 2)])
        #expect(sets.refetchedLines == [2])
        // pid 6 never faulted: no hot set, nothing to read back however much is filled.
        fill(&cache, Array(0..<64).map { 1_000 + UInt64($0) })
        sets.running(5, cpu: 0, now: 3e9)
        expectRefetched(sets, [lost(h: 2, k: 3) + lost(h: 2, k: 2)])
    }

    /// Continuous reuse re-reads every 32 lines x 6.8 ns = 217.6 ns of running; a re-read restores
    /// the set, so what the next fills evict is lost again.
    @Test func continuousReuseRereadsEachInterval() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cache], [.init(bytes: 2_048, reuse: .continuous), .init(bytes: 2_048, reuse: .none)])
        sets.faulted(5, pages: 1)
        sets.running(5, cpu: 0, now: 0)
        fill(&cache, [0, 16, 32])  // set 0: k = 3
        sets.running(5, cpu: 0, now: 100)  // 100 ns < 217.6 ns: no re-read yet
        expectRefetched(sets, [0, 0])
        sets.running(5, cpu: 0, now: 300)  // re-read
        expectRefetched(sets, [lost(h: 2, k: 3), 0])
        fill(&cache, [48, 64, 80])  // set 0 again: k = 3 in the new window
        sets.running(5, cpu: 0, now: 600)
        expectRefetched(sets, [2 * lost(h: 2, k: 3), 0])
        // Leaving at 600 + 108.8 ns: half an interval of running, half of what it lost.
        fill(&cache, [96, 112, 128, 144])  // set 0: k = 4
        sets.running(9, cpu: 0, now: 600 + 108.8)
        // none: one window of 10 fills into set 0.
        expectRefetched(sets, [2 * lost(h: 2, k: 3) + lost(h: 2, k: 4) / 2, lost(h: 2, k: 10)])
    }

    /// Idle, migration and exit: what pid 5 lost while it ran is charged when it goes idle; what
    /// a scrubber evicts on the idle CPU is charged only if it comes back there; a task that
    /// runs elsewhere, or exits, pays nothing for the set it left.
    @Test func idleMigrationAndExit() {
        var cpu0 = CacheModel(geometry: geometry, countsFills: true)
        let cpu1 = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cpu0, cpu1], [.init(bytes: 2_048, reuse: .none)])
        sets.faulted(5, pages: 1)
        sets.running(5, cpu: 0, now: 0)
        fill(&cpu0, [0, 16, 32])  // lost while running
        sets.idle(cpu: 0, now: 10)
        expectRefetched(sets, [lost(h: 2, k: 3)])
        fill(&cpu0, [1, 17, 33, 49])  // the idle CPU's scrubber, into set 1
        sets.running(5, cpu: 0, now: 20)  // back on cpu 0
        sets.running(7, cpu: 0, now: 30)  // leaves: reads what the scrubber evicted
        let charged = lost(h: 2, k: 3) + lost(h: 2, k: 4)
        expectRefetched(sets, [charged])
        sets.running(5, cpu: 0, now: 40)
        sets.idle(cpu: 0, now: 50)
        fill(&cpu0, [2, 18, 34, 50])  // evicts while it sleeps...
        sets.running(5, cpu: 1, now: 60)  // ...but it wakes on cpu 1: its cpu-0 set is left behind
        sets.running(8, cpu: 0, now: 70)
        expectRefetched(sets, [charged])
        sets.exited(5)  // exits on cpu 1: never reads again
        sets.finish(now: 80)
        expectRefetched(sets, [charged])
    }

    /// A set that grows counts what it lost with the size it had: a born task's one faulted page
    /// (1 KiB pages: 16 lines, 1 a set) loses 1 - 0.75^3 to 3 fills into set 0; its second page
    /// makes it 2 a set, and 3 more fills into set 0 then take 2 (1 - 0.75^3).
    @Test func aGrowingSetCountsEachSizeApart() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cache], [.init(bytes: 1 << 20, reuse: .none)], pageBytes: 1_024)
        sets.born(5)
        sets.faulted(5, pages: 1)
        sets.running(5, cpu: 0, now: 0)
        fill(&cache, [0, 16, 32])
        sets.faulted(5, pages: 1)
        fill(&cache, [48, 64, 80])
        sets.finish(now: 10)
        expectRefetched(sets, [lost(h: 1, k: 3) + lost(h: 2, k: 3)])
    }

    /// The re-read interval is running time: a task back from idle starts it again (the
    /// scrubber's evictions during the idle spell still count, at its next re-read), and a set
    /// that appears at the task's first fault starts it then.
    @Test func theRereadIntervalIsRunningTime() {
        var cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cache], [.init(bytes: 2_048, reuse: .continuous)])  // 217.6 ns
        sets.running(5, cpu: 0, now: 0)  // no fault yet: no hot set
        sets.faulted(5, pages: 1, now: 1_000)  // the set appears: its interval starts at 1,000
        fill(&cache, [0, 16, 32])
        sets.running(5, cpu: 0, now: 1_100)  // 100 ns of running: no re-read
        expectRefetched(sets, [0])
        sets.idle(cpu: 0, now: 1_100)  // leaves after 100 of 217.6 ns: that share of its loss
        let settled = lost(h: 2, k: 3) * 100 / 217.6
        expectRefetched(sets, [settled])
        fill(&cache, [1, 17, 33])  // the scrubber on the idle CPU, into set 1
        sets.running(5, cpu: 0, now: 10_000)  // back after a long idle: the interval restarts
        expectRefetched(sets, [settled])
        sets.running(5, cpu: 0, now: 10_300)  // 300 ns of running: re-reads what it lost
        expectRefetched(sets, [settled + lost(h: 2, k: 3)])
    }

    /// A task whose fork or exec is in the trace has no more hot data than it faulted; the hot
    /// set is at most the L2; a setting of 0 bytes gives none, even a measured one.
    @Test func hotSetBounds() {
        let cache = CacheModel(geometry: geometry, countsFills: true)
        var sets = model([cache], [.init(bytes: 1 << 20, reuse: .none), .init(bytes: 0, reuse: .none)], pageBytes: 1_024)
        sets.born(7)
        #expect(sets.hotLines(sets.tasks[7], sets.settings[0]) == 0)
        sets.faulted(7, pages: 1)
        #expect(sets.hotLines(sets.tasks[7], sets.settings[0]) == 16)
        sets.faulted(8, pages: 1, measuredBytes: 2_048)  // began before the trace: measured 32 lines
        #expect(sets.hotLines(sets.tasks[8], sets.settings[0]) == 32)
        sets.faulted(9, pages: 1)  // neither: the setting, capped at the L2's 64 lines
        #expect(sets.hotLines(sets.tasks[9], sets.settings[0]) == 64)
        #expect(sets.hotLines(sets.tasks[8], sets.settings[1]) == 0)
    }
}
