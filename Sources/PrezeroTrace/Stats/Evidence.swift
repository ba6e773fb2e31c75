/// Whether a capture holds what a verdict on prezeroing needs: user page faults, page
/// allocations, and zero-fill faults among them. Without them a replay measures nothing of the
/// workload, so every command says "no verdict" instead of reporting the model's defaults.
public enum Evidence {
    /// nil when a verdict can be made; else why not and what to do.
    /// - Parameters:
    ///   - events: event lines by canonical name (`TraceReadSummary.eventNameCounts`).
    ///   - zeroFillFaults: user writes to not-present pages (stat) or zero-fill faults replayed.
    /// What the first writes served by a user page without `__GFP_ZERO` are, and why no verdict
    /// counts them (mm/shmem.c `shmem_get_folio_gfp`, mm/memory.c `do_cow_fault`); with the
    /// capture's memory counters, how many were shmem.
    public static func withoutGFPZero(_ u: ZeroFillFaultMatcher.Tally) -> String {
        let count = u.firstWritesWithoutGFPZero
        let folios = u.shmemHugePages > 0 ? "a user page (order 0, or a shmem THP/mTHP folio)" : "an order-0 user page"
        let head = "\(count) first writes to a not-present page took \(folios) allocated without __GFP_ZERO right after the fault"
        guard u.countersTellEachFault else {
            return head + ": shmem or tmpfs pages (shared anonymous memory, memfd, /dev/shm), which shmem clears with clear_highpage "
                + "after allocating them, copies of private file pages (do_cow_fault), page-cache pages read in for a shared file "
                + "mapping, or swap-ins. The kmem and exceptions tracepoints do not tell these apart, so none is a zero-fill fault "
                + "here: the shmem ones among them are zero-fills no verdict includes"
                + (u.shmemZeroFills > 0 ? ", \(u.shmemZeroFills) shmem huge folios among them (their MM_SHMEMPAGES counter rose)" : "")
                + (u.memoryCounterEvents > 0 ? "" : " (shmem's huge folios carry a THP mask: without kmem:rss_stat they count as THP faults)")
                + "."
        }
        return head + ". The memory counter each fault raised next (kmem:rss_stat) says what it mapped: \(u.shmemZeroFills) were shmem "
            + "or tmpfs pages (MM_SHMEMPAGES), which shmem clears with clear_highpage after allocating them, zero-fills no verdict "
            + "includes; the other \(count - min(count, u.shmemZeroFills)) were copies of private file pages (do_cow_fault), swap-ins "
            + "or a shared file's pages read in, not zero-fills."
    }

    /// What first writes that took no user page are (mm/hugetlb.c `hugetlb_no_page`, mm/memory.c
    /// `do_shared_fault`), and why no verdict counts them; with the capture's memory counters, how
    /// many mapped a cached page. `brief`: one clause for a report's paragraph.
    /// `hugetlbPoolPages`: the capture's hugetlb pool (nil: not recorded); with 0 none of them was a
    /// hugetlb fault.
    public static func withoutAllocation(_ u: ZeroFillFaultMatcher.Tally, brief: Bool = false, hugetlbPoolPages: Int? = nil) -> String {
        let text = withoutAllocationKinds(u, brief: brief, hugetlbPoolPages: hugetlbPoolPages)
        guard !brief, u.hugeFoliosFreedUnmapped > 0 else { return text }
        return text + " \(u.hugeFoliosFreedUnmapped) of them freed a THP of their own before its clear, with no page table, "
            + "fallback page or counter rise between (HugeFolioMarks): a shmem fault's folio lost to another task's already "
            + "in the page cache (shmem_add_to_page_cache), or a folio the memory cgroup refused (thp_fault_fallback_charge) "
            + "whose fallback found the range mapped by another task meanwhile; the fault took that task's folio."
    }

    private static func withoutAllocationKinds(_ u: ZeroFillFaultMatcher.Tally, brief: Bool, hugetlbPoolPages: Int?) -> String {
        let count = u.firstWritesWithoutAllocation
        let cached = min(count, u.firstWritesToCachedPages)
        if hugetlbPoolPages == 0 {
            // An empty pool: no hugetlb fault, so what is left is races and preemption.
            if brief {
                return "\(count) first writes took no page from the allocator, none a hugetlb fault (the capture's hugetlb pool was "
                    + "empty): cached pages, lost races, preempted faults; not zero-fills a verdict leaves out."
            }
            let rest = u.countersTellEachFault
                ? "\(cached) mapped a page already in memory (page or swap cache, kmem:rss_stat), the other \(count - cached) "
                    + "raised no counter: faults that lost a race for their page or were preempted before their allocation"
                : "writes to shared file or shmem pages already cached, faults that lost a race, or faults preempted before "
                    + "their allocation (or a handled signal, a userfaultfd or device mapping)"
            return "\(count) first writes to a not-present page took no user page from the page allocator: " + rest
                + "; none was a hugetlb fault, as the capture's hugetlb pool was empty. Not zero-fills a verdict leaves out."
        }
        if u.countersTellEachFault {
            if brief {
                return "\(count) first writes took no page from the allocator: \(cached) mapped a page already in memory (page or "
                    + "swap cache), the other \(count - cached) raised no memory counter (hugetlb faults, whose pool pages are cleared "
                    + "in the fault, lost races, or faults preempted before their allocation); not replayed."
            }
            return "\(count) first writes to a not-present page took no user page from the page allocator. The memory counters "
                + "(kmem:rss_stat) say \(cached) of them mapped a page already in memory, a file or shmem page in the page cache "
                + "(do_shared_fault) or a swap-cache page, not zero-fills; the other \(count - cached) raised no counter: hugetlb "
                + "faults, whose pages come from the hugetlb pool and are not in the rss counters (hugetlb_no_page clears each with "
                + "folio_zero_user, 2 MiB or 1 GiB at a time), faults that lost a race for their page, faults preempted before "
                + "their allocation while another task faulted on their CPU, or faults no page served (a handled signal, a "
                + "userfaultfd or device mapping). No replay counts them: a verdict leaves out the "
                + "clearing of the hugetlb ones."
        }
        if brief {
            return "\(count) first writes took no page from the allocator: hugetlb faults (pool pages, cleared in the fault), "
                + "writes to shared file or shmem pages already cached, faults that lost a race or were preempted before their "
                + "allocation; not told apart, so not replayed."
        }
        return "\(count) first writes to a not-present page took no user page from the page allocator: hugetlb faults, whose "
            + "pages come from the hugetlb pool (hugetlb_no_page clears each with folio_zero_user, 2 MiB or 1 GiB at a time), "
            + "writes to a shared file or shmem page already in the page cache (do_shared_fault), or faults that lost a race "
            + "for their page to another thread. The kmem and exceptions tracepoints do not tell these apart (kmem:rss_stat "
            + "does on Linux 6.2 and later: tools/capture-perf.sh records it), so no replay counts them: a verdict leaves out "
            + "the clearing of the hugetlb ones."
    }

    /// What order-0 user pages zeroed with no fault waiting are (mm/gup.c `faultin_page`
    /// calls `handle_mm_fault` without an exception), and where a replay puts them; `brief`: one
    /// clause for a report's paragraph.
    public static func zeroedWithoutFault(_ pages: UInt64, brief: Bool = false) -> String {
        if brief {
            return "\(pages) order-0 user pages were zeroed at allocation with no fault event (populate, mlock, get_user_pages, "
                + "or lost faults): replayed as zero requests (alloc-path zeroing), in no fault figure."
        }
        return "\(pages) order-0 user pages were allocated with __GFP_ZERO while no fault of their task waited on their CPU: "
            + "anonymous memory faulted in without an exception (MAP_POPULATE, mlock, MADV_POPULATE_WRITE, get_user_pages "
            + "for O_DIRECT or a device), or faults the capture lost. A replay serves them as zero requests (alloc-path "
            + "zeroing, total CPU), but no fault count, rate or latency includes them."
    }

    /// What THP/mTHP folios freed right after their allocation are: refused by their memory cgroup.
    public static func chargeRefused(_ pages: UInt64) -> String {
        "\(pages) base pages of THP/mTHP folios were freed by their task before anything else it did: their memory cgroup "
            + "refused the charge (mem_cgroup_charge fails, the kernel counts thp_fault_fallback_charge or the size's "
            + "anon_fault_fallback_charge, shmem's thp_file_fallback_charge or shmem_fallback_charge, and frees the folio before "
            + "its clear), so each fault fell back to the smaller "
            + "folio that followed, which is its zero-fill (a shmem fault's is shmem's, in no verdict); the refused folios are allocated and freed in a replay, not cleared."
    }

    /// What shmem's huge folios are, and why no verdict counts them.
    public static func shmemHuge(_ pages: UInt64) -> String {
        "\(pages) base pages of THP/mTHP folios were shmem's (their task's MM_SHMEMPAGES counter rose next, kmem:rss_stat): "
            + "faults on shared anonymous memory, a memfd or /dev/shm, or ranges populated without a fault, which "
            + "shmem_get_folio_gfp clears after allocating the folio (the kernel counts thp_file_alloc or the size's shmem_alloc, "
            + "not thp_fault_alloc; a large shmem swap-in reads its folio instead); zero-fills no verdict includes, as shmem's "
            + "order-0 pages."
    }

    /// What THP folios allocated with no fault waiting are (a populated THP range is cleared,
    /// a collapse or a migration copies), and why a replay does not zero them; `brief`: one
    /// clause for a report's paragraph.
    public static func hugeWithoutFault(_ u: ZeroFillFaultMatcher.Tally, brief: Bool = false) -> String {
        let pages = u.hugeUserPagesWithoutFault
        if u.countersTellEachFault {
            let populated = min(pages, u.populatedHugePages)
            if brief {
                return "\(pages) base pages of THPs allocated with no fault event: \(populated) in populated ranges (their anon "
                    + "counter rose by the folio's size), which the kernel clears, the other \(pages - populated) collapses or "
                    + "migrations, which copy; not zeroed here."
            }
            return "\(pages) base pages in THP folios were allocated while no fault of their task waited on their CPU. The memory "
                + "counters (kmem:rss_stat) say \(populated) of them were populated ranges (MAP_POPULATE, MADV_POPULATE_WRITE, "
                + "mlock: the task's anon counter rose by the folio's size), which do_huge_pmd_anonymous_page clears as a fault "
                + "does, zero-fills no verdict includes; the other \(pages - populated) raised no counter: collapses (khugepaged, "
                + "MADV_COLLAPSE) or migrations, which copy into the folio."
        }
        if brief {
            return "\(pages) base pages of THPs allocated with no fault event: a populated THP range, which the kernel clears, "
                + "or a collapse or migration, which copies; not told apart, so not zeroed here."
        }
        return "\(pages) base pages in THP folios were allocated while no fault of their task waited on their CPU: a populated "
            + "THP range (MAP_POPULATE, MADV_POPULATE_WRITE, mlock), which do_huge_pmd_anonymous_page clears as a fault "
            + "does, or a collapse (khugepaged, MADV_COLLAPSE) or a migration, which copies into the folio. The tracepoints "
            + "do not tell them apart, so no replay zeroes them: a verdict leaves out the clearing of the populated ones."
    }


    public static func missing(
        events: [String: Int], zeroFillFaults: UInt64, tally: ZeroFillFaultMatcher.Tally = .init(), hugetlbPoolPages: Int? = nil
    ) -> String? {
        let capture = "; capture with tools/capture-perf.sh (it records kmem and exceptions tracepoints)"
        var absent: [String] = []
        if (events["kmem:mm_page_alloc"] ?? 0) == 0 { absent.append("kmem:mm_page_alloc") }
        // A kernel write to a fresh user page is a zero-fill fault too (FaultClass.kernelWriteNotPresent).
        if (events["exceptions:page_fault_user"] ?? 0) == 0 && (events["exceptions:page_fault_kernel"] ?? 0) == 0 {
            absent.append("exceptions:page_fault_user")
        }
        if !absent.isEmpty {
            return "no verdict: the capture has no " + absent.joined(separator: " and no ") + " events" + capture
        }
        if zeroFillFaults == 0 {
            let why = "no verdict: the capture has no zero-fill faults (a user or kernel write to a not-present user page followed by its zeroed allocation)"
            var reason = why
            if tally.firstWritesWithoutGFPZero > 0 { reason += "; " + withoutGFPZero(tally) }
            if tally.firstWritesWithoutAllocation > 0 { reason += "; " + withoutAllocation(tally, hugetlbPoolPages: hugetlbPoolPages) }
            if tally.zeroedUserPagesWithoutFault > 0 { reason += "; " + zeroedWithoutFault(tally.zeroedUserPagesWithoutFault) }
            if tally.hugeUserPagesWithoutFault > 0 { reason += "; " + hugeWithoutFault(tally) }
            if tally.shmemHugePages > 0 { reason += "; " + shmemHuge(tally.shmemHugePages) }
            return reason
        }
        return nil
    }
}
