/// A set of page frame numbers: open addressing with linear probing and backward-shift
/// deletion, at most half full, so lookups stay fast and memory stays at 16-32 bytes per live pfn.
///
/// `Set<UInt64>` hashes with SipHash; this is the hot structure of `stat`. Not `PFNMap` with an
/// unused value: its 16-byte slots made `stat` of the bench perf.data 0.125 -> 0.136 s
/// (`tools/bench-ab.sh`, medians of 11 in turn).
public struct PFNSet: Sendable {
    private var keys: [UInt64]  // stored as pfn + 1; 0 marks an empty slot
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        // Fibonacci hashing spreads consecutive pfns.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    public func contains(_ pfn: UInt64) -> Bool {
        let key = pfn &+ 1
        guard key != 0 else { return false }
        var i = PFNSet.slot(key, mask)
        while true {
            let k = keys[i]
            if k == key { return true }
            if k == 0 { return false }
            i = (i + 1) & mask
        }
    }

    /// Inserts `pfn`; returns false when it was already present.
    @discardableResult
    public mutating func insert(_ pfn: UInt64) -> Bool {
        let key = pfn &+ 1
        guard key != 0 else { return false }  // UInt64.max cannot be stored; never a real pfn
        let mask = self.mask
        // One uniqueness check an operation, not one a probe.
        let inserted = keys.withUnsafeMutableBufferPointer { keys -> Bool in
            var i = PFNSet.slot(key, mask)
            while true {
                let k = keys[i]
                if k == key { return false }
                if k == 0 { break }
                i = (i + 1) & mask
            }
            keys[i] = key
            return true
        }
        guard inserted else { return false }
        count += 1
        if count * 2 > keys.count { grow() }  // at most half full: short probe runs
        return true
    }

    /// Removes `pfn`; returns false when it was absent.
    @discardableResult
    public mutating func remove(_ pfn: UInt64) -> Bool {
        let key = pfn &+ 1
        guard key != 0 else { return false }
        let mask = self.mask
        let removed = keys.withUnsafeMutableBufferPointer { keys -> Bool in
            var i = PFNSet.slot(key, mask)
            while true {
                let k = keys[i]
                if k == 0 { return false }
                if k == key { break }
                i = (i + 1) & mask
            }
            // Backward-shift deletion: move later members of the probe run into the hole.
            var hole = i
            var j = (i + 1) & mask
            while keys[j] != 0 {
                let home = PFNSet.slot(keys[j], mask)
                // Move keys[j] if its home is not cyclically in (hole, j].
                if (j - hole) & mask <= (j - home) & mask {
                    keys[hole] = keys[j]
                    hole = j
                }
                j = (j + 1) & mask
            }
            keys[hole] = 0
            return true
        }
        if removed { count -= 1 }
        return removed
    }

    private mutating func grow() {
        let old = keys
        keys = Array(repeating: 0, count: old.count * 2)
        mask = keys.count - 1
        for key in old where key != 0 {
            var i = PFNSet.slot(key, mask)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
        }
    }
}
