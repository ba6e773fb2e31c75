import Testing

@testable import PrezeroTrace

@Suite("PFN map")
struct PFNMapTests {
    /// Seeded random inserts, replacements and removals (clustered pfns, as real traces have,
    /// enough to grow the table and wrap probe runs) against a Dictionary.
    @Test func matchesADictionary() {
        var map = PFNMap(capacity: 8)
        var reference: [UInt64: UInt64] = [:]
        var state: UInt64 = 7
        for step in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let pfn = 0x158000 + (state >> 40) % 5_000
            let value = UInt64(step)
            switch (state >> 20) % 3 {
            case 0, 1:
                #expect(map.set(pfn, value) == reference.updateValue(value, forKey: pfn))
            default:
                #expect(map.remove(pfn) == reference.removeValue(forKey: pfn))
            }
            if step % 1_000 == 0 {
                #expect(map.count == reference.count)
                for pfn in UInt64(0x158000)..<0x158000 + 5_000 { #expect(map.value(for: pfn) == reference[pfn]) }
            }
        }
        #expect(map.value(for: UInt64.max) == nil)
    }

    /// Pfns far apart (a home run each, runs sharing slots) and dense blocks of neighbours mixed.
    @Test func matchesADictionaryOnSparseAndDensePfns() {
        var map = PFNMap(capacity: 8)
        var reference: [UInt64: UInt64] = [:]
        var state: UInt64 = 99
        var keys: [UInt64] = []
        for step in 0..<100_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let pfn = keys.isEmpty || (state >> 60) < 6 ? (state >> 16) % 3_000_000 : keys[Int((state >> 30) % UInt64(keys.count))] &+ (state >> 50) % 3
            keys.append(pfn)
            if (state >> 20) % 5 < 3 {
                #expect(map.set(pfn, UInt64(step)) == reference.updateValue(UInt64(step), forKey: pfn))
            } else {
                #expect(map.remove(pfn) == reference.removeValue(forKey: pfn))
            }
        }
        #expect(map.count == reference.count)
        for pfn in keys { #expect(map.value(for: pfn) == reference[pfn]) }
        for pfn in keys { #expect(map.value(for: pfn &+ 1_000_000_000) == nil) }
    }
}

@Suite("PFN set")
struct PFNSetTests {
    /// The same seeded mix of inserts and removals (growing the table, wrapping probe runs)
    /// against a Set: every answer, the count, and membership of every pfn in the range.
    @Test func matchesASet() {
        var set = PFNSet(capacity: 8)
        var reference: Set<UInt64> = []
        var state: UInt64 = 11
        for step in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let pfn = 0x158000 + (state >> 40) % 5_000
            if (state >> 20) % 3 != 2 {
                #expect(set.insert(pfn) == reference.insert(pfn).inserted)
            } else {
                #expect(set.remove(pfn) == (reference.remove(pfn) != nil))
            }
            if step % 5_000 == 0 {
                #expect(set.count == reference.count)
                for pfn in UInt64(0x158000)..<0x158000 + 5_000 { #expect(set.contains(pfn) == reference.contains(pfn)) }
            }
        }
        #expect(!set.insert(UInt64.max) && !set.contains(UInt64.max))
    }
}
