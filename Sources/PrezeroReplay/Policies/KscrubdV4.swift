import PrezeroModel

/// `kscrubd-v4`: Lameter's scrub daemon as posted in Prezeroing V4
/// (Pine.LNX.4.58.0501101554110, Jan 2005).
///
/// Zeroed and unzeroed blocks on separate buddy lists, merged only with their own kind. A free
/// that coalesces to order >= `scrub_start` wakes the node's kscrubd unless the 1-minute load
/// average is >= `scrub_load`. kscrubd takes the highest-order unzeroed block down to
/// `scrub_stop`, offers it to the zero drivers in order (the BTE on Altix), clears it on the CPU
/// when none accepts, and puts it on the zeroed lists. A `__GFP_ZERO` request takes a zeroed block
/// when one is there; other requests use unzeroed blocks first. Order-0 zero requests go through
/// a per-CPU list of zeroed pages (`pcp[2]`, cold), refilled by `rmqueue_bulk(..., zero)`.
package struct KscrubdV4: KscrubdDaemon {
    package static let name = "kscrubd-v4"
    package static let predatesHugePages = true
    package static let summary = "Lameter's scrub daemon V4: zero high-order free blocks in the background"

    package struct Parameters: KscrubdDriverParameters {
        package var scrubStart = 5
        package var scrubStop = 2
        package var scrubLoad = 999.0
        package var drivers: [String] = ["engines", "cpu"]
        package var splitForEngine = false
        package var merge = MergeRule.lameter
        package init() {}
        package static let documentation = KscrubdDriverDocumentation.with([
            "scrub_start": ParameterSpec("order", 0...15, "order (pages 2^n) a free must coalesce to before kscrubd wakes; V4 default 5 (Pine.LNX.4.58.0501101554110)"),
            "scrub_stop": ParameterSpec("order", 0...15, "lowest order kscrubd zeroes; V4 default 2"),
            "scrub_load": ParameterSpec("load average", 0...1e6, "1-minute load average at or above which kscrubd stays asleep; V4 default 999 (gate off)"),
        ])
    }

    package let parameters: Parameters
    package init(parameters: Parameters, profile: MachineProfile) { self.parameters = parameters }

    package var keepsZeroedPerCPUList: Bool { true }

    package mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool {
        order >= parameters.scrubStart && loadAverage < parameters.scrubLoad
    }

    package mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob? {
        let stop = max(0, parameters.scrubStop)
        for zone in memory.zones(ofNode: node) {
            guard stop <= memory.maxOrder(zone: zone) else { continue }
            if let block = memory.dirtyBlock(zone: zone, minOrder: stop, lowestFirst: false) {
                return ScrubJob(zone: zone, page: block.page, order: block.order)
            }
        }
        return nil
    }
}
