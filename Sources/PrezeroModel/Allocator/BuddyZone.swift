/// How buddies merge when both are free.
package enum MergeRule: String, Codable, Sendable, CaseIterable {
    /// Lameter's prezeroing patches: merge only blocks with the same zero state; zeroed and
    /// unzeroed blocks live on separate lists (Pine.LNX.4.58.0501101554110...).
    case lameter
    /// Xen's heap: merge anyway; a block remembers its dirty pages (`first_dirty`) and whoever
    /// allocates it scrubs them (xen/common/page_alloc.c).
    case xen
}

/// Which free lists an allocation searches, in order.
package enum ListPreference: Sendable {
    case zeroedFirst
    case dirtyFirst
    case zeroedOnly
    case dirtyOnly
}

/// One zone: buddy free lists at every order, two lists per order (zeroed, not zeroed), a zero
/// bit per page, and per-page bookkeeping in flat arrays (no allocation per block).
///
/// Mirrors mm/page_alloc.c's `__free_one_page` (coalescing) and `expand` (splitting, lower half
/// returned), with Lameter's or Xen's merge rule for the zero state.
package struct BuddyZone: Sendable {
    package enum PageState: UInt8, Sendable {
        case pinned = 0  // in use before the trace began (or not yet released)
        case freeHead = 1  // first page of a free block on a buddy list
        case freeTail = 2  // other pages of a free block
        case onPCP = 3  // on a per-CPU order-0 list
        case busy = 4  // off the lists while an engine zeroes it
        case allocated = 5  // handed out by the model
    }

    package let node: Int
    package let basePfn: Int
    package let pageCount: Int
    package let maxOrder: Int
    package let mergeRule: MergeRule

    var state: [UInt8]
    var headOrder: [Int8]
    var next: [Int32]
    var prev: [Int32]
    /// At free-block heads: pages of the block whose content is not zero.
    var dirtyCount: [UInt16]
    /// One bit per page: 1 = content known to be zero.
    var zeroBits: [UInt64]
    /// List heads, index `order * 2 + (clean ? 1 : 0)`; -1 empty. Indices are zone-relative.
    var listHeads: [Int32]
    package private(set) var blocksOnList: [Int]

    package private(set) var freePages = 0
    /// Pages in free blocks on the zeroed lists.
    package private(set) var zeroedFreePages = 0
    package private(set) var pinnedPages = 0

    package init(node: Int, basePfn: Int, pageCount: Int, maxOrder: Int, mergeRule: MergeRule) {
        self.node = node
        self.basePfn = basePfn
        self.pageCount = pageCount
        self.maxOrder = maxOrder
        self.mergeRule = mergeRule
        state = Array(repeating: PageState.pinned.rawValue, count: pageCount)
        headOrder = Array(repeating: -1, count: pageCount)
        next = Array(repeating: -1, count: pageCount)
        prev = Array(repeating: -1, count: pageCount)
        dirtyCount = Array(repeating: 0, count: pageCount)
        zeroBits = Array(repeating: 0, count: (pageCount + 63) / 64)
        listHeads = Array(repeating: -1, count: (maxOrder + 1) * 2)
        blocksOnList = Array(repeating: 0, count: (maxOrder + 1) * 2)
        pinnedPages = pageCount
    }

    // MARK: Zero bits

    @inline(__always) package func isZero(_ p: Int) -> Bool { zeroBits[p >> 6] >> UInt64(p & 63) & 1 == 1 }

    /// Calls `body` with each word of `zeroBits` that pages `[p, p + count)` touch and the mask
    /// of their bits in it.
    @inline(__always)
    private static func forEachZeroWord(_ p: Int, count: Int, _ body: (Int, UInt64) -> Void) {
        var i = p
        let end = p + count
        while i < end {
            let bit = i & 63
            let n = min(64 - bit, end - i)
            body(i >> 6, n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit))
            i += n
        }
    }

    /// Sets or clears the zero bit of pages `[p, p + count)`.
    package mutating func setZero(_ p: Int, count: Int, _ zero: Bool) {
        Self.forEachZeroWord(p, count: count) { word, mask in
            if zero { zeroBits[word] |= mask } else { zeroBits[word] &= ~mask }
        }
    }

    /// Pages in `[p, p + count)` whose zero bit is clear.
    package func dirtyPages(_ p: Int, count: Int) -> Int {
        var zero = 0
        Self.forEachZeroWord(p, count: count) { word, mask in zero += (zeroBits[word] & mask).nonzeroBitCount }
        return count - zero
    }

    // MARK: Lists

    @inline(__always) private func listIndex(order: Int, clean: Bool) -> Int { order * 2 + (clean ? 1 : 0) }

    private mutating func link(_ p: Int, order: Int, dirty: Int) {
        let size = 1 << order
        let clean = dirty == 0
        let index = listIndex(order: order, clean: clean)
        let head = listHeads[index]
        next[p] = head
        prev[p] = -1
        if head >= 0 { prev[Int(head)] = Int32(p) }
        listHeads[index] = Int32(p)
        blocksOnList[index] += 1
        state[p] = PageState.freeHead.rawValue
        headOrder[p] = Int8(order)
        dirtyCount[p] = UInt16(dirty)
        if size > 1 {
            for q in (p + 1)..<(p + size) { state[q] = PageState.freeTail.rawValue }
        }
        freePages += size
        if clean { zeroedFreePages += size }
    }

    private mutating func unlink(_ p: Int) {
        let order = Int(headOrder[p])
        let size = 1 << order
        let clean = dirtyCount[p] == 0
        let index = listIndex(order: order, clean: clean)
        let n = next[p]
        let pr = prev[p]
        if pr >= 0 { next[Int(pr)] = n } else { listHeads[index] = n }
        if n >= 0 { prev[Int(n)] = pr }
        blocksOnList[index] -= 1
        headOrder[p] = -1
        state[p] = PageState.pinned.rawValue
        freePages -= size
        if clean { zeroedFreePages -= size }
    }

    // MARK: Free and coalesce

    /// Puts the block `[p, p + 2^order)` on the free lists, merging with free buddies as the
    /// merge rule allows. The pages' zero bits must already be set.
    ///
    /// - Returns: the head and order of the block finally inserted.
    @discardableResult
    package mutating func insertAndCoalesce(_ p: Int, order: Int) -> (head: Int, order: Int) {
        var head = p
        var order = order
        var dirty = dirtyPages(p, count: 1 << order)
        while order < maxOrder {
            let buddy = head ^ (1 << order)
            guard buddy + (1 << order) <= pageCount, state[buddy] == PageState.freeHead.rawValue,
                Int(headOrder[buddy]) == order
            else { break }
            let buddyDirty = Int(dirtyCount[buddy])
            if mergeRule == .lameter && (buddyDirty == 0) != (dirty == 0) { break }
            unlink(buddy)
            head = min(head, buddy)
            dirty += buddyDirty
            order += 1
        }
        link(head, order: order, dirty: dirty)
        return (head, order)
    }

    /// Frees an allocated block: its pages become dirty unless `zeroed` (init-on-free).
    @discardableResult
    package mutating func free(_ p: Int, order: Int, zeroed: Bool) -> (head: Int, order: Int) {
        let size = 1 << order
        setZero(p, count: size, zeroed)
        return insertAndCoalesce(p, order: order)
    }

    /// Adds never-used memory (at start): pinned pages become free blocks of the largest
    /// aligned orders, with the given zero state.
    package mutating func release(_ start: Int, count: Int, zeroed: Bool) {
        var p = start
        let end = start + count
        while p < end {
            var order = maxOrder
            while order > 0 && (p & ((1 << order) - 1) != 0 || p + (1 << order) > end) { order -= 1 }
            setZero(p, count: 1 << order, zeroed)
            link(p, order: order, dirty: zeroed ? 0 : 1 << order)
            pinnedPages -= 1 << order
            p += 1 << order
        }
    }

    /// Takes a pinned block out of the pinned memory and frees it (a free of a page the capture
    /// never saw allocated). Returns false when no pinned memory is left.
    package mutating func adoptPinned(order: Int, nearIndex hint: inout Int) -> Int? {
        let size = 1 << order
        guard pinnedPages >= size else { return nil }
        var scanned = 0
        var p = (hint / size) * size
        while scanned < pageCount {
            if p + size > pageCount { p = 0 }
            var allPinned = true
            for q in p..<(p + size) where state[q] != PageState.pinned.rawValue {
                allPinned = false
                break
            }
            if allPinned {
                hint = p + size
                pinnedPages -= size
                return p
            }
            p += size
            scanned += size
        }
        return nil
    }

    // MARK: Allocate and split

    /// Removes a free block of exactly `order` from the lists, splitting a larger one.
    ///
    /// - Returns: the block and how many of its pages are not zero, or nil when no list in
    ///   `preference` has a block of at least `order`.
    package mutating func allocate(order: Int, preference: ListPreference) -> (page: Int, dirty: Int)? {
        let lists: [Bool]
        switch preference {
        case .zeroedFirst: lists = [true, false]
        case .dirtyFirst: lists = [false, true]
        case .zeroedOnly: lists = [true]
        case .dirtyOnly: lists = [false]
        }
        for clean in lists {
            for o in order...maxOrder {
                let head = listHeads[listIndex(order: o, clean: clean)]
                guard head >= 0 else { continue }
                let p = Int(head)
                unlink(p)
                // Split: return the lower half, free the upper halves (mm/page_alloc.c expand()).
                var current = o
                while current > order {
                    current -= 1
                    let upper = p + (1 << current)
                    link(upper, order: current, dirty: dirtyPages(upper, count: 1 << current))
                }
                return (p, dirtyPages(p, count: 1 << order))
            }
        }
        return nil
    }

    /// The largest-order block on the not-zeroed lists at or above `minOrder` (kscrubd v4 order),
    /// or the smallest order from `minOrder` upward when `lowestFirst` (kscrubd v8).
    package func dirtyBlock(minOrder: Int, lowestFirst: Bool) -> (page: Int, order: Int)? {
        guard minOrder <= maxOrder else { return nil }
        for i in 0...(maxOrder - minOrder) {
            let o = lowestFirst ? minOrder + i : maxOrder - i
            let head = listHeads[listIndex(order: o, clean: false)]
            if head >= 0 { return (Int(head), o) }
        }
        return nil
    }

    /// Free pages on the not-zeroed lists at `order`.
    package func blocks(order: Int, clean: Bool) -> Int { blocksOnList[listIndex(order: order, clean: clean)] }

    /// Takes a free block off its list so it can be zeroed (kscrubd holds it meanwhile).
    package mutating func takeForZeroing(_ p: Int) -> Int {
        let order = Int(headOrder[p])
        unlink(p)
        for q in p..<(p + (1 << order)) { state[q] = PageState.busy.rawValue }
        return order
    }

    /// Splits a free block in two halves on their lists (no coalescing); returns the new order.
    package mutating func splitFree(_ p: Int) -> Int {
        let order = Int(headOrder[p])
        guard order > 0 else { return 0 }
        unlink(p)
        let half = order - 1
        let upper = p + (1 << half)
        link(upper, order: half, dirty: dirtyPages(upper, count: 1 << half))
        link(p, order: half, dirty: dirtyPages(p, count: 1 << half))
        return half
    }

    /// Returns a block taken with `takeForZeroing`, now zero.
    @discardableResult
    package mutating func returnZeroed(_ p: Int, order: Int) -> (head: Int, order: Int) {
        setZero(p, count: 1 << order, true)
        for q in p..<(p + (1 << order)) { state[q] = PageState.pinned.rawValue }
        return insertAndCoalesce(p, order: order)
    }

    /// Marks an allocated block's pages as in use and dirty (its user writes to it).
    package mutating func markAllocated(_ p: Int, order: Int) {
        setZero(p, count: 1 << order, false)
        for q in p..<(p + (1 << order)) { state[q] = PageState.allocated.rawValue }
    }

    package func isAllocated(_ p: Int) -> Bool { state[p] == PageState.allocated.rawValue }

    // MARK: Per-CPU lists

    package mutating func moveToPCP(_ p: Int) { state[p] = PageState.onPCP.rawValue }
    package mutating func takeFromPCP(_ p: Int) { state[p] = PageState.allocated.rawValue }
}
