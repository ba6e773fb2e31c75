/// `bte`: the SGI Altix SHub Block Transfer Engine zero driver from Lameter's patch set.
/// Refuses requests under 60,000 bytes and over 8 MiB (2^16 lines of 128 B), zeroes at ~500 MB/s
/// beside the CPUs; the CPU only submits and later polls for completion; no cache effect beyond
/// the lines of the range leaving the cache (DMA).
public struct BTEDriver: ZeroDriver {
    public static let name = "bte"
    let spec: EngineSpec

    public init(spec: EngineSpec) { self.spec = spec }

    public var isEngine: Bool { true }
    public var maxBytes: Int? { spec.maxBytes }

    public func accepts(bytes: Int) -> Bool { spec.accepts(bytes: bytes) }

    public func cost(bytes: Int) -> ZeroingCost { spec.cost(bytes: bytes) }
}
