/// `dsa`: a modern memory-offload engine (Intel DSA-like): a submission latency, a throughput
/// and a minimum size worth offloading. Every parameter is an assumption (see the profile's
/// `sources`); it works beside the CPUs like the BTE and leaves the range out of cache.
public struct DSADriver: ZeroDriver {
    public static let name = "dsa"
    let spec: EngineSpec

    public init(spec: EngineSpec) { self.spec = spec }

    public var isEngine: Bool { true }
    public var maxBytes: Int? { spec.maxBytes }

    public func accepts(bytes: Int) -> Bool { spec.accepts(bytes: bytes) }

    public func cost(bytes: Int) -> ZeroingCost { spec.cost(bytes: bytes) }
}
