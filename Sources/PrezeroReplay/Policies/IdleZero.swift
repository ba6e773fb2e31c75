import PrezeroModel

/// `idle-zero`: the Windows zero page thread and FreeBSD's `vm_zeroidle`: on idle CPU time only,
/// zero free pages into a zeroed pool with hysteresis: start when fewer than `start_fraction` of
/// free pages are zeroed, stop at `stop_fraction`, at most `pages_per_run` pages per idle run.
/// Demand-zero faults take zeroed pages first; other allocations take unzeroed pages first.
package struct IdleZero: PrezeroPolicy {
    package static let name = "idle-zero"
    package static let predatesHugePages = true
    package static let summary = "zero order-0 pages on idle CPU time with hysteresis (Windows, FreeBSD)"

    package struct Parameters: PolicyParameters, MergeRuleParameter {
        package var startFraction = 2.0 / 3.0
        package var stopFraction = 4.0 / 5.0
        package var pagesPerRun = 16
        package var drivers: [String] = ["cpu-nt"]
        package var merge = MergeRule.lameter
        package init() {}
        package static let documentation: [String: ParameterSpec] = [
            "start_fraction": ParameterSpec("fraction", 0...1, "start zeroing below this share of free pages zeroed; FreeBSD ZIDLE_LO 2/3 (sys/vm/vm_zeroidle.c)"),
            "stop_fraction": ParameterSpec("fraction", 0...1, "stop at this share; FreeBSD ZIDLE_HI 4/5"),
            "pages_per_run": ParameterSpec("pages", 1...1e9, "pages zeroed per idle run before yielding; FreeBSD 16"),
            "drivers": ParameterSpec("driver list", nil, "FreeBSD amd64 pagezero uses non-temporal stores (movnti): cpu-nt"),
            "merge": MergeRuleDocumentation.entry,
        ]
    }

    package let parameters: Parameters
    private var active: [Bool] = []
    package init(parameters: Parameters, profile: MachineProfile) {
        self.parameters = parameters
        active = Array(repeating: false, count: profile.nodes)
    }

    package var keepsZeroedPool: Bool { true }
    package var drivers: [String] { parameters.drivers }
    /// A run zeroes at most `pages_per_run` pages before it checks for runnable work; a larger
    /// free block is split first, so zeroing stays preemptible at that granularity.
    package var maxScrubJobPages: Int? { max(1, parameters.pagesPerRun) }
    package func preference(order: Int, wantsZero: Bool) -> ListPreference { wantsZero ? .zeroedFirst : .dirtyFirst }
    package func usesPerCPULists(order: Int, wantsZero: Bool) -> Bool { !wantsZero }

    private func zeroedShare(node: Int, memory: some MemoryView) -> Double {
        var free = 0
        var zeroed = 0
        for zone in memory.zones(ofNode: node) {
            free += memory.freePages(zone: zone)
            zeroed += memory.zeroedFreePages(zone: zone)
        }
        return free == 0 ? 1 : Double(zeroed) / Double(free)
    }

    package mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool {
        if zeroedShare(node: node, memory: memory) < parameters.startFraction { active[node] = true }
        return active[node]
    }

    package mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob? {
        guard zeroedShare(node: node, memory: memory) < parameters.stopFraction else {
            active[node] = false
            return nil
        }
        active[node] = true
        for zone in memory.zones(ofNode: node) {
            if let block = memory.dirtyBlock(zone: zone, minOrder: 0, lowestFirst: true) {
                return ScrubJob(zone: zone, page: block.page, order: block.order)
            }
        }
        return nil
    }
}
