/// `cpu-nt`: clear with non-temporal stores (MOVNT, CLZERO): no cache fill, and the cleared
/// lines leave the cache, so the page is cold when touched (Andi Kleen's point in the 2005 thread).
public struct CPUNonTemporalDriver: ZeroDriver {
    public static let name = "cpu-nt"
    let clear: ClearCost

    public init(profile: MachineProfile) { clear = profile.clearNonTemporal }

    public func accepts(bytes: Int) -> Bool { true }

    public func cost(bytes: Int) -> ZeroingCost {
        ZeroingCost(cpuNs: clear.ns(bytes: bytes), engineNs: 0, fillsCache: false, bypassesCache: true)
    }
}
