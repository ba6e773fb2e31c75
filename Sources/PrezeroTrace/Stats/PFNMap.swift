/// Trace pfn -> a 64-bit value (the block the model handed out for it, a live kernel page's
/// allocation time): open addressing, linear probing, backward-shift deletion.
/// A trace pfn is the identity of an allocation, not a place.
/// A key and its value share a slot, so a lookup costs one host cache miss, not two.
package struct PFNMap: Sendable {
    private struct Slot {
        var key: UInt64  // pfn + 1; 0 = empty
        var value: UInt64
    }

    private var slots: [Slot]
    private var mask: Int
    package private(set) var count = 0
    package var isEmpty: Bool { count == 0 }

    package init(capacity: Int = 1 << 10) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(key: 0, value: 0), count: size)
        mask = size - 1
    }

    /// 64 consecutive pfns share a run of slots (1 KiB), the runs spread by Fibonacci hashing:
    /// the allocator hands out neighbouring pages, so the live map is read a few host cache
    /// lines at a time rather than one a pfn. Within a run the offset is the pfn's low bits
    /// xor-ed with bits of the run's hash (a permutation of the 64), so the heads of huge pages
    /// (pfns a multiple of 512) do not all start at the same offset.
    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        let hash = (key >> 6) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: (hash >> 20) << 6 | ((key ^ (hash >> 58)) & 63)) & mask
    }

    /// Where `key` is, or the empty slot that ends its probe run (where it would go).
    @inline(__always)
    private static func find(_ key: UInt64, in slots: UnsafeBufferPointer<Slot>, mask: Int) -> (index: Int, found: Bool) {
        var i = slot(key, mask)
        while true {
            let k = slots[i].key
            if k == key { return (i, true) }
            if k == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    package func value(for pfn: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        return slots.withUnsafeBufferPointer { slots in
            let (i, found) = PFNMap.find(key, in: slots, mask: mask)
            return found ? slots[i].value : nil
        }
    }

    /// Inserts or replaces; returns the previous value.
    @discardableResult
    package mutating func set(_ pfn: UInt64, _ value: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        let mask = self.mask
        let old: UInt64? = slots.withUnsafeMutableBufferPointer { slots in
            let (i, found) = PFNMap.find(key, in: UnsafeBufferPointer(slots), mask: mask)
            let old = found ? slots[i].value : nil
            slots[i] = Slot(key: key, value: value)
            return old
        }
        if old == nil {
            count += 1
            if count * 2 > slots.count { grow() }  // at most half full: short probe runs
        }
        return old
    }

    @discardableResult
    package mutating func remove(_ pfn: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        let mask = self.mask
        let old: UInt64? = slots.withUnsafeMutableBufferPointer { slots in
            let (i, found) = PFNMap.find(key, in: UnsafeBufferPointer(slots), mask: mask)
            guard found else { return nil }
            let old = slots[i].value
            var hole = i
            var j = (i + 1) & mask
            while slots[j].key != 0 {
                let home = PFNMap.slot(slots[j].key, mask)
                if (j - hole) & mask <= (j - home) & mask {
                    slots[hole] = slots[j]
                    hole = j
                }
                j = (j + 1) & mask
            }
            slots[hole].key = 0
            return old
        }
        if old != nil { count -= 1 }
        return old
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(key: 0, value: 0), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.key != 0 {
            var i = PFNMap.slot(slot.key, mask)
            while slots[i].key != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
