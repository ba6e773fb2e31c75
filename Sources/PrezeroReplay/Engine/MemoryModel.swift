import PrezeroModel

/// The modelled machine's memory: one buddy zone per node and per-CPU lists: order 0, and since
/// 5.13-5.19 orders 1-3 and the THP order (`pcp_allowed_order`), one list each.
package struct MemoryModel: MemoryView {
    package let profile: MachineProfile
    var zones: [BuddyZone]
    /// Per-CPU lists, [slot][list] with list `cpu * zoneCount + zone`, slot `slotOfOrder[order]`:
    /// block heads (zone-relative), hot on top.
    var lists: [[[Int32]]]
    /// Per-CPU lists of zeroed order-0 pages (Lameter's V4 `pcp[2]`), same index; only for a
    /// policy that keeps them.
    var pcpZeroed: [[Int32]]
    var pcpPages = [Int](repeating: 0, count: 0)
    /// The orders a per-CPU list holds, by slot: 0-3 and the PMD order (`pcp_allowed_order`).
    let listOrders: [Int]
    /// Each order's slot in `lists`, -1 where the lists hold none.
    private let slotOfOrder: [Int]
    /// Pages on each CPU's lists of every order (the zeroed list aside): what `high` bounds.
    private var listPages: [Int] = []
    /// Pages moved by per-CPU list refills (`rmqueue_bulk`) and drains, since the start.
    package private(set) var pcpRefilledPages: UInt64 = 0
    package private(set) var pcpDrainedPages: UInt64 = 0
    private var adoptHints: [Int]
    /// Each list's drain threshold, same index as a slot's lists: `pcp_high` unless `setListHighs`.
    private var listHigh: [Int]

    package init(profile: MachineProfile, mergeRule: MergeRule, zeroedPerCPULists: Bool = false, pmdOrder: Int = 9) {
        self.profile = profile
        let orders = ([0, 1, 2, 3] + [pmdOrder]).filter { $0 <= profile.maxOrder }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        listOrders = orders
        slotOfOrder = (0...max(profile.maxOrder, 0)).map { orders.firstIndex(of: $0) ?? -1 }
        let perNode = profile.pages / profile.nodes
        zones = (0..<profile.nodes).map {
            BuddyZone(node: $0, basePfn: $0 * perNode, pageCount: perNode, maxOrder: profile.maxOrder, mergeRule: mergeRule)
        }
        let empty = [[Int32]](repeating: [], count: profile.cpus * profile.nodes)
        pcpZeroed = zeroedPerCPULists ? empty : []
        pcpPages = Array(repeating: 0, count: profile.nodes)
        adoptHints = Array(repeating: 0, count: profile.nodes)
        listPages = Array(repeating: 0, count: empty.count)
        listHigh = Array(repeating: profile.pcpHigh, count: empty.count)
        lists = Array(repeating: empty, count: orders.count)
    }

    package var zoneCount: Int { zones.count }
    package func zones(ofNode node: Int) -> Range<Int> { node..<(node + 1) }
    package func freePages(zone: Int) -> Int { zones[zone].freePages }
    package func zeroedFreePages(zone: Int) -> Int { zones[zone].zeroedFreePages }
    package func blocks(zone: Int, order: Int, clean: Bool) -> Int { zones[zone].blocks(order: order, clean: clean) }
    package func maxOrder(zone: Int) -> Int { zones[zone].maxOrder }
    package func dirtyBlock(zone: Int, minOrder: Int, lowestFirst: Bool) -> (page: Int, order: Int)? {
        zones[zone].dirtyBlock(minOrder: minOrder, lowestFirst: lowestFirst)
    }

    package func node(ofCPU cpu: Int) -> Int { min(profile.nodes - 1, cpu / profile.cpusPerNode) }

    /// The CPUs of a node: `cpus / nodes` each, the last node also taking the remainder.
    package func cpus(ofNode node: Int) -> Range<Int> {
        let first = node * profile.cpusPerNode
        let end = node == profile.nodes - 1 ? profile.cpus : first + profile.cpusPerNode
        return min(first, profile.cpus)..<max(min(end, profile.cpus), min(first, profile.cpus))
    }

    /// Free pages in every zone, and how many are on zeroed lists.
    package var freePages: Int { zones.reduce(0) { $0 + $1.freePages } }
    package var zeroedFreePages: Int { zones.reduce(0) { $0 + $1.zeroedFreePages } }

    /// Releases the initially free share of every zone (the rest stays pinned: in use before the trace).
    mutating func releaseInitialMemory(fraction: Double, zeroed: Bool) {
        for z in zones.indices {
            let count = Int(Double(zones[z].pageCount) * fraction)
            zones[z].release(0, count: count, zeroed: zeroed)
            adoptHints[z] = count
        }
    }

    /// Releases the free lists the capture saw at its start: `blocks[node][order]` free blocks,
    /// placed from the start of each zone, largest first (orders above max_order are split).
    mutating func releaseInitialMemory(blocks: [[Int]], zeroed: Bool) {
        for z in zones.indices {
            let counts = z < blocks.count ? blocks[z] : []
            var p = 0
            let maxOrder = zones[z].maxOrder
            for order in stride(from: counts.count - 1, through: 0, by: -1) {
                let pages = counts[order] << order
                let usable = min(pages, zones[z].pageCount - p)
                guard usable > 0 else { continue }
                // Keep blocks aligned: release in max-order pieces, then the rest.
                let size = 1 << min(order, maxOrder)
                let whole = usable / size * size
                if whole > 0 { zones[z].release(p, count: whole, zeroed: zeroed) }
                p += whole
            }
            adoptHints[z] = p
        }
    }

    /// Puts `pages[node][cpu]` pages on each CPU's list of each node's
    /// zone: the capture's lists at its start (/proc/zoneinfo), which /proc/buddyinfo's free
    /// blocks leave out, so they come from the memory in use before the trace. Zeroed under a
    /// policy that zeroes at free. Returns the pages placed.
    mutating func fillPerCPULists(_ pages: [[Int]], zeroed: Bool) -> Int {
        var placed = 0
        for z in zones.indices where z < pages.count {
            for cpu in 0..<min(profile.cpus, pages[z].count) {
                var added: [Int32] = []
                // Not cut at pcp_high: a list the kernel held above it drains on its next frees.
                for _ in 0..<max(pages[z][cpu], 0) {
                    guard let page = zones[z].adoptPinned(order: 0, nearIndex: &adoptHints[z]) else { break }
                    zones[z].setZero(page, count: 1, zeroed)
                    zones[z].moveToPCP(page)
                    added.append(Int32(page))
                }
                let list = cpu * zones.count + z
                lists[0][list] = added + lists[0][list]
                pcpPages[z] += added.count
                listPages[list] += added.count
                placed += added.count
            }
        }
        return placed
    }

    /// Allocates a block on `cpu`'s node first, then the others (zonelist fallback).
    /// `zeroedPCP`: an order-0 zero request tries the CPU's zeroed list first (refilled from
    /// the zeroed buddy lists), then the zone's lists by `preference`.
    /// `usePCP`: the policy lets the request use the per-CPU lists, where they hold its order.
    mutating func allocate(order: Int, preference: ListPreference, cpu: Int, usePCP: Bool, zeroedPCP: Bool = false) -> (BlockRef, dirty: Int)? {
        let home = node(ofCPU: cpu)
        for step in 0..<zones.count {
            let z = (home + step) % zones.count
            if order == 0 && zeroedPCP, let taken = takeZeroedPage(cpu: cpu, zone: z) { return taken }
            if usePCP && perCPUListHolds(order: order) {
                if let taken = takeFromPCP(order: order, cpu: cpu, zone: z) { return taken }
                continue
            }
            if let (page, dirty) = zones[z].allocate(order: order, preference: preference) {
                return (BlockRef(zone: z, page: page, order: order), dirty)
            }
            // A zeroed-only search that failed falls back to the other lists of the same zone.
            if preference == .zeroedOnly, let (page, dirty) = zones[z].allocate(order: order, preference: .dirtyOnly) {
                return (BlockRef(zone: z, page: page, order: order), dirty)
            }
        }
        return nil
    }

    /// The top page of `cpu`'s list of zeroed pages in zone `z` (V4), refilled when empty with
    /// `pcp_batch` pages from the zeroed buddy lists (`rmqueue_bulk(..., zero)`).
    private mutating func takeZeroedPage(cpu: Int, zone z: Int) -> (BlockRef, dirty: Int)? {
        let list = cpu * zones.count + z
        if pcpZeroed[list].isEmpty {
            pcpZeroed[list] = refill(order: 0, count: max(1, profile.pcpBatch), zone: z, preference: .zeroedOnly)
        }
        guard let page = pcpZeroed[list].popLast() else { return nil }
        pcpPages[z] -= 1
        zones[z].takeFromPCP(Int(page))
        return (BlockRef(zone: z, page: Int(page), order: 0), zones[z].isZero(Int(page)) ? 0 : 1)
    }

    /// The top block of `cpu`'s list of `order` in zone `z`, refilled when empty, unzeroed first:
    /// `pcp_batch` pages at order 0, max(pcp_batch >> order, 2) blocks above (`nr_pcp_alloc`).
    private mutating func takeFromPCP(order: Int, cpu: Int, zone z: Int) -> (BlockRef, dirty: Int)? {
        let slot = slotOfOrder[order], size = 1 << order
        let list = cpu * zones.count + z
        if lists[slot][list].isEmpty {
            let count = order == 0 ? max(1, profile.pcpBatch) : max(profile.pcpBatch >> order, 2)
            lists[slot][list] = refill(order: order, count: count, zone: z, preference: .dirtyFirst)
            listPages[list] += lists[slot][list].count * size
        }
        guard let page = lists[slot][list].popLast() else { return nil }
        pcpPages[z] -= size
        listPages[list] -= size
        zones[z].takeFromPCP(Int(page), pages: size)
        return (BlockRef(zone: z, page: Int(page), order: order), zones[z].dirtyPages(Int(page), count: size))
    }

    /// rmqueue_bulk: up to `count` blocks of `order` from the buddy lists onto a per-CPU list,
    /// the first taken on top (handed out first, as the kernel does).
    private mutating func refill(order: Int, count: Int, zone z: Int, preference: ListPreference) -> [Int32] {
        var blocks: [Int32] = []
        for _ in 0..<count {
            guard let (page, _) = zones[z].allocate(order: order, preference: preference) else { break }
            zones[z].moveToPCP(page, pages: 1 << order)
            blocks.append(Int32(page))
        }
        pcpPages[z] += blocks.count << order
        pcpRefilledPages &+= UInt64(blocks.count << order)
        return blocks.reversed()
    }

    /// Each CPU's own threshold, `highs[node][cpu]` (0 or missing: `pcp_high`).
    mutating func setListHighs(_ highs: [[Int]]) {
        listHigh = Array(repeating: profile.pcpHigh, count: listPages.count)
        for z in zones.indices where z < highs.count {
            for cpu in 0..<min(profile.cpus, highs[z].count) where highs[z][cpu] > 0 { listHigh[cpu * zones.count + z] = highs[z][cpu] }
        }
    }

    /// Whether a free or a request of `order` may use the per-CPU lists (`pcp_allowed_order`).
    package func perCPUListHolds(order: Int) -> Bool { order < slotOfOrder.count && slotOfOrder[order] >= 0 }

    /// Frees a block of an order the lists hold to `cpu`'s list; when the CPU's lists pass its high
    /// (`pcp_high`), `pcp_batch` pages go back to the buddy lists in whole blocks, the coldest
    /// first, from the freed order's list on, then the others' in turn (`free_pcppages_bulk`).
    /// Returns the orders those frees coalesced to.
    mutating func freeToPCP(_ block: BlockRef, cpu: Int, zeroed: Bool, coalesced: inout [Int]) {
        let z = block.zone, size = 1 << block.order, slot = slotOfOrder[block.order]
        zones[z].setZero(block.page, count: size, zeroed)
        zones[z].moveToPCP(block.page, pages: size)
        let list = cpu * zones.count + z
        lists[slot][list].append(Int32(block.page))
        pcpPages[z] += size
        listPages[list] += size
        guard listPages[list] > listHigh[list] else { return }
        var left = profile.pcpBatch
        for step in 0..<lists.count where left > 0 {
            let k = (slot + step) % lists.count, order = listOrders[k], blockPages = 1 << order
            var n = 0
            while left > 0 && n < lists[k][list].count {
                coalesced.append(zones[z].insertAndCoalesce(Int(lists[k][list][n]), order: order).order)
                n += 1
                left -= blockPages
            }
            lists[k][list].removeFirst(n)
            pcpPages[z] -= n * blockPages
            listPages[list] -= n * blockPages
            pcpDrainedPages &+= UInt64(n * blockPages)
        }
    }

    /// A free of a page allocated before the capture: a pinned block of that order becomes free.
    mutating func adoptPinned(order: Int, node: Int) -> BlockRef? {
        for step in 0..<zones.count {
            let z = (node + step) % zones.count
            if let page = zones[z].adoptPinned(order: order, nearIndex: &adoptHints[z]) {
                return BlockRef(zone: z, page: page, order: order)
            }
        }
        return nil
    }

    package func invariantViolations() -> [String] {
        zones.indices.flatMap { zones[$0].invariantViolations(pcpPages: pcpPages[$0]) }
    }
}
