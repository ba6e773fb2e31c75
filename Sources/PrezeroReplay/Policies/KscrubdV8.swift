import PrezeroModel

/// `kscrubd-v8`: Prezeroing V8 (Mar 2005) replaced the order trigger with watermarks: kscrubd
/// wakes when zeroed free pages fall below `low_permille`/1024 of free pages, and then at each
/// order from 0 upward zeroes until that order's zeroed blocks reach `high_permille`/1024 of its
/// unzeroed ones (so high orders are not fragmented). Every free below the low watermark wakes
/// it, whatever the load; awake, `scrub_pgdat` sleeps in 30 s steps while the 1-minute load
/// average (runnable tasks) is at or above `scrub_load` (V7's 1).
package struct KscrubdV8: KscrubdDaemon {
    package static let name = "kscrubd-v8"
    package static let predatesHugePages = true
    package static let summary = "Lameter's scrub daemon V8: per-mille watermarks, orders from 0 upward"

    package struct Parameters: KscrubdDriverParameters {
        package var lowPermille = 100
        package var highPermille = 300
        package var scrubLoad = 1.0
        package var drivers: [String] = ["engines", "cpu"]
        package var splitForEngine = false
        package var merge = MergeRule.lameter
        package init() {}
        package static let documentation = KscrubdDriverDocumentation.with([
            "low_permille": ParameterSpec("1/1024", 0...1024, "wake when zeroed < free * low/1024; V8 default 100"),
            "high_permille": ParameterSpec("1/1024", 0...1_048_576, "per order, zero until zeroed >= unzeroed * high/1024; V8 default 300"),
            "scrub_load": ParameterSpec("load average", 0...1e6, "1-minute load average (runnable tasks) at or above which the awake kscrubd sleeps 30 s and looks again (scrub_pgdat); V7/V8 default 1"),
        ])
    }

    package let parameters: Parameters
    package init(parameters: Parameters, profile: MachineProfile) { self.parameters = parameters }

    package mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool {
        var free = 0
        var zeroed = 0
        for zone in memory.zones(ofNode: node) {
            free += memory.freePages(zone: zone)
            zeroed += memory.zeroedFreePages(zone: zone)
        }
        return zeroed * 1024 < free * parameters.lowPermille
    }

    package func mayScrub(loadAverage: Double) -> Bool { loadAverage < parameters.scrubLoad }
    /// `scrub_pgdat`: `schedule_timeout_interruptible(30*HZ)` while the load is too high.
    package var scrubberSleepNs: Double { 30e9 }

    package mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob? {
        for zone in memory.zones(ofNode: node) {
            for order in 0...memory.maxOrder(zone: zone) {
                let unzeroed = memory.blocks(zone: zone, order: order, clean: false)
                guard unzeroed > 0 else { continue }
                if memory.blocks(zone: zone, order: order, clean: true) * 1024 < unzeroed * parameters.highPermille,
                    let block = memory.dirtyBlock(zone: zone, minOrder: order, lowestFirst: true), block.order == order
                {
                    return ScrubJob(zone: zone, page: block.page, order: order)
                }
            }
        }
        return nil
    }
}
