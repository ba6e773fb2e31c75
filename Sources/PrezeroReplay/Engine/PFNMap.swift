/// Trace pfn -> the block the model handed out for it (open addressing, linear probing,
/// backward-shift deletion). A trace pfn is the identity of an allocation, not a place.
struct PFNMap {
    private var keys: [UInt64]  // pfn + 1; 0 = empty
    private var values: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    func value(for pfn: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        var i = PFNMap.slot(key, mask)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Inserts or replaces; returns the previous value.
    @discardableResult
    mutating func set(_ pfn: UInt64, _ value: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        var i = PFNMap.slot(key, mask)
        while true {
            let k = keys[i]
            if k == key {
                let old = values[i]
                values[i] = value
                return old
            }
            if k == 0 { break }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
        if count * 2 > keys.count { grow() }  // at most half full: short probe runs
        return nil
    }

    mutating func remove(_ pfn: UInt64) -> UInt64? {
        let key = pfn &+ 1
        guard key != 0 else { return nil }
        var i = PFNMap.slot(key, mask)
        while true {
            let k = keys[i]
            if k == 0 { return nil }
            if k == key { break }
            i = (i + 1) & mask
        }
        let old = values[i]
        var hole = i
        var j = (i + 1) & mask
        while keys[j] != 0 {
            let home = PFNMap.slot(keys[j], mask)
            if (j - hole) & mask <= (j - home) & mask {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        keys[hole] = 0
        count -= 1
        return old
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (index, key) in oldKeys.enumerated() where key != 0 {
            var i = PFNMap.slot(key, mask)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            values[i] = oldValues[index]
        }
    }
}

/// A model block packed in 64 bits: zone (16), page within zone (32), order (8).
struct BlockRef {
    var zone: Int
    var page: Int
    var order: Int

    var packed: UInt64 { UInt64(zone) << 40 | UInt64(page) << 8 | UInt64(order) }

    init(zone: Int, page: Int, order: Int) {
        self.zone = zone
        self.page = page
        self.order = order
    }

    init(packed: UInt64) {
        zone = Int(packed >> 40)
        page = Int((packed >> 8) & 0xFFFF_FFFF)
        order = Int(packed & 0xFF)
    }
}
