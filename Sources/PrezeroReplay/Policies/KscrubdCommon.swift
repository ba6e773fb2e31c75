import PrezeroModel

/// What Lameter's scrub daemons (V4 and V8) share, whatever wakes them: zeroed and unzeroed
/// blocks on separate lists, `__GFP_ZERO` requests served from the zeroed ones (bypassing the
/// per-CPU lists), and the zero-driver chain with its CPU fallback.
protocol KscrubdDaemon: PrezeroPolicy where Parameters: KscrubdDriverParameters {}

/// The driver-chain parameters of both kscrubd versions.
protocol KscrubdDriverParameters: PolicyParameters, MergeRuleParameter {
    var drivers: [String] { get }
    var splitForEngine: Bool { get }
}

extension KscrubdDaemon {
    package var keepsZeroedPool: Bool { true }
    package var drivers: [String] { parameters.drivers }
    package var splitsBlocksForEngine: Bool { parameters.splitForEngine }
    package func preference(order: Int, wantsZero: Bool) -> ListPreference { wantsZero ? .zeroedFirst : .dirtyFirst }
    package func usesPerCPULists(order: Int, wantsZero: Bool) -> Bool { !wantsZero }
    /// `kthread_run(kscrubd, pgdat, "kscrubd%d", nid)` with no nice value or idle class: it
    /// competes with the node's tasks (notes §5).
    package var scrubberScheduling: ScrubberScheduling { .normal }
}

enum KscrubdDriverDocumentation {
    /// Merged into each version's `documentation`.
    static let entries = [
        "drivers": ParameterSpec("driver list", nil, "zero drivers tried in order: 'engines' = the profile's (BTE on Altix), then the CPU"),
        "merge": MergeRuleDocumentation.entry,
        "split_for_engine": ParameterSpec("true/false", nil, "false (Lameter's code): a block over the engine's maximum (the BTE's 8 MiB) is refused by it and cleared on the CPU by kscrubd's fallback; true: split it until the engine takes it"),
    ]

    static func with(_ own: [String: ParameterSpec]) -> [String: ParameterSpec] {
        own.merging(entries) { mine, _ in mine }
    }
}
