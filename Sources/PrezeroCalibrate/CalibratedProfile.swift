import PrezeroModel

extension Calibration.Result {
    /// The measurements as a machine profile named `host`. Each measured field's source names
    /// the tool, host, kernel, CPU, date and repetitions and gives median [min-max]; its spread
    /// goes to `measured_ranges`. What calibrate does not measure (kernel constants, the fault
    /// path's periodic work, the free path) comes from `template`, and its source says so.
    package func profile(template: MachineProfile, tool: String) -> MachineProfile {
        var p = template
        let reps = values.first?.value.reps ?? 0
        let origin = host.source(tool: tool, reps: reps)
        p.name = "host"
        p.description = "\(host.hostname): \(host.cpuModel), \(host.cpus) CPUs, \(host.memoryBytes >> 30) GiB, kernel \(host.kernelRelease); measured by \(tool) on \(host.date)"
        var sources: [String: String] = [:]
        for (key, source) in template.sources {
            sources[key] = "not measured by calibrate: from the built-in \(template.name): \(source)"
        }
        var ranges: [String: [Double]] = [:]
        var warmth: ParameterRange?  // fault_base_ns from warm to cold: a verdict's range, not a spread
        func measured(_ key: String, _ text: String, range: [Double]? = nil) {
            sources[key] = "measured: \(text) (\(origin))"
            if let range { ranges[key] = range }
        }
        func m(_ key: String) -> Measured? { self[key] }

        // Sizes: this machine.
        p.cpus = host.cpus
        p.nodes = host.nodes
        p.pageBytes = host.pageBytes
        p.lineBytes = host.lineBytes
        let maxBlock = UInt64(host.pageBytes << p.maxOrder) * UInt64(host.nodes)
        if host.memoryBytes >= maxBlock { p.memoryBytes = host.memoryBytes / maxBlock * maxBlock }
        sources["cpus"] = "this machine: \(host.cpus) online CPUs (\(origin))"
        sources["nodes"] = "this machine: /sys/devices/system/node"
        sources["page_bytes"] = "this machine: sysconf(_SC_PAGESIZE)"
        sources["memory_bytes"] = "this machine: MemTotal in /proc/meminfo, rounded down to max-order blocks"
        if host.cacheFromSysfs {
            p.llc = CacheGeometry(sizeBytes: host.llcBytes, ways: host.llcWays, lineBytes: host.lineBytes)
            p.l2 = CacheGeometry(sizeBytes: host.l2Bytes, ways: host.l2Ways, lineBytes: host.lineBytes)
            sources["llc"] = "this machine: /sys/devices/system/cpu/cpu0/cache (\(host.llcBytes >> 10) KiB, \(host.llcWays)-way)"
            sources["l2"] = "this machine: /sys/devices/system/cpu/cpu0/cache (\(host.l2Bytes >> 10) KiB, \(host.l2Ways)-way)"
            sources["line_bytes"] = "this machine: coherency_line_size"
        }

        // Clears: rate by extent, as the fault path and the scrubbers use them.
        if let hot = m("clear_4k_hot_ns"), let chunked = m("clear_2m_chunked_ns"), hot.median > 0, chunked.median > 0 {
            p.clearCached = ClearCost(setupNs: 0, points: [
                .init(extentBytes: 0, bytesPerNs: 4096 / hot.median),
                .init(extentBytes: 2 << 20, bytesPerNs: Double(2 << 20) / chunked.median),
            ])
            measured("clear_cached", "rep stosb, 4 KiB in cache \(hot.text) (\(Measured.format(4096 / hot.median)) B/ns); 2 MiB out of cache in 4 KiB chunks \(chunked.text)")
            // A verdict's range: a page's clear from the fastest hot to the slowest cold one.
            if let cold = m("clear_4k_cold_ns"), cold.max > 0 { ranges["clear_cached_page_ns"] = [hot.min, Swift.max(hot.max, cold.max)] }
        }
        if let nt4 = m("clear_nt_4k_ns"), let nt2 = m("clear_nt_2m_ns"), nt4.median > 0, nt2.median > 0 {
            p.clearNonTemporal = ClearCost(setupNs: 0, points: [
                .init(extentBytes: 0, bytesPerNs: 4096 / nt4.median),
                .init(extentBytes: 2 << 20, bytesPerNs: Double(2 << 20) / nt2.median),
            ])
            measured("clear_non_temporal", "non-temporal stores, 4 KiB with an sfence \(nt4.text); 2 MiB \(nt2.text)")
            ranges["clear_non_temporal_page_ns"] = [nt4.min, nt4.max]
        }

        // The fault: the measured mean less the in-fault clear and the periodic work's mean
        // (the template's fault_batches), as for the built-in epyc-zen5-vm.
        if let fault = m("write_fault_ns") {
            let clear = p.clearCached.ns(bytes: host.pageBytes)
            let batches = p.faultBatches.map { b in
                (b.lruBatch > 0 ? b.lruBatchNs / b.lruBatch : 0) + (b.memcgChargeBatch > 0 ? b.memcgChargeNs / b.memcgChargeBatch : 0)
                    + b.pageTableNs / 512
            } ?? 0
            func base(_ v: Double) -> Double { max(1, v - clear - batches) }
            p.faultBaseNs = base(fault.median)
            measured("fault_base_ns", "4 KiB write fault \(fault.text), less the clear (\(Measured.format(clear)) ns) and the mean of fault_batches (\(Measured.format(batches)) ns)", range: [base(fault.min), base(fault.max)])
            if let cold = m("write_fault_cold_ns"), cold.median > fault.median {
                warmth = ParameterRange(
                    low: base(fault.median), high: base(cold.median),
                    source: "measured: from back-to-back 4 KiB write faults (\(Measured.format(fault.median)) ns, the nominal), whose code and data stay in cache, to faults each after the program stored to as much data as the LLC holds (\(cold.text), the median fault of each repetition), each less the clear and fault_batches (\(origin))")
            }
        }
        if let thp = m("thp_fault_ns"), let chunked = m("clear_2m_chunked_ns") {
            let pages = Double((2 << 20) / host.pageBytes - 1)
            func extra(_ v: Double) -> Double { max(0, (v - chunked.median - p.faultBaseNs) / pages) }
            p.faultPerExtraPageNs = extra(thp.median)
            // Where the clear alone takes longer than the whole fault measured, the model's THP
            // fault is dearer than this machine's: said, not fitted away (docs/validation.md).
            let over = chunked.median + p.faultBaseNs - thp.median
            let disagreement = over > 0
                ? "; the clear and base fault alone exceed the measured fault by \(Measured.format(over)) ns, so 0 here and the model's THP fault costs that much more than this machine's"
                : ""
            measured(
                "fault_per_extra_page_ns",
                "2 MiB THP write fault \(thp.text), less its 4 KiB-chunked clear (\(Measured.format(chunked.median)) ns) and the base fault, per extra page\(disagreement)",
                range: [extra(thp.min), extra(thp.max)])
        }

        // Touches and loads.
        if let memory = m("load_memory_ns") {
            p.lineMissNs = memory.median
            measured("line_miss_ns", "dependent load missing to memory \(memory.text)", range: [memory.min, memory.max])
        }
        if let l2 = m("load_l2_ns") {
            p.lineHitNs = l2.median
            measured("line_hit_ns", "dependent load hitting the L2 \(l2.text)", range: [l2.min, l2.max])
        }
        if let llc = m("load_llc_ns") {
            p.llcHitNs = llc.median
            measured("llc_hit_ns", "dependent load hitting the LLC \(llc.text)", range: [llc.min, llc.max])
        }
        if let one = m("touch_one_store_ns"), let every = m("touch_every_line_ns") {
            let lines = Double(max(2, host.pageBytes / host.lineBytes) - 1)
            func stream(_ e: Double, _ o: Double) -> Double { max(0.1, (e - o) / lines) }
            p.lineMissStreamNs = stream(every.median, one.median)
            measured("line_miss_stream_ns", "stores to every line of a cold zeroed page \(every.text), less one store \(one.text), per further line",
                     range: [stream(every.min, one.max), stream(every.max, one.min)])
        }
        p.sources = sources
        p.measuredRanges = ranges
        // A verdict's range of what calibrate measured is its measured min-max, not the template's
        // declared range (range(of:) takes a declared one first): the template's range of
        // llc_hit_ns, 7-13 ns on the EPYC, need not contain this machine's value at all.
        for key in ranges.keys { p.uncertainty?[key] = nil }
        if let warmth { p.uncertainty = (p.uncertainty ?? [:]).merging(["fault_base_ns": warmth]) { $1 } }
        return p
    }
}
