import PrezeroModel

/// `hugepage-prezero`: HawkEye (Panwar, Bansal, Gopinath, ASPLOS'19) and openEuler's kzerod:
/// free huge-page-sized blocks are zeroed asynchronously with non-temporal stores onto a separate
/// zeroed list; huge (order >= `huge_order`) zero requests take them, small requests do not.
package struct HugepagePrezero: PrezeroPolicy {
    package static let name = "hugepage-prezero"
    package static let summary = "zero free 2 MiB blocks in the background with non-temporal stores (HawkEye)"

    package struct Parameters: PolicyParameters, MergeRuleParameter {
        /// 0 = the order of 2 MiB on the profile's page size.
        package var hugeOrder = 0
        /// Stop when this many zeroed huge blocks wait (0 = no limit).
        package var poolBlocks = 0
        package var drivers: [String] = ["cpu-nt"]
        package var merge = MergeRule.lameter
        package init() {}
        package static let documentation: [String: ParameterSpec] = [
            "huge_order": ParameterSpec("order", 0...15, "order of a huge page; 0 means 2 MiB / page size (9 on 4 KiB pages)"),
            "pool_blocks": ParameterSpec("blocks", 0...1e9, "zeroed huge blocks to keep ready (0 = zero every free huge block, as HawkEye)"),
            "drivers": ParameterSpec("driver list", nil, "HawkEye zeroes with non-temporal stores: cpu-nt"),
            "merge": MergeRuleDocumentation.entry,
        ]
    }

    package let parameters: Parameters
    let hugeOrder: Int
    package init(parameters: Parameters, profile: MachineProfile) {
        self.parameters = parameters
        var order = 0
        while (profile.pageBytes << order) < (2 << 20) && order < profile.maxOrder { order += 1 }
        hugeOrder = parameters.hugeOrder > 0 ? min(parameters.hugeOrder, profile.maxOrder) : order
    }

    package var keepsZeroedPool: Bool { true }
    package var drivers: [String] { parameters.drivers }
    package func preference(order: Int, wantsZero: Bool) -> ListPreference {
        wantsZero && order >= hugeOrder ? .zeroedFirst : .dirtyFirst
    }
    /// Its huge zero requests come from its zeroed pool, past the per-CPU lists; the rest as the kernel.
    package func usesPerCPULists(order: Int, wantsZero: Bool) -> Bool { !(wantsZero && order >= hugeOrder) }

    package mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool {
        order >= hugeOrder
    }

    package mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob? {
        for zone in memory.zones(ofNode: node) {
            if parameters.poolBlocks > 0 {
                var ready = 0
                for order in hugeOrder...memory.maxOrder(zone: zone) {
                    ready += memory.blocks(zone: zone, order: order, clean: true) << (order - hugeOrder)
                }
                if ready >= parameters.poolBlocks { continue }
            }
            if let block = memory.dirtyBlock(zone: zone, minOrder: hugeOrder, lowestFirst: true) {
                return ScrubJob(zone: zone, page: block.page, order: block.order)
            }
        }
        return nil
    }
}
