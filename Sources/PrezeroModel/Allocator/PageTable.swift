#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One page's bookkeeping in a zone, 12 bytes.
struct PageRecord {
    /// Free-list links at a free block's head (zone-relative page, -1 none).
    var next: Int32
    var prev: Int32
    /// At a free block's head: pages of the block whose content is not zero.
    var dirtyCount: UInt16
    /// A `BuddyZone.PageState` raw value.
    var state: UInt8
    /// At a free block's head: its order; -1 elsewhere.
    var headOrder: Int8

    static let pinned = PageRecord(next: -1, prev: -1, dirtyCount: 0, state: BuddyZone.PageState.pinned.rawValue, headOrder: -1)
    static let freeTail = PageRecord(next: -1, prev: -1, dirtyCount: 0, state: BuddyZone.PageState.freeTail.rawValue, headOrder: -1)
}

/// Consecutive free blocks of one order and zero state, linked one after another onto the same
/// free list when the zone's initial memory was released.
struct ReleasedRun {
    var start: Int
    var order: Int
    var count: Int
    var clean: Bool
    /// The list's head when the run's first block was linked (its `next`), -1 none.
    var previousInList: Int
    /// The first block of the next run linked onto the same list (the last block's `prev`), -1 none.
    var nextInList = -1

    var end: Int { start + count << order }
}

/// A zone's page records and zero bits in zero-filled memory (`zeroFilledMemory`): the model of
/// a 24 GiB machine costs host memory only for the pages a replay reaches.
///
/// The initial free memory is not written at start either: `release` records it as runs of
/// blocks (`ReleasedRun`), and the records of a chunk of 512 pages take the values those runs
/// give them (`pristine`) at the chunk's first access.
final class PageTable: @unchecked Sendable {
    let records: UnsafeMutablePointer<PageRecord>
    let zeroBits: UnsafeMutablePointer<UInt64>
    let pageCount: Int
    let wordCount: Int
    private(set) var runs: [ReleasedRun] = []
    /// Whether any chunk has been given its pristine values: releases are deferred only before.
    private(set) var anyMaterialized = false
    /// The run `peek` found last (scans read pages in order).
    private var peekRun: Int?
    static let chunkShift = 9
    /// A bit per chunk given its pristine values. Kept apart from the records so that a chunk's
    /// first access writes it: a read of an untouched page of `records` would map the host's
    /// shared zero page, and the write after it would copy it and flush the TLB of every CPU the
    /// replay's threads run on (on a VM, an IPI each: 0.7 % of a compare with verdict ranges).
    private var materialized: [UInt64]

    init(pageCount: Int) {
        self.pageCount = pageCount
        wordCount = (pageCount + 63) / 64
        records = zeroFilledMemory(PageRecord.self, count: pageCount)
        zeroBits = zeroFilledMemory(UInt64.self, count: wordCount)
        materialized = Array(repeating: 0, count: ((pageCount + (1 << Self.chunkShift) - 1) >> Self.chunkShift + 63) / 64)
    }

    deinit {
        releaseZeroFilledMemory(records, count: pageCount)
        releaseZeroFilledMemory(zeroBits, count: wordCount)
    }

    func copy() -> PageTable {
        let other = PageTable(pageCount: pageCount)
        other.records.update(from: records, count: pageCount)
        other.zeroBits.update(from: zeroBits, count: wordCount)
        other.runs = runs
        other.anyMaterialized = anyMaterialized
        other.materialized = materialized
        return other
    }

    /// The record of page `p`, given its pristine value first if it has none yet.
    @inline(__always) func record(_ p: Int) -> UnsafeMutablePointer<PageRecord> {
        precondition(UInt(bitPattern: p) < UInt(pageCount), "page \(p) outside a zone of \(pageCount) pages")
        if !isMaterialized(chunk: p >> Self.chunkShift) { materialize(chunkOf: p) }
        return records + p
    }

    /// Page `p`'s record as `record` would give it, without writing a chunk nobody has reached:
    /// what the invariant checker reads, so a check does not grow the model to the whole zone.
    func peek(_ p: Int) -> PageRecord {
        precondition(UInt(bitPattern: p) < UInt(pageCount), "page \(p) outside a zone of \(pageCount) pages")
        if isMaterialized(chunk: p >> Self.chunkShift) { return records[p] }
        if let cached = peekRun, cached < runs.count, runs[cached].start <= p, p < runs[cached].end {
            return pristine(p, run: cached)
        }
        peekRun = runIndex(containing: p)
        return pristine(p, run: peekRun)
    }

    /// For a chunk nobody has reached (its pages still pristine): how many of its pages the
    /// deferred releases made free; the rest are pinned. Nil for a written chunk.
    func pristineFreePages(chunk: Int) -> Int? {
        let first = chunk << Self.chunkShift
        guard !isMaterialized(chunk: chunk) else { return nil }
        let end = min(pageCount, first + 1 << Self.chunkShift)
        var free = 0
        var index = runIndex(containing: first)
        while let r = index, runs[r].start < end {
            free += max(0, min(end, runs[r].end) - max(first, runs[r].start))
            index = r + 1 < runs.count ? r + 1 : nil
        }
        return free
    }

    /// True when every page of `[p, p + count)` is in a chunk nobody has reached (pristine).
    func isPristine(_ p: Int, count: Int) -> Bool {
        guard count > 0 else { return true }
        var chunk = p >> Self.chunkShift
        while chunk <= (p + count - 1) >> Self.chunkShift {
            if isMaterialized(chunk: chunk) { return false }
            chunk += 1
        }
        return true
    }

    var chunkCount: Int { (pageCount + (1 << Self.chunkShift) - 1) >> Self.chunkShift }

    @inline(__always) func isMaterialized(chunk: Int) -> Bool { materialized[chunk >> 6] & (1 << UInt64(chunk & 63)) != 0 }

    /// Writes the pristine value of every page of `p`'s chunk, and marks it.
    @inline(never) private func materialize(chunkOf p: Int) {
        let first = (p >> Self.chunkShift) << Self.chunkShift
        let end = min(pageCount, first + 1 << Self.chunkShift)
        var run = runIndex(containing: first)
        for q in first..<end {
            while let r = run, q >= runs[r].end { run = r + 1 < runs.count ? r + 1 : nil }
            records[q] = pristine(q, run: run)
        }
        anyMaterialized = true
        let chunk = first >> Self.chunkShift
        materialized[chunk >> 6] |= 1 << UInt64(chunk & 63)
    }

    /// The last run starting at or before `p`, or the first run when `p` precedes them all.
    private func runIndex(containing p: Int) -> Int? {
        guard !runs.isEmpty else { return nil }
        var low = 0
        var high = runs.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if runs[mid].start <= p { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Page `p` as the deferred releases left it: a free block's head (linked as `link` would
    /// have linked it), a free block's tail, or pinned.
    private func pristine(_ p: Int, run index: Int?) -> PageRecord {
        guard let index else { return .pinned }
        let run = runs[index]
        guard p >= run.start && p < run.end else { return .pinned }
        let size = 1 << run.order
        let block = (p - run.start) >> run.order
        let head = run.start + block << run.order
        guard head == p else { return .freeTail }
        let next = block > 0 ? head - size : run.previousInList
        let prev = block < run.count - 1 ? head + size : run.nextInList
        return PageRecord(
            next: Int32(next), prev: Int32(prev), dirtyCount: run.clean ? 0 : UInt16(size),
            state: BuddyZone.PageState.freeHead.rawValue, headOrder: Int8(run.order))
    }

    /// True when a release starting at `start` can be deferred: nothing materialized yet, and
    /// it lies above every earlier run.
    func canDefer(releaseFrom start: Int) -> Bool {
        !anyMaterialized && (runs.last.map { start >= $0.end } ?? true)
    }

    /// Records that block `[p, p + 2^order)` was linked at the head of its list, whose head was
    /// `previousHead` (-1 empty).
    func deferLink(_ p: Int, order: Int, clean: Bool, previousHead: Int) {
        if let last = runs.indices.last, runs[last].order == order, runs[last].clean == clean,
            runs[last].end == p, runs[last].start + (runs[last].count - 1) << order == previousHead
        {
            runs[last].count += 1
            return
        }
        if previousHead >= 0, let owner = runs.lastIndex(where: { $0.order == order && $0.clean == clean }) {
            runs[owner].nextInList = p
        }
        runs.append(ReleasedRun(start: p, order: order, count: 1, clean: clean, previousInList: previousHead))
    }
}
