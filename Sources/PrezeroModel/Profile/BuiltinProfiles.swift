/// The built-in machine profiles. Every value says where it comes from in `sources`.
///
/// Two parameters per published machine are fitted (`tools/validate-lameter.sh` prints the fit):
/// `fault_base_ns` and the per-CPU memory bandwidth `W`, from which the line-miss costs
/// (line / W) and the cached clear rate (W / 2: each cleared line is read for ownership, then
/// written back) follow. Everything else is taken from a source or is a stated assumption.
package enum BuiltinProfiles {
    package static let all: [MachineProfile] = [altixSN2, pentium3x450, epycZen5VM]

    package static func named(_ name: String) -> MachineProfile? { all.first { $0.name == name } }

    package static var names: [String] { all.map(\.name) }

    // MARK: SGI Altix (SN2), Itanium 2, 2004

    /// Fitted to Lameter's published Altix figures (see docs/validation.md).
    static let altixFaultBaseNs = 1_935.0
    /// Fitted: effective per-CPU memory bandwidth, bytes/ns.
    static let altixBandwidth = 2.28

    package static let altixSN2 = MachineProfile(
        name: "altix-sn2",
        description: "SGI Altix 3000 (SN2): 8 Itanium 2 CPUs in 4 nodes, 6 GB, 16 KiB pages, one BTE per node",
        pageBytes: 16_384, lineBytes: 128, memoryBytes: 6 << 30, nodes: 4, cpus: 8, maxOrder: 10,
        pcpBatch: 7, pcpHigh: 42, initiallyFreeFraction: 0.92,
        faultBaseNs: altixFaultBaseNs, faultPerExtraPageNs: 0,
        lineHitNs: 5, lineMissNs: 128 / altixBandwidth, lineMissStreamNs: 128 / altixBandwidth, freePathNs: 300,
        clearCached: ClearCost(setupNs: 0, points: [.init(extentBytes: 0, bytesPerNs: altixBandwidth / 2)]),
        clearNonTemporal: ClearCost(setupNs: 0, points: [.init(extentBytes: 0, bytesPerNs: altixBandwidth)]),
        llc: CacheGeometry(sizeBytes: 6 << 20, ways: 24, lineBytes: 128), l2: nil,
        engines: [
            EngineSpec(
                kind: "bte", minBytes: 60_000, maxBytes: 8 << 20, bytesPerNs: 0.5, setupNs: 1_000, completionNs: 500,
                perNode: 1)
        ],
        sources: [
            "page_bytes": "ia64 16 KiB pages (Lameter's figures: 'ia64 pages are 16 KiB'), Pine.LNX.4.58.0412231119540.31791@schroedinger.engr.sgi.com",
            "line_bytes": "Itanium 2 L2/L3 line 128 B",
            "cpus": "Lameter's test machine: 'Altix, 8 CPU'",
            "fault_per_extra_page_ns": "0: only order-0 faults in the published runs",
            "memory_bytes": "Lameter's test machine: 'Altix, 8 CPU, 6 GB'",
            "nodes": "Altix 3000 node = 2 Itanium 2 CPUs + SHub + memory: 8 CPUs = 4 nodes (assumption from the SN2 architecture)",
            "max_order": "MAX_ORDER 11 (orders 0-10), arch/ia64 default without hugetlb (assumption)",
            "pcp_batch": "2.6.10 zone_batchsize(): 256 KiB / 16 KiB / 4 = 4, clamped to 2^n-1 = 7",
            "pcp_high": "2.6.10: 6 * batch",
            "initially_free_fraction": "assumption: 0.5 GB of 6 GB in use at start",
            "fault_base_ns": "fitted (tools/validate-lameter.sh): 1-line prezeroed fault rate 500,814/s, V3 0/4 Pine.LNX.4.58.0501041510430.1536@schroedinger.engr.sgi.com",
            "line_hit_ns": "assumption: Itanium 2 L2 hit ~7 cycles at 1.5 GHz",
            "line_miss_ns": "line / W, W fitted (tools/validate-lameter.sh) to the 1..128-lines series and the 69,585 faults/s without prezeroing",
            "line_miss_stream_ns": "line / W (as line_miss_ns)",
            "free_path_ns": "assumption: ~450 cycles to free one block",
            "clear_cached": "W / 2: each cleared line is read for ownership and written back",
            "clear_non_temporal": "W: write only (assumption; unused by the published runs)",
            "llc": "Itanium 2 (Madison) L3: 6 MiB, 24-way, 128 B lines",
            "engines.bte": "Lameter's BTE zero driver: refuses < 60,000 B and > 8 MiB, assumes 500 MB/s; setup and completion ns are assumptions",
        ])

    // MARK: 2x Pentium III 450 MHz, 1999

    static let piiiFaultBaseNs = 1_468.8
    static let piiiBandwidth = 1.680

    package static let pentium3x450 = MachineProfile(
        name: "piii-450",
        description: "2x Pentium III 450 MHz (Katmai), 384 MB, 4 KiB pages, 32 B lines, no zeroing engine",
        pageBytes: 4_096, lineBytes: 32, memoryBytes: 384 << 20, nodes: 1, cpus: 2, maxOrder: 10,
        pcpBatch: 31, pcpHigh: 186, initiallyFreeFraction: 0.85,
        faultBaseNs: piiiFaultBaseNs, faultPerExtraPageNs: 0,
        lineHitNs: 7, lineMissNs: 32 / piiiBandwidth, lineMissStreamNs: 32 / piiiBandwidth, freePathNs: 500,
        clearCached: ClearCost(setupNs: 0, points: [.init(extentBytes: 0, bytesPerNs: piiiBandwidth / 2)]),
        clearNonTemporal: ClearCost(setupNs: 0, points: [.init(extentBytes: 0, bytesPerNs: piiiBandwidth)]),
        llc: CacheGeometry(sizeBytes: 512 << 10, ways: 4, lineBytes: 32), l2: nil,
        engines: [],
        sources: [
            "memory_bytes": "Lameter's test machine: '2x PIII-450, 384 MB'",
            "page_bytes": "i386 4 KiB pages",
            "nodes": "one memory node (SMP)",
            "cpus": "Lameter's test machine: '2x PIII-450'",
            "fault_per_extra_page_ns": "0: only order-0 faults in the published runs",
            "line_bytes": "Pentium III cache line 32 B",
            "max_order": "MAX_ORDER 11 (orders 0-10), i386",
            "pcp_batch": "2.6.10 zone_batchsize(): 256 KiB / 4 KiB / 4 = 16, clamped to 2^n-1 = 31",
            "pcp_high": "2.6.10: 6 * batch",
            "initially_free_fraction": "assumption: ~55 MB of 384 MB in use at start",
            "fault_base_ns": "fitted (tools/validate-lameter.sh): 672,151 faults/s with prezeroing, 1 rep, V2 0/3 Pine.LNX.4.58.0412231119540.31791@schroedinger.engr.sgi.com",
            "line_hit_ns": "assumption: Katmai off-die L2 hit ~3 bus cycles at 225 MHz",
            "line_miss_ns": "line / W, W fitted (tools/validate-lameter.sh) to 157,455 faults/s without prezeroing",
            "line_miss_stream_ns": "line / W",
            "free_path_ns": "assumption: ~225 cycles",
            "clear_cached": "W / 2: read for ownership + write back",
            "clear_non_temporal": "W (assumption)",
            "llc": "Katmai L2: 512 KiB, 4-way, 32 B lines",
        ])

    // MARK: This project's machine kind: 2 vCPU KVM guest on AMD EPYC (Zen 5), kernel 6.18

    /// Linux 6.18's periodic fault-path work on this machine (tools/measure-fault-latency.sh).
    static let epycFaultBatches: FaultBatchCosts = {
        var costs = FaultBatchCosts()
        costs.lruBatch = 31
        costs.lruBatchNs = 3_300
        costs.memcgChargeBatch = 64
        costs.memcgChargeNs = 50
        costs.pageTableNs = 2_950
        return costs
    }()

    package static let epycZen5VM = MachineProfile(
        name: "epyc-zen5-vm",
        description: "2 vCPU KVM guest, AMD EPYC Zen 5, 24 GiB, 4 KiB pages, kernel 6.18 (notes §4 measurements)",
        pageBytes: 4_096, lineBytes: 64, memoryBytes: 24 << 30, nodes: 1, cpus: 2, maxOrder: 10,
        pcpBatch: 63, pcpHigh: 378, initiallyFreeFraction: 0.9,
        faultBaseNs: 1_142, faultPerExtraPageNs: 6.15,
        lineHitNs: 3, llcHitNs: 10.4, lineMissNs: 100, lineMissStreamNs: 8.7, freePathNs: 120,
        clearCached: ClearCost(
            setupNs: 0,
            points: [.init(extentBytes: 0, bytesPerNs: 91), .init(extentBytes: 2 << 20, bytesPerNs: 25)]),
        clearNonTemporal: ClearCost(
            setupNs: 0,
            points: [.init(extentBytes: 0, bytesPerNs: 27.3), .init(extentBytes: 2 << 20, bytesPerNs: 91)]),
        llc: CacheGeometry(sizeBytes: 32 << 20, ways: 16, lineBytes: 64),
        l2: CacheGeometry(sizeBytes: 1 << 20, ways: 16, lineBytes: 64),
        // Zen 5 has no memory-zeroing engine; a DSA-like one can be tried with a profile file
        // (`engines = [{ kind = "dsa", ... }]`), and is then marked hypothetical in reports.
        engines: [],
        faultBatches: epycFaultBatches,
        sources: epycSources,
        uncertainty: [
            "line_miss_ns": ParameterRange(
                low: 13.3, high: 160,
                source: "notes §4: a store to a cold, long-zeroed page costs 13.3 ns in a streaming loop; a dependent load that misses to DRAM ~160 ns"),
            "line_miss_stream_ns": ParameterRange(
                low: 6.9, high: 10.3, source: "notes §4: reading a non-temporally cleared 4 KiB page back costs 440-660 ns more, 6.9-10.3 ns a line"),
            "llc_hit_ns": ParameterRange(
                low: 7.0, high: 13,
                source: "7.0: fitted to the real program's L2 pollution (traces/l2-pollution-*: 63.6 re-misses a fault for the measured ~255 ns, docs/model.md); 13: an L3 hit measured by a pointer chase (notes §4)"),
            "clear_cached_page_ns": ParameterRange(
                low: 28.6, high: 178, source: "notes §4: clearing 4 KiB with rep stosb, target hot 28.6 ns, cold back to back ~178 ns"),
            // The fault path's own warmth (docs/model.md): fault_base_ns is back to back.
            "fault_base_ns": ParameterRange(
                low: 1_142, high: 2_521,
                source: "measured on this machine kind (docs/validation-host.md, tools/make-validation-host.sh, 2026-12-06): 1,142 from back-to-back faults, whose code and data stay in cache (notes §4); 2,521 from gcc's cc1, whose faults fall between compiler work: 141.0 ms of zero-fill fault time by perf sampling over 52,625 faults (2,679 ns a fault), less the clear (45 ns) and fault_batches (113 ns). A real program, not a bound: a fault after the program stored to 64-128 MiB of its own data cost 16-18 us on a Zen 4 VM (tools/workloads/fault-warmth.c, docs/model.md); prezero calibrate measures a calibrated profile's high end (write_fault_cold_ns, after an LLC's worth)"),
        ])

    static let epycSources: [String: String] = [
            "memory_bytes": "this machine: 24 GiB (notes §4)",
            "page_bytes": "x86-64 4 KiB pages",
            "line_bytes": "Zen 5 64 B lines",
            "nodes": "one memory node in the VM",
            "cpus": "2 vCPUs (notes §4)",
            "max_order": "MAX_PAGE_ORDER 10 (x86-64, 6.x)",
            "pcp_batch": "6.x zone_batchsize() cap: 63",
            "pcp_high": "assumption: 6 * batch (6.x computes it from zone size and CPUs)",
            "initially_free_fraction": "assumption",
            "fault_base_ns": "derived from a measurement (notes §4): a write fault of 1 byte per 4 KiB page ~1,300 ns on average, less the clear (45 ns) and the mean of fault_batches (113 ns: 3,300/31 + 50/64 + 2,950/512)",
            "fault_batches.lru_batch": "FOLIO_BATCH_SIZE 31 (include/linux/pagevec.h, 6.x); measured: the slow faults of tools/workloads/fault-latency.c are most often 31 faults apart",
            "fault_batches.lru_batch_ns": "measured (tools/measure-fault-latency.sh, 2026-12-02): the slow faults 31 apart cost 2.5-3.7 us more than the median fault (medians of five sets of runs; the host's load moves it); 3,300 is an assumption inside that range",
            "fault_batches.memcg_charge_batch": "MEMCG_CHARGE_BATCH 64 (include/linux/memcontrol.h, 6.x)",
            "fault_batches.memcg_charge_ns": "measured (tools/measure-fault-latency.sh, 2026-12-02): the fault at the peak phase of a 64-fault period is 30-70 ns slower than the median phase",
            "fault_batches.pcp_refill_ns_per_page": "not seen: no excess at a 63-fault (pcp_batch) period in tools/measure-fault-latency.sh; 6.x tunes the refill size at run time",
            "fault_batches.pcp_drain_ns_per_page": "not measured (the fault test frees nothing until munmap)",
            "fault_batches.page_table_ns": "measured (tools/measure-fault-latency.sh, 2026-12-02): a fault that opens a 2 MiB span costs 1.3-4.0 us more than the median fault (five sets of runs); 2,950 (3,000 less the page-table page's 45 ns clear) is an assumption inside that range",
            "fault_per_extra_page_ns": "measured (notes §4): 2 MiB THP fault 84-92 us, ~95 % clearing -> ~4.4 us without clearing",
            "line_hit_ns": "assumption: L2 hit ~14 cycles",
            "llc_hit_ns": "derived from a measurement (notes §4) through the model: re-reading a 1 MiB working set after 256 fresh 4 KiB faults costs ~255 ns more per fault; in the model those faults' cached clears cost the re-read 8,768 more L2 misses (34.25 a fault; PublishedWorkTests.l2PollutionByInlineClears), so llc_hit - line_hit = 255 / 34.25 = 7.4 ns (fitted: not a prediction). The real program's lackey trace (traces/l2-pollution-*) gives 63.6 misses a fault and so 1.8x the measured cost (docs/model.md); a pointer chase measures an L3 hit at ~13 ns",
            "line_miss_ns": "assumption: DRAM latency ~100 ns on Zen 5 (no hardware counters in the VM)",
            "line_miss_stream_ns": "measured (notes §4): reading a non-temporally cleared 4 KiB page back costs 440-660 ns more (~8.7 ns a line)",
            "free_path_ns": "assumption",
            "clear_cached": "measured (notes §4): 4 KiB in the fault ~45 ns (91 B/ns); 2 MiB cold in 4 KiB chunks 84 us (25 B/ns)",
            "clear_non_temporal": "measured (notes §4): 4 KiB ~150 ns (27.3 B/ns); 2 MiB ~23 us (91 B/ns)",
            "llc": "measured (notes §4): L3 32 MiB shared; 16-way, 64 B lines (Zen 5)",
            "l2": "measured (notes §4): L2 1 MiB, 16-way, per core",
            "engines": "none: AMD Zen 5 has no memory-zeroing offload engine (Intel DSA is a Xeon part)",
        ]
}
