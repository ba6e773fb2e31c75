import Foundation
import PrezeroTestSupport
import Testing

import PrezeroModel
import PrezeroTrace
@testable import PrezeroReplay

@Suite("Policy semantics")
struct PolicyTests {
    let small = BuiltinProfiles.epycZen5VM.withMemory(256 << 20)

    /// Every policy on a real capture, invariants checked throughout: free pages conserved, no
    /// page both free and allocated, nothing called zero after it was dirtied, and (Lameter's
    /// rule) no free block mixing zeroed and unzeroed pages.
    @Test(arguments: Policies.names)
    func invariantsHoldOnARealCapture(_ policy: String) throws {
        let trace = repositoryRoot.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let r = try replay(trace, policy: policy, profile: small, timebase: .trace) { $0.checkInterval = 20_000 }
        #expect(r.invariantViolations.isEmpty, "\(r.invariantViolations.prefix(3))")
        #expect(r.metrics.invariantChecks >= 3)
        #expect(r.metrics.faults > 10_000)
    }

    /// A pfn freed without being allocated in the capture is the same count perf kmem calls
    /// free-only (stored in the sidecar at capture time).
    @Test func freesOfPrecapturePagesMatchPerfKmem() throws {
        let trace = repositoryRoot.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let (metadata, _) = try #require(try TraceMetadata.load(besideTrace: trace))
        let kmem = try #require(metadata.perfKmemPageStat)
        let line = try #require(kmem.split(separator: "\n").first { $0.hasPrefix("Total free-only requests") })
        let freeOnly = try #require(line.split(separator: ":")[1].split(separator: " ").first.flatMap { UInt64($0) })
        let r = try replay(trace, policy: "zero-on-fault", profile: small, timebase: .trace)
        #expect(r.metrics.freesOfPagesAllocatedBeforeCapture == freeOnly)
    }

    @Test func initOnFreeLeavesEveryFreeBlockZero() throws {
        let trace = repositoryRoot.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        var options = ReplayOptions(profile: small)
        options.checkInvariants = true
        var engine = try ReplayEngine(policy: InitOnFree(parameters: .init(), profile: small), options: options)
        _ = try TraceReader.read(path: trace, into: &engine)
        engine.finish()
        let memory = engine.memory
        #expect(memory.freePages > 0)
        #expect(memory.zeroedFreePages == memory.freePages)
        for (index, list) in memory.lists[0].enumerated() {
            for page in list { #expect(memory.zones[index % memory.zones.count].isZero(Int(page))) }
        }
        #expect(engine.metrics.zeroHits == engine.metrics.zeroRequests)
        #expect(engine.metrics.pagesZeroedFreePath > 0)
    }

    /// FreeBSD's hysteresis: zero up to 4/5 of free pages, then stay asleep until fewer than
    /// 2/3 are zeroed.
    @Test func idleZeroRespectsItsHysteresis() throws {
        var options = ReplayOptions(profile: small)
        options.timebase = .trace
        options.checkInvariants = true
        options.warmup = .idle(seconds: 600)
        var engine = try ReplayEngine(policy: IdleZero(parameters: .init(), profile: small), options: options)
        func share() -> Double { Double(engine.memory.zeroedFreePages) / Double(engine.memory.freePages) }
        #expect(share() >= 0.8 && share() < 0.85, "an idle warm-up zeroes to the stop fraction: \(share())")
        // ... at its own cost, shown apart from the window's.
        #expect(engine.metrics.pagesZeroedBeforeWindow == UInt64(engine.memory.zeroedFreePages))
        let clear = CPUCachedDriver(profile: small).cost(bytes: small.pageBytes).cpuNs
        #expect(engine.metrics.warmupCPUNs >= Double(engine.metrics.pagesZeroedBeforeWindow) * clear * 0.5)
        #expect(engine.metrics.pagesZeroedScrubber == 0 && engine.metrics.scrubberCPUNs == 0)

        // Both CPUs busy: no idle time, so nothing is zeroed while memory is dirtied.
        var t: UInt64 = 1_000
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 1, pid: 5, timestampNs: t, a: 5, b: 9))
        var pfn: UInt64 = 1 << 20
        var live: [UInt64] = []
        func allocateAndFree(pages: Int) {
            for _ in 0..<pages {
                t += 1_000
                engine.consume(TraceEvent(kind: .pageAlloc, cpu: 0, pid: 7, timestampNs: t, order: 0, migratetype: 1, flags: [.gfpZero], a: pfn))
                live.append(pfn)
                pfn += 1
            }
            for p in live {
                t += 1_000
                engine.consume(TraceEvent(kind: .pageFree, cpu: 0, pid: 7, timestampNs: t, order: 0, a: p))
            }
            live.removeAll()
        }
        // Dirty ~8 % of free memory: between 2/3 and 4/5 zeroed, no zeroing starts.
        let free = engine.memory.freePages
        allocateAndFree(pages: free / 12)
        t += 1_000_000_000
        engine.consume(TraceEvent(kind: .pageFreeBatched, cpu: 0, pid: 7, timestampNs: t))
        let between = share()
        #expect(between < 0.8 && between > 2.0 / 3.0, "\(between)")
        // CPU 1 idles: still no zeroing between 2/3 and 4/5.
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 1, pid: 9, timestampNs: t + 1, a: 9, b: 0))
        t += 2_000_000_000
        engine.consume(TraceEvent(kind: .pageFreeBatched, cpu: 0, pid: 7, timestampNs: t))
        #expect(engine.metrics.pagesZeroedScrubber == 0)

        // CPU 1 busy again; dirty more, below 2/3; then CPU 1 idles: zeroing back up to 4/5, and
        // no further.
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 1, pid: 0, timestampNs: t + 1, a: 0, b: 9))
        allocateAndFree(pages: free / 6)
        #expect(share() < 2.0 / 3.0)
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 1, pid: 9, timestampNs: t + 1, a: 9, b: 0))
        t += 10_000_000_000
        engine.consume(TraceEvent(kind: .pageFreeBatched, cpu: 0, pid: 7, timestampNs: t))
        #expect(engine.metrics.pagesZeroedScrubber > 0)
        #expect(share() >= 0.8 && share() < 0.81, "\(share())")
        engine.finish()
        #expect(engine.invariantProblems.isEmpty)
    }

    @Test func kscrubdWakesOnlyOnHighOrderCoalescing() throws {
        var options = ReplayOptions(profile: small)
        options.timebase = .trace
        var engine = try ReplayEngine(policy: KscrubdV4(parameters: .init(), profile: small), options: options)
        engine.consume(TraceEvent(kind: .schedSwitch, cpu: 1, pid: 5, timestampNs: 1, a: 5, b: 0))
        // Nothing has been freed: kscrubd sleeps however much idle time passes.
        engine.consume(TraceEvent(kind: .pageFreeBatched, cpu: 0, pid: 7, timestampNs: 5_000_000_000))
        #expect(engine.metrics.pagesZeroedScrubber == 0)
        // A high-order free coalesces past scrub_start (5): the scrubber wakes and zeroes.
        engine.consume(TraceEvent(kind: .pageAlloc, cpu: 0, pid: 7, timestampNs: 5_000_001_000, order: 6, migratetype: 1, a: 4096))
        engine.consume(TraceEvent(kind: .pageFree, cpu: 0, pid: 7, timestampNs: 5_000_002_000, order: 6, a: 4096))
        engine.consume(TraceEvent(kind: .pageFreeBatched, cpu: 0, pid: 7, timestampNs: 9_000_000_000))
        #expect(engine.metrics.pagesZeroedScrubber > 0)
    }

    @Test func parametersAreSetByNameAndChecked() throws {
        let policy = try Policies.make("kscrubd-v4", settings: [("scrub_start", "7"), ("drivers", "cpu-nt")], profile: small)
        let params = try #require(policy.parameters as? KscrubdV4.Parameters)
        #expect(params.scrubStart == 7)
        #expect(params.drivers == ["cpu-nt"])
        #expect {
            try Policies.make("kscrubd-v4", settings: [("scrub_begin", "7")], profile: small)
        } throws: { error in
            "\(error)".contains("unknown parameter 'scrub_begin'") && "\(error)".contains("scrub_start")
        }
        #expect(throws: PolicyError.self) { try Policies.make("kscrubd-v4", settings: [("scrub_start", "soon")], profile: small) }
        #expect(throws: PolicyError.self) { try Policies.make("kscrubd-v9", settings: [], profile: small) }
    }

    /// Result files and the `policies` table print parameters as they are typed on `--set`.
    @Test func parametersPrintAsTheyAreSet() throws {
        let policy = try Policies.make(
            "kscrubd-v4", settings: [("split_for_engine", "true"), ("drivers", "bte,cpu")], profile: small)
        let params = try #require(policy.parameters as? KscrubdV4.Parameters)
        #expect(params.asStrings == [
            "scrub_start": "5", "scrub_stop": "2", "scrub_load": "999", "drivers": "bte,cpu", "split_for_engine": "true", "merge": "lameter",
        ])
        let idle = try #require(try Policies.make("idle-zero", settings: [("stop_fraction", "0.5")], profile: small).parameters as? IdleZero.Parameters)
        #expect(idle.asStrings["stop_fraction"] == "0.5")
    }
}

@Suite("Cache trace dump")
struct CacheTraceTests {
    /// The din dump replays, in an independent LRU simulator, to exactly the model's misses.
    @Test func dinDumpMatchesAnLRUSimulator() throws {
        let (trace, _) = try pftTrace(memory: 8 << 20, reps: 2, lines: 3, pageBytes: 4_096, cpus: 2)
        var profile = BuiltinProfiles.epycZen5VM.withMemory(256 << 20)
        profile.llc = CacheGeometry(sizeBytes: 256 << 10, ways: 8, lineBytes: 64)
        let din = Scratch.directory + "prezero-\(UUID().uuidString).din"
        let r = try replay(trace, policy: "zero-on-fault", profile: profile, lines: 3) { $0.cacheTracePath = din }
        #expect(r.metrics.llcInvalidationsOfPresentLines == 0)
        let text = try String(contentsOfFile: din, encoding: .utf8)
        let sets = profile.llc.sizeBytes / (profile.llc.ways * profile.llc.lineBytes)
        var lru = [[UInt64]](repeating: [], count: sets)
        var accesses: UInt64 = 0
        var misses: UInt64 = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2 && (parts[0] == "0" || parts[0] == "1"))
            guard parts.count == 2, let address = UInt64(parts[1], radix: 16) else { continue }
            let block = address / 64
            let set = Int(block % UInt64(sets))
            accesses += 1
            if let i = lru[set].firstIndex(of: block) {
                lru[set].remove(at: i)
            } else {
                misses += 1
                if lru[set].count == profile.llc.ways { lru[set].removeLast() }
            }
            lru[set].insert(block, at: 0)
        }
        #expect(accesses == r.metrics.llcAccesses)
        #expect(misses == r.metrics.llcMisses)
        #expect(misses > 0 && misses < accesses)
    }
}

@Suite("The captured machine from metadata")
struct CaptureMachineTests {
    @Test func buddyinfoSumsZonesPerNode() {
        let text = """
            Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3
            Node 0, zone    DMA32      1      1      4      2      5      4      3      3      4      2    752
            Node 1, zone   Normal    254     49    471    571    628    351    242    133     62     22     30
            """
        let blocks = CaptureMachine.parseBuddyinfo(text)
        #expect(blocks.count == 2)
        #expect(blocks[0] == [1, 1, 4, 2, 5, 4, 3, 3, 5, 3, 755])
        #expect(blocks[1][0] == 254 && blocks[1][10] == 30)
    }

    /// The per-CPU lists of traces/gcc-lz4's sidecar (/proc/zoneinfo of a 6.18 kernel, zones DMA,
    /// DMA32 and Normal with pagesets, 2 CPUs), each CPU's zones summed; the oracle is a separate
    /// reading of the same text (python): counts 8873 and 2827, high 0 + 6975 + 12212 = 19187 and
    /// 0 + 6975 + 3863 = 10838, high_max 240 + 48307 + 24576 = 73123, batch 63; the lowest
    /// high_min of a zone in use (high > 0; DMA's high is 0) is Normal's 3548. The replay takes
    /// high's mean and batch, starts each list with its count, and varies high from that
    /// high_min to that high_max; a --set of pcp_high wins.
    @Test func perCPUListsFromZoneinfo() throws {
        let trace = repositoryRoot.appendingPathComponent("traces/gcc-lz4.perf.txt.zst").path
        let metadata = try #require(try TraceMetadata.load(besideTrace: trace))
        let lists = try #require(CaptureMachine.parsePagesets(metadata.0.zoneinfo ?? ""))
        #expect(lists.count == [[8873, 2827]] && lists.high == [19187, 10838])
        #expect(lists.highRange == 3548...73123 && lists.batch == 63 && lists.meanHigh == 15013)
        var setup = ReplaySetup(profile: BuiltinProfiles.epycZen5VM)
        var (options, _) = try setup.options(for: trace)
        #expect(options.profile.pcpHigh == 15013 && options.profile.pcpBatch == 63)
        #expect(options.initialPCPPages == [[8873, 2827]] && options.pcpHighRange == 3548...73123)
        #expect(options.pcpHighPerCPU == [[19187, 10838]])
        #expect(options.profile.sources["pcp_high"]?.contains("/proc/zoneinfo") == true)
        // The lists start with those pages: the first order-0 allocations need no refill.
        var memory = MemoryModel(profile: options.profile, mergeRule: .lameter)
        memory.releaseInitialMemory(blocks: options.initialFreeBlocks ?? [], zeroed: false)
        let free = memory.freePages
        #expect(memory.fillPerCPULists([[8873, 2827]], zeroed: false) == 11700)
        #expect(memory.freePages == free, "the lists' pages are not on the buddy lists")
        #expect(memory.allocate(order: 0, preference: .dirtyFirst, cpu: 1, usePCP: true) != nil && memory.pcpRefilledPages == 0)
        #expect(memory.invariantViolations().isEmpty, "\(memory.invariantViolations())")
        try setup.apply(settings: ["profile.pcp_high=500"], policies: ["zero-on-fault"])
        (options, _) = try setup.options(for: trace)
        #expect(options.profile.pcpHigh == 500 && options.pcpHighRange == nil && options.pcpHighPerCPU == nil)
    }

    /// Orders 1-3 and the THP order have per-CPU lists too (`pcp_allowed_order`, 5.13-5.19):
    /// an allocation refills max(pcp_batch >> order, 2) blocks (`nr_pcp_alloc`; a 6.18 capture
    /// here refills two THPs at a time), a free stays off the buddy lists, and past `high` the
    /// drain takes pcp_batch pages, whole blocks, from the freed order's list on. Hand-computed
    /// on one CPU, 4,096 free pages, pcp_batch 63: an order-2 request takes 15 blocks (60 pages,
    /// 56 left on the list), an order-9 one 2 (1,024; 512 left); freeing the order-2 block back
    /// leaves 572 pages on the lists; with high 500, taking one and freeing it again drains the
    /// freed order's list first, whole blocks while pages are still owed: its 15 blocks (60
    /// pages), then, 3 pages still owed, the THP (free_pcppages_bulk: "Ensure requested pindex
    /// is drained first", `count -= nr_pages` per block): 572 pages, 16 blocks.
    @Test func higherOrdersHavePerCPUListsToo() throws {
        var profile = BuiltinProfiles.epycZen5VM.withMemory(16 << 20)
        profile.cpus = 1
        profile.pcpHigh = 2_000
        var memory = MemoryModel(profile: profile, mergeRule: .lameter)
        memory.releaseInitialMemory(fraction: 1, zeroed: false)
        #expect(memory.freePages == 4_096)
        let first = memory.allocate(order: 2, preference: .dirtyFirst, cpu: 0, usePCP: true)
        let (small, _) = try #require(first)
        #expect(memory.freePages == 4_096 - 60 && memory.pcpPages[0] == 56)
        let thp = memory.allocate(order: 9, preference: .dirtyFirst, cpu: 0, usePCP: true)
        let (huge, _) = try #require(thp)
        #expect(huge.order == 9 && memory.freePages == 4_096 - 60 - 1_024 && memory.pcpPages[0] == 56 + 512)
        memory.zones[0].markAllocated(huge.page, order: 9)
        memory.zones[0].markAllocated(small.page, order: 2)
        var coalesced: [Int] = []
        memory.freeToPCP(small, cpu: 0, zeroed: false, coalesced: &coalesced)
        #expect(coalesced.isEmpty && memory.pcpPages[0] == 572 && memory.pcpDrainedPages == 0)
        var tight = memory
        tight.setListHighs([[500]])
        let second = tight.allocate(order: 2, preference: .dirtyFirst, cpu: 0, usePCP: true)
        let (again, _) = try #require(second)
        tight.zones[0].markAllocated(again.page, order: 2)
        tight.freeToPCP(again, cpu: 0, zeroed: false, coalesced: &coalesced)
        #expect(tight.pcpDrainedPages == 572 && coalesced.count == 16 && tight.pcpPages[0] == 0)
        #expect(tight.invariantViolations().isEmpty, "\(tight.invariantViolations())")
        #expect(memory.perCPUListHolds(order: 3) && memory.perCPUListHolds(order: 9) && !memory.perCPUListHolds(order: 4))
    }

    /// Gaps in the ids (an offline CPU 1, nodes 0 and 2) are no CPUs or nodes: the mean and the
    /// range take the CPUs listed, the nodes are numbered as buddyinfo's are (0, 1), and a value
    /// past a profile's pcp_high range is taken as its top (a review found phantom zero rows:
    /// pcp_high 12958 for 19437, a range from 0, and `compare` failing on a 2,000,000 high_max).
    @Test func zoneinfoWithGapsAndHugeValues() throws {
        func pageset(_ cpu: Int, count: Int, high: Int, min: Int, max: Int) -> String {
            "    cpu: \(cpu)\n              count:    \(count)\n              high:     \(high)\n              batch:    63\n              high_min: \(min)\n              high_max: \(max)\n"
        }
        let text = "Node 0, zone   Normal\n  pagesets\n" + pageset(0, count: 10, high: 100, min: 50, max: 400) + pageset(2, count: 20, high: 300, min: 50, max: 400)
            + "Node 2, zone   Normal\n  pagesets\n" + pageset(0, count: 5, high: 200, min: 60, max: 2_000_000) + pageset(2, count: 7, high: 400, min: 60, max: 500)
        let lists = try #require(CaptureMachine.parsePagesets(text))
        #expect(lists.count == [[10, 0, 20], [5, 0, 7]])
        #expect(lists.high == [100, 300, 200, 400] && lists.meanHigh == 250)
        #expect(lists.highTable == [[100, 0, 300], [200, 0, 400]])
        #expect(lists.highRange == 50...CaptureMachine.maxHigh)
    }

    /// A trace.dat header gives the CPUs and page size but no MemTotal: the CPUs are the
    /// captured machine's, the memory the profile's.
    @Test func cpusWithoutMemory() throws {
        var metadata = TraceMetadata()
        metadata.cpus = 16
        metadata.pageSize = 4096
        let captured = try #require(CaptureMachine(metadata: metadata))
        let profile = captured.adapt(BuiltinProfiles.epycZen5VM, sidecar: "x.trace.dat (its trace.dat header)")
        #expect(profile.cpus == 16)
        #expect(profile.memoryBytes == BuiltinProfiles.epycZen5VM.memoryBytes)
        #expect(CaptureMachine(metadata: TraceMetadata()) == nil)
    }

    @Test func replayStartsFromTheCapturedFreeLists() throws {
        let trace = repositoryRoot.appendingPathComponent("traces/git-clone.perf.txt.zst").path
        let (metadata, sidecar) = try #require(try TraceMetadata.load(besideTrace: trace))
        let captured = try #require(CaptureMachine(metadata: metadata))
        let profile = captured.adapt(BuiltinProfiles.epycZen5VM, sidecar: sidecar)
        #expect(profile.memoryBytes <= UInt64(metadata.memTotalKB ?? 0) * 1024)
        #expect(profile.cpus == metadata.cpus)
        var options = ReplayOptions(profile: profile)
        options.initialFreeBlocks = captured.freeBlocks
        options.checkInvariants = false
        let engine = try ReplayEngine(policy: ZeroOnFault(parameters: .init(), profile: profile), options: options)
        // Free pages at the start are exactly what buddyinfo listed.
        let listed = captured.freeBlocks[0].enumerated().reduce(0) { $0 + ($1.element << $1.offset) }
        #expect(engine.memory.freePages == listed)
    }
}
