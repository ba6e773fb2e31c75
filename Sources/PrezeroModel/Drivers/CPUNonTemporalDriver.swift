/// `cpu-nt`: clear with non-temporal stores (MOVNT, CLZERO): no cache fill, and the cleared
/// lines leave the cache, so the page is cold when touched (Andi Kleen's point in the 2005 thread).
package struct CPUNonTemporalDriver: ZeroDriver {
    package static let name = "cpu-nt"
    let clear: ClearCost

    package init(profile: MachineProfile) { clear = profile.clearNonTemporal }

    package func accepts(bytes: Int) -> Bool { true }

    package func cost(bytes: Int) -> ZeroingCost {
        ZeroingCost(cpuNs: clear.ns(bytes: bytes), engineNs: 0, fillsCache: false, bypassesCache: true)
    }
}
