/// The profile's zeroing engines, which work beside the CPUs at their own rate; the CPU only
/// submits a request and later polls for completion, and the range leaves the cache (DMA). The
/// kinds differ only in their `EngineSpec`, so one driver serves both:
///
/// - `bte`: the SGI Altix SHub Block Transfer Engine zero driver from Lameter's patch set:
///   refuses requests under 60,000 bytes and over 8 MiB (2^16 lines of 128 B), ~500 MB/s.
/// - `dsa`: a modern memory-offload engine (Intel DSA-like): a submission latency, a throughput
///   and a minimum size worth offloading; every parameter is an assumption (the profile's
///   `sources` say so).
package struct EngineDriver: ZeroDriver {
    package static let name = "engine"
    let spec: EngineSpec

    package init(spec: EngineSpec) { self.spec = spec }

    /// The engine's kind, as `pages_zeroed_by_driver` reports it.
    package var name: String { spec.kind }
    package var isEngine: Bool { true }
    package var maxBytes: Int? { spec.maxBytes }

    package func accepts(bytes: Int) -> Bool { spec.accepts(bytes: bytes) }

    package func cost(bytes: Int) -> ZeroingCost { spec.cost(bytes: bytes) }

    /// The registry entry for the profile's engine of `kind`.
    static func make(kind: String) -> @Sendable (MachineProfile) -> (any ZeroDriver)? {
        { profile in profile.engines.first { $0.kind == kind }.map { EngineDriver(spec: $0) } }
    }
}
