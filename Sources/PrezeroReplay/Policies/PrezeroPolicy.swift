import Foundation
import PrezeroModel

/// A block the scrubber should zero next.
package struct ScrubJob: Sendable {
    package var zone: Int
    package var page: Int
    package var order: Int
}

/// What a policy sees of the machine when it decides: queries, no copies of the zones.
package protocol MemoryView {
    var profile: MachineProfile { get }
    /// The zones of a node (one today).
    func zones(ofNode node: Int) -> Range<Int>
    func freePages(zone: Int) -> Int
    func zeroedFreePages(zone: Int) -> Int
    func blocks(zone: Int, order: Int, clean: Bool) -> Int
    func maxOrder(zone: Int) -> Int
    /// An unzeroed free block of order >= minOrder: the highest order first, or the lowest.
    func dirtyBlock(zone: Int, minOrder: Int, lowestFirst: Bool) -> (page: Int, order: Int)?
}

/// A prezeroing policy: when and where pages are zeroed. One file per policy, listed in
/// `Policies.registry`; the hooks have no-op defaults, so a policy writes only what it uses.
///
/// Contract: the engine calls `preference` and `usesPerCPULists` on every allocation,
/// `didFree` after every free reaches the buddy lists (with the order it coalesced to),
/// and `nextScrubJob` whenever the node's scrubber is awake and has idle time; the policy
/// never changes the allocator itself, it returns decisions.
package protocol PrezeroPolicy {
    associatedtype Parameters: PolicyParameters
    static var name: String { get }
    static var summary: String { get }
    /// Designed before THP, for base-page zero requests: the replay still serves a THP or mTHP
    /// fault from its zeroed lists, and the report says that is the design carried forward.
    static var predatesHugePages: Bool { get }
    init(parameters: Parameters, profile: MachineProfile)
    var parameters: Parameters { get }

    /// How free buddies merge.
    var mergeRule: MergeRule { get }
    /// Which lists an allocation searches first.
    func preference(order: Int, wantsZero: Bool) -> ListPreference
    /// Whether an order-0 request may use (and frees fill) the per-CPU lists.
    func usesPerCPULists(order: Int, wantsZero: Bool) -> Bool
    /// Zero every block when it is freed (init_on_free).
    var zeroesAtFree: Bool { get }
    /// A THP/mTHP zero-fill fault clears its folio even when the block is zero: the fault path
    /// asks `user_alloc_needs_zeroing()` (include/linux/mm.h), which says no only under
    /// init_on_alloc, so init_on_free's zeroed folios are cleared again by `folio_zero_user`.
    var clearsHugeFaultFoliosAnyway: Bool { get }
    /// Every allocation is a zero request (init_on_alloc: the allocator clears them all).
    var zeroesEveryAllocation: Bool { get }
    /// Zero requests are served zeroed at no cost (the upper bound).
    var servesZeroRequestsForFree: Bool { get }
    /// Whether the policy keeps a zeroed pool that the report should sample.
    var keepsZeroedPool: Bool { get }
    /// Driver chain for background zeroing and for zeroing at free.
    var drivers: [String] { get }
    /// Called after a free coalesced to `order` on `node`; returns true to wake the node's scrubber.
    mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool
    /// The next block the awake scrubber of `node` should zero, or nil to go to sleep.
    mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob?
    /// Run before the trace: the machine was idle before the capture, so the scrubber ran.
    func wakesAtStart(node: Int) -> Bool
    /// Largest block one scrub job zeroes, in pages (larger free blocks are split first); nil = any.
    var maxScrubJobPages: Int? { get }
    /// True: a free block larger than the zeroing engine takes is split on the free lists until
    /// it fits (a scrubber written around its engine). False: it goes down the driver chain as
    /// it is, and the engine's refusal leaves it to the CPU (Lameter's kscrubd).
    var splitsBlocksForEngine: Bool { get }
    /// How the background zeroing thread is scheduled.
    var scrubberScheduling: ScrubberScheduling { get }
    /// Whether the awake scrubber may zero now (V8's load gate); if not, it sleeps
    /// `scrubberSleepNs` and asks again.
    func mayScrub(loadAverage: Double) -> Bool
    var scrubberSleepNs: Double { get }
    /// Order-0 zero requests are served from a per-CPU list of zeroed pages, refilled in
    /// `pcp_batch`es from the zeroed buddy lists (V4's `pcp[2]` and `rmqueue_bulk(..., zero)`).
    var keepsZeroedPerCPUList: Bool { get }
}

/// How a policy's scrubber thread gets CPU time.
package enum ScrubberScheduling: String, Sendable {
    /// Only idle CPU time: the Windows zero page thread (priority 0), FreeBSD's `vm_zeroidle`.
    case idle
    /// An ordinary kernel thread (Lameter's kscrubd: `kthread_run`, no nice value, no idle
    /// class): idle time when a CPU of its node is idle, else its fair share of a busy CPU,
    /// taken from the node's tasks.
    case normal
}

/// Parameters that choose the buddy merge rule: every policy whose free lists can hold both
/// zeroed and unzeroed blocks (`merge = "lameter" | "xen"`).
package protocol MergeRuleParameter {
    var merge: MergeRule { get }
}

extension PrezeroPolicy where Parameters: MergeRuleParameter {
    package var mergeRule: MergeRule { parameters.merge }
}

enum MergeRuleDocumentation {
    static let entry = ParameterSpec("lameter or xen", nil, "buddy merge rule: lameter (merge only blocks of the same zero state: Prezeroing V4, Pine.LNX.4.58.0501101554110) or xen (merge anyway, the block remembers its dirty pages: xen/common/page_alloc.c first_dirty)")
}

extension PrezeroPolicy {
    package static var predatesHugePages: Bool { false }
    package var mergeRule: MergeRule { .lameter }
    package func preference(order: Int, wantsZero: Bool) -> ListPreference { .dirtyFirst }
    package func usesPerCPULists(order: Int, wantsZero: Bool) -> Bool { true }
    package var zeroesAtFree: Bool { false }
    package var clearsHugeFaultFoliosAnyway: Bool { false }
    package var zeroesEveryAllocation: Bool { false }
    package var servesZeroRequestsForFree: Bool { false }
    package var keepsZeroedPool: Bool { false }
    package var drivers: [String] { ["cpu"] }
    package mutating func didFree(node: Int, order: Int, memory: some MemoryView, loadAverage: Double) -> Bool { false }
    package mutating func nextScrubJob(node: Int, memory: some MemoryView) -> ScrubJob? { nil }
    package func wakesAtStart(node: Int) -> Bool { keepsZeroedPool }
    package var maxScrubJobPages: Int? { nil }
    package var splitsBlocksForEngine: Bool { true }
    package var scrubberScheduling: ScrubberScheduling { .idle }
    package func mayScrub(loadAverage: Double) -> Bool { true }
    package var scrubberSleepNs: Double { 0 }
    package var keepsZeroedPerCPUList: Bool { false }
}

/// One parameter's unit, valid range (numbers; nil for lists and flags) and meaning with its
/// source: the one place that declares them.
package struct ParameterSpec: Sendable {
    package var unit: String
    package var range: ClosedRange<Double>?
    package var meaning: String
    package init(_ unit: String, _ range: ClosedRange<Double>?, _ meaning: String) {
        self.unit = unit
        self.range = range
        self.meaning = meaning
    }
}

/// Parameters of a policy: `Codable` with defaults in code; `--set key=value` edits them by
/// round-tripping through JSON, so types are checked, unknown keys are rejected and numbers
/// are checked against their range.
package protocol PolicyParameters: Codable, Sendable, Equatable {
    init()
    static var documentation: [String: ParameterSpec] { get }
}

extension PolicyParameters {
    /// The parameters as JSON values under their snake_case names (`scrub_start`), the names
    /// `--set` and plans use.
    func snakeCased() throws -> [String: ConfigValue] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONDecoder().decode([String: ConfigValue].self, from: encoder.encode(self))
    }

    package func setting(_ key: String, to value: String) throws -> Self {
        let object = try snakeCased()
        guard object[key] != nil else {
            throw PolicyError(object.isEmpty
                ? "unknown parameter '\(key)': this policy has no parameters"
                : "unknown parameter '\(key)'; valid: \(object.keys.sorted().joined(separator: ", "))")
        }
        // Try the value as a number, a boolean, a string, then a comma list: the decoder checks the type.
        var candidates: [ConfigValue] = []
        if let integer = Int(value) { candidates.append(.integer(integer)) }
        if let number = Double(value), number.isFinite { candidates.append(.double(number)) }
        if let flag = Bool(value) { candidates.append(.bool(flag)) }
        candidates.append(.string(value))
        candidates.append(.array(value.split(separator: ",").map { .string(String($0)) }))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for candidate in candidates {
            var edited = object
            edited[key] = candidate
            guard let data = try? JSONEncoder().encode(edited), let decoded = try? decoder.decode(Self.self, from: data) else { continue }
            if let spec = Self.documentation[key], let range = spec.range, let number = candidate.number, !range.contains(number) {
                throw PolicyError("\(key)=\(value) is outside \(range.rangeText) (\(spec.unit))")
            }
            return decoded
        }
        throw PolicyError("\(key)=\(value): not a valid value for this parameter")
    }

    /// Each parameter as text under its snake_case name: lists joined with commas, booleans as
    /// true/false, whole numbers without a decimal point.
    package var asStrings: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in (try? snakeCased()) ?? [:] {
            out[key] = value.array.map { $0.compactMap(\.scalarText).joined(separator: ",") } ?? value.scalarText ?? ""
        }
        return out
    }
}

package struct PolicyError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// No parameters.
package struct NoParameters: PolicyParameters {
    package init() {}
    package static let documentation: [String: ParameterSpec] = [:]
}
