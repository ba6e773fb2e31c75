/// The order in which the kernel clears a huge folio's subpages at a fault, so that the faulting
/// one is cleared last and the ones nearest it just before (mm/memory.c `process_huge_page`,
/// Huang Ying, "mm, clear_huge_page: move order algorithm into a separate function", 4.19;
/// `folio_zero_user` calls it for every folio up to MAX_ORDER): the subpages far from the target
/// first, from the far end inwards, then the rest in left-right pairs converging on the target.
/// The last ones cleared are the ones a private L2 keeps.
enum HugePageClearOrder {
    /// Subpage indexes in clearing order.
    static func order(pages: Int, target: Int) -> [Int] {
        precondition(pages > 0 && (0..<pages).contains(target))
        var out: [Int] = []
        out.reserveCapacity(pages)
        let base: Int, pairs: Int
        if 2 * target <= pages {
            // The target in the first half: the end of the folio first, downwards.
            base = 0
            pairs = target
            out += (2 * target..<pages).reversed()
        } else {
            // In the second half: the beginning first, upwards.
            base = pages - 2 * (pages - target)
            pairs = pages - target
            out += 0..<base
        }
        for i in 0..<pairs {
            out.append(base + i)
            out.append(base + 2 * pairs - 1 - i)
        }
        return out
    }

    /// The same order as runs of consecutive subpages, each ascending (a run of one where the
    /// order descends or alternates), so a caller fills the cache a run at a time.
    static func runs(pages: Int, target: Int) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for index in order(pages: pages, target: target) {
            if let last = runs.last, last.upperBound == index {
                runs[runs.count - 1] = last.lowerBound..<index + 1
            } else {
                runs.append(index..<index + 1)
            }
        }
        return runs
    }
}
