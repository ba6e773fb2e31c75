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
/// bit per page, and per-page bookkeeping in one flat table (no allocation per block) that costs
/// host memory only where the replay reaches (`PageTable`).
///
/// Mirrors mm/page_alloc.c's `__free_one_page` (coalescing) and `expand` (splitting, lower half
/// returned), with Lameter's or Xen's merge rule for the zero state.
package struct BuddyZone: Sendable {
    package enum PageState: UInt8, Sendable {
        // 0 is not a state: the record of a page in a chunk `PageTable` has not yet written.
        case pinned = 6  // in use before the trace began (or not yet released)
        case freeHead = 1  // first page of a free block on a buddy list
        case freeTail = 2  // other pages of a free block
        case onPCP = 3  // on a per-CPU list
        case busy = 4  // off the lists while an engine zeroes it
        case allocated = 5  // handed out by the model
    }

    package let node: Int
    package let basePfn: Int
    package let pageCount: Int
    package let maxOrder: Int
    package let mergeRule: MergeRule

    /// Page records and zero bits, in memory that grows with the pages the model reaches.
    private(set) var table: PageTable
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
        table = PageTable(pageCount: pageCount)
        listHeads = Array(repeating: -1, count: (maxOrder + 1) * 2)
        blocksOnList = Array(repeating: 0, count: (maxOrder + 1) * 2)
        pinnedPages = pageCount
    }

    /// Gives this zone its own page table before a change when a copy shares it.
    @inline(__always) private mutating func ownTable() {
        if !isKnownUniquelyReferenced(&table) { table = table.copy() }
    }

    @inline(__always) private func page(_ p: Int) -> UnsafeMutablePointer<PageRecord> { table.record(p) }

    // MARK: Zero bits

    @inline(__always) package func isZero(_ p: Int) -> Bool {
        precondition(UInt(bitPattern: p) < UInt(pageCount), "page \(p) outside a zone of \(pageCount) pages")
        return table.zeroBits[p >> 6] >> UInt64(p & 63) & 1 == 1
    }

    /// Calls `body` with each word of the zero bits that pages `[p, p + count)` touch and the
    /// mask of their bits in it.
    @inline(__always)
    private func forEachZeroWord(_ p: Int, count: Int, _ body: (UnsafeMutablePointer<UInt64>, UInt64) -> Void) {
        precondition(p >= 0 && count >= 0 && p + count <= pageCount, "pages \(p)+\(count) outside a zone of \(pageCount) pages")
        var i = p
        let end = p + count
        while i < end {
            let bit = i & 63
            let n = min(64 - bit, end - i)
            body(table.zeroBits + (i >> 6), n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit))
            i += n
        }
    }

    /// Sets or clears the zero bit of pages `[p, p + count)`.
    package mutating func setZero(_ p: Int, count: Int, _ zero: Bool) {
        ownTable()
        forEachZeroWord(p, count: count) { word, mask in
            if zero { word.pointee |= mask } else { word.pointee &= ~mask }
        }
    }

    /// Pages in `[p, p + count)` whose zero bit is clear.
    package func dirtyPages(_ p: Int, count: Int) -> Int {
        var zero = 0
        forEachZeroWord(p, count: count) { word, mask in zero += (word.pointee & mask).nonzeroBitCount }
        return count - zero
    }

    // MARK: Lists

    @inline(__always) private func listIndex(order: Int, clean: Bool) -> Int { order * 2 + (clean ? 1 : 0) }

    private mutating func link(_ p: Int, order: Int, dirty: Int) {
        let size = 1 << order
        let clean = dirty == 0
        let index = listIndex(order: order, clean: clean)
        let head = listHeads[index]
        let block = page(p)
        block.pointee.next = head
        block.pointee.prev = -1
        if head >= 0 { page(Int(head)).pointee.prev = Int32(p) }
        listHeads[index] = Int32(p)
        blocksOnList[index] += 1
        block.pointee.state = PageState.freeHead.rawValue
        block.pointee.headOrder = Int8(order)
        block.pointee.dirtyCount = UInt16(dirty)
        if size > 1 { setState(p + 1, count: size - 1, .freeTail) }
        freePages += size
        if clean { zeroedFreePages += size }
    }

    private mutating func unlink(_ p: Int) {
        let block = page(p)
        let order = Int(block.pointee.headOrder)
        let size = 1 << order
        let clean = block.pointee.dirtyCount == 0
        let index = listIndex(order: order, clean: clean)
        let n = block.pointee.next
        let pr = block.pointee.prev
        if pr >= 0 { page(Int(pr)).pointee.next = n } else { listHeads[index] = n }
        if n >= 0 { page(Int(n)).pointee.prev = pr }
        blocksOnList[index] -= 1
        block.pointee.headOrder = -1
        block.pointee.state = PageState.pinned.rawValue
        freePages -= size
        if clean { zeroedFreePages -= size }
    }

    private mutating func setState(_ p: Int, count: Int, _ state: PageState) {
        for q in p..<(p + count) { page(q).pointee.state = state.rawValue }
    }

    package func state(_ p: Int) -> PageState? { PageState(rawValue: page(p).pointee.state) }

    /// Overwrites one page's state: for the invariant checker's tests, which corrupt a zone.
    package mutating func overrideState(_ p: Int, _ state: PageState) {
        ownTable()
        page(p).pointee.state = state.rawValue
    }

    // MARK: Free and coalesce

    /// Puts the block `[p, p + 2^order)` on the free lists, merging with free buddies as the
    /// merge rule allows. The pages' zero bits must already be set.
    ///
    /// - Returns: the head and order of the block finally inserted.
    @discardableResult
    package mutating func insertAndCoalesce(_ p: Int, order: Int) -> (head: Int, order: Int) {
        ownTable()
        var head = p
        var order = order
        var dirty = dirtyPages(p, count: 1 << order)
        while order < maxOrder {
            let buddy = head ^ (1 << order)
            guard buddy + (1 << order) <= pageCount else { break }
            let record = page(buddy).pointee
            guard record.state == PageState.freeHead.rawValue, Int(record.headOrder) == order else { break }
            let buddyDirty = Int(record.dirtyCount)
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
    /// aligned orders, with the given zero state. At start nothing is written per page: the
    /// blocks are recorded as runs and each page takes its value at first use (`PageTable`).
    package mutating func release(_ start: Int, count: Int, zeroed: Bool) {
        precondition(start >= 0 && count >= 0 && start + count <= pageCount, "release of pages \(start)+\(count) outside a zone of \(pageCount)")
        ownTable()
        let deferred = table.canDefer(releaseFrom: start)
        var p = start
        let end = start + count
        while p < end {
            var order = maxOrder
            while order > 0 && (p & ((1 << order) - 1) != 0 || p + (1 << order) > end) { order -= 1 }
            let size = 1 << order
            if deferred {
                // A page table nobody has written holds no zero bits: set only those asked for.
                if zeroed { setZero(p, count: size, true) }
                let index = listIndex(order: order, clean: zeroed)
                table.deferLink(p, order: order, clean: zeroed, previousHead: Int(listHeads[index]))
                listHeads[index] = Int32(p)
                blocksOnList[index] += 1
                freePages += size
                if zeroed { zeroedFreePages += size }
            } else {
                setZero(p, count: size, zeroed)
                link(p, order: order, dirty: zeroed ? 0 : size)
            }
            pinnedPages -= size
            p += size
        }
    }

    /// Takes a pinned block out of the pinned memory and frees it (a free of a page the capture
    /// never saw allocated). Returns false when no pinned memory is left.
    package mutating func adoptPinned(order: Int, nearIndex hint: inout Int) -> Int? {
        let size = 1 << order
        guard pinnedPages >= size else { return nil }
        ownTable()
        var scanned = 0
        var p = (hint / size) * size
        while scanned < pageCount {
            if p + size > pageCount { p = 0 }
            var allPinned = true
            for q in p..<(p + size) where page(q).pointee.state != PageState.pinned.rawValue {
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
        ownTable()
        switch preference {
        case .zeroedFirst: return allocate(order: order, clean: true) ?? allocate(order: order, clean: false)
        case .dirtyFirst: return allocate(order: order, clean: false) ?? allocate(order: order, clean: true)
        case .zeroedOnly: return allocate(order: order, clean: true)
        case .dirtyOnly: return allocate(order: order, clean: false)
        }
    }

    private mutating func allocate(order: Int, clean: Bool) -> (page: Int, dirty: Int)? {
        guard order <= maxOrder else { return nil }
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
        ownTable()
        let order = Int(page(p).pointee.headOrder)
        unlink(p)
        setState(p, count: 1 << order, .busy)
        return order
    }

    /// Splits a free block in two halves on their lists (no coalescing); returns the new order.
    package mutating func splitFree(_ p: Int) -> Int {
        ownTable()
        let order = Int(page(p).pointee.headOrder)
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
        setState(p, count: 1 << order, .pinned)
        return insertAndCoalesce(p, order: order)
    }

    /// Marks an allocated block's pages as in use and dirty (its user writes to it).
    package mutating func markAllocated(_ p: Int, order: Int) {
        setZero(p, count: 1 << order, false)
        setState(p, count: 1 << order, .allocated)
    }

    package func isAllocated(_ p: Int) -> Bool { page(p).pointee.state == PageState.allocated.rawValue }

    // MARK: Per-CPU lists

    package mutating func moveToPCP(_ p: Int, pages: Int = 1) {
        ownTable()
        if pages == 1 { page(p).pointee.state = PageState.onPCP.rawValue } else { setState(p, count: pages, .onPCP) }
    }

    package mutating func takeFromPCP(_ p: Int, pages: Int = 1) {
        ownTable()
        if pages == 1 { page(p).pointee.state = PageState.allocated.rawValue } else { setState(p, count: pages, .allocated) }
    }
}
