import Foundation
import PrezeroModel
import PrezeroTrace

/// Replays trace events through the memory model under one policy, charging every cost.
///
/// Generic over the policy (the existential is opened once, in `Replay.run`), and a
/// `TraceEventSink`, so the decoder calls it directly.
package struct ReplayEngine<P: PrezeroPolicy>: TraceEventSink {
    package internal(set) var policy: P
    package let options: ReplayOptions
    package internal(set) var memory: MemoryModel
    package internal(set) var metrics = ReplayMetrics()
    package internal(set) var invariantProblems: [String] = []

    let profile: MachineProfile
    /// `profile.linesPerPage`, kept: a division every cleared or touched page otherwise.
    let linesPerPage: Int
    let drivers: [any ZeroDriver]
    let inlineClear: CPUCachedDriver
    /// What the policy and the kernel it runs on clear (`KernelMemoryInit`).
    let zeroing: AllocatorZeroing
    /// The largest request the first engine in the chain takes (split bigger blocks).
    let engineMaxBytes: Int
    let keepsPool: Bool
    var cache: CacheModel
    /// Private L2 per CPU (`ReplayOptions.privateL2` and a profile with `l2`), else empty.
    var l2: [CacheModel] = []
    var zeroingVictims = VictimTable()
    /// Each running task's hot set in its CPU's L2: the nominal setting, the L2's size and the
    /// other reuse (the verdict's range); nil without a simulated L2 or on a page-touch trace.
    var workingSets: WorkingSets?
    /// Other touch densities replayed beside this one (`ReplayOptions.touchShadows`).
    var shadows: [TouchShadow] = []
    /// The pid of the event being replayed.
    var eventPid: Int32 = 0
    /// Page-touch traces: lines touched so far per live page, and over every page's life the
    /// pages and their lines (a freed page's life is over: a later one at its address is another).
    var touchedByPage: [UInt64: LineMask] = [:]
    var touchedPages = 0
    var touchedLines = 0
    /// `--touch profile:FILE`: its commands' distributions in class order, and the draws made.
    let touchSamplers: [TouchProfile.Sampler]
    var touchDraws: [UInt64]
    /// The touch profile's measured hot set of each class's command, bytes.
    let hotSetBytesByClass: [Int?]
    var live = PFNMap()
    /// Huge folios the model served as base pages (`fallBackToBasePages`): trace pfn -> order.
    var fallbackFolios: [UInt64: Int] = [:]
    var cacheTrace: DinWriter?
    /// Cache counters when the window began (the warm-up's clears are not the window's).
    var cacheCountsAtWindowStart = CacheCounts()

    // Time.
    var now: Double = 0
    var started = false
    var firstTimestamp: Double = 0
    var cpuClock: [Double]
    var lastTimestampNs: UInt64 = 0
    var idle: [Bool]
    /// Idle CPUs in all and per node (kept by `setIdle`).
    var idleTotal = 0
    var idlePerNode: [Int]
    /// CPUs the capture did not record (`ReplayOptions.recordedCPUs`), in all and per node: no
    /// event says when they were idle, so each is taken idle `idleFraction` of the time, whatever
    /// its idle flag says (an event on one, or a warm-up, may set it: those of them idle are
    /// counted apart, to be taken out).
    var unrecorded: [Bool]
    var unrecordedTotal = 0
    var unrecordedPerNode: [Int]
    var unrecordedIdleTotal = 0
    var unrecordedIdlePerNode: [Int]
    /// The capture's sched_switch events give each CPU's idle time (`idleFromFraction` otherwise):
    /// from its first switch out of the idle task, or its first switch when the metadata says the
    /// capture tools recorded them (every CPU's). A capture of some tasks only (perf record
    /// without -a, a pid filter) has switches into idle but never one out of it: the tracepoint
    /// fires in the task switched out, and the idle task is never a traced task.
    var idleTraced = false
    /// What the switches say of the capture's scope, for the result (`RunResult.IdleSource`).
    var switchChains = SwitchChains()
    var loadAverage: Double
    /// Tasks switched out while runnable (sched_switch prev_state R), by pid -> CPU, until they run again.
    var preemptedTasks: [Int64: Int] = [:]
    var preemptedPerNode: [Int]
    var lastSampleAt: Double = -1
    var sampleEvery: Double = 1e6  // ns; doubles when the sample list grows long

    /// User write faults waiting for the allocation that serves them.
    var zeroFill: ZeroFillFaultMatcher
    /// What the trace gives for the capture's kernel counters (`KernelCounterCheck`).
    var kernelCounts: KernelCounterTally
    /// Frees the capture lost in a CPU's idle context.
    var idleContextFrees = IdleContextFrees()

    var scrubbers: [ScrubberState]
    var lastAdvance: Double = 0
    var coalesced: [Int] = []
    var poolWasEmpty = false
    /// In an idle warm-up every CPU is idle, whatever the trace says of its idle time.
    var warmingUp = false
    /// The fault path's periodic work, per CPU (`FaultBatchCosts`): folios in the LRU batch,
    /// pages left in the memcg charge stock, page-table pages of the fault in progress (ns).
    var lruBatchFill: [Int]
    var memcgStock: [Int]
    var pageTablesInFaultNs: [Double]

    package init(policy: P, options: ReplayOptions) throws {
        self.policy = policy
        self.options = options
        profile = options.profile
        let problems = profile.validationErrors()
        guard problems.isEmpty else { throw ProfileError("profile \(profile.name): " + problems.joined(separator: "; ")) }
        linesPerPage = profile.linesPerPage  // after the check: line_bytes > 0
        memory = MemoryModel(
            profile: profile, mergeRule: policy.mergeRule, zeroedPerCPULists: policy.keepsZeroedPerCPUList, pmdOrder: options.pmdOrder)
        if let highs = options.pcpHighPerCPU { memory.setListHighs(highs) }
        drivers = try ZeroDrivers.chain(policy.drivers, profile: profile)
        inlineClear = CPUCachedDriver(profile: profile)
        zeroing = AllocatorZeroing(policy: policy, kernel: options.kernelInit, version: options.kernel)
        engineMaxBytes = drivers.first(where: { $0.isEngine })?.maxBytes ?? Int.max
        keepsPool = policy.keepsZeroedPool
        touchSamplers = options.touchProfile.map { p in p.classNames.compactMap { p.commands[$0]?.sampler } } ?? []
        touchDraws = Array(repeating: 0, count: touchSamplers.count)
        hotSetBytesByClass = options.touchProfile.map { p in p.classNames.map { p.commands[$0]?.hotSetBytes } } ?? []
        (cache, l2, workingSets) = Self.caches(options, totalOnly: options.totalOnly)
        precondition(options.touchShadows.isEmpty || options.timebase == .trace, "touch shadows need the trace's time")
        shadows = options.touchShadows.map { touch in
            let (cache, l2, workingSets) = Self.caches(options, totalOnly: true)
            return TouchShadow(touch: touch, cache: cache, l2: l2, workingSets: workingSets)
        }
        cpuClock = Array(repeating: 0, count: max(profile.cpus, 1))
        idle = Array(repeating: false, count: max(profile.cpus, 1))
        idlePerNode = Array(repeating: 0, count: max(profile.nodes, 1))
        preemptedPerNode = idlePerNode
        unrecordedPerNode = idlePerNode
        unrecordedIdlePerNode = idlePerNode
        unrecorded = options.unrecordedCPUs
        for cpu in unrecorded.indices where unrecorded[cpu] {
            unrecordedTotal += 1
            unrecordedPerNode[memory.node(ofCPU: cpu)] += 1
        }
        loadAverage = options.initialLoadAverage ?? 0
        lruBatchFill = Array(repeating: 0, count: max(profile.cpus, 1))
        memcgStock = lruBatchFill
        pageTablesInFaultNs = Array(repeating: 0, count: max(profile.cpus, 1))
        zeroFill = ZeroFillFaultMatcher(pmdOrder: options.pmdOrder, cpus: profile.cpus, kernel: options.kernel)
        kernelCounts = KernelCounterTally(counters: options.kernelCounters)
        scrubbers = Array(repeating: ScrubberState(), count: profile.nodes)
        if let path = options.cacheTracePath { cacheTrace = try DinWriter(path: path) }

        if let blocks = options.initialFreeBlocks {
            memory.releaseInitialMemory(blocks: blocks, zeroed: zeroing.atFree)
        } else {
            memory.releaseInitialMemory(fraction: profile.initiallyFreeFraction, zeroed: zeroing.atFree)
        }
        let onLists = options.initialPCPPages.map { memory.fillPerCPULists($0, zeroed: zeroing.atFree) } ?? 0
        if zeroing.atFree {
            // Zeroed when they were freed, before the capture: paid then, shown apart.
            let pages = memory.zeroedFreePages + onLists
            metrics.pagesZeroedBeforeWindow = UInt64(pages)
            metrics.warmupCPUNs = Double(pages) * clearAtFreeCost(bytes: profile.pageBytes).0.cpuNs
        }
        if case .idle(let seconds) = options.warmup, seconds > 0 { idleWarmUp(ns: seconds * 1e9) }
    }

    /// The LLC, each CPU's private L2 (when simulated) and the hot sets in them: the nominal
    /// setting, and unless the run is read for its total only, the L2's size and the other reuse
    /// (the verdict's range).
    static func caches(_ options: ReplayOptions, totalOnly: Bool) -> (CacheModel, [CacheModel], WorkingSets?) {
        let profile = options.profile
        let lines = profile.pages * profile.linesPerPage
        let cache = CacheModel(geometry: profile.llc, pages: profile.pages, linesPerPage: profile.linesPerPage, lines: lines)
        guard options.privateL2, let geometry = profile.l2 else { return (cache, [], nil) }
        let l2 = (0..<max(profile.cpus, 1)).map { _ in
            CacheModel(geometry: geometry, pages: profile.pages, linesPerPage: profile.linesPerPage, countsFills: true, lines: lines)
        }
        let nominal = options.workingSet
        let other: WorkingSets.Reuse = nominal.reuse == .continuous ? .none : .continuous
        let ends: [WorkingSets.Setting] = totalOnly
            ? [] : [.init(bytes: geometry.sizeBytes, reuse: nominal.reuse, usesMeasured: false), .init(bytes: nominal.bytes, reuse: other)]
        let sets = WorkingSets(settings: [nominal] + ends, l2: geometry, counters: l2.compactMap(\.fillCounters), pageBytes: profile.pageBytes)
        return (cache, l2, sets)
    }

    /// The machine idles for `ns` before the window: every CPU idle, the scrubbers run on that
    /// time at their drivers' cost. What they zeroed and spent is kept apart; the window's
    /// counts start from zero, with the pool and the caches as the warm-up left them.
    /// A cold start wakes no scrubber: each wakes by its own rule at the window's frees.
    mutating func idleWarmUp(ns: Double) {
        warmingUp = true
        // An idle machine's load: the capture's load average (its metadata) is the window's
        // start, which an idle minute would not have left; a load gate (V8's) opens at once.
        let windowLoad = loadAverage
        loadAverage = 0
        for cpu in idle.indices { setIdle(cpu, true) }
        for node in 0..<profile.nodes where policy.wakesAtStart(node: node) { wake(node) }
        advance(to: ns)
        warmingUp = false
        for node in scrubbers.indices {
            if let flight = scrubbers[node].inFlight {
                complete(flight.job, driver: flight.driver)
                scrubbers[node].inFlight = nil
            }
            scrubbers[node].clock = 0
            scrubbers[node].engineBusyUntil = 0
            scrubbers[node].budgetNs = 0
            scrubbers[node].taskBudgetNs = 0
            scrubbers[node].sleepUntil = 0
        }
        var window = ReplayMetrics()
        window.pagesZeroedBeforeWindow = metrics.pagesZeroedBeforeWindow &+ metrics.pagesZeroedScrubber
        window.warmupCPUNs = metrics.warmupCPUNs + metrics.scrubberCPUNs
        window.warmupEngineNs = metrics.engineBusyNs
        metrics = window
        cacheCountsAtWindowStart = CacheCounts(cache: cache, l2: l2)
        for cpu in idle.indices { setIdle(cpu, false) }
        lastAdvance = 0
        now = 0
        lastSampleAt = -1
        loadAverage = windowLoad
    }

    // MARK: Events

    package mutating func consume(_ event: TraceEvent) {
        if !event.isReaderAnnotation { metrics.events += 1 }
        if event.kind != .lost {
            if event.timestampNs < lastTimestampNs {
                if metrics.timestampsBackwards == 0 {
                    noteAnomaly("timestamps_backwards", "timestamp \(seconds(event.timestampNs)) s after \(seconds(lastTimestampNs)) s")
                }
                metrics.timestampsBackwards += 1
            }
            lastTimestampNs = event.timestampNs
            if Int(event.cpu) >= cpuClock.count {
                if metrics.eventsOnCPUsBeyondProfile == 0 {
                    noteAnomaly("events_on_cpus_beyond_profile", "cpu \(event.cpu) at \(seconds(event.timestampNs)) s is beyond the machine's \(cpuClock.count) CPUs (folded onto cpu \(Int(event.cpu) % cpuClock.count))")
                }
                metrics.eventsOnCPUsBeyondProfile += 1
            }
        }
        let cpu = Int(event.cpu) % cpuClock.count
        let t: Double
        switch options.timebase {
        case .trace:
            let stamp = Double(event.timestampNs)
            if !started {
                started = true
                firstTimestamp = stamp
                lastAdvance = 0
            }
            t = max(now, stamp - firstTimestamp)
        case .model:
            t = max(now, cpuClock[cpu])
            started = true
        }
        advance(to: t)
        now = t

        if event.kind != .schedSwitch && event.pid != 0 { setIdle(cpu, false) }
        eventPid = event.pid
        if workingSets != nil {
            Self.noteRunning(event, cpu: cpu, now: now, in: &workingSets)
            for s in shadows.indices { Self.noteRunning(event, cpu: cpu, now: now, in: &shadows[s].workingSets) }
        }

        var cost: Double = 0
        switch event.kind {
        case .pageFault:
            _ = zeroFill.observe(event)
            pageTablesInFaultNs[cpu] = 0
        case .pageAlloc:
            cost = allocate(event, cpu: cpu)
        case .pageFree:
            if zeroFill.awaitsRefusedFolioFrees { _ = zeroFill.observe(event) }  // a refused folio's free
            cost = free(event, cpu: cpu)
        case .schedSwitch:
            switchChains.record(cpu: event.cpu, prevPid: event.prevPid, nextPid: event.nextPid)
            if !idleTraced && (event.prevPid == 0 || options.schedSwitchRecorded == true) {
                idleTraced = true
                metrics.idleUntracedNs = now
            }
            setIdle(cpu, event.nextPid == 0)
            notePreemption(event, cpu: cpu)
        case .lost:
            metrics.lostEvents &+= event.lostCount
        case .touch:
            cost = laterTouch(event)
        case .rssStat:
            _ = zeroFill.observe(event)
            if let ns = zeroFill.capturedFaultNs { metrics.capturedFaultTime.record(ns) }
        case .pagePcpuDrain:
            // The capture's kernel moving pages from a per-CPU list to the buddy lists: what the
            // model's own lists did is checked against it (pcp_drained_pages).
            if event.order < 64 { metrics.capturedPCPDrainedPages &+= 1 << UInt64(event.order) }
        case .pageFreeBatched, .pageAllocZoneLocked, .processExec, .processFork, .processExit:
            break
        }
        idleContextFrees.observe(event)
        kernelCounts.observe(
            event, lastAllocationFault: zeroFill.lastAllocationFault,
            hugeFolios: KernelCounterTally.readsHugeFolios(event) ? zeroFill.hugeFolios : nil)
        // max: a scrubber may have taken time from this CPU while the event's time advanced.
        if options.timebase == .model { cpuClock[cpu] = max(t, cpuClock[cpu]) + cost }
        if options.checkInvariants && metrics.events % UInt64(options.checkInterval) == 0 { check() }
    }

    /// Keeps the runnable tasks that wait for a CPU: a task switched out in state R waits until
    /// it is switched in again (on any CPU).
    mutating func notePreemption(_ event: TraceEvent, cpu: Int) {
        // Either side of a switch was not waiting: the one switched in runs, the one switched out ran.
        stopWaiting(event.nextPid)
        stopWaiting(event.prevPid)
        if event.flags.contains(.prevRunnable) && event.prevPid != 0 && preemptedTasks[event.prevPid] == nil {
            preemptedTasks[event.prevPid] = cpu
            preemptedPerNode[memory.node(ofCPU: cpu)] += 1
        }
    }

    private mutating func stopWaiting(_ pid: Int64) {
        if let was = preemptedTasks.removeValue(forKey: pid) { preemptedPerNode[memory.node(ofCPU: was)] -= 1 }
    }

    private func seconds(_ ns: UInt64) -> String { String(format: "%.9f", Double(ns) / 1e9) }

    private mutating func noteAnomaly(_ metric: String, _ text: String) { metrics.firstAnomaly[metric] = text }

    /// Finishes the replay: background work up to the end, final samples and checks.
    package mutating func finish() {
        let end = options.timebase == .model ? max(now, cpuClock.max() ?? now) : now
        advance(to: end)
        now = end
        samplePool(force: true)
        if workingSets != nil {
            workingSets?.finish(now: now)
            chargeWorkingSets()
            for s in shadows.indices { shadows[s].finish(now: now, profile: profile) }
        }
        metrics.spanNs = now
        metrics.tally = zeroFill.tally
        if !idleTraced { metrics.idleUntracedNs = now }
        metrics.schedSwitches = switchChains.switches
        metrics.schedSwitchesOutOfIdle = switchChains.outOfIdle
        metrics.schedSwitchesUnchained = switchChains.unchained
        let counts = CacheCounts(cache: cache, l2: l2), start = cacheCountsAtWindowStart
        metrics.llcAccesses = counts.llcAccesses &- start.llcAccesses
        metrics.llcMisses = counts.llcMisses &- start.llcMisses
        metrics.llcInvalidationsOfPresentLines = counts.llcInvalidations &- start.llcInvalidations
        metrics.l2Accesses = counts.l2Accesses &- start.l2Accesses
        metrics.l2Misses = counts.l2Misses &- start.l2Misses
        if options.checkInvariants { check() }
        cacheTrace?.close()
    }

    mutating func check() {
        metrics.invariantChecks += 1
        var problems = memory.invariantViolations()
        // The zeroing law: every page handed out zeroed was zeroed, before the window or in it.
        let zeroed = metrics.pagesZeroedBeforeWindow &+ metrics.pagesZeroedScrubber &+ metrics.pagesZeroedFreePath
        if !policy.servesZeroRequestsForFree && metrics.zeroHitPages > zeroed {
            problems.append("zeroing law: \(metrics.zeroHitPages) pages served zeroed, but only \(zeroed) zeroed (\(metrics.pagesZeroedBeforeWindow) before the window)")
        }
        if !problems.isEmpty && invariantProblems.count < 20 {
            invariantProblems.append(contentsOf: problems.prefix(20 - invariantProblems.count).map { "event \(metrics.events): \($0)" })
        }
    }

    // MARK: Allocation

    mutating func allocate(_ event: TraceEvent, cpu: Int) -> Double {
        let isPageTable = zeroFill.isPageTableOfPendingFault(event)
        let fault = zeroFill.observe(event)
        if event.failed {
            metrics.traceFailedAllocations += 1
            return 0
        }
        let order = Int(event.order)
        guard order <= profile.maxOrder else {
            if metrics.allocationsAboveMaxOrder == 0 {
                noteAnomaly("allocations_above_max_order", "order-\(order) allocation at \(seconds(event.timestampNs)) s is above the machine's max order \(profile.maxOrder)")
            }
            metrics.allocationsAboveMaxOrder += 1
            return 0
        }
        metrics.allocations += 1
        if let lost = live.value(for: event.pfn), idleContextFrees.explainsReallocation(of: event) {
            // The free the capture lost (an RCU page-table free in idle context), done now:
            // the page went back to this CPU's per-CPU list before this allocation took it.
            _ = live.remove(event.pfn)
            metrics.freesLostInIdleContext += 1
            _ = release(BlockRef(packed: lost), cpu: cpu)
        }
        // A THP/mTHP fault needs a zeroed folio although its gfp mask has no __GFP_ZERO.
        let wantsZero = event.wantsZero || fault != nil || zeroing.everyAllocation
        guard let (block, dirty, refillNs) = take(order: order, wantsZero: wantsZero, cpu: cpu) else {
            if let fault, order > 0 {
                // do_huge_pmd_anonymous_page / alloc_anon_folio: no folio of that order, so the
                // fault falls back to order 0 (thp_fault_fallback), and each base page the
                // program touched faults on its own.
                metrics.modelHugeFallbacks += 1
                return fallBackToBasePages(event, fault: fault, cpu: cpu)
            }
            metrics.modelOutOfMemory += 1
            return 0
        }
        noteLive(event.pfn, block, at: event.timestampNs)
        let kernelNs = zeroAccounting(block: block, dirty: dirty, wantsZero: wantsZero, fault: fault, cpu: cpu)

        guard let fault else {
            if isPageTable {
                metrics.faultPageTables += 1
                let tableNs = profile.faultBatches?.pageTableNs ?? 0
                metrics.faultBatchNs += tableNs
                metrics.faultPathNs += tableNs
                pageTablesInFaultNs[cpu] += kernelNs + refillNs + tableNs
                return kernelNs + refillNs + tableNs
            }
            metrics.allocPathRefillNs += refillNs
            return kernelNs + refillNs
        }
        return completeFault(block: block, order: order, kernelNs: kernelNs, refillNs: refillNs, fault: fault, touchAddress: fault.address, cpu: cpu)
    }

    /// A block from the model's free memory for one request, its dirty pages, and the per-CPU
    /// list refill it caused (ns); nil when no free block of that order is left.
    mutating func take(order: Int, wantsZero: Bool, cpu: Int) -> (BlockRef, dirty: Int, refillNs: Double)? {
        let refilledBefore = memory.pcpRefilledPages
        guard let (block, dirty) = memory.allocate(
            order: order, preference: policy.preference(order: order, wantsZero: wantsZero), cpu: cpu,
            usePCP: policy.usesPerCPULists(order: order, wantsZero: wantsZero),
            zeroedPCP: wantsZero && policy.keepsZeroedPerCPUList)
        else { return nil }
        let refillNs = Double(memory.pcpRefilledPages &- refilledBefore) * (profile.faultBatches?.pcpRefillNsPerPage ?? 0)
        memory.zones[block.zone].markAllocated(block.page, order: order)
        return (block, dirty, refillNs)
    }

    mutating func noteLive(_ pfn: UInt64, _ block: BlockRef, at timestamp: UInt64) {
        if live.set(pfn, block.packed) != nil {
            if metrics.secondAllocationsOfLivePfn == 0 {
                noteAnomaly("second_allocations_of_live_pfn", "pfn 0x\(String(pfn, radix: 16)) allocated again at \(seconds(timestamp)) s while live")
            }
            metrics.secondAllocationsOfLivePfn += 1
        }
    }

    /// Zero requests served zeroed or cleared inline (cached stores, only the dirty pages: Xen
    /// blocks can be partly clean); pages zeroed for requests that did not need it. Returns the
    /// inline clear's cost.
    mutating func zeroAccounting(block: BlockRef, dirty blockDirty: Int, wantsZero: Bool, fault: ZeroFillFault?, cpu: Int) -> Double {
        let pages = 1 << block.order
        // folio_zero_user clears a huge fault's folio whatever the block held (`AllocatorZeroing`).
        // A policy keeping a zeroed pool knows a zero folio and skips the clear (its design); the oracle never clears.
        let clearedAnyway = fault != nil && block.order > 0 && zeroing.hugeFaultFoliosAnyway
            && !(policy.keepsZeroedPool && blockDirty == 0) && !policy.servesZeroRequestsForFree
        let dirty = clearedAnyway ? pages : blockDirty
        // Before 6.13, init_on_alloc's clear in the allocator came first (post_alloc_hook).
        let clearedBefore = clearedAnyway && zeroing.everyAllocation ? blockDirty : 0
        // The zeroing the block had (at free, or just now in the allocator) was for nothing.
        if clearedAnyway && blockDirty < pages { metrics.wastedZeroingPages &+= UInt64(pages - blockDirty) }
        metrics.wastedZeroingPages &+= UInt64(clearedBefore)
        guard wantsZero else {
            if dirty < pages { metrics.wastedZeroingPages &+= UInt64(pages - dirty) }
            return 0
        }
        var clear: Double = 0
        metrics.zeroRequests += 1
        if fault == nil { metrics.kernelZeroRequests += 1 }
        metrics.zeroHitPages &+= UInt64(policy.servesZeroRequestsForFree ? pages : pages - dirty)
        if policy.servesZeroRequestsForFree || dirty == 0 {
            metrics.zeroHits += 1
            poolWasEmpty = false
            return 0
        }
        let cleared = dirty + clearedBefore
        clear = inlineClear.cost(bytes: dirty * profile.pageBytes).cpuNs
        if clearedBefore > 0 { clear += inlineClear.cost(bytes: clearedBefore * profile.pageBytes).cpuNs }
        metrics.cachedClearCPUNs += clear
        metrics.bytesZeroed &+= UInt64(cleared * profile.pageBytes)
        metrics.pagesZeroedByDriver[CPUCachedDriver.name, default: 0] &+= UInt64(cleared)
        // folio_zero_user clears the faulting subpage last, so it is the hottest; under
        // init_on_alloc the allocator clears the folio in address order instead (post_alloc_hook).
        // Not `fault.map { }`: a closure in the engine, generic over its policy, looks the
        // engine's type metadata up at run time on every call (2-3 % of a compare's CPU).
        var target: Int?
        if let fault, !zeroing.everyAllocation || clearedAnyway { target = Int((fault.address / UInt64(profile.pageBytes)) % UInt64(pages)) }
        cacheFill(zone: block.zone, page: block.page, pages: pages, cpu: cpu, lastSubpage: target)
        if fault != nil {
            metrics.pagesZeroedFaultPath &+= UInt64(cleared)
            metrics.faultZeroingNs += clear
        } else {
            metrics.pagesZeroedAllocPath &+= UInt64(cleared)
            metrics.allocPathZeroingNs += clear
        }
        if policy.keepsZeroedPool {
            metrics.zeroRequestsPoolEmpty += 1
            if !poolWasEmpty {
                poolWasEmpty = true
                metrics.poolEmptyEvents += 1
                if metrics.firstPoolEmptyNs == nil { metrics.firstPoolEmptyNs = now }
            }
        }
        return clear
    }

    /// A zero-fill fault served by `block`: its base cost, clear, periodic work, first touches
    /// (when `touchAddress` is in it) and page-table pages; recorded in the latency histogram.
    mutating func completeFault(
        block: BlockRef, order: Int, kernelNs: Double, refillNs: Double, fault: ZeroFillFault, touchAddress: UInt64?, cpu: Int
    ) -> Double {
        let pages = 1 << order
        metrics.faults += 1
        if order > 0 {
            metrics.hugeFaults += 1
            metrics.hugeFaultPages &+= UInt64(pages)
        }
        if fault.access.isAfterZeroPageRead { metrics.faultsAfterZeroPageRead += 1 }
        if fault.access.inKernelMode { metrics.faultsInKernelMode += 1 }
        let k = Int(fault.commClass) - 1
        let measured = k >= 0 && k < hotSetBytesByClass.count ? hotSetBytesByClass[k] : nil
        workingSets?.faulted(eventPid, pages: pages, measuredBytes: measured, now: now)
        for s in shadows.indices { shadows[s].workingSets?.faulted(eventPid, pages: pages, measuredBytes: measured, now: now) }
        let batchNs = refillNs + faultBatchWork(cpu: cpu, pages: pages)
        metrics.faultBatchNs += batchNs
        let faultNs = profile.faultBaseNs(order: order) + kernelNs + batchNs
        // The bound: the block is as hot as an inline clear leaves it, without the clear's cost.
        if policy.servesZeroRequestsForFree {
            let target = Int((fault.address / UInt64(profile.pageBytes)) % UInt64(pages))
            cacheFill(zone: block.zone, page: block.page, pages: pages, cpu: cpu, lastSubpage: target, byZeroing: false)
        }
        var touchNs: Double = 0  // not a closure: see zeroAccounting
        var folioNs: Double = 0
        if let touchAddress {
            let drawn = drawnTouchLines(fault)
            let (base, firstLine) = touchStart(block: block, address: touchAddress, pages: pages)
            touchNs = touch(base: base, firstLine: firstLine, cpu: cpu, lines: drawn ?? options.touch.lineCount(linesPerPage: linesPerPage))
            for s in shadows.indices {
                shadows[s].touchNs += shadows[s].touch(
                    base: base, firstLine: firstLine, lines: drawn ?? shadows[s].touch.lineCount(linesPerPage: linesPerPage), cpu: cpu, profile: profile)
            }
            if pages > 1 { folioNs = touchRestOfFolio(block: block, pages: pages, address: touchAddress, drawn: drawn, cpu: cpu) }
        }
        metrics.faultPathNs += faultNs
        metrics.touchNs += touchNs
        // The fault's page-table pages are in its latency; their CPU time is counted where they were allocated.
        let tablesNs = pageTablesInFaultNs[cpu]
        pageTablesInFaultNs[cpu] = 0
        let latency = UInt64(max(0, faultNs + touchNs + tablesNs))
        metrics.faultLatency.record(latency)
        if pages == 1 { metrics.baseFaultLatency.record(latency) }
        // The program's time (a model timebase's clock), the folio's later touches included.
        return faultNs + touchNs + folioNs
    }

    /// The program's first touches of a THP/mTHP fault's other base pages, after the fault, at
    /// the density of the faulting one (each page from its first line; upwards from the faulting
    /// page, wrapping); none at `first-line`, the faulting line alone, the sparse end (whether a
    /// program uses the rest of a THP is what a kernel trace cannot see): with no fault of their own they are in neither the fault's latency nor
    /// touch_ns, but in total CPU (`folio_touch_ns`). A folio cleared at the fault leaves them in
    /// the caches (the pages nearest the faulting one in its L2: `HugePageClearOrder`), a
    /// prezeroed one does not: the cost a prezeroed THP moves, not saves, at higher densities.
    mutating func touchRestOfFolio(block: BlockRef, pages: Int, address: UInt64, drawn: Int?, cpu: Int) -> Double {
        let folioBase = UInt64(memory.zones[block.zone].basePfn + block.page) * UInt64(linesPerPage)
        let target = Int((address / UInt64(profile.pageBytes)) % UInt64(pages))
        let lines = drawn ?? Self.folioLines(options.touch, linesPerPage: linesPerPage)
        if lines == 0 && shadows.isEmpty { return 0 }  // first-line, the nominal of a kernel capture
        let before = (metrics.touchLinesLLCHit, metrics.touchLinesLLCHitStream, metrics.touchLinesMiss, metrics.touchLinesMissStream)
        var ns: Double = 0
        for k in 1..<pages {
            let base = folioBase + UInt64(((target + k) % pages) * linesPerPage)
            if lines > 0 { ns += touch(base: base, firstLine: 0, cpu: cpu, lines: lines) }
            for s in shadows.indices {
                let shadowLines = drawn ?? Self.folioLines(shadows[s].touch, linesPerPage: linesPerPage)
                if shadowLines > 0 {
                    shadows[s].folioTouchNs += shadows[s].touch(base: base, firstLine: 0, lines: shadowLines, cpu: cpu, profile: profile)
                }
            }
        }
        metrics.folioTouchLines &+= UInt64((pages - 1) * lines)
        metrics.folioTouchNs += ns
        metrics.folioTouchLinesLLCHit &+= metrics.touchLinesLLCHit &- before.0
        metrics.folioTouchLinesLLCHitStream &+= metrics.touchLinesLLCHitStream &- before.1
        metrics.folioTouchLinesMiss &+= metrics.touchLinesMiss &- before.2
        metrics.folioTouchLinesMissStream &+= metrics.touchLinesMissStream &- before.3
        return ns
    }

    /// Lines of each other base page of a huge folio the program touches at `touch`.
    static func folioLines(_ touch: TouchModel, linesPerPage: Int) -> Int {
        touch == .firstLine ? 0 : touch.lineCount(linesPerPage: linesPerPage)
    }

    /// A THP/mTHP fault the model has no folio for: each base page of the folio faults at order 0,
    /// the faulting one first and touched; the trace's pfn + i names base page i, so the folio's
    /// free releases them all.
    mutating func fallBackToBasePages(_ event: TraceEvent, fault: ZeroFillFault, cpu: Int) -> Double {
        let pages = 1 << Int(event.order)
        let target = Int((fault.address / UInt64(profile.pageBytes)) % UInt64(pages))
        fallbackFolios[event.pfn] = Int(event.order)
        var ns: Double = 0
        for k in 0..<pages {
            let i = (target + k) % pages
            guard let (block, dirty, refillNs) = take(order: 0, wantsZero: true, cpu: cpu) else {
                // No free page at all: the kernel would reclaim; the model counts the fault once.
                metrics.modelOutOfMemory += 1
                break
            }
            noteLive(event.pfn &+ UInt64(i), block, at: event.timestampNs)
            let kernelNs = zeroAccounting(block: block, dirty: dirty, wantsZero: true, fault: fault, cpu: cpu)
            ns += completeFault(block: block, order: 0, kernelNs: kernelNs, refillNs: refillNs, fault: fault, touchAddress: k == 0 ? fault.address : nil, cpu: cpu)
        }
        return ns
    }

    /// The LRU batch and memcg charge of one faulted folio of `pages` (mm/swap.c
    /// `folio_add_lru`, mm/memcontrol.c `try_charge_memcg`), ns.
    mutating func faultBatchWork(cpu: Int, pages: Int) -> Double {
        guard let costs = profile.faultBatches else { return 0 }
        var ns: Double = 0
        if costs.lruBatch >= 1 {
            lruBatchFill[cpu] += 1
            if Double(lruBatchFill[cpu]) >= costs.lruBatch {
                lruBatchFill[cpu] = 0
                ns += costs.lruBatchNs
            }
        }
        let batch = Int(costs.memcgChargeBatch)
        if batch > 0 {
            if pages <= batch && memcgStock[cpu] >= pages {
                memcgStock[cpu] -= pages
            } else {
                // Charge max(batch, pages); what the folio does not take refills the stock.
                ns += costs.memcgChargeNs
                if pages <= batch { memcgStock[cpu] += batch - pages }
            }
        }
        return ns
    }

    /// Lines a zero-fill fault touches for a command of the touch profile, drawn from what it
    /// measured for that command (scaled to this machine's lines a page); nil: the touch model's.
    mutating func drawnTouchLines(_ fault: ZeroFillFault) -> Int? {
        let k = Int(fault.commClass) - 1
        if k >= 0, k < touchSamplers.count, let touchProfile = options.touchProfile {
            let measured = touchSamplers[k].lines(draw: touchDraws[k])
            touchDraws[k] &+= 1
            metrics.faultsTouchTransferred += 1
            let scaled = (Double(measured) * Double(linesPerPage) / Double(max(touchProfile.linesPerPage, 1))).rounded(.up)
            return min(max(Int(scaled), 1), linesPerPage)
        }
        return nil
    }

    /// The first line of the faulting address's page, and the address's line in it.
    func touchStart(block: BlockRef, address: UInt64, pages: Int) -> (base: UInt64, firstLine: Int) {
        let pageInBlock = Int((address / UInt64(profile.pageBytes)) % UInt64(pages))
        let firstLine = Int((address % UInt64(profile.pageBytes)) / UInt64(profile.lineBytes))
        return (UInt64(memory.zones[block.zone].basePfn + block.page + pageInBlock) * UInt64(linesPerPage), firstLine)
    }

    /// The faulting program's first touches: `count` lines of the page whose first line is
    /// `base`, from the faulting address's line `firstLine` on (wrapping in the page).
    mutating func touch(base: UInt64, firstLine: Int, cpu: Int, lines count: Int) -> Double {
        var ns: Double = 0
        var visit = TouchAnswer.Visit(llcHitsStream: true)
        let checksVictims = looksUpVictims
        if count > 1 && checksVictims { zeroingVictims.prefetch(firstLine: base, count: linesPerPage) }
        // Each cache is accessed for a run at once (the L2 and the LLC do not interact).
        for (start, run) in FirstTouchRuns(from: firstLine, lines: count, linesPerPage: linesPerPage) {
            let first = base + UInt64(start)
            let inL2 = l2.isEmpty ? 0 : l2[cpu].access(firstLine: first, count: run)
            let inLLC = cache.access(firstLine: first, count: run)
            for k in 0..<run {
                let line = first + UInt64(k)
                ns += priceTouch(line, inL2: inL2 >> k & 1 == 1, inLLC: inLLC >> k & 1 == 1, visit: &visit, checksVictim: false)
                cacheTrace?.write(label: 1, line: line, lineBytes: profile.lineBytes)
            }
            if checksVictims {
                let missed = ~inLLC & (run == 64 ? ~0 : (1 << UInt64(run)) - 1)
                metrics.llcMissesPollution += UInt64(zeroingVictims.remove(firstLine: first, lines: missed))
            }
        }
        return ns
    }

    /// One touched line: its cost, and the cache state it leaves. The LLC sees every access (so
    /// its counts do not depend on the private L2); the L2, when simulated, decides what a hit
    /// costs: in L2 `line_hit_ns`, else in LLC `llc_hit_ns`.
    mutating func touchLine(_ line: UInt64, cpu: Int, visit: inout TouchAnswer.Visit) -> Double {
        var inL2 = false
        var evicted: UInt64?
        if !l2.isEmpty { inL2 = l2[cpu].access(line: line, evicted: &evicted) }
        let inLLC = cache.access(line: line, evicted: &evicted)
        return priceTouch(line, inL2: inL2, inLLC: inLLC, visit: &visit)
    }

    /// The cost and counts of a touched line the caches have answered; `checksVictim` false: the
    /// caller looks a miss up in the victim table itself (a run of lines at once).
    mutating func priceTouch(_ line: UInt64, inL2: Bool, inLLC: Bool, visit: inout TouchAnswer.Visit, checksVictim: Bool = true) -> Double {
        if !l2.isEmpty && !inL2 { metrics.l2MissesTouch += 1 }
        let answer = TouchAnswer(inL2: inL2, inLLC: inLLC, hasL2: !l2.isEmpty, visit: &visit)
        let ns = answer.ns(profile)
        switch answer {
        case .l2Hit: metrics.touchLinesHit += 1
        case .llcHit: metrics.touchLinesLLCHit += 1
        case .llcHitStream: metrics.touchLinesLLCHitStream += 1
        case .miss, .missStream:
            if answer == .miss { metrics.touchLinesMiss += 1 } else { metrics.touchLinesMissStream += 1 }
            metrics.touchMissNs += ns
            metrics.llcMissesTouch += 1
            if checksVictim && looksUpVictims && zeroingVictims.remove(line) { metrics.llcMissesPollution += 1 }
        }
        return ns
    }

    /// Page-touch detail: the lines a program touched in one interval, after the fault. A
    /// page-touch trace's pfn is its page's identity (`LackeyDecoder`), so the live map finds the block.
    mutating func laterTouch(_ event: TraceEvent) -> Double {
        let old = touchedByPage[event.touchPage]
        let new = (old ?? LineMask()).union(LineMask(touch: event))
        touchedByPage[event.touchPage] = new
        if old == nil { touchedPages += 1 }
        touchedLines += new.count - (old?.count ?? 0)
        metrics.touchedLinesPerPageMean = Double(touchedLines) / Double(touchedPages)
        // The faulting line: the fault touched it (and priced it); here it is only counted.
        if event.isReaderAnnotation { return 0 }
        guard let packed = live.value(for: event.touchPage) else { return 0 }
        let block = BlockRef(packed: packed)
        let base = UInt64(memory.zones[block.zone].basePfn + block.page) * UInt64(linesPerPage)
        let cpu = Int(event.cpu) % cpuClock.count
        var ns: Double = 0
        var visit = TouchAnswer.Visit(llcHitsStream: false)
        for line in RecordedTouches(event, base: base, linesPerPage: linesPerPage) {
            metrics.laterTouchLines += 1
            ns += touchLine(line, cpu: cpu, visit: &visit)
            cacheTrace?.write(label: 0, line: line, lineBytes: profile.lineBytes)
        }
        metrics.laterTouchNs += ns
        for s in shadows.indices { shadows[s].laterTouch(event, base: base, cpu: cpu, profile: profile) }
        return ns
    }

    /// Whether a touch miss is looked up in the victim table: it is kept (not `totalOnly`) and
    /// holds something.
    var looksUpVictims: Bool { !options.totalOnly && metrics.llcLinesEvictedByZeroing > 0 }

    /// A cached clear by `cpu` writes every line of the range into the LLC and that CPU's L2;
    /// `lastSubpage` (a page of the range) is written last.
    /// `byZeroing` false: the oracle's uncharged fill, not counted as lines a clear installed.
    mutating func cacheFill(zone: Int, page: Int, pages: Int, cpu: Int, lastSubpage: Int? = nil, byZeroing: Bool = true) {
        let first = UInt64(memory.zones[zone].basePfn + page) * UInt64(linesPerPage)
        guard let target = lastSubpage, pages > 1, target < pages else {
            fillLines(first, count: pages * linesPerPage, cpu: cpu, byZeroing: byZeroing)
            return
        }
        // Runs of subpages in the kernel's order, each run's pages ascending.
        for run in HugePageClearOrder.runs(pages: pages, target: target) {
            fillLines(first + UInt64(run.lowerBound * linesPerPage), count: run.count * linesPerPage, cpu: cpu, byZeroing: byZeroing)
        }
    }

    private mutating func fillLines(_ first: UInt64, count: Int, cpu: Int, byZeroing: Bool) {
        guard count > 0 else { return }
        if cacheTrace != nil {
            for k in 0..<UInt64(count) { cacheTrace?.write(label: 1, line: first + k, lineBytes: profile.lineBytes) }
        }
        let missesBefore = cache.misses
        let evictions = !options.totalOnly
            ? cache.fill(firstLine: first, count: count, victims: &zeroingVictims) : cache.fill(firstLine: first, count: count)
        metrics.llcLinesEvictedByZeroing += UInt64(evictions)
        if byZeroing { metrics.llcLinesFilledByZeroing &+= cache.misses &- missesBefore }
        if !l2.isEmpty {
            metrics.l2LinesEvictedByZeroing += UInt64(l2[cpu].fill(firstLine: first, count: count))
        }
        for s in shadows.indices { shadows[s].fill(first, count: count, cpu: cpu) }
    }

    /// Non-temporal and DMA clears leave the range out of the cache, every CPU's L2 included.
    mutating func cacheBypass(zone: Int, page: Int, pages: Int) {
        let first = UInt64(memory.zones[zone].basePfn + page) * UInt64(linesPerPage)
        cache.invalidate(firstLine: first, count: pages * linesPerPage)
        for cpu in l2.indices { l2[cpu].invalidate(firstLine: first, count: pages * linesPerPage) }
        for s in shadows.indices { shadows[s].bypass(first, count: pages * linesPerPage) }
    }

    // MARK: Free

    mutating func free(_ event: TraceEvent, cpu: Int) -> Double {
        metrics.frees += 1
        if !touchedByPage.isEmpty { touchedByPage[event.pfn] = nil }  // its life's lines are counted
        if !fallbackFolios.isEmpty, let order = fallbackFolios.removeValue(forKey: event.pfn) {
            // A folio the model served as base pages frees every one it placed.
            var ns: Double = 0
            for i in 0..<(1 << order) {
                if let packed = live.remove(event.pfn &+ UInt64(i)) { ns += release(BlockRef(packed: packed), cpu: cpu) }
            }
            return ns
        }
        let block: BlockRef
        if let packed = live.remove(event.pfn) {
            block = BlockRef(packed: packed)
        } else {
            // Allocated before the capture: a pinned block of that order becomes free memory.
            metrics.freesOfPagesAllocatedBeforeCapture += 1
            guard Int(event.order) <= profile.maxOrder,
                let adopted = memory.adoptPinned(order: Int(event.order), node: memory.node(ofCPU: cpu))
            else {
                metrics.freesNotModelled += 1
                return 0
            }
            block = adopted
        }
        return release(block, cpu: cpu)
    }

    /// Returns a block to the free lists (a per-CPU list for the orders they hold), zeroing it first under
    /// a policy that zeroes at free, and lets the policy wake its scrubber.
    mutating func release(_ block: BlockRef, cpu: Int) -> Double {
        var ns = profile.freePathNs
        let pages = 1 << block.order
        var zeroed = false
        if zeroing.atFree {
            let (cost, driver) = clearAtFreeCost(bytes: pages * profile.pageBytes)
            ns += cost.cpuNs
            metrics.freePathZeroingNs += cost.cpuNs
            if driver == CPUCachedDriver.name { metrics.cachedClearCPUNs += cost.cpuNs }
            if driver == CPUNonTemporalDriver.name { metrics.nonTemporalClearCPUNs += cost.cpuNs }
            metrics.pagesZeroedFreePath &+= UInt64(pages)
            metrics.pagesZeroedByDriver[driver, default: 0] &+= UInt64(pages)
            metrics.bytesZeroed &+= UInt64(pages * profile.pageBytes)
            applyCacheEffect(cost, zone: block.zone, page: block.page, pages: pages, cpu: cpu)
            zeroed = true
        }
        coalesced.removeAll(keepingCapacity: true)
        if memory.perCPUListHolds(order: block.order) && policy.usesPerCPULists(order: block.order, wantsZero: false) {
            let drainedBefore = memory.pcpDrainedPages
            memory.freeToPCP(block, cpu: cpu, zeroed: zeroed, coalesced: &coalesced)
            let drained = memory.pcpDrainedPages &- drainedBefore
            metrics.pcpDrainedPages &+= drained
            ns += Double(drained) * (profile.faultBatches?.pcpDrainNsPerPage ?? 0)
        } else {
            coalesced.append(memory.zones[block.zone].free(block.page, order: block.order, zeroed: zeroed).order)
        }
        metrics.freePathNs += ns
        let node = memory.zones[block.zone].node
        for order in coalesced {
            if policy.didFree(node: node, order: order, memory: memory, loadAverage: loadAverage) {
                wake(node)
            }
        }
        return ns
    }

    /// A clear at free: by the policy's drivers, or as the kernel's init_on_free clears (the
    /// CPU, `kernel_init_pages`) under a policy that does not zero at free itself.
    func clearAtFreeCost(bytes: Int) -> (ZeroingCost, String) {
        policy.zeroesAtFree ? zeroingCost(bytes: bytes) : (inlineClear.cost(bytes: bytes), CPUCachedDriver.name)
    }

    func zeroingCost(bytes: Int) -> (ZeroingCost, String) {
        for driver in drivers where driver.accepts(bytes: bytes) { return (driver.cost(bytes: bytes), driver.name) }
        return (inlineClear.cost(bytes: bytes), CPUCachedDriver.name)
    }

    mutating func applyCacheEffect(_ cost: ZeroingCost, zone: Int, page: Int, pages: Int, cpu: Int) {
        if cost.fillsCache {
            cacheFill(zone: zone, page: page, pages: pages, cpu: cpu)
        } else if cost.bypassesCache {
            cacheBypass(zone: zone, page: page, pages: pages)
        }
    }

    mutating func wake(_ node: Int) {
        if !scrubbers[node].awake {
            scrubbers[node].awake = true
            scrubbers[node].budgetNs = 0
            scrubbers[node].taskBudgetNs = 0
            scrubbers[node].clock = now
            // Woken, it looks at the load first (V8's scrub_pgdat).
            _ = sleepsOnLoad(node: node, at: now)
        }
    }
}

/// The caches' cumulative counters at one moment.
struct CacheCounts {
    var llcAccesses: UInt64 = 0
    var llcMisses: UInt64 = 0
    var llcInvalidations: UInt64 = 0
    var l2Accesses: UInt64 = 0
    var l2Misses: UInt64 = 0

    init() {}

    init(cache: CacheModel, l2: [CacheModel]) {
        llcAccesses = cache.accesses
        llcMisses = cache.misses
        llcInvalidations = cache.invalidationsOfPresentLines
        l2Accesses = l2.reduce(0) { $0 + $1.accesses }
        l2Misses = l2.reduce(0) { $0 + $1.misses }
    }
}

/// One node's scrubber (kscrubd is one thread per node) and its engine.
struct ScrubberState {
    var awake = false
    /// CPU time it may use: from idle CPUs, and (a normal-priority thread) from busy tasks.
    var budgetNs: Double = 0
    var taskBudgetNs: Double = 0
    /// Asleep on a timer (V8's load gate) until then.
    var sleepUntil: Double = 0
    var clock: Double = 0
    var engineBusyUntil: Double = 0
    var inFlight: EngineJob?
}

struct EngineJob {
    var job: ScrubJob
    var done: Double
    var driver: String
}
