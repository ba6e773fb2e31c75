import PrezeroTrace

/// The kernel's own memory initialisation, Linux 5.3's `init_on_alloc=` and `init_on_free=`
/// (Potapenko, commit 6471384af2a6; distributions build with `CONFIG_INIT_ON_ALLOC_DEFAULT_ON`):
/// part of the machine, so every policy runs on it, the baseline included. The capture's
/// (its boot log's `mem auto-init:` line, recorded in the sidecar), else `--kernel-init`, else
/// off, said as assumed.
package struct KernelMemoryInit: Sendable, Equatable, Codable {
    package var onAlloc: Bool
    package var onFree: Bool
    /// `capture`, `option` or `assumed`.
    package var source: String
    /// What the capture recorded, when it did (`mem auto-init: ...` or the command line's setting).
    package var evidence: String?
    /// The capture's kernel release (`ReplayOptions.kernel`), recorded with a result for the
    /// report: what a THP fault does under init_on_alloc depends on it (`AllocatorZeroing`).
    package var release: String?

    package static let off = KernelMemoryInit(onAlloc: false, onFree: false, source: "assumed", evidence: nil)

    package init(onAlloc: Bool, onFree: Bool, source: String, evidence: String?) {
        self.onAlloc = onAlloc
        self.onFree = onFree
        self.source = source
        self.evidence = evidence
    }

    /// The capture's setting: both recorded, or one recorded and the other taken off (a boot
    /// log line gives both; a command line may set one).
    package init(metadata: TraceMetadata?) {
        guard let metadata, metadata.initOnAlloc != nil || metadata.initOnFree != nil else {
            self = .off
            return
        }
        self.init(
            onAlloc: metadata.initOnAlloc ?? false, onFree: metadata.initOnFree ?? false, source: "capture",
            evidence: metadata.memAutoInit.map { "mem auto-init: \($0)" } ?? metadata.initSettingsFrom ?? "its metadata")
    }

    /// `init_on_alloc=1 init_on_free=0`.
    package var settings: String { "init_on_alloc=\(onAlloc ? 1 : 0) init_on_free=\(onFree ? 1 : 0)" }

    enum CodingKeys: String, CodingKey {
        case onAlloc = "init_on_alloc", onFree = "init_on_free", source, evidence
        case release = "kernel_release"
    }

    /// Whether a THP/mTHP fault skips `folio_zero_user` under init_on_alloc (6.13 on; an unknown
    /// kernel is taken as current).
    package var faultSkipsClearUnderInitOnAlloc: Bool {
        AllocatorZeroing.faultSkipsClearUnderInitOnAlloc(release.flatMap(KernelVersion.init))
    }
}

/// `--kernel-init`: the capture's setting, or one chosen.
package enum KernelInitChoice: String, Sendable, CaseIterable, TextCodable {
    case capture, off, alloc, free, both

    package init?(_ text: String) { self.init(rawValue: text) }
    package var description: String { rawValue }
    package static let expected = "capture, off, alloc, free or both"

    /// The setting a trace with `metadata` is replayed on.
    package func resolve(metadata: TraceMetadata?) -> KernelMemoryInit {
        if self == .capture { return KernelMemoryInit(metadata: metadata) }
        return KernelMemoryInit(onAlloc: self == .alloc || self == .both, onFree: self == .free || self == .both, source: "option", evidence: nil)
    }
}

/// What a replay clears, from its policy and the kernel it runs on (mm/page_alloc.c,
/// include/linux/mm.h), the policy's init_on_free / init_on_alloc (the two policies) and the
/// kernel's taken together:
/// - at free: either's init_on_free (`free_pages_prepare` -> `kernel_init_pages`);
/// - every allocation: init_on_alloc unless init_on_free is on (`post_alloc_hook`:
///   `init = !want_init_on_free() && want_init_on_alloc(gfp)`);
/// - a THP/mTHP fault's folio even when the block is zero: `folio_zero_user` runs when
///   `user_alloc_needs_zeroing()`, false once init_on_alloc is on (Linux 6.13, Zi Yan); before
///   6.13 it always ran, after init_on_alloc's own clear too (an unknown kernel is taken as
///   current). Where the blocks may be zero (either setting), the fault clears its folio again;
///   the engine lets a policy that keeps a zeroed pool skip it for a folio that is zero, as its
///   design would, and the oracle's bound never clears.
package struct AllocatorZeroing: Sendable, Equatable {
    package var atFree: Bool
    package var everyAllocation: Bool
    package var hugeFaultFoliosAnyway: Bool

    /// Whether a THP/mTHP fault on `version` skips `folio_zero_user` under init_on_alloc:
    /// `user_alloc_needs_zeroing()` says no from 6.13 on; an unknown kernel is taken as current.
    package static func faultSkipsClearUnderInitOnAlloc(_ version: KernelVersion?) -> Bool {
        version.map { $0 >= KernelVersion(major: 6, minor: 13) } ?? true
    }

    /// - Parameter version: the capture's kernel (`ReplayOptions.kernel`); nil: taken as current.
    package init(policy: some PrezeroPolicy, kernel: KernelMemoryInit, version: KernelVersion?) {
        let freeInit = policy.zeroesAtFree || kernel.onFree
        let allocInit = policy.zeroesEveryAllocation || kernel.onAlloc
        atFree = freeInit
        everyAllocation = allocInit && !freeInit
        let faultSkipsClear = allocInit && Self.faultSkipsClearUnderInitOnAlloc(version)
        hugeFaultFoliosAnyway = (policy.clearsHugeFaultFoliosAnyway || freeInit || allocInit) && !faultSkipsClear
    }
}
