/// A physically indexed, set-associative cache with true LRU replacement, write-allocate.
///
/// Lines are identified by physical line number (address / line size); set = line % sets.
/// Each set keeps its ways in recency order (most recent first), the textbook LRU stack that
/// Dinero IV simulates, so a `din` dump of the accesses replays to the same misses.
public struct CacheModel: Sendable {
    public let geometry: CacheGeometry
    public let sets: Int
    public let ways: Int
    private let setMask: UInt64
    private var tags: [UInt64]  // line number + 1; 0 = empty; per set, MRU first

    public private(set) var accesses: UInt64 = 0
    public private(set) var misses: UInt64 = 0
    public private(set) var invalidationsOfPresentLines: UInt64 = 0

    public init(geometry: CacheGeometry) {
        self.geometry = geometry
        ways = max(1, geometry.ways)
        sets = max(1, geometry.sizeBytes / (ways * geometry.lineBytes))
        setMask = UInt64(sets - 1)
        tags = Array(repeating: 0, count: sets * ways)
    }

    /// Accesses `line` (read or write); returns true on a hit. A miss fills the line,
    /// evicting the set's least recently used line, which is returned in `evicted` (or nil).
    @inline(__always)
    public mutating func access(line: UInt64, evicted: inout UInt64?) -> Bool {
        accesses += 1
        let key = line &+ 1
        let base = Int(line & setMask) * ways
        var i = 0
        while i < ways {
            if tags[base + i] == key {
                // Move to the front.
                var k = i
                while k > 0 {
                    tags[base + k] = tags[base + k - 1]
                    k -= 1
                }
                tags[base] = key
                evicted = nil
                return true
            }
            if tags[base + i] == 0 { break }
            i += 1
        }
        misses += 1
        var k: Int
        if i < ways {
            evicted = nil  // an empty way
            k = i
        } else {
            evicted = tags[base + ways - 1] - 1
            k = ways - 1
        }
        while k > 0 {
            tags[base + k] = tags[base + k - 1]
            k -= 1
        }
        tags[base] = key
        return false
    }

    /// Removes `line` if present (a non-temporal or DMA write to it).
    public mutating func invalidate(line: UInt64) {
        let key = line &+ 1
        let base = Int(line & setMask) * ways
        for i in 0..<ways where tags[base + i] == key {
            var k = i
            while k < ways - 1 {
                tags[base + k] = tags[base + k + 1]
                k += 1
            }
            tags[base + ways - 1] = 0
            invalidationsOfPresentLines += 1
            return
        }
    }

    public func contains(line: UInt64) -> Bool {
        let key = line &+ 1
        let base = Int(line & setMask) * ways
        for i in 0..<ways where tags[base + i] == key { return true }
        return false
    }
}
