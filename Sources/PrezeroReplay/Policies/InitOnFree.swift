import PrezeroModel

/// `init-on-free`: Linux 5.3's `init_on_free=1` (Potapenko, commit 6471384af2a6): every block is
/// zeroed when freed, so every free block is zero and `__GFP_ZERO` allocations skip the clear.
/// The free path pays, for every free, whether or not the page is later asked for zeroed. Only
/// order-0 faults gain: THP and mTHP folios are cleared again in the fault (notes §5).
package struct InitOnFree: PrezeroPolicy {
    package static let name = "init-on-free"
    package static let summary = "zero every block at free (init_on_free=1)"

    package struct Parameters: PolicyParameters {
        /// Driver chain for the clear at free; the kernel clears with cached stores.
        package var drivers: [String] = ["cpu"]
        package init() {}
        package static let documentation: [String: ParameterSpec] = [
            "drivers": ParameterSpec("driver list", nil, "zero drivers tried in order (default cpu: mm/page_alloc.c kernel_init_pages uses clear_highpage)")
        ]
    }

    package let parameters: Parameters
    package init(parameters: Parameters, profile: MachineProfile) { self.parameters = parameters }
    package var zeroesAtFree: Bool { true }
    package var clearsHugeFaultFoliosAnyway: Bool { true }
    package var drivers: [String] { parameters.drivers }
    package func preference(order: Int, wantsZero: Bool) -> ListPreference { wantsZero ? .zeroedFirst : .dirtyFirst }
}
