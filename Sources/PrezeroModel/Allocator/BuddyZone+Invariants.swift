extension BuddyZone {
    /// Checks the zone's bookkeeping; returns every violation found (empty when consistent).
    ///
    /// - free pages conserved: list blocks + pcp + allocated + pinned + busy = zone pages;
    /// - no page both free and allocated: every page of a listed block is marked free;
    /// - no block called zero after it was dirtied: a block on a zeroed list has all zero bits,
    ///   and every allocated page's zero bit is clear;
    /// - Lameter's rule: no free block mixes zeroed and unzeroed pages.
    /// - Complexity: O(pages).
    package func invariantViolations(pcpPages: Int) -> [String] {
        var problems: [String] = []
        func note(_ text: String) { if problems.count < 20 { problems.append("node \(node): \(text)") } }
        var listed = 0
        var zeroListed = 0
        var seenHead = [Bool](repeating: false, count: pageCount)
        for order in 0...maxOrder {
            for clean in [false, true] {
                var p = Int(listHeads[order * 2 + (clean ? 1 : 0)])
                var count = 0
                var previous = -1
                while p >= 0 {
                    count += 1
                    if count > pageCount {
                        note("free list order \(order) loops")
                        break
                    }
                    if seenHead[p] { note("block \(p) on two lists") }
                    seenHead[p] = true
                    let record = table.peek(p)
                    if Int(record.prev) != previous { note("block \(p): broken back link") }
                    if Int(record.headOrder) != order { note("block \(p) on order-\(order) list has order \(record.headOrder)") }
                    if record.state != PageState.freeHead.rawValue { note("listed block \(p) not marked free") }
                    if p & ((1 << order) - 1) != 0 { note("block \(p) misaligned for order \(order)") }
                    let size = 1 << order
                    // Pristine tails are free tails by construction (`PageTable.pristine`).
                    if !table.isPristine(p + 1, count: size - 1) {
                        for q in (p + 1)..<(p + size) where table.peek(q).state != PageState.freeTail.rawValue {
                            note("page \(q) inside free block \(p) is not marked free")
                            break
                        }
                    }
                    let dirty = dirtyPages(p, count: size)
                    if dirty != Int(record.dirtyCount) { note("block \(p): dirty count \(record.dirtyCount) but \(dirty) dirty pages") }
                    if clean && dirty != 0 { note("block \(p) on a zeroed list has \(dirty) dirty pages") }
                    if mergeRule == .lameter && dirty != 0 && dirty != size {
                        note("block \(p) mixes zeroed and unzeroed pages under Lameter's rule")
                    }
                    listed += size
                    if clean { zeroListed += size }
                    previous = p
                    p = Int(record.next)
                }
                if count != blocksOnList[order * 2 + (clean ? 1 : 0)] { note("order \(order) list count mismatch") }
            }
        }
        if listed != freePages { note("free pages \(freePages) but \(listed) on lists") }
        if zeroListed != zeroedFreePages { note("zeroed free pages \(zeroedFreePages) but \(zeroListed) on zeroed lists") }
        var onPCP = 0
        var allocated = 0
        var pinned = 0
        var busy = 0
        var free = 0
        for chunk in 0..<table.chunkCount {
            // A chunk nobody reached holds its pristine free and pinned pages: counted, not read.
            let pages = chunk << PageTable.chunkShift..<min(pageCount, (chunk + 1) << PageTable.chunkShift)
            if let pristineFree = table.pristineFreePages(chunk: chunk) {
                free += pristineFree
                pinned += pages.count - pristineFree
                continue
            }
            for p in pages {
                switch table.record(p).pointee.state {
                case PageState.onPCP.rawValue: onPCP += 1
                case PageState.allocated.rawValue:
                    allocated += 1
                    if isZero(p) { note("allocated page \(p) still called zero") }
                case PageState.pinned.rawValue: pinned += 1
                case PageState.busy.rawValue: busy += 1
                default: free += 1
                }
            }
        }
        if onPCP != pcpPages { note("\(onPCP) pages marked on pcp lists but the lists hold \(pcpPages)") }
        if free != listed { note("\(free) pages marked free, \(listed) on lists") }
        if free + onPCP + allocated + pinned + busy != pageCount { note("pages not conserved") }
        if pinned != pinnedPages { note("pinned pages \(pinnedPages) but \(pinned) marked") }
        return problems
    }
}
