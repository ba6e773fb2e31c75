import Histogram

/// One metric, declared once: its JSON name (also the CSV column and `replay`'s text label), its
/// unit, what it means, how it is computed, and where its value lives in `RunMetrics`.
/// `docs/metrics.md` is generated from this table (`prezero metrics --markdown`).
package struct Metric: Sendable {
    package let name: String
    package let unit: String
    package let meaning: String
    package let how: String
    package let access: Access
    /// The result format that introduced the metric: files of an older format may lack it, and
    /// then hold 0 (what that version's model counted).
    package var since = 1

    /// A typed key path into `RunMetrics`, and for a derived metric its computation from what the
    /// engine accumulated (nil: the engine counts the metric itself).
    package enum Access: Sendable {
        case count(WritableKeyPath<RunMetrics, UInt64> & Sendable, derive: (@Sendable (ReplayMetrics) -> UInt64)?)
        case real(WritableKeyPath<RunMetrics, Double> & Sendable, derive: (@Sendable (ReplayMetrics) -> Double)?)
        case series(WritableKeyPath<RunMetrics, [[Double]]> & Sendable, derive: (@Sendable (ReplayMetrics) -> [[Double]])?)
        case counts(WritableKeyPath<RunMetrics, [String: UInt64]> & Sendable)

        func derive(_ replay: ReplayMetrics, into metrics: inout RunMetrics) {
            switch self {
            case .count(let path, let f?): metrics[keyPath: path] = f(replay)
            case .real(let path, let f?): metrics[keyPath: path] = f(replay)
            case .series(let path, let f?): metrics[keyPath: path] = f(replay)
            default: break
            }
        }
    }

    /// A count or a sum (a CSV column); series and maps are not.
    package var isScalar: Bool {
        switch access {
        case .count, .real: true
        case .series, .counts: false
        }
    }

    /// The value as one number (counts and reals; nil for series and maps).
    package func scalar(_ metrics: RunMetrics) -> Double? {
        switch access {
        case .count(let path, _): Double(metrics[keyPath: path])
        case .real(let path, _): metrics[keyPath: path]
        case .series, .counts: nil
        }
    }

    static func count(
        _ name: String, _ path: WritableKeyPath<RunMetrics, UInt64> & Sendable, _ unit: String, _ meaning: String,
        how: String, since: Int = 1, _ derive: (@Sendable (ReplayMetrics) -> UInt64)? = nil
    ) -> Metric { Metric(name: name, unit: unit, meaning: meaning, how: how, access: .count(path, derive: derive), since: since) }

    static func real(
        _ name: String, _ path: WritableKeyPath<RunMetrics, Double> & Sendable, _ unit: String, _ meaning: String,
        how: String, since: Int = 1, _ derive: (@Sendable (ReplayMetrics) -> Double)? = nil
    ) -> Metric { Metric(name: name, unit: unit, meaning: meaning, how: how, access: .real(path, derive: derive), since: since) }
}

private func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }

private func percentile(_ m: ReplayMetrics, _ q: Double) -> UInt64 {
    m.faultLatency.totalCount == 0 ? 0 : m.faultLatency.valueAtPercentile(q)
}

extension Metric {
    /// Every metric, in the order `replay` prints them.
    package static let all: [Metric] = [
        count("faults", \.faults, "faults", "zero-fill faults replayed, every order", how: "a user write fault (0x6, or 0x7 on the zero page; 0x2 and 0x3 when the kernel writes a user page) paired with its anonymous allocation: order 0 with __GFP_ZERO, THP/mTHP with a GFP_TRANSHUGE mask (ZeroFillFaultMatcher)"),
        count("huge_faults", \.hugeFaults, "faults", "zero-fill faults that allocated a THP or mTHP folio (part of faults)", how: "zero-fill faults above order 0; the kernel clears them with folio_zero_user", since: 3),
        count("huge_fault_pages", \.hugeFaultPages, "pages", "base pages in the folios of huge_faults", how: "sum of 2^order", since: 3),
        count("faults_after_zero_page_read", \.faultsAfterZeroPageRead, "faults", "zero-fill faults that were writes to a page a read mapped to the zero page (0x7, or 0x3 from the kernel; part of faults)", how: "copy-on-write from the zero page: wp_page_copy allocates a zeroed page", since: 3),
        count("first_writes_without_gfp_zero", \.firstWritesWithoutGFPZero, "faults", "first writes to a not-present user page (by the program, or by the kernel writing it) served by a user page allocated without __GFP_ZERO (order 0, or a large page-cache folio read in): shmem/tmpfs zero-fills (shmem_get_folio_gfp clears them with clear_highpage after allocating), private-file copy-on-write copies (do_cow_fault), page-cache pages read in for a shared file mapping, or swap-ins; not told apart by the tracepoints, so not replayed as zero-fill faults", how: "a 0x6 user fault or 0x2 kernel fault paired with a user-page allocation without __GFP_ZERO and no THP mask, by the same task on its CPU within 50 us, or with a THP-mask folio HugeFolioMarks marked shmem's within 1 ms (ZeroFillFaultMatcher; at most: a fault that allocated nothing can pair with a later allocation)", since: 7),
        count("first_writes_without_allocation", \.firstWritesWithoutAllocation, "faults", "first writes to a not-present user page (by the program, or by the kernel writing it) that took no user page from the page allocator: hugetlb faults (pool pages, cleared in the fault by folio_zero_user), writes to shared file or shmem pages already in the page cache (do_shared_fault), or faults that lost a race; not told apart by the tracepoints, so not replayed", how: "a 0x6 user fault or 0x2 kernel fault ended by the next fault on its CPU (any task's, any kind but a kernel read) before any user-page allocation (a THP its task freed before its clear, refused or freed unmapped by HugeFolioMarks' rules, is none), or served only by an allocation without __GFP_ZERO more than 50 us later (ZeroFillFaultMatcher; at most: a fault preempted before its allocation counts too)", since: 9),
        count("memory_counter_events", \.memoryCounterEvents, "events", "kmem:rss_stat events in the capture (a process's file, anon, swap or shmem page counter moved): without them shmem_zero_fills and first_writes_to_cached_pages are 0 and unknown", how: "counted as read", since: 10),
        count("shmem_zero_fills", \.shmemZeroFills, "faults", "of first_writes_without_gfp_zero, those whose fault raised its task's MM_SHMEMPAGES counter next: shmem or tmpfs pages cleared by shmem_get_folio_gfp with clear_highpage, zero-fills no verdict includes; order 0 counts only where zero_fill_faults_with_counter is 90 % of faults, shmem's huge folios (huge_pages_shmem) always", how: "order 0: the first rise of a kmem:rss_stat counter of the faulting task's own mm (curr=1) on its CPU within 1 ms of the allocation, MM_SHMEMPAGES's (set_pte_range raises the counter mm_counter_file names); a huge folio: HugeFolioMarks' mark", since: 10),
        count("first_writes_to_cached_pages", \.firstWritesToCachedPages, "faults", "of first_writes_without_allocation, those that mapped a page already in memory (a file or shmem page in the page cache, do_shared_fault, or a swap-cache page); the rest raised no counter (hugetlb faults, lost races, faults preempted before their allocation); 0 unless zero_fill_faults_with_counter is 90 % of faults", how: "a rise of a file, anon or shmem kmem:rss_stat counter of the faulting task's own mm (curr=1) on its CPU within 1 ms of a first write still waiting with no allocation", since: 10),
        count("huge_folios_freed_unmapped", \.hugeFoliosFreedUnmapped, "faults", "of first_writes_without_allocation, those whose own THP was freed before its clear with nothing mapped: a shmem fault's folio lost to another task's already in the page cache (shmem_add_to_page_cache -EEXIST, 6.7 on), or one its memory cgroup refused at once (a THP mask that may not block; thp_fault_fallback_charge) whose fallback found the range mapped by another task; the fault took that task's folio, so no zero-fill", how: "HugeFolioMarks: a PMD-order GFP_TRANSHUGE* user allocation its task frees with no page-table page, fallback user page, fault, exit or own counter rise between (an anonymous THP fault allocates its page table after its folio), sooner than its bytes at 200 B/ns (10.5 us for 2 MiB: no clear), taken by a waiting first write (0x6, 0x2); a write to the huge zero page (0x7) keeps its folio", since: 17),
        count("zero_fill_faults_with_counter", \.zeroFillFaultsWithCounter, "faults", "zero-fill faults whose task's memory counter (kmem:rss_stat) rose next: at least 90 % of faults on kernels that count per fault (6.2 on), the test before shmem_zero_fills and first_writes_to_cached_pages are trusted", how: "a rise of a kmem:rss_stat counter of the faulting task's own mm (curr=1) on its CPU within 100 ms of the zero-fill fault's allocation", since: 10),
        count("faults_in_kernel_mode", \.faultsInKernelMode, "faults", "zero-fill faults the kernel took writing a user page the program had not touched (part of faults): copy_to_user, clear_user, put_user, a read() into a fresh buffer", how: "a page_fault_kernel event at a user address with error code 0x2 (0x3 on the zero page), paired like a user fault: do_user_addr_fault serves both with handle_mm_fault", since: 8),
        count("zeroed_user_pages_without_fault", \.zeroedUserPagesWithoutFault, "pages", "order-0 user pages allocated with __GFP_ZERO while no fault of their task waited: faulted in without an exception (MAP_POPULATE, mlock, MADV_POPULATE_WRITE, get_user_pages) or faults the capture lost; replayed as zero requests (alloc-path zeroing), in no fault figure", how: "ZeroFillFaultMatcher: a GFP_HIGHUSER* __GFP_ZERO order-0 allocation with no user or kernel write fault of the same task pending on its CPU", since: 8),
        count("huge_user_pages_without_fault", \.hugeUserPagesWithoutFault, "pages", "base pages of THP/mTHP folios allocated while no fault of their task waited: a populated THP range (cleared by do_huge_pmd_anonymous_page) or a collapse or migration (copied into); not told apart, so not zeroed by the replay", how: "ZeroFillFaultMatcher: a GFP_TRANSHUGE* allocation above order 0 with no user or kernel write fault of the same task pending on its CPU, 2^order pages each", since: 8),
        count("huge_pages_charge_refused", \.hugePagesChargeRefused, "pages", "base pages of THP/mTHP folios allocated and freed before their clear: their memory cgroup refused the charge (the kernel's thp_fault_fallback_charge, anon_fault_fallback_charge, or shmem's thp_file_fallback_charge, shmem_fallback_charge) and the fault fell back to a smaller folio, which is its zero-fill (shmem's, in no verdict, where the fault was on shmem)", how: "HugeFolioMarks: a GFP_TRANSHUGE* user allocation above order 0 whose task frees the same pfn before its next allocation, fault or anon-counter rise, 2^order pages each", since: 14),
        count("huge_pages_shmem", \.shmemHugePages, "pages", "base pages of THP/mTHP folios shmem allocated and mapped, for a fault on a shmem or tmpfs mapping (shared anonymous memory, memfd, /dev/shm) or populated without one: shmem's zero-fills (shmem_get_folio_gfp clears them; the kernel counts thp_file_alloc or the size's shmem_alloc; a large shmem swap-in, 6.14 on, reads instead), which no verdict includes, as shmem's order-0 pages; the faults they served count in first_writes_without_gfp_zero; 0 without kmem:rss_stat, where such folios count as THP zero-fill faults", how: "HugeFolioMarks: a GFP_TRANSHUGE* user allocation above order 0 whose task's next own-mm (curr=1) anon or shmem kmem:rss_stat move is a rise of MM_SHMEMPAGES (to the folio's size if the counter was not seen before), with no fall of it before (a collapse unmaps the small pages it replaces), before its next fault or page-table page, 2^order pages each", since: 16),
        count("huge_pages_populated", \.populatedHugePages, "pages", "of huge_user_pages_without_fault, the base pages of THPs whose task's anon counter (kmem:rss_stat) rose by the folio's size next: populated ranges, cleared by do_huge_pmd_anonymous_page, zero-fills no verdict includes; the rest (collapses, migrations) copied; 0 unless zero_fill_faults_with_counter is 90 % of faults", how: "a GFP_TRANSHUGE* allocation with no fault waiting, then a rise of the same task's MM_ANONPAGES on its CPU within 100 ms by 2^order pages of one power-of-two page size", since: 10),
        count("fault_page_tables", \.faultPageTables, "pages", "page-table pages allocated inside zero-fill faults", how: "a zeroed kernel order-0 allocation by the faulting task while its fault waits for its page (pte_alloc_one)", since: 3),
        real("fault_path_ns", \.faultPathNs, "ns", "kernel time in zero-fill faults", how: "per fault: fault base cost by order + inline clearing + fault_batch_ns"),
        real("fault_batch_ns", \.faultBatchNs, "ns", "the fault path's periodic work (part of fault_path_ns): LRU batch moves, memcg charges, per-CPU list refills, page-table pages beyond their clear", how: "the profile's fault_batches costs, each on the fault that fills or empties its per-CPU batch", since: 3),
        real("touch_ns", \.touchNs, "ns", "the faulting program's first touches of its new pages", how: "lines the touch model says the fault touches, each a hit or a miss in the cache model"),
        real("touch_miss_ns", \.touchMissNs, "ns", "the part of touch_ns, later_touch_ns and folio_touch_ns spent on cache misses", how: "missed touched lines x line_miss_ns (first) / line_miss_stream_ns (further)"),
        count("later_touch_lines", \.laterTouchLines, "lines", "lines touched after their fault (page-touch traces)", how: "touch records of lackey and .pzt traces"),
        real("later_touch_ns", \.laterTouchNs, "ns", "time of the later touches", how: "each later touched line priced by the cache model"),
        count("folio_touch_lines", \.folioTouchLines, "lines", "lines the program touched of a THP/mTHP fault's other base pages, after the fault and with no fault of their own (part of the touch_lines counts, not of touch_ns or the fault rate)", how: "the touch density's lines of each other base page of the folio, from the faulting one upwards, wrapping (first-line, the faulting line alone: none; a touch profile's draw for the fault: as many of each)", since: 14),
        real("folio_touch_ns", \.folioTouchNs, "ns", "time of those touches (in total_cpu_ns): a folio cleared at its fault leaves them in the caches, a prezeroed one does not", how: "each line priced by the cache model", since: 14),
        count("folio_touch_lines_llc_hit", \.folioTouchLinesLLCHit, "lines", "of folio_touch_lines, those counted in touch_lines_llc_hit", how: "counted as priced", since: 14),
        count("folio_touch_lines_llc_hit_stream", \.folioTouchLinesLLCHitStream, "lines", "of folio_touch_lines, those counted in touch_lines_llc_hit_stream", how: "counted as priced", since: 14),
        count("folio_touch_lines_miss", \.folioTouchLinesMiss, "lines", "of folio_touch_lines, those counted in touch_lines_miss", how: "counted as priced", since: 14),
        count("folio_touch_lines_miss_stream", \.folioTouchLinesMissStream, "lines", "of folio_touch_lines, those counted in touch_lines_miss_stream", how: "counted as priced", since: 14),
        real("touched_lines_per_page_mean", \.touchedLinesPerPageMean, "lines", "distinct lines touched per page over the trace, the faulting line included (page-touch traces; 0 otherwise)", how: "mean over pages of the touched-line count"),
        count("faults_touch_transferred", \.faultsTouchTransferred, "faults", "zero-fill faults whose touched lines came from a touch profile (--touch profile:FILE): the share of faults it covered", how: "faults of the profile's commands (comm, first 15 bytes), each drawn from its command's measured distribution", since: 5),
        count("touch_lines_hit", \.touchLinesHit, "lines", "touched lines (first and later) that hit the nearest simulated cache: the CPU's L2, else the LLC", how: "each costs line_hit_ns; with the next three, the touches' prices are re-applied exactly for a verdict's range", since: 5),
        count("touch_lines_llc_hit", \.touchLinesLLCHit, "lines", "touched lines that missed the CPU's private L2 and hit the LLC: of a fault's first touches, the page's first; every one of a page-touch record", how: "each costs llc_hit_ns (0 unless the L2 is simulated)", since: 5),
        count("touch_lines_llc_hit_stream", \.touchLinesLLCHitStream, "lines", "a fault's first touches that missed the CPU's private L2 and hit the LLC after another of the same page (streamed: they run through the page in order, and the L2's prefetcher has them on the way, as it has memory's)", how: "each costs the lower of llc_hit_ns and line_miss_stream_ns (an LLC streams at least as fast as memory)", since: 12),
        count("touch_lines_miss", \.touchLinesMiss, "lines", "touched lines that missed the LLC, the first of their page in one visit", how: "each costs line_miss_ns", since: 5),
        count("touch_lines_miss_stream", \.touchLinesMissStream, "lines", "touched lines that missed the LLC after another of the same page in one visit (streamed)", how: "each costs line_miss_stream_ns", since: 5),
        real("cached_clear_cpu_ns", \.cachedClearCPUNs, "ns", "CPU time of cached clears (rep stosb), wherever they ran: the part of the zeroing the clear_cached rates price", how: "inline clears in faults and allocations, scrub jobs and clears at free that the cpu driver took", since: 5),
        real("non_temporal_clear_cpu_ns", \.nonTemporalClearCPUNs, "ns", "CPU time of non-temporal clears (cpu-nt driver), wherever they ran: the part of the zeroing the clear_non_temporal rates price", how: "scrub jobs and clears at free by the cpu-nt driver, at its cost; with cached_clear_cpu_ns, a verdict's range re-prices the clears exactly", since: 6),
        real("fault_rate", \.faultRate, "faults/s", "zero-fill faults per second of faulting time, as the program sees it", how: "faults / (fault_path_ns + touch_ns)") { ratio(Double($0.faults), ($0.faultPathNs + $0.touchNs) / 1e9) },
        real("faults_per_wall_second", \.faultsPerWallSecond, "faults/s", "zero-fill faults per second of the trace's span", how: "faults / span_ns") { ratio(Double($0.faults), $0.spanNs / 1e9) },
        real("kernel_fault_rate", \.kernelFaultRate, "faults/s", "zero-fill faults per second of kernel fault time", how: "faults / fault_path_ns") { ratio(Double($0.faults), $0.faultPathNs / 1e9) },
        count("fault_latency_p50_ns", \.faultLatencyP50Ns, "ns", "median zero-fill fault latency", how: "HDR histogram of per-fault cost (kernel + first touch), 3 significant digits") { percentile($0, 50) },
        count("fault_latency_p99_ns", \.faultLatencyP99Ns, "ns", "99th percentile fault latency", how: "as fault_latency_p50_ns") { percentile($0, 99) },
        count("fault_latency_base_p50_ns", \.faultLatencyBaseP50Ns, "ns", "median latency of the order-0 zero-fill faults alone: what captured_fault_p50_ns (order 0) compares with", how: "HDR histogram of the order-0 faults' cost, 2 significant digits", since: 13) {
            $0.baseFaultLatency.totalCount == 0 ? 0 : $0.baseFaultLatency.valueAtPercentile(50)
        },
        count("fault_latency_base_p99_ns", \.faultLatencyBaseP99Ns, "ns", "99th percentile latency of the order-0 zero-fill faults alone", how: "as fault_latency_base_p50_ns", since: 13) {
            $0.baseFaultLatency.totalCount == 0 ? 0 : $0.baseFaultLatency.valueAtPercentile(99)
        },
        count("fault_latency_p999_ns", \.faultLatencyP999Ns, "ns", "99.9th percentile fault latency", how: "as fault_latency_p50_ns") { percentile($0, 99.9) },
        count("fault_latency_max_ns", \.faultLatencyMaxNs, "ns", "largest fault latency", how: "histogram maximum") { $0.faultLatency.totalCount == 0 ? 0 : $0.faultLatency.max },
        count("captured_faults_timed", \.capturedFaultsTimed, "faults", "the capture's own order-0 zero-fill faults timed by their memory counter (kmem:rss_stat on Linux 6.2 and later); 0 unless zero_fill_faults_with_counter is 90 % of faults", how: "a zero-fill fault whose task's counter rose within 100 ms of its allocation", since: 10) { $0.counted.tally.countersTellEachFault ? $0.capturedFaultTime.faults : 0 },
        count("captured_fault_p50_ns", \.capturedFaultP50Ns, "ns", "median time the capture's own order-0 zero-fill faults took up to their counter rise, tracepoints included: a measurement beside fault_latency_p50_ns, the model's", how: "from the page_fault event to its page's counter rise (do_anonymous_page raises it after the clear and the memcg charge, before mapping the page); HDR histogram, 3 significant digits", since: 10) { $0.counted.tally.countersTellEachFault ? $0.capturedFaultTime.percentile(50) : 0 },
        count("captured_fault_p99_ns", \.capturedFaultP99Ns, "ns", "99th percentile of the capture's own order-0 zero-fill fault times (reclaim, lock waits and preemption show here)", how: "as captured_fault_p50_ns", since: 10) { $0.counted.tally.countersTellEachFault ? $0.capturedFaultTime.percentile(99) : 0 },
        count("captured_fault_resolution_ns", \.capturedFaultResolutionNs, "ns", "how finely the capture timed its faults: 1000 when every time is a whole number of microseconds (ftrace's trace_pipe, perf script without --ns: the times above are then only to ±1 µs), else 1; 0 with none timed", how: "whether every captured fault time is a multiple of 1000 ns", since: 12) { $0.counted.tally.countersTellEachFault ? $0.capturedFaultTime.resolutionNs : 0 },
        real("fault_latency_mean_ns", \.faultLatencyMeanNs, "ns", "mean fault latency", how: "histogram mean") { $0.faultLatency.totalCount == 0 ? 0 : $0.faultLatency.mean },
        Metric(name: "fault_latency_cdf", unit: "[ns, fraction]", meaning: "fault latency at fixed percentiles (for CDF charts)", how: "histogram at 0.1 .. 100 %", access: .series(\.faultLatencyCDF, derive: { $0.latencyCDF() })),
        count("zero_requests", \.zeroRequests, "requests", "allocations that need a zeroed block", how: "__GFP_ZERO allocations, user and kernel, and THP/mTHP zero-fill faults (cleared by folio_zero_user without __GFP_ZERO)"),
        count("zero_hits", \.zeroHits, "requests", "zero requests served by an already-zeroed block", how: "counted at allocation"),
        real("zero_hit_rate", \.zeroHitRate, "fraction", "share of zero requests served zeroed", how: "zero_hits / zero_requests") { ratio(Double($0.zeroHits), Double($0.zeroRequests)) },
        count("zero_hit_pages", \.zeroHitPages, "pages", "pages handed out zeroed (a hit's whole block, the clean part of a partly clean one)", how: "counted at allocation; with --check, never more than pages_zeroed_before_window + pages_zeroed_scrubber + pages_zeroed_free_path (the oracle excepted: it is a bound)", since: 3),
        count("pages_zeroed_before_window", \.pagesZeroedBeforeWindow, "pages", "free pages zeroed before the measured window", how: "the warm-up's scrub jobs (--warmup idle:S), and under a policy that zeroes at free the capture's free memory (zeroed when freed)", since: 3),
        real("warmup_cpu_ns", \.warmupCPUNs, "ns", "CPU time that zeroed pages_zeroed_before_window (not in total_cpu_ns)", how: "driver cost of each warm-up scrub job; at-free zeroing priced at the first driver's cost per page", since: 3),
        real("warmup_engine_ns", \.warmupEngineNs, "ns", "zeroing-engine time in the warm-up", how: "engine cost of each warm-up job", since: 3),
        count("kernel_zero_requests", \.kernelZeroRequests, "requests", "zero requests outside a zero-fill fault: the kernel's own (page tables and the like) and user pages zeroed without a fault (zeroed_user_pages_without_fault)", how: "__GFP_ZERO allocations outside a zero-fill fault"),
        real("alloc_path_zeroing_ns", \.allocPathZeroingNs, "ns", "clearing done in the allocation path outside faults", how: "kernel zero requests served unzeroed, cleared by the cached clear"),
        count("pcp_drained_pages", \.pcpDrainedPages, "pages", "pages the model's per-CPU lists gave back to the buddy lists (where a scrubber or a zeroed pool can take them)", how: "pcp_batch pages each time a free takes a list past pcp_high (free_pcppages_bulk)", since: 13),
        count("captured_pcp_drained_pages", \.capturedPCPDrainedPages, "pages", "pages the capture's kernel gave back from its per-CPU lists to the buddy lists, when it recorded kmem:mm_page_pcpu_drain: what pcp_drained_pages models under zero-on-fault", how: "each mm_page_pcpu_drain event's 2^order pages", since: 13),
        real("alloc_path_refill_ns", \.allocPathRefillNs, "ns", "per-CPU list refills by allocations outside zero-fill faults (those in faults are in fault_batch_ns)", how: "pages moved by rmqueue_bulk x pcp_refill_ns_per_page (fault_batches)", since: 4),
        real("fault_zeroing_ns", \.faultZeroingNs, "ns", "inline clearing inside zero-fill faults (part of fault_path_ns)", how: "clear_cached cost of each unzeroed block a fault got"),
        count("pages_zeroed_fault_path", \.pagesZeroedFaultPath, "pages", "pages cleared inside faults", how: "counted per clear"),
        count("pages_zeroed_alloc_path", \.pagesZeroedAllocPath, "pages", "pages cleared in the allocation path outside faults", how: "counted per clear"),
        count("pages_zeroed_scrubber", \.pagesZeroedScrubber, "pages", "pages zeroed in the background", how: "scrub jobs completed"),
        count("pages_zeroed_free_path", \.pagesZeroedFreePath, "pages", "pages zeroed when freed (init_on_free)", how: "counted per free"),
        Metric(name: "pages_zeroed_by_driver", unit: "pages", meaning: "background and free-path zeroing by zero driver", how: "the driver that took each block", access: .counts(\.pagesZeroedByDriver)),
        count("wasted_zeroing_pages", \.wastedZeroingPages, "pages", "zeroed pages handed to requests that did not need zero, or cleared again: a THP/mTHP fault's folio_zero_user over a folio zeroed at free, or (before 6.13) after init_on_alloc's clear", how: "zeroed blocks taken by non-zero allocations, and the zeroed pages of folios a fault cleared anyway"),
        count("bytes_zeroed", \.bytesZeroed, "bytes", "all bytes cleared, wherever: the zeroing's memory traffic, all of it writes (cached clears written back on eviction, non-temporal and DMA clears streamed); a clear reads nothing", how: "sum of every clear"),
        real("scrubber_cpu_ns", \.scrubberCPUNs, "ns", "CPU time of background zeroing", how: "driver cost of each scrub job on the CPU"),
        count("scrubber_jobs", \.scrubberJobs, "jobs", "background zeroing jobs", how: "counted"),
        real("scrubber_cpu_from_tasks_ns", \.scrubberCPUFromTasksNs, "ns", "scrubber CPU time taken from the node's busy tasks (part of scrubber_cpu_ns): the delay a normal-priority scrubber (kscrubd) causes the workload", how: "when no CPU of its node is idle, the scrubber gets busy / (runnable + 1) of a CPU (CFS fair share with the node's runnable tasks); idle time is used first", since: 4),
        count("scrubber_load_sleeps", \.scrubberLoadSleeps, "sleeps", "times an awake scrubber slept because the load average was at or above scrub_load (kscrubd-v8: 30 s each)", how: "counted at the load check before each job", since: 4),
        real("idle_ns", \.idleNs, "ns", "idle CPU time the trace offered", how: "sched_switch to idle, or idle_fraction of the span where the capture does not give it (trace.idle_source)"),
        real("idle_untraced_ns", \.idleUntracedNs, "ns", "trace time before the capture's sched_switch events gave idle time, taken at --idle-fraction: up to the first switch out of idle (the first switch where the capture tools' metadata lists them), the whole span when none did (trace.idle_source)", how: "the event time of that switch", since: 11),
        count("sched_switches", \.schedSwitches, "switches", "sched_switch events replayed", how: "counted", since: 11),
        count("sched_switches_out_of_idle", \.schedSwitchesOutOfIdle, "switches", "of sched_switches, those out of the idle task (prev_pid 0): only a capture of every task has them (the tracepoint fires in the task switched out)", how: "counted", since: 11),
        count("sched_switches_unchained", \.schedSwitchesUnchained, "switches", "of sched_switches, those whose task switched out is not the one the CPU's previous switch put on: the capture missed a switch out, as a capture of some tasks (perf record without -a) does for every task it does not trace", how: "per CPU, against the previous switch's next_pid when that was not the idle task (the switch out of idle is often not recorded; SwitchChains)", since: 11),
        real("idle_used_fraction", \.idleUsedFraction, "fraction", "share of idle time the scrubber used", how: "(scrubber_cpu_ns - scrubber_cpu_from_tasks_ns) / idle_ns") { ratio($0.scrubberCPUNs - $0.scrubberCPUFromTasksNs, $0.idleNs) },
        real("engine_busy_ns", \.engineBusyNs, "ns", "time the zeroing engines were busy", how: "engine cost of each job it took"),
        Metric(name: "pool_samples", unit: "[ns, pages]", meaning: "zeroed free pages over time", how: "sampled during the replay", access: .series(\.poolSamples, derive: nil)),
        count("pool_empty_events", \.poolEmptyEvents, "events", "times the zeroed pool ran dry", how: "transitions to zero zeroed free pages"),
        count("zero_requests_pool_empty", \.zeroRequestsPoolEmpty, "requests", "zero requests that found no zeroed block", how: "counted at allocation"),
        real("first_pool_empty_ns", \.firstPoolEmptyNs, "ns", "when the zeroed pool first ran dry (-1: never)", how: "trace time of the first empty pool") { $0.firstPoolEmptyNs ?? -1 },
        count("frees", \.frees, "frees", "frees replayed", how: "mm_page_free events of modelled blocks"),
        real("free_path_ns", \.freePathNs, "ns", "the free path's cost, its zeroing included", how: "free_path_ns per free + clearing at free"),
        real("free_path_zeroing_ns", \.freePathZeroingNs, "ns", "zeroing at free (part of free_path_ns): 0 unless the policy or the kernel (init_on_free) zeroes freed pages", how: "driver cost of each clear at free (init_on_free)", since: 4),
        count("llc_accesses", \.llcAccesses, "accesses", "LLC accesses of touches and clears", how: "LRU cache model"),
        count("llc_misses", \.llcMisses, "misses", "LLC misses of touches plus the lines cached clears installed (a clear's line fill counted as a miss; see llc_demand_misses)", how: "LRU cache model"),
        count("llc_misses_touch", \.llcMissesTouch, "misses", "LLC misses of the program's touches", how: "LRU cache model"),
        count("llc_demand_misses", \.llcDemandMisses, "misses", "LLC misses the program waits for: its first and later touches (equal to llc_misses_touch)", how: "touch misses in the LRU cache model; a clear's stores are not demand misses: rep stosb writes whole lines with no read for ownership", since: 4) { $0.llcMissesTouch },
        count("llc_lines_filled_by_zeroing", \.llcLinesFilledByZeroing, "lines", "lines cached clears installed in the LLC that were not there (written back to memory later, never read from it)", how: "line fills of every cached clear, counted by the LRU cache model", since: 4),
        count("llc_misses_pollution", \.llcMissesPollution, "misses", "touch misses on lines a clear evicted", how: "victim table of lines evicted by clears"),
        count("llc_lines_evicted_by_zeroing", \.llcLinesEvictedByZeroing, "lines", "lines clears pushed out of the LLC", how: "LRU cache model"),
        count("llc_invalidations_of_present_lines", \.llcInvalidationsOfPresentLines, "lines", "cached lines a non-temporal or DMA clear invalidated", how: "LRU cache model"),
        count("l2_accesses", \.l2Accesses, "accesses", "private L2 accesses, summed over CPUs (0 unless simulated)", how: "LRU model per CPU"),
        count("l2_misses", \.l2Misses, "misses", "private L2 misses (0 unless simulated)", how: "LRU model per CPU"),
        count("l2_misses_touch", \.l2MissesTouch, "misses", "private L2 misses of touches", how: "LRU model per CPU"),
        count("l2_lines_evicted_by_zeroing", \.l2LinesEvictedByZeroing, "lines", "lines clears pushed out of private L2s", how: "LRU model per CPU"),
        real("working_set_bytes", \.workingSetBytes, "bytes", "the hot set each running task is assumed to keep re-reading in its CPU's private L2 (0 without a simulated L2 or on page-touch traces, which record the program's own accesses)", how: "--working-set-kib, else assumed: 32 KiB, the median measured on the other programs of the bundled page-touch captures (a task whose command a touch profile measured: its hot_set_bytes); per task at most the anonymous memory it faulted when its fork or exec is in the trace; none for tasks that fault none", since: 6),
        count("working_set_refetch_lines", \.workingSetRefetchLines, "lines", "hot-set lines the running tasks read again from the LLC because their CPU's fills (cached clears, first touches) evicted them from its L2", how: "per L2 set, each fill evicting a random way: k lines filled since the task's last re-read leave h (1 - 1/ways)^k of its h hot lines (expected, rounded once at the end); re-read every hot lines x 6.8 ns of running (--working-set-reuse continuous) or when it leaves the CPU (none)", since: 6),
        real("working_set_refetch_ns", \.workingSetRefetchNs, "ns", "the program's time re-reading those lines (in total_cpu_ns)", how: "working_set_refetch_lines x llc_hit_ns", since: 6),
        count("working_set_refetch_lines_at_l2_size", \.workingSetRefetchLinesAtL2Size, "lines", "working_set_refetch_lines had the hot set been the whole L2 (the range's upper end)", how: "the same model with working_set_bytes = the L2's size, in the same replay", since: 6),
        count("working_set_refetch_lines_other_reuse", \.workingSetRefetchLinesOtherReuse, "lines", "working_set_refetch_lines under the other --working-set-reuse (the range's other end)", how: "the same model with the other reuse, in the same replay", since: 6),
        count("working_set_tasks", \.workingSetTasks, "tasks", "tasks the nominal hot set gives lines: those that faulted anonymous memory, none when it is 0 bytes", how: "counted by the hot-set model", since: 6),
        count("working_set_tasks_measured", \.workingSetTasksMeasured, "tasks", "of working_set_tasks, those whose hot set a touch profile measured for their command (--touch profile:FILE); the others assume working_set_bytes", how: "a task's fault tagged with a command whose profile has hot_set_bytes", since: 6),
        real("total_cpu_ns", \.totalCPUNs, "ns", "who pays: CPU time that depends on the policy, the program's touches and re-reads included", how: "fault_path_ns + alloc_path_zeroing_ns + alloc_path_refill_ns + scrubber_cpu_ns + free_path_ns + touch_ns + later_touch_ns + folio_touch_ns + working_set_refetch_ns (touch hits, misses and L2/LLC re-misses; format 13 and older: without folio_touch_ns; format 5 and older: without working_set_refetch_ns; format 3 and older: fault_path_ns + alloc_path_zeroing_ns + scrubber_cpu_ns + free_path_ns + touch_miss_ns)") {
            $0.faultPathNs + $0.allocPathZeroingNs + $0.allocPathRefillNs + $0.scrubberCPUNs + $0.freePathNs + $0.touchNs + $0.laterTouchNs
                + $0.folioTouchNs + $0.workingSetRefetchNs
        },
        count("events", \.events, "events", "trace events replayed", how: "counted"),
        count("allocations", \.allocations, "allocations", "allocations replayed", how: "mm_page_alloc events"),
        count("trace_failed_allocations", \.traceFailedAllocations, "allocations", "allocations the trace shows failing", how: "pfn 0 / failed flag"),
        count("frees_of_pages_allocated_before_capture", \.freesOfPagesAllocatedBeforeCapture, "frees", "frees of pfns the trace never allocated", how: "unknown pfn at free"),
        count("frees_not_modelled", \.freesNotModelled, "frees", "frees the model could not place", how: "counted"),
        count("second_allocations_of_live_pfn", \.secondAllocationsOfLivePfn, "allocations", "allocations of a pfn still live in the trace that no lost free explains (--strict rejects them)", how: "pfn map hit at allocation, not frees_lost_in_idle_context"),
        count("frees_lost_in_idle_context", \.freesLostInIdleContext, "frees", "frees the capture lost in a CPU's idle context (RCU page-table frees: tlb_remove_table_rcu), found when the page is allocated again; replayed then", how: "an allocation of a live order-0 kernel page on a CPU that went idle since and shows no idle-context event in the capture (IdleContextFrees)", since: 4),
        count("model_out_of_memory", \.modelOutOfMemory, "allocations", "allocations the model could not satisfy (after a THP/mTHP fault's fallback to order 0)", how: "no free block of the order"),
        count("model_huge_fallbacks", \.modelHugeFallbacks, "faults", "THP/mTHP faults the model could not serve at their order (its free memory too fragmented), served as the kernel falls back: one order-0 zero-fill fault per base page", how: "no free block of the folio's order; each base page then faults at order 0 (thp_fault_fallback)", since: 4),
        count("timestamps_backwards", \.timestampsBackwards, "events", "events whose timestamp goes back on their CPU", how: "counted"),
        count("events_on_cpus_beyond_profile", \.eventsOnCPUsBeyondProfile, "events", "events on CPUs the machine does not have", how: "cpu >= cpus"),
        count("allocations_above_max_order", \.allocationsAboveMaxOrder, "allocations", "allocations above the machine's max order", how: "order > max_order"),
        count("lost_events", \.lostEvents, "events", "events the capture says it lost", how: "perf LOST records, ftrace LOST lines"),
        real("span_ns", \.spanNs, "ns", "time from the first to the last event", how: "trace or model time"),
        count("invariant_checks", \.invariantChecks, "checks", "allocator invariant checks run", how: "with --check"),
    ]
}
